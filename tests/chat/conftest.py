"""Fixtures for the Discord layer: a StoryBot over a private engine, driven through its tree."""

from __future__ import annotations

from typing import AsyncIterator

import pytest_asyncio

from bot.engine import Engine
from chat.harness import Harness, close_harness, make_harness


@pytest_asyncio.fixture
async def harness(engine: Engine) -> AsyncIterator[Harness]:
    h = await make_harness(engine)
    try:
        yield h
    finally:
        await close_harness(h)
