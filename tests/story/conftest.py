"""Fixtures for the story tools: an engine over the seed and the written second article."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Iterator

import pytest

from bot.engine import Engine

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "knowledge" / "caixin-2025-09-26-tiktok-xi-trump-call.md"
SECOND = REPO / "tests" / "data" / "lawmakers-press-tiktok-deal-review.md"
ORACLE = REPO / "tests" / "kb" / "data" / "tiktok-us-joint-venture-oracle.md"


@pytest.fixture
def story_engine(tmp_path: Path) -> Iterator[Engine]:
    folder = tmp_path / "knowledge"
    folder.mkdir()
    for path in (SEED, SECOND, ORACLE):
        shutil.copy(path, folder / path.name)
    eng = Engine(folder, tmp_path / "story.db")
    eng.open()
    yield eng
    eng.close()
