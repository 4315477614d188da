"""Incremental reload: only changed files are read, the report says what moved,
and a database that refuses the write keeps the old snapshot serving."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

import bot.build
from bot.engine import Engine
from bot.store import Store, StoreError
from conftest import SEED_ID
from kb.kb_helpers import SECOND_ID, article, write_file

EXTRA = article("TikTok Users Await Clarity", "2025-09-30",
                "Creators on TikTok said they were waiting for clarity on how the retrained algorithm would change their feeds.")


@pytest.fixture
def read_counter(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the files each reload actually opens."""
    seen: list[str] = []
    real = bot.build.read_article

    def counting(entry, max_bytes=bot.build.MAX_FILE_BYTES):
        seen.append(entry.path.name)
        return real(entry, max_bytes)

    monkeypatch.setattr(bot.build, "read_article", counting)
    return seen


def test_reload_reads_only_changed_files_and_reports(engine2: Engine, two_dir: Path, read_counter: list[str]) -> None:
    report = engine2.reload()
    assert read_counter == [] and not report.changed_anything and report.unchanged == 2

    (two_dir / "creators.md").write_bytes(EXTRA)
    report = engine2.reload()
    assert read_counter == ["creators.md"]
    assert report.added == ["creators"] and report.changed == [] and report.removed == []
    assert report.unchanged == 2 and report.documents == 3

    read_counter.clear()
    write_file(two_dir / "creators.md", EXTRA.replace(b"waiting", b"still waiting"))
    report = engine2.reload()
    assert read_counter == ["creators.md"] and report.changed == ["creators"] and report.added == []
    assert "still waiting" in engine2.ask("What were creators waiting for?").quotes[0].text

    # Same bytes, new mtime: read (to hash it) but not re-indexed.
    read_counter.clear()
    st = (two_dir / "creators.md").stat()
    os.utime(two_dir / "creators.md", ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    report = engine2.reload()
    assert read_counter == ["creators.md"] and not report.changed_anything and report.unchanged == 3
    read_counter.clear()
    assert not engine2.reload().changed_anything and read_counter == []  # the new mtime was recorded

    (two_dir / "creators.md").unlink()
    (two_dir / "broken.md").write_bytes(b"---\ntitle: never closed\n")
    report = engine2.reload()
    assert report.removed == ["creators"]
    assert report.failed == [("broken.md", "front matter is not closed: no second '---' line")]
    assert report.documents == 2
    lines = report.summary_lines()
    assert "removed: creators" in lines and "failed: broken.md: front matter is not closed: no second '---' line" in lines
    d = report.as_dict()
    assert d["removed"] == ["creators"] and d["failed"] == [{"file": "broken.md", "reason": d["failed"][0]["reason"]}]
    assert not engine2.is_loaded("creators") and not engine2.ask("What were creators waiting for?").answered


def test_disk_full_keeps_the_old_snapshot(engine2: Engine, two_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = engine2.ask("How much of the joint venture will Oracle hold?")
    docs_before = [d.id for d in engine2.documents()]

    def full(self, *a, **k):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(Store, "write_changes", full)
    (two_dir / "creators.md").write_bytes(EXTRA)
    write_file(two_dir / f"{SECOND_ID}.md", b"---\ntitle: Rewritten\n---\nOracle was not mentioned at all here.\n")
    with pytest.raises(StoreError) as info:
        engine2.reload(actor="mod-alice")
    message = str(info.value)
    assert "database or disk is full" in message and "\n" not in message
    # The old index still answers, the same way, and knows nothing new.
    assert [d.id for d in engine2.documents()] == docs_before
    again = engine2.ask("How much of the joint venture will Oracle hold?")
    assert again.quotes == before.quotes
    assert not engine2.is_loaded("creators")
    # The failed reload is in the audit trail, with its reason.
    entry = engine2.journal.recent_audit(1)[0]
    assert (entry.actor, entry.action, entry.result) == ("mod-alice", "reload", "error")
    assert "disk is full" in entry.detail

    monkeypatch.undo()
    report = engine2.reload()
    assert "creators" in report.added and SECOND_ID in report.changed
    assert engine2.ask("What were creators waiting for?").answered


def test_locked_database_keeps_the_old_snapshot(engine2: Engine, two_dir: Path) -> None:
    engine2.store.conn.execute("PRAGMA busy_timeout = 100")  # do not wait 5 s for the lock
    holder = sqlite3.connect(engine2.db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the database
    try:
        (two_dir / "creators.md").write_bytes(EXTRA)
        with pytest.raises(StoreError) as info:
            engine2.reload()
        assert "locked" in str(info.value)
        assert engine2.ask("Where will Xi and Trump meet?").answered
        assert not engine2.is_loaded("creators")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert engine2.reload().added == ["creators"]
    assert engine2.is_loaded("creators")


def test_reload_with_actor_is_audited(engine2: Engine, two_dir: Path) -> None:
    engine2.reload(actor="mod-bob")
    (two_dir / "creators.md").write_bytes(EXTRA)
    engine2.reload(actor="mod-bob")
    engine2.reload()  # no actor: startup / CLI reloads are not audited
    entries = engine2.journal.recent_audit(10)
    assert [(e.actor, e.action, e.result) for e in entries] == [("mod-bob", "reload", "ok")] * 2
    assert "added: creators" in entries[0].detail and "nothing changed" in entries[1].detail


def test_cli_index_reports_added_changed_removed_failed(two_dir: Path, tmp_path: Path, capsys) -> None:
    import json

    from bot.cli import main

    args = ["--json", "--knowledge", str(two_dir), "--db", str(tmp_path / "i.db")]
    assert main(["index", *args]) == 0
    first = json.loads(capsys.readouterr().out)
    assert sorted(first["added"]) == sorted([SEED_ID, SECOND_ID])
    (two_dir / "creators.md").write_bytes(EXTRA)
    write_file(two_dir / f"{SECOND_ID}.md", (two_dir / f"{SECOND_ID}.md").read_bytes() + b"\nOne more line.\n")
    (two_dir / f"{SEED_ID}.md").unlink()
    (two_dir / "garbage.txt").write_bytes(b"\xff\xfe\x00\x01binary")
    assert main(["index", *args]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["added"] == ["creators"] and out["changed"] == [SECOND_ID] and out["removed"] == [SEED_ID]
    assert out["failed"] == [{"file": "garbage.txt", "reason": "binary content, not a text article"}]
