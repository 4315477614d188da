"""Storage faults while the engine runs: the database file deleted, emptied,
replaced by garbage, overwritten in place, locked by another process, the disk
full in the middle of a build.

What must hold for each: a clear log line; questions keep being answered from the
last good snapshot (its read connection holds the old file open) or fail with a
readable StoreError/EngineError (never another exception); reloads fail cleanly
(no crash loop) and the first reload after the fault is gone rebuilds, with the
new content answerable.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import bot.store
from bot.engine import Engine, EngineError
from bot.store import Store, StoreError
from hostile.support import COUNTS

QUESTION = "How many days did the 2024 law give TikTok to divest?"
NEW_FACT = "Zebras were seen grazing outside the Columbus courthouse in Ohio."
NEW_QUESTION = "Where were zebras seen grazing?"


def answers_right(engine: Engine) -> bool:
    answer = engine.ask(QUESTION)
    return answer.answered and "270 days" in answer.quotes[0].text


def add_new_fact(kb: Path) -> None:
    path = next(kb.glob("*.md"))
    path.write_text(path.read_text(encoding="utf-8") + f"\n\n{NEW_FACT}\n", encoding="utf-8")


def knows_new_fact(engine: Engine) -> bool:
    answer = engine.ask(NEW_QUESTION)
    return answer.answered and "Zebras" in answer.quotes[0].text


def checkpoint(db: Path) -> None:
    """Move everything from the WAL into the main file, as a restart or a busy day would:
    otherwise the faults below would only hit an empty shell."""
    conn = sqlite3.connect(db, timeout=0)
    busy, frames, done = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert busy == 0 and done == frames, (busy, frames, done)  # (the store checkpoints after builds too)
    conn.close()


def ask_or_clear_error(engine: Engine) -> bool:
    """True if answered correctly; False if it failed with a readable error. Anything else fails the test."""
    try:
        return answers_right(engine)
    except (StoreError, EngineError) as exc:
        assert str(exc) and "Traceback" not in str(exc)
        return False


def inject(kind: str, db: Path) -> None:
    COUNTS["faults"] += 1
    if kind == "deleted":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    elif kind == "truncated":
        os.truncate(db, 0)
    elif kind == "truncated-half":
        os.truncate(db, db.stat().st_size // 2)
    elif kind == "replaced-by-garbage":
        tmp = db.with_suffix(".tmp")
        tmp.write_bytes(os.urandom(64 * 1024))
        os.replace(tmp, db)
    elif kind == "overwritten-with-garbage":
        size = db.stat().st_size
        with open(db, "r+b") as fh:
            fh.write(os.urandom(size))
    else:  # pragma: no cover
        raise AssertionError(kind)


@pytest.mark.parametrize(
    "kind", ["deleted", "truncated", "truncated-half", "replaced-by-garbage", "overwritten-with-garbage"]
)
def test_database_file_fault(kind: str, kb: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    db = tmp_path / "storybot.db"
    engine = Engine(kb, db)
    engine.open()
    try:
        assert answers_right(engine)
        checkpoint(db)
        inject(kind, db)
        caplog.set_level(logging.WARNING)

        # The snapshot in memory keeps answering: its connection holds the old file.
        served_after_fault = ask_or_clear_error(engine)
        if kind in ("deleted", "replaced-by-garbage", "truncated"):
            assert served_after_fault, f"{kind}: the last good snapshot stopped answering"

        # Reloads (with a real change to pick up) either work or fail cleanly, again and again.
        add_new_fact(kb)
        outcomes = []
        for _ in range(3):
            try:
                engine.reload()
                outcomes.append("ok")
            except StoreError as exc:
                assert "database" in str(exc), str(exc)
                outcomes.append("StoreError")
            ask_or_clear_error(engine)  # never any other exception
        if kind in ("deleted", "truncated", "replaced-by-garbage"):
            # The engine rebuilds from the folder by itself (garbage is set aside, kept).
            assert outcomes[0] == "ok", outcomes
            assert knows_new_fact(engine) and answers_right(engine)
        if kind == "replaced-by-garbage":
            assert list(tmp_path.glob("storybot.db.corrupt-*")), "the damaged file must be kept aside"
        if "StoreError" in outcomes or kind in ("deleted", "truncated", "replaced-by-garbage"):
            assert any(r.levelno >= logging.WARNING and r.name.startswith("bot.") for r in caplog.records), \
                "a fault must leave a clear log line"

        # An operator removes the broken file: the next reload rebuilds, answers are right.
        if outcomes[-1] != "ok":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            engine.reload()
        assert answers_right(engine) and knows_new_fact(engine)
    finally:
        engine.close()

    # And a restart on the rebuilt file is clean.
    again = Engine(kb, db)
    again.open()
    try:
        assert answers_right(again) and knows_new_fact(again)
    finally:
        again.close()


def test_fresh_start_on_garbage_rebuilds_with_one_line(kb: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A bot (re)started on a garbage database sets the file aside (kept, never deleted),
    rebuilds from the articles and says so in one warning line: no crash loop, no
    operator needed at 3 a.m."""
    db = tmp_path / "storybot.db"
    db.write_bytes(b"this is not sqlite" * 1000)
    COUNTS["faults"] += 1
    caplog.set_level(logging.WARNING)
    engine = Engine(kb, db)
    engine.open()
    try:
        assert answers_right(engine)
        lines = [r.getMessage() for r in caplog.records if r.name == "bot.engine" and r.levelno >= logging.WARNING]
        assert len(lines) == 1 and "corrupt" in lines[0] and "rebuilt" in lines[0], lines
        aside = list(tmp_path.glob("storybot.db.corrupt-*"))
        assert len(aside) == 1 and aside[0].read_bytes().startswith(b"this is not sqlite")
    finally:
        engine.close()


