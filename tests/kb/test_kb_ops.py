"""Moderator operations: add (upload), retire, restore; every change audited."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from bot.engine import Engine
from bot.ingest.files import MAX_FILE_BYTES
from bot.kb import RETIRED_DIR, KbChangeResult
from bot.store import Store
from conftest import SEED_ID
from kb.kb_helpers import SECOND_ID, SECOND_MD, SECOND_TITLE, article

NEW = article("Creators Wait on TikTok Algorithm Changes", "2025-09-30",
              "Creators on TikTok said they were waiting for clarity on how the retrained algorithm would change their feeds.",
              "Several creators said their audiences had already shifted toward shorter videos.")
CREATORS_Q = "What were creators waiting for?"


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def test_add_article_loads_it_and_audits(engine: Engine) -> None:
    result = engine.add_article("creators.md", NEW, "mod-alice")
    assert isinstance(result, KbChangeResult)
    assert result.ok and result.action == "add" and result.document == "creators" and result.file == "creators.md"
    assert result.title == "Creators Wait on TikTok Algorithm Changes"
    assert result.report is not None and result.report.added == ["creators"]
    assert (engine.knowledge_dir / "creators.md").read_bytes() == NEW
    answer = engine.ask(CREATORS_Q)
    assert answer.answered and answer.quotes[0].citation.document == "creators"
    entry = engine.journal.recent_audit(1)[0]
    assert (entry.actor, entry.action, entry.target, entry.result) == ("mod-alice", "add", "creators.md", "ok")
    assert entry.at > 0 and "creators.md" in entry.detail
    # No temp files are left behind.
    assert not [p for p in engine.knowledge_dir.iterdir() if p.name.startswith(".upload-")]


def test_add_second_article_through_the_engine(engine: Engine) -> None:
    result = engine.add_article(SECOND_MD.name, SECOND_MD.read_bytes(), "mod-alice")
    assert result.ok and result.title == SECOND_TITLE
    a = engine.ask("How much of the joint venture will Oracle hold?")
    assert a.quotes[0].citation.document == SECOND_ID and a.quotes[0].citation.title == SECOND_TITLE
    assert engine.ask("Where will Xi and Trump meet?").quotes[0].citation.document == SEED_ID


@pytest.mark.parametrize(
    "filename,expected",
    [
        ("../../etc/passwd.md", "passwd.md"),
        ("..\\..\\evil.txt", "evil.txt"),
        ("/abs/path/story.md", "story.md"),
        (".hidden.md", "hidden.md"),
        ("a\x00b.md", "a-b.md"),
        ("line\nbreak.md", "line-break.md"),
        ("Überblick — Bericht.md", "Überblick-Bericht.md"),
        ("spaces in name.TXT", "spaces-in-name.txt"),
        ("x.exe", None),
        ("x.md.exe", None),
        ("evil.md\x00.exe", None),
        ("....md", None),
        ("..", None),
        ("", None),
        ("noext", None),
        ("../", None),
        ("con.md/..", None),
    ],
)
def test_add_article_hostile_names_stay_in_the_folder(engine: Engine, tmp_path: Path, filename: str, expected) -> None:
    before = _tree(tmp_path)
    result = engine.add_article(filename, NEW, "mod-mallory")
    created = _tree(tmp_path) - before
    created = {c for c in created if not c.startswith("storybot.db")}
    if expected is None:
        assert not result.ok and result.result == "refused"
        assert created == set()
        assert "\n" not in result.message and "\x00" not in result.message
    else:
        assert result.ok, result.message
        assert result.file == expected
        path = engine.knowledge_dir / expected
        assert path.read_bytes() == NEW and path.resolve().parent == engine.knowledge_dir.resolve()
        assert created == {f"knowledge/{expected}"}
        assert engine.is_loaded(Path(expected).stem)
    entry = engine.journal.recent_audit(1)[0]
    assert entry.actor == "mod-mallory" and entry.action == "add"
    assert entry.result == ("refused" if expected is None else "ok")
    assert "\n" not in entry.target and "\x00" not in entry.target


@pytest.mark.parametrize(
    "data,reason",
    [
        (b"", "the file is empty"),
        (b"\x00\x01\x02\x03 binary", "binary content"),
        ("Título\n\ncafé".encode("latin-1"), "not UTF-8"),
        (b"---\ntitle: T\n", "front matter is not closed"),
        (b"---\ndate: 2025-01-01\n---\nBody.\n", "no title"),
        (b"x" * (MAX_FILE_BYTES + 1), "too large"),
    ],
)
def test_add_article_refuses_bad_content_before_writing(engine: Engine, data: bytes, reason: str) -> None:
    before = sorted(os.listdir(engine.knowledge_dir))
    result = engine.add_article("upload.md", data, "mod-alice")
    assert not result.ok and reason in result.message and "\n" not in result.message
    assert sorted(os.listdir(engine.knowledge_dir)) == before
    assert not engine.is_loaded("upload")
    entry = engine.journal.recent_audit(1)[0]
    assert (entry.action, entry.target, entry.result) == ("add", "upload.md", "refused")
    assert reason in entry.detail


def test_add_article_refuses_to_overwrite_unless_replace(engine: Engine) -> None:
    assert engine.add_article("creators.md", NEW, "mod-alice").ok
    newer = NEW.replace(b"waiting for clarity", b"still waiting for clarity")
    refused = engine.add_article("creators.md", newer, "mod-bob")
    assert not refused.ok and "already exists" in refused.message
    assert (engine.knowledge_dir / "creators.md").read_bytes() == NEW
    # Another suffix claims the same id: refused too.
    assert not engine.add_article("creators.txt", newer, "mod-bob").ok
    # Identical bytes: fine, nothing changes.
    same = engine.add_article("creators.md", NEW, "mod-bob")
    assert same.ok and "already loaded" in same.message
    # Explicit replace: the new text serves, the old one is kept in .retired/.
    replaced = engine.add_article("creators.md", newer, "mod-bob", replace=True)
    assert replaced.ok and replaced.action == "replace" and replaced.report.changed == ["creators"]
    assert "still waiting" in engine.ask(CREATORS_Q).quotes[0].text
    kept = list((engine.knowledge_dir / RETIRED_DIR).iterdir())
    assert len(kept) == 1 and kept[0].name.endswith("-creators.md") and kept[0].read_bytes() == NEW
    # Replace across suffixes: x.txt takes over, x.md is retired (not two files with one id).
    txt = engine.add_article("creators.txt", b"Creators Update\n\nCreators said the feed felt unchanged so far.\n",
                             "mod-bob", replace=True)
    assert txt.ok and not (engine.knowledge_dir / "creators.md").exists()
    assert engine.status().last_report.failed == []
    actions = [(e.actor, e.action, e.result) for e in engine.journal.recent_audit(10)]
    assert actions[:5] == [("mod-bob", "replace", "ok"), ("mod-bob", "replace", "ok"), ("mod-bob", "add", "ok"),
                           ("mod-bob", "add", "refused"), ("mod-bob", "add", "refused")]


def test_remove_article_retires_it_and_restore_brings_it_back(engine: Engine) -> None:
    assert engine.add_article("creators.md", NEW, "mod-alice").ok
    assert engine.ask(CREATORS_Q).answered
    result = engine.remove_article("creators", "mod-alice")
    assert result.ok and result.action == "remove" and result.report.removed == ["creators"]
    assert not (engine.knowledge_dir / "creators.md").exists()
    assert not engine.is_loaded("creators") and not engine.ask(CREATORS_Q).answered
    retired = engine.retired_articles()
    assert len(retired) == 1 and retired[0].endswith("-creators.md")
    assert (engine.knowledge_dir / RETIRED_DIR / retired[0]).read_bytes() == NEW  # kept, not deleted
    assert engine.ask("Where will Xi and Trump meet?").answered  # others unharmed
    # Unknown ids are refused without touching anything.
    for bad in ("creators", "../etc/passwd", "", ".retired"):
        r = engine.remove_article(bad, "mod-alice")
        assert not r.ok and r.result == "refused"
    # Restore.
    back = engine.restore_article(retired[0], "mod-alice")
    assert back.ok and back.action == "restore" and back.report.added == ["creators"]
    assert engine.ask(CREATORS_Q).answered and engine.retired_articles() == []
    assert not engine.restore_article("../../etc/passwd", "mod-alice").ok
    log = [(e.action, e.result) for e in engine.journal.recent_audit(10)]
    assert log[:2] == [("restore", "refused"), ("restore", "ok")]
    assert ("remove", "ok") in log


def test_remove_article_accepts_file_name(engine: Engine) -> None:
    result = engine.remove_article(f"{SEED_ID}.md", "mod-alice")
    assert result.ok and result.report.removed == [SEED_ID] and result.report.documents == 0
    assert not engine.ask("Where will Xi and Trump meet?").answered


def test_add_article_when_the_database_refuses(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(self, *a, **k):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(Store, "write_changes", full)
    result = engine.add_article("creators.md", NEW, "mod-alice")
    assert not result.ok and result.error and result.result == "error"
    assert "disk is full" in result.message and "\n" not in result.message
    assert engine.ask("Where will Xi and Trump meet?").answered  # old snapshot serves
    assert not engine.is_loaded("creators")
    monkeypatch.undo()
    assert engine.reload().added == ["creators"]  # the saved file comes in with the next reload


def test_journal_survives_a_restart(engine: Engine, knowledge_dir: Path) -> None:
    engine.add_article("creators.md", NEW, "mod-alice")
    engine.journal.record_gap("Who is the CEO of TikTok?", 2)
    engine.journal.record_feedback("Where will they meet?", True, +1, ["seed¶4"])
    db = engine.db_path
    engine.close()
    again = Engine(knowledge_dir, db)
    again.open()
    try:
        assert again.journal.recent_audit(1)[0].target == "creators.md"
        assert again.journal.top_gaps(1)[0].question == "Who is the CEO of TikTok?"
        assert again.journal.feedback_counts().up == 1
    finally:
        again.close()


def test_replace_over_a_symlink_never_touches_its_target(engine: Engine, tmp_path: Path) -> None:
    outside = tmp_path / "secret.md"
    outside.write_bytes(b"# Secret\n\nThe secret text must never be copied into the knowledge folder.\n")
    (engine.knowledge_dir / "creators.md").symlink_to(outside)
    assert not engine.add_article("creators.md", NEW, "mod-alice").ok  # the id is taken (by a refused link)
    result = engine.add_article("creators.md", NEW, "mod-alice", replace=True)
    assert result.ok, result.message
    assert outside.read_bytes().startswith(b"# Secret")  # untouched, not written through
    assert (engine.knowledge_dir / "creators.md").read_bytes() == NEW and not (engine.knowledge_dir / "creators.md").is_symlink()
    kept = list((engine.knowledge_dir / RETIRED_DIR).iterdir())
    assert len(kept) == 1 and kept[0].is_symlink()  # the link itself was moved aside
    for p in engine.knowledge_dir.rglob("*"):
        if p.is_file() and not p.is_symlink():
            assert b"secret text" not in p.read_bytes()


def test_retired_folder_that_is_a_symlink_is_refused(engine: Engine, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (engine.knowledge_dir / RETIRED_DIR).symlink_to(elsewhere)
    result = engine.remove_article(SEED_ID, "mod-alice")
    assert not result.ok and "symlink" in result.message
    assert list(elsewhere.iterdir()) == [] and engine.is_loaded(SEED_ID)
