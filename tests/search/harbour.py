"""A small built knowledge base of harbour reports, for the cold-start tests (they import `built` and `harbour_articles`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.engine import Engine


def harbour_articles(folder: Path, n: int) -> None:
    """Write `n` short articles (title, date, two paragraphs) into `folder`."""
    for i in range(n):
        (folder / f"harbour-{i:03d}.md").write_text(
            f"---\ntitle: Harbour report {i}\ndate: 2025-10-{i % 27 + 1:02d}\n---\n"
            f"Inspectors reviewed pier {i} on Monday. The council said repairs to pier {i} "
            f"would cost {i + 3} thousand dollars.\n\nResidents asked whether the ferry timetable would change.\n",
            encoding="utf-8")


@pytest.fixture()
def built(tmp_path: Path) -> tuple[Path, Path]:
    """(knowledge folder, database) after one full build of 12 harbour reports."""
    kb = tmp_path / "knowledge"
    kb.mkdir()
    harbour_articles(kb, 12)
    db = tmp_path / "storybot.db"
    engine = Engine(kb, db)
    engine.open()
    engine.close()
    return kb, db
