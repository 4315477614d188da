"""Shared fixtures: a private copy of the knowledge folder and an engine over it."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Iterator

import pytest

from bot.engine import Engine

REPO = Path(__file__).resolve().parent.parent
SEED_ID = "caixin-2025-09-26-tiktok-xi-trump-call"
SEED_MD = REPO / "knowledge" / f"{SEED_ID}.md"
DATA = Path(__file__).resolve().parent / "data"


def seeded_folder(root: Path) -> Path:
    """`root/knowledge` holding a copy of the seed article."""
    folder = root / "knowledge"
    folder.mkdir()
    shutil.copy(SEED_MD, folder / SEED_MD.name)
    return folder


@pytest.fixture
def knowledge_dir(tmp_path: Path) -> Path:
    return seeded_folder(tmp_path)


def opened_engine(knowledge: Path, db: Path) -> Iterator[Engine]:
    """An engine over `knowledge`, open for the fixture's life (fixtures `yield from` it)."""
    eng = Engine(knowledge, db)
    eng.open()
    yield eng
    eng.close()


@pytest.fixture
def engine(knowledge_dir: Path, tmp_path: Path) -> Iterator[Engine]:
    yield from opened_engine(knowledge_dir, tmp_path / "storybot.db")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Property tests (hypothesis: hundreds of generated examples each) are `slow`
    wherever they live, so `pytest -m "not slow"` is the quick subset without
    anyone remembering to mark them. The long end-to-end tests (subprocesses,
    crash, load, scale) carry `@pytest.mark.slow` themselves."""
    for item in items:
        if getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
            item.add_marker(pytest.mark.slow)
