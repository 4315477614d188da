"""The database stays small and whole while serving (issue 12, item 2).

- No read transaction outlives a question, so checkpoints complete: after
  20,000 questions (each unanswered one recorded as a gap) the WAL is below 4 MB
  and the store counted completed checkpoints.
- After a build, a plain copy of the database file alone (no -wal) holds every
  table and answers.
- Deleting -wal/-shm while serving breaks neither the next reload nor the journal:
  the audit trail and the gaps written before the deletion survive a restart.
No clocks: counts and sizes only.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from bot.engine import Engine
from conftest import SEED_ID
from kb.kb_helpers import article, write_file

WAL_LIMIT = 4 * 1024 * 1024
ANSWERABLE = "Where will Xi and Trump meet?"


def wal_size(db: Path) -> int:
    try:
        return os.path.getsize(f"{db}-wal")
    except OSError:
        return 0


@pytest.fixture
def fast_dir(tmp_path: Path):
    """A tmpfs folder when there is one: 20,000 synced journal writes on a real disk take
    minutes, and the sizes and counts checked here do not depend on the medium."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        import tempfile

        folder = Path(tempfile.mkdtemp(prefix="storybot-wal-", dir=shm))
        yield folder
        shutil.rmtree(folder, ignore_errors=True)
    else:  # pragma: no cover - machines without /dev/shm
        yield tmp_path


def test_wal_stays_bounded_over_20000_questions(knowledge_dir: Path, fast_dir: Path) -> None:
    db = fast_dir / "storybot.db"
    engine = Engine(knowledge_dir, db)
    engine.open()
    try:
        journal = engine.journal
        checkpoints_before = engine.store.checkpoints
        largest = 0
        unanswered = 0
        for i in range(20_000):
            question = ANSWERABLE if i % 4 == 0 else f"What did the zorblax committee {i} decide about quarks?"
            answer = engine.ask(question)
            if not answer.answered:
                unanswered += 1
                journal.record_gap(question, 1)  # what the Discord layer does for an unanswered question
            if i % 500 == 0:
                largest = max(largest, wal_size(db))
        largest = max(largest, wal_size(db))
        assert unanswered >= 15_000
        assert engine.store.checkpoints - checkpoints_before >= unanswered  # every gap reached the main file
        assert largest < WAL_LIMIT, largest
        # The gaps are in the main file itself: a copy without the WAL holds them.
        copy = fast_dir / "copy.db"
        shutil.copyfile(db, copy)
        conn = sqlite3.connect(copy)
        assert conn.execute("SELECT COUNT(*) FROM gaps").fetchone()[0] == unanswered
        conn.close()
    finally:
        engine.close()


def test_a_plain_copy_of_the_database_file_is_usable(knowledge_dir: Path, tmp_path: Path) -> None:
    db = tmp_path / "storybot.db"
    engine = Engine(knowledge_dir, db)
    engine.open()
    try:
        write_file(knowledge_dir / "ferry.md", article("Ferry note", "2025-10-02",
                                                      "The ferries to the island leave at 4 o'clock every day."))
        engine.reload(actor="mod")
        assert engine.ask(ANSWERABLE).answered  # the engine keeps serving (its connections stay open)
        copy_dir = tmp_path / "copy"
        copy_dir.mkdir()
        shutil.copyfile(db, copy_dir / "storybot.db")  # the file alone: no -wal, no -shm, no index
        conn = sqlite3.connect(copy_dir / "storybot.db")
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"documents", "passages", "postings", "audit"} <= tables
        assert {r[0] for r in conn.execute("SELECT id FROM documents")} == {SEED_ID, "ferry"}
        assert conn.execute("SELECT COUNT(*) FROM audit WHERE actor = 'mod'").fetchone()[0] == 1
        conn.close()
    finally:
        engine.close()
    copied = Engine(knowledge_dir, copy_dir / "storybot.db")
    copied.open(refresh=False)  # answers from the copy as it is
    try:
        answer = copied.ask("When do the ferries leave?")
        assert answer.answered and "4 o'clock" in answer.quotes[0].text
    finally:
        copied.close()


def test_deleting_wal_and_shm_while_serving(knowledge_dir: Path, tmp_path: Path) -> None:
    db = tmp_path / "storybot.db"
    engine = Engine(knowledge_dir, db)
    engine.open()
    try:
        engine.journal.audit("mod", "add", "x.md", "ok")
        engine.journal.record_gap("What did the zorblax committee decide?", 1)
        engine.journal.record_feedback("q", True, 1)
        assert engine.ask(ANSWERABLE).answered
        for suffix in ("-wal", "-shm"):
            Path(f"{db}{suffix}").unlink()
        assert engine.ask(ANSWERABLE).answered  # serving goes on
        write_file(knowledge_dir / "ferry.md", article("Ferry note", "2025-10-02",
                                                      "The ferries to the island leave at 4 o'clock every day."))
        report = engine.reload(actor="mod")  # the next reload works
        assert report.added == ["ferry"]
        assert "4 o'clock" in engine.ask("When do the ferries leave?").quotes[0].text
        engine.journal.record_gap("What did the quark council decide?", 2)
        again = engine.reload()  # and the one after
        assert not again.changed_anything
    finally:
        engine.close()
    restarted = Engine(knowledge_dir, db)
    restarted.open()
    try:
        audit = [(e.actor, e.action, e.target) for e in restarted.journal.recent_audit(10)]
        assert ("mod", "add", "x.md") in audit and ("mod", "reload", "") in audit
        gaps = {g.question for g in restarted.journal.top_gaps(10)}
        assert gaps == {"What did the zorblax committee decide?", "What did the quark council decide?"}
        assert restarted.journal.feedback_counts().up == 1
        assert "4 o'clock" in restarted.ask("When do the ferries leave?").quotes[0].text
    finally:
        restarted.close()
