"""The journal: audit trail, unanswered questions (no user ids), feedback."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from bot.engine import Engine
from bot.journal import AuditEntry, FeedbackCounts, GapEntry, Journal, gap_key
from bot.store import Store


@pytest.fixture
def journal(tmp_path: Path):
    store = Store(tmp_path / "j.db")
    yield Journal(store)
    store.close()


def test_audit_newest_first_with_limit(journal: Journal) -> None:
    t0 = time.time()
    journal.audit("alice", "add", "a.md", "ok", "added a.md (A)")
    journal.audit("bob", "remove", "b.md", "refused", "unknown article: 'b'")
    journal.audit("carol", "reload", "", "ok")
    entries = journal.recent_audit(2)
    assert [e.actor for e in entries] == ["carol", "bob"]
    assert all(isinstance(e, AuditEntry) for e in entries)
    bob = entries[1]
    assert (bob.action, bob.target, bob.result, bob.detail) == ("remove", "b.md", "refused", "unknown article: 'b'")
    assert t0 - 1 <= bob.at <= time.time() + 1
    assert len(journal.recent_audit()) == 3 and journal.recent_audit(0) == []


def test_audit_text_is_one_clipped_line(journal: Journal) -> None:
    e = journal.audit("eve\x00\nmallory", "add", "x\ny.md", "refused", "line one\nline two " + "z" * 1000)
    assert "\n" not in e.actor + e.target + e.detail and "\x00" not in e.actor
    assert len(e.detail) <= 500
    assert journal.recent_audit(1)[0] == e


def test_gaps_group_rephrasings_and_store_no_user(journal: Journal) -> None:
    journal.record_gap("Who is the CEO of TikTok?", 2)
    journal.record_gap("who is the ceo of tiktok", 2)
    journal.record_gap("Who's the CEO of TikTok??", 3)
    journal.record_gap("What is TikTok's revenue?", 3)
    journal.record_gap("   ", 3)  # nothing to record
    gaps = journal.top_gaps()
    assert all(isinstance(g, GapEntry) for g in gaps)
    assert [(g.question, g.count) for g in gaps] == [("Who's the CEO of TikTok??", 3), ("What is TikTok's revenue?", 1)]
    assert gaps[0].last_asked >= gaps[1].last_asked - 1
    assert journal.top_gaps(1) == gaps[:1]
    assert gap_key("Who is the CEO of TikTok?") == gap_key("WHO IS THE CEO OF TIKTOK!!")
    columns = {r[1] for r in journal.store.conn.execute("PRAGMA table_info(gaps)")}
    assert columns == {"id", "question", "key", "asked_at", "articles"}  # no user id, no channel


def test_feedback_counts(journal: Journal) -> None:
    assert journal.feedback_counts() == FeedbackCounts(0, 0)
    journal.record_feedback("Where will they meet?", True, 1, ["caixin¶4", 17])
    journal.record_feedback("Where will they meet?", True, 5, [])
    journal.record_feedback("Who is the CEO?", False, -1)
    counts = journal.feedback_counts()
    assert counts == FeedbackCounts(up=2, down=1) and counts.total == 3
    with pytest.raises(ValueError):
        journal.record_feedback("q", True, 0)
    row = journal.store.conn.execute("SELECT query, answered, vote, passages FROM feedback ORDER BY id LIMIT 1").fetchone()
    assert row == ("Where will they meet?", 1, 1, '["caixin\\u00b64", 17]')


def test_engine_journal_property_and_concurrent_writes(engine: Engine, knowledge_dir: Path) -> None:
    assert engine.journal is engine.journal
    errors: list[BaseException] = []

    def writer(i: int) -> None:
        try:
            for j in range(20):
                engine.journal.record_gap(f"unanswered question number {i} {j}", 1)
                engine.journal.record_feedback(f"q{i}", True, 1)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for n in range(5):  # reloads write in their own transaction meanwhile
        (knowledge_dir / f"n{n}.md").write_text(f"# Note {n}\n\nA short note number {n} about ferries.\n")
        engine.reload(actor="mod")
    for t in threads:
        t.join()
    assert not errors
    assert engine.journal.feedback_counts().up == 80
    assert sum(g.count for g in engine.journal.top_gaps(100)) == 80
    assert len(engine.journal.recent_audit(100)) == 5


def test_cli_and_engine_ask_record_no_gaps(knowledge_dir: Path, tmp_path: Path, capsys) -> None:
    """Only the Discord layer records gaps (it calls journal.record_gap); asking does not."""
    from bot.cli import main

    db = tmp_path / "g.db"
    assert main(["ask", "What is the CEO's favourite colour?", "--json", "--knowledge", str(knowledge_dir), "--db", str(db)]) == 0
    assert '"answered": false' in capsys.readouterr().out
    engine = Engine(knowledge_dir, db)
    engine.open()
    try:
        assert not engine.ask("What is the CEO's favourite colour?").answered
        assert engine.journal.top_gaps() == [] and engine.journal.recent_audit() == []
    finally:
        engine.close()
