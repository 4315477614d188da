"""Fixtures for the knowledge-base tests: two articles loaded in a private folder."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Iterator

import pytest

from bot.engine import Engine
from conftest import opened_engine
from kb.kb_helpers import SECOND_MD


@pytest.fixture
def two_dir(knowledge_dir: Path) -> Path:
    shutil.copy(SECOND_MD, knowledge_dir / SECOND_MD.name)
    return knowledge_dir


@pytest.fixture
def engine2(two_dir: Path, tmp_path: Path) -> Iterator[Engine]:
    yield from opened_engine(two_dir, tmp_path / "storybot.db")