LOCKER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=0)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("ROLLBACK")
"""


@pytest.fixture
def short_busy_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Store waits 5 s for a lock; the tests need not."""
    real = bot.store.connect
    monkeypatch.setattr(bot.store, "connect", lambda path, timeout=5.0: real(path, timeout=0.3))


def test_locked_by_another_process(kb: Path, tmp_path: Path, short_busy_timeout: None, caplog: pytest.LogCaptureFixture) -> None:
    db = tmp_path / "storybot.db"
    engine = Engine(kb, db)
    engine.open()
    locker = subprocess.Popen([sys.executable, "-c", LOCKER, str(db), "30"], stdout=subprocess.PIPE, text=True)
    try:
        assert locker.stdout is not None and locker.stdout.readline().strip() == "locked"
        COUNTS["faults"] += 1
        caplog.set_level(logging.WARNING)
        assert answers_right(engine)  # readers are not blocked (WAL)
        add_new_fact(kb)
        with pytest.raises(StoreError, match="locked"):
            engine.reload()
        # It gave up while the lock was still held (the locker holds it 30 s): it failed
        # after the busy timeout instead of waiting for the lock. An event, not a timing.
        assert locker.poll() is None, "the reload waited until the lock was released"
        assert any("reload failed" in r.getMessage() for r in caplog.records)
        assert answers_right(engine) and not knows_new_fact(engine)  # the last good snapshot serves
        with pytest.raises(StoreError):
            engine.reload()  # still locked: still a clean error
    finally:
        locker.kill()
        locker.wait()
    engine.reload()  # the lock is gone: the next reload recovers
    assert knows_new_fact(engine) and answers_right(engine)
    engine.close()


