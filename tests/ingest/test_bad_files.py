"""Bad files never cost good data: each kind is reported in one line and skipped,
an earlier good version keeps serving, and a symlink out of the folder is refused.

Tests run as root, so "unreadable" is simulated three ways instead of chmod 000:
a directory named like an article, a dangling symlink, and `open` failing with
EACCES for one path.
"""

from __future__ import annotations

import builtins
import errno
import os
from pathlib import Path
from typing import Callable

import pytest

from bot.build import sync_folder
from bot.engine import Engine
from bot.ingest.files import MAX_FILE_BYTES, scan_folder
from bot.store import Store

GOOD = (
    "---\ntitle: Harbour Bridge Reopens After Repairs\ndate: 2025-10-03\nauthors: [Ana Ruiz]\n---\n"
    "The harbour bridge reopened on Friday after six weeks of repairs to its northern span.\n\n"
    "City engineers said the repairs cost 12 million dollars and finished ahead of schedule.\n"
)
QUESTION = "How much did the repairs to the bridge cost?"


def _said(engine: Engine, needle: str) -> bool:
    answer = engine.ask(QUESTION)
    return answer.answered and any(needle in q.text for q in answer.quotes)


def _oversized(path: Path) -> None:
    with open(path, "wb") as fh:  # sparse: the size check happens before any read
        fh.truncate(MAX_FILE_BYTES + 1)


BAD: dict[str, tuple[Callable[[Path], None], str]] = {
    "empty": (lambda p: p.write_bytes(b""), "the file is empty"),
    "whitespace": (lambda p: p.write_bytes(b"  \n\n\t \n"), "the file is empty"),
    "binary": (lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))), "binary content"),
    "not-utf8": (lambda p: p.write_bytes("Título: café del puerto\n\nEl puente reabrió.\n".encode("latin-1")),
                 "not UTF-8 text (bad byte at offset"),
    "oversized": (_oversized, "too large: 5,242,881 bytes (limit 5,242,880)"),
    "front-matter-unclosed": (lambda p: p.write_text("---\ntitle: Open\ndate: 2025-10-03\n\nBody text here.\n"),
                              "front matter is not closed"),
    "front-matter-bad-line": (lambda p: p.write_text("---\ntitle: T\nthis line is wrong\n---\nBody text.\n"),
                              "front matter line 3 is not 'key: value'"),
    "front-matter-bad-date": (lambda p: p.write_text("---\ntitle: T\ndate: next Tuesday\n---\nBody text.\n"),
                              "is not a date"),
    "front-matter-no-title": (lambda p: p.write_text("---\ndate: 2025-10-03\n---\nBody text only.\n"), "no title"),
    "directory": (lambda p: p.mkdir(), "not a regular file"),
    "dangling-symlink": (lambda p: p.symlink_to(p.parent / "nowhere.md"), "not a regular file"),
}


def _good_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "knowledge"
    folder.mkdir()
    (folder / "other.md").write_text(
        "---\ntitle: Ferry Timetable Changes\ndate: 2025-10-01\n---\nThe ferry will run every 20 minutes from Monday.\n",
        encoding="utf-8",
    )
    return folder


def _replace(path: Path, make: Callable[[Path], None]) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        path.rmdir()
    make(path)


@pytest.mark.parametrize("kind", sorted(BAD))
def test_bad_new_file_is_reported_and_skipped(kind: str, tmp_path: Path) -> None:
    folder = _good_folder(tmp_path)
    make, reason = BAD[kind]
    make(folder / "bad.md")
    engine = Engine(folder, tmp_path / "s.db")
    try:
        report = engine.open()
        assert report is not None and report.added == ["other"]
        assert [name for name, _ in report.failed] == ["bad.md"]
        why = report.failed[0][1]
        assert reason in why and "\n" not in why and len(why) < 200
        assert not engine.is_loaded("bad")
        assert engine.ask("How often will the ferry run?").answered  # good data unharmed
        # The failure is kept in the database too.
        rows = engine.store.conn.execute("SELECT document, reason FROM failures").fetchall()
        assert rows == [("bad", why)]
    finally:
        engine.close()


