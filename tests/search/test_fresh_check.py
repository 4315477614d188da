"""Issue 13: a read-only start decides "the database matches the folder" with one lstat
per file (bot/ingest/files.py `unchanged_since`); anything it is unsure of goes to the
full comparison (`scan_folder`). Counted, never timed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import bot.engine as engine_mod
from bot.engine import Engine
from bot.ingest.files import unchanged_since


def _articles(kb: Path, n: int) -> None:
    for i in range(n):
        (kb / f"pier-{i:02d}.md").write_text(
            f"---\ntitle: Pier {i}\ndate: 2025-10-{i + 1:02d}\n---\nRepairs to pier {i} began on Monday.\n",
            encoding="utf-8")


@pytest.fixture()
def built(tmp_path: Path):
    kb = tmp_path / "knowledge"
    kb.mkdir()
    _articles(kb, 6)
    eng = Engine(kb, tmp_path / "kb.db")
    eng.open()
    eng.close()
    return kb, tmp_path / "kb.db"


def _stored(db: Path, kb: Path) -> dict[str, tuple[int, int]]:
    eng = Engine(kb, db)
    assert eng._open_readonly(require_fresh=False)
    try:
        return {d.path: (d.size, d.mtime_ns) for d in eng._snapshot.documents.values()}
    finally:
        eng.close()


def _count_scans(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = engine_mod.scan_folder
    monkeypatch.setattr(engine_mod, "scan_folder", lambda folder: calls.append(1) or real(folder))
    return calls


def test_unchanged_folder_is_seen_without_a_full_scan(built, monkeypatch: pytest.MonkeyPatch) -> None:
    kb, db = built
    calls = _count_scans(monkeypatch)
    eng = Engine(kb, db)
    try:
        eng.open_for_queries()
        assert eng.last_report is None  # read-only: nothing synced
    finally:
        eng.close()
    assert calls == []
    (kb / ".notes.md.swp").write_text("editor junk")  # hidden and other files are not articles
    (kb / "README.json").write_text("{}")
    assert unchanged_since(kb, _stored(db, kb))


@pytest.mark.parametrize("change", ["edit", "touch", "add", "remove", "symlink", "folder", "rename"])
def test_any_change_is_not_called_unchanged(built, change: str) -> None:
    """Every kind of change makes the cheap check unsure (False), so the full comparison decides."""
    kb, db = built
    stored = _stored(db, kb)
    assert unchanged_since(kb, stored)
    target = kb / "pier-03.md"
    if change == "edit":
        target.write_text(target.read_text() + "More.\n")
    elif change == "touch":
        st = target.stat()
        os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    elif change == "add":
        _articles(kb, 7)
    elif change == "remove":
        target.unlink()
    elif change == "symlink":
        outside = kb.parent / "elsewhere.md"
        outside.write_bytes(target.read_bytes())
        os.utime(outside, ns=(target.stat().st_atime_ns, target.stat().st_mtime_ns))
        target.unlink()
        target.symlink_to(outside)
    elif change == "folder":
        target.unlink()
        target.mkdir()
    elif change == "rename":
        target.rename(kb / "pier-03.txt")
    assert not unchanged_since(kb, stored)


def test_a_changed_article_still_reaches_the_cli(built, monkeypatch: pytest.MonkeyPatch) -> None:
    """End to end: after an edit the read-only start is refused and the folder is synced."""
    kb, db = built
    (kb / "pier-02.md").write_text("---\ntitle: Pier 2\n---\nThe ferry to pier 2 was cancelled.\n", encoding="utf-8")
    eng = Engine(kb, db)
    try:
        eng.open_for_queries()
        assert eng.last_report is not None and eng.last_report.changed_anything
        assert "ferry" in eng.ask("Was the ferry to pier 2 cancelled?").quotes[0].text
    finally:
        eng.close()