def test_disk_full_during_reload(kb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    db = tmp_path / "storybot.db"
    engine = Engine(kb, db)
    engine.open()
    before = engine.status()
    generation = Store(db).get_meta("generation")

    def disk_full(self: Store, write: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    add_new_fact(kb)
    caplog.set_level(logging.WARNING)
    with monkeypatch.context() as m:
        m.setattr(Store, "_insert_document", disk_full)
        for _ in range(3):
            COUNTS["faults"] += 1
            with pytest.raises(StoreError, match="disk is full"):
                engine.reload()
            assert answers_right(engine) and not knows_new_fact(engine)
    assert any("disk is full" in r.getMessage() for r in caplog.records)
    # Nothing half-written: the transaction rolled back.
    probe = Store(db)
    assert probe.get_meta("generation") == generation
    assert len(probe.documents()) == before.documents
    probe.close()
    engine.reload()  # space is back
    assert knows_new_fact(engine) and answers_right(engine)
    engine.close()


def test_disk_full_while_answering_is_a_clear_error(kb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A read that fails under the snapshot (I/O error) is a StoreError the Discord layer
    turns into "unavailable", not an unexpected exception; the next reload recovers."""
    db = tmp_path / "storybot.db"
    engine = Engine(kb, db)
    engine.open()
    snap = engine._snapshot
    assert snap is not None

    class BrokenConn:
        def execute(self, *a: object, **k: object) -> object:
            raise sqlite3.OperationalError("disk I/O error")

        def close(self) -> None:
            pass

    COUNTS["faults"] += 1
    real = snap.reader.conn
    snap.reader.conn = BrokenConn()  # type: ignore[assignment]
    try:
        with pytest.raises(StoreError, match="unavailable"):
            engine.ask(QUESTION)
        engine.reload()  # an ordinary reload (nothing changed on disk) must replace the failed snapshot
    finally:
        snap.reader.conn = real
    assert engine._snapshot is not snap
    assert answers_right(engine)
    engine.close()


def test_questions_during_reloads_and_failed_reloads(kb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Four threads keep asking while reloads succeed (swapping snapshots) and fail
    (disk full): not one question fails or gets a wrong answer."""
    import threading

    db = tmp_path / "storybot.db"
    engine = Engine(kb, db)
    engine.open()
    stop = threading.Event()
    errors: list[BaseException] = []
    wrong: list[str] = []
    asked = [0]

    def asker() -> None:
        while not stop.is_set():
            try:
                if not answers_right(engine):
                    wrong.append("wrong answer")
                asked[0] += 1
            except BaseException as exc:  # noqa: BLE001 - any failure is the finding
                errors.append(exc)
                return

    threads = [threading.Thread(target=asker) for _ in range(4)]
    for t in threads:
        t.start()
    real_insert = Store._insert_document

    def disk_full(self: Store, write: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    try:
        for i in range(12):
            if i % 3 == 2:
                COUNTS["faults"] += 1
                monkeypatch.setattr(Store, "_insert_document", disk_full)
                with pytest.raises(StoreError):
                    engine.reload(force=True)
                monkeypatch.setattr(Store, "_insert_document", real_insert)
            else:
                engine.reload(force=True)
    finally:
        stop.set()
        for t in threads:
            t.join(10)
    COUNTS["lost"] += len(errors) + len(wrong)
    assert not errors, errors[:3]
    assert not wrong
    assert asked[0] > 20
    engine.close()


@pytest.mark.slow
def test_bot_run_on_garbage_database_rebuilds_with_one_line(kb: Path, tmp_path: Path) -> None:
    """`python -m bot run` on a garbage database: one log line says it was set aside and
    rebuilt, no traceback, the token never shown; the run then goes on to Discord (here
    unreachable: the one-line "cannot reach Discord", exit 1)."""
    db = tmp_path / "storybot.db"
    db.write_bytes(b"garbage " * 4096)
    COUNTS["faults"] += 1
    env = {**os.environ, "DISCORD_TOKEN": "TESTTOKEN.SECRET.abc123XYZ", "STORYBOT_DB": str(db),
           "STORYBOT_KNOWLEDGE_DIR": str(kb), "DISCORD_API_BASE": "http://127.0.0.1:9/api/v10"}
    proc = subprocess.run([sys.executable, "-m", "bot", "run"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "cannot reach Discord" in lines[0], proc.stderr
    rebuilt = [line for line in proc.stdout.splitlines() if "corrupt" in line]
    assert len(rebuilt) == 1 and "rebuilt" in rebuilt[0], proc.stdout
    assert "Traceback" not in proc.stderr + proc.stdout and "abc123XYZ" not in proc.stderr + proc.stdout


# ------------------------------------------------------------------ issue 12, item 3: flipped bytes

def _two_article_db(kb: Path, db: Path) -> None:
    from kb.kb_helpers import SECOND_MD

    import shutil

    shutil.copy(SECOND_MD, kb / SECOND_MD.name)
    engine = Engine(kb, db)
    engine.open()
    engine.journal.audit("mod (1)", "add", "x.md", "ok", "kept through a rebuild")
    engine.journal.record_gap("Who won the football match?", 2)
    engine.close()
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def _flip_page_type(db: Path, table: str) -> None:
    """Flip the type byte of the first leaf page of `table` in the file itself."""
    conn = sqlite3.connect(db)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    pageno = conn.execute("SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno",
                          (table,)).fetchone()[0]
    conn.close()
    with open(db, "r+b") as fh:
        fh.seek((pageno - 1) * page_size)
        byte = fh.read(1)
        fh.seek((pageno - 1) * page_size)
        fh.write(bytes([byte[0] ^ 0xFF]))


def _damage_rows(db: Path, sql: str) -> None:
    """Bytes flipped inside a row (SQLite's b-tree checks cannot see them): a blob one
    byte short, or a text that is no longer UTF-8."""
    conn = sqlite3.connect(db)
    conn.execute(sql)
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


FLIPS = {
    "page-type-byte-of-postings": lambda db: _flip_page_type(db, "postings"),
    "postings-blob-one-byte-short": lambda db: _damage_rows(
        db, "UPDATE postings SET passage_ids = substr(passage_ids, 2) WHERE rowid = (SELECT MIN(rowid) FROM postings)"),
    "passage-text-not-utf8": lambda db: _damage_rows(
        db, "UPDATE passages SET text = CAST(X'48e9ff20627974657320666c6970706564' AS TEXT) "
            "WHERE id = (SELECT MAX(id) FROM passages)"),
    "title-not-utf8": lambda db: _damage_rows(
        db, "UPDATE documents SET title = CAST(X'4fff' AS TEXT) WHERE id = (SELECT MIN(id) FROM documents)"),
}


@pytest.mark.parametrize("kind", sorted(FLIPS))
def test_flipped_bytes_rebuild_with_one_line_and_keep_the_audit(kind: str, kb: Path, tmp_path: Path,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    """A database with flipped bytes, at start-up: no traceback; one warning line; the
    damaged file is kept aside; the articles answer (rebuilt from the folder); the audit
    trail and the unanswered questions survive (copied out before the rebuild)."""
    from hostile.support import attack

    with attack(f"flipped bytes: {kind}"):
        db = tmp_path / "storybot.db"
        _two_article_db(kb, db)
        FLIPS[kind](db)
        COUNTS["faults"] += 1
        caplog.set_level(logging.WARNING)
        engine = Engine(kb, db)
        try:
            engine.open()
            assert answers_right(engine)
            assert engine.ask("Which company will anchor the TikTok joint venture?").answered
            lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith("bot.")]
            assert len(lines) == 1 and "corrupt" in lines[0] and "rebuilt" in lines[0], lines
            assert "\n" not in lines[0]
            assert [(e.actor, e.detail) for e in engine.journal.recent_audit(5)] == [("mod (1)", "kept through a rebuild")]
            assert [g.question for g in engine.journal.top_gaps(5)] == ["Who won the football match?"]
            assert len([p for p in tmp_path.glob("storybot.db.corrupt-*") if p.name.endswith("Z")]) == 1
        finally:
            engine.close()


def test_damage_met_by_a_question_is_rebuilt_and_answered(kb: Path, tmp_path: Path,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    """Bytes flipped under a running engine (after its start-up check): the question that
    meets them sets the file aside, rebuilds from the articles and is answered from the
    rebuilt database, with one log line saying so; nothing waits for a moderator's reload.
    (An `ask` quotes from the index's row files, written before the damage: "What did X
    say" reads its statements' text from the database, and meets it.)"""
    db = tmp_path / "storybot.db"
    engine = Engine(kb, db)
    engine.open()
    try:
        _damage_rows(db, "UPDATE passages SET text = CAST(X'ff' AS TEXT)")
        _damage_rows(db, "UPDATE meta SET value = value || '1' WHERE key = 'generation'")
        engine.reload()  # a new snapshot over the damaged rows
        caplog.set_level(logging.WARNING)
        assert engine.ask("What did Trump say about TikTok?").answered
        assert answers_right(engine)
        assert any("rebuilt" in r.getMessage() for r in caplog.records)
        assert len([p for p in tmp_path.glob("storybot.db.corrupt-*") if p.name.endswith("Z")]) == 1
    finally:
        engine.close()


def test_cli_reader_meets_a_damaged_page_rebuilds_and_answers(kb: Path, tmp_path: Path) -> None:
    """The CLI opens an up-to-date database read-only, without a quick check: a damaged
    page of the names table, met by `who`, is set aside and rebuilt, and `who` answers."""
    db = tmp_path / "storybot.db"
    engine = Engine(kb, db)
    engine.open()
    engine.close()
    checkpoint(db)
    _flip_page_type(db, "mentions")
    COUNTS["faults"] += 1
    env = {**os.environ, "STORYBOT_KNOWLEDGE_DIR": str(kb), "STORYBOT_DB": str(db)}
    run = subprocess.run([sys.executable, "-m", "bot", "who", "--json", "ByteDance"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert '"answered": true' in run.stdout.replace(" ", "").replace('":true', '": true')
    assert len([p for p in tmp_path.glob("storybot.db.corrupt-*") if p.name.endswith("Z")]) == 1


# ------------------------------------------------------------------ values of the wrong type
# SQLite keeps any value in any column: a tampered or damaged file can hold a NULL where
# the writer stores a number, a blob where it stores text, an author list that is not JSON.
WRONG_TYPES = {
    "paragraph-null": "UPDATE passages SET paragraph = NULL WHERE id IN (SELECT id FROM passages LIMIT 3)",
    "text-null": "UPDATE passages SET text = NULL WHERE paragraph = 1",
    "title-a-blob": "UPDATE documents SET title = X'00ff'",
    "authors-not-json": "UPDATE documents SET authors = 'x'",
    "statement-seq-text": "UPDATE statements SET seq = 'x' WHERE seq = 0",
    "mention-key-null": "UPDATE mentions SET key = NULL",
}
# An article whose stored statements cannot be put in reading order is attributed again
# when asked (bot/answers/said.py): read around, no rebuild needed.
READ_AROUND = {"statement-seq-text"}
WRONG_TYPE_COMMANDS = [["ask", "--json", "What did Trump say about TikTok?"], ["summary", "--json"],
                       ["who", "--json", "ByteDance"], ["ask", "--json", QUESTION]]


@pytest.mark.parametrize("kind", sorted(WRONG_TYPES))
def test_values_of_the_wrong_type_met_by_the_cli_rebuild_and_answer(kind: str, kb: Path, tmp_path: Path) -> None:
    """The CLI reads an up-to-date database without a check at open: a question that
    fails on a value of the wrong type has the rows audited (`damaged_rows`), the file
    set aside and rebuilt, and is answered: no traceback, for each kind of command."""
    db = tmp_path / "storybot.db"
    _two_article_db(kb, db)
    _damage_rows(db, WRONG_TYPES[kind])
    COUNTS["faults"] += 1
    env = {**os.environ, "STORYBOT_KNOWLEDGE_DIR": str(kb), "STORYBOT_DB": str(db)}
    for command in WRONG_TYPE_COMMANDS:
        run = subprocess.run([sys.executable, "-m", "bot", *command], env=env,
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        assert "Traceback" not in run.stderr, run.stderr
        data = json.loads(run.stdout)
        assert data.get("answered", True) and '"text"' in run.stdout, (command, run.stdout[:300])
    aside = [p for p in tmp_path.glob("storybot.db.corrupt-*") if p.name.endswith("Z")]
    assert len(aside) == (0 if kind in READ_AROUND else 1)
    if kind in READ_AROUND:
        return
    conn = sqlite3.connect(db)
    try:
        assert bot.store.damaged_rows(conn) is None  # the rebuilt file is sound
    finally:
        conn.close()


@pytest.mark.parametrize("kind", sorted(WRONG_TYPES))
def test_the_start_up_check_reports_values_of_the_wrong_type(kind: str, kb: Path, tmp_path: Path) -> None:
    """A writer's first check of the file (`quick_check`, before it writes) audits the
    types too: such a file is set aside and rebuilt before anything is written to it."""
    db = tmp_path / "storybot.db"
    _two_article_db(kb, db)
    assert bot.store.quick_check(db) is None
    _damage_rows(db, WRONG_TYPES[kind])
    problem = bot.store.quick_check(db)
    assert problem is not None and "wrong type" in problem and "\n" not in problem


def test_a_fault_of_the_code_on_sound_rows_is_raised_not_repaired(kb: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A TypeError that the rows do not explain is a bug: raised as it is, the database
    left in place (a rebuild would hide it and cost a whole build per question)."""
    import bot.answers.ask as ask_mod

    db = tmp_path / "storybot.db"
    engine = Engine(kb, db)
    engine.open()
    try:
        def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
            raise TypeError("a bug")

        monkeypatch.setattr(ask_mod, "ask", broken)
        with pytest.raises(TypeError, match="a bug"):
            engine.ask(QUESTION)
        assert not list(tmp_path.glob("storybot.db.corrupt-*"))
    finally:
        engine.close()