@pytest.mark.parametrize("kind", sorted(BAD))
def test_good_version_keeps_serving_when_replaced_with_garbage(kind: str, tmp_path: Path) -> None:
    folder = _good_folder(tmp_path)
    path = folder / "bridge.md"
    path.write_text(GOOD, encoding="utf-8")
    engine = Engine(folder, tmp_path / "s.db")
    try:
        engine.open()
        before = engine.ask(QUESTION)
        assert before.answered and before.quotes[0].citation.document == "bridge"
        _replace(path, BAD[kind][0])
        report = engine.reload()
        assert [n for n, _ in report.failed] == ["bridge.md"] and BAD[kind][1] in report.failed[0][1]
        assert report.removed == [] and report.changed == []
        after = engine.ask(QUESTION)
        assert after.quotes == before.quotes  # the last good version still answers
        assert engine.is_loaded("bridge")
        # Still served after a restart from the database alone.
        engine.close()
        engine = Engine(folder, tmp_path / "s.db")
        engine.open()
        assert engine.ask(QUESTION).quotes == before.quotes
        # Fixing the file brings the new version in.
        _replace(path, lambda p: p.write_text(GOOD.replace("12 million", "14 million"), encoding="utf-8"))
        report = engine.reload()
        assert report.changed == ["bridge"] and report.failed == []
        assert _said(engine, "14 million")
    finally:
        engine.close()


def test_unreadable_file_via_open_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Root ignores chmod 000, so make `open` refuse this one path with EACCES."""
    folder = _good_folder(tmp_path)
    path = folder / "bridge.md"
    path.write_text(GOOD, encoding="utf-8")
    engine = Engine(folder, tmp_path / "s.db")
    try:
        engine.open()
        real_open = builtins.open

        def guarded(file, *args, **kwargs):
            if os.fspath(file) == os.fspath(path):
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fspath(file))
            return real_open(file, *args, **kwargs)

        real_os_open = os.open

        def guarded_os(file, *args, **kwargs):  # the reader opens with os.open (O_NONBLOCK)
            if os.fspath(file) == os.fspath(path):
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fspath(file))
            return real_os_open(file, *args, **kwargs)

        path.write_text(GOOD.replace("12 million", "13 million"), encoding="utf-8")
        monkeypatch.setattr(builtins, "open", guarded)
        monkeypatch.setattr(os, "open", guarded_os)
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
        report = engine.reload()
        assert report.failed == [("bridge.md", "cannot read: Permission denied")]
        assert _said(engine, "12 million")
        monkeypatch.undo()
        assert engine.reload().changed == ["bridge"]
        assert _said(engine, "13 million")
    finally:
        engine.close()


def test_symlink_outside_the_folder_is_refused(tmp_path: Path) -> None:
    folder = _good_folder(tmp_path)
    outside = tmp_path / "secret.md"
    outside.write_text(GOOD, encoding="utf-8")
    (folder / "leak.md").symlink_to(outside)
    (folder / "leak2.txt").symlink_to(Path("..") / "secret.md")  # relative escape
    (folder / "inside.md").symlink_to(folder / "other.md")  # inside: a duplicate but allowed
    entries, failures = scan_folder(folder)
    assert {f.path.name: f.reason for f in failures} == {
        "leak.md": "symlink leads outside the knowledge folder: refused",
        "leak2.txt": "symlink leads outside the knowledge folder: refused",
    }
    store = Store(tmp_path / "s.db")
    try:
        report = sync_folder(store, folder)
        assert sorted(report.added) == ["inside", "other"]
        assert {n for n, _ in report.failed} == {"leak.md", "leak2.txt"}
        assert "leak" not in store.documents() and "leak2" not in store.documents()
        texts = [r[0] for r in store.conn.execute("SELECT text FROM passages")]
        assert not any("harbour bridge" in t.lower() for t in texts)  # nothing read from outside
    finally:
        store.close()


def test_good_file_later_made_a_symlink_out_keeps_old_version(tmp_path: Path) -> None:
    folder = _good_folder(tmp_path)
    path = folder / "bridge.md"
    path.write_text(GOOD, encoding="utf-8")
    outside = tmp_path / "elsewhere.md"
    outside.write_text(GOOD.replace("12 million", "99 million"), encoding="utf-8")
    engine = Engine(folder, tmp_path / "s.db")
    try:
        engine.open()
        path.unlink()
        path.symlink_to(outside)
        report = engine.reload()
        assert report.failed == [("bridge.md", "symlink leads outside the knowledge folder: refused")]
        assert _said(engine, "12 million")
    finally:
        engine.close()


def test_two_files_with_one_id(tmp_path: Path) -> None:
    folder = _good_folder(tmp_path)
    (folder / "other.txt").write_text("Ferry Timetable\n\nA different body entirely here.\n", encoding="utf-8")
    store = Store(tmp_path / "s.db")
    try:
        report = sync_folder(store, folder)
        assert report.added == ["other"]
        assert report.failed == [("other.txt", "same id as other.md: rename one of them")]
    finally:
        store.close()
