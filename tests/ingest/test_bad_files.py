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


# ------------------------------------------------------------------ issue 12, item 3: one file stops everything

def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _socket(path: Path) -> None:
    import socket

    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    sock.close()


ODD: dict[str, tuple[Callable[[Path], None], str, str]] = {
    # kind: (make it in the folder, the file name reported, words of the reason)
    "symlink-loop": (lambda f: ((f / "a.md").symlink_to(f / "b.md"), (f / "b.md").symlink_to(f / "a.md")),
                     "a.md b.md", "symlink loop"),
    "self-loop": (lambda f: (f / "self.md").symlink_to(f / "self.md"), "self.md", "symlink loop"),
    "bad-utf8-name": (lambda f: open(os.path.join(os.fsencode(f), b"caf\xe9-\xff.md"), "wb").write(GOOD.encode()),
                      "caf\\xe9-\\xff.md", "not valid UTF-8"),
    "newline-name": (lambda f: (f / "evil\n.md").write_text(GOOD, encoding="utf-8"), "evil\\x0a.md", "not a usable id"),
    "control-name": (lambda f: (f / "bell\x07.md").write_text(GOOD, encoding="utf-8"), "bell\\x07.md", "not a usable id"),
    "fifo": (lambda f: _fifo(f / "pipe.md"), "pipe.md", "a FIFO"),
    "socket": (lambda f: _socket(f / "sock.md"), "sock.md", "a socket"),
    "directory": (lambda f: (f / "dir.md").mkdir(), "dir.md", "a directory"),
    "link-to-fifo": (lambda f: (_fifo(f / ".hidden-pipe"), (f / "lpipe.md").symlink_to(f / ".hidden-pipe")),
                     "lpipe.md", "a FIFO"),
}


@pytest.mark.parametrize("kind", sorted(ODD))
def test_odd_entry_is_one_reported_skipped_file(kind: str, tmp_path: Path) -> None:
    """Each odd entry on the reload path is a failure line of its own, never a traceback;
    the other articles load and answer, at start-up and at every later reload."""
    from hostile.support import attack

    with attack(f"odd file: {kind}"):
        folder = _good_folder(tmp_path)
        (folder / "bridge.md").write_text(GOOD, encoding="utf-8")
        make, names, words = ODD[kind]
        make(folder)
        engine = Engine(folder, tmp_path / "s.db")
        try:
            report = engine.open()
            assert report is not None and sorted(report.added) == ["bridge", "other"], report
            failed = {name: why for name, why in report.failed}
            assert sorted(failed) == sorted(names.split()), report.failed
            for why in failed.values():
                assert words in why and "\n" not in why and len(why) < 200, why
            assert _said(engine, "12 million")
            assert all("\n" not in line for line in report.summary_lines())
            again = engine.reload()  # and again: nothing sticks
            assert sorted(n for n, _ in again.failed) == sorted(names.split())
            engine.close()
            engine = Engine(folder, tmp_path / "s.db")  # a restart
            engine.open()
            assert _said(engine, "12 million")
        finally:
            engine.close()


def test_file_swapped_for_a_fifo_after_the_scan_does_not_hang(tmp_path: Path) -> None:
    """Between listing and reading, a file becomes a FIFO: reading it must not block the
    reload for ever (the reader opens non-blocking and checks what it opened)."""
    from bot.ingest.files import FileEntry, read_article

    path = tmp_path / "x.md"
    os.mkfifo(path)
    outcome = read_article(FileEntry("x", path, 10, 0))
    assert getattr(outcome, "reason", "").startswith("cannot read") and "FIFO" in outcome.reason


def test_a_bug_in_one_file_is_that_file_s_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever the parser raises for one file (a bug included) is one failed file."""
    import bot.build

    folder = _good_folder(tmp_path)
    (folder / "bridge.md").write_text(GOOD, encoding="utf-8")
    real = bot.build.document_write

    def explode(loaded):  # noqa: ANN001, ANN202
        if loaded.entry.doc_id == "bridge":
            raise RecursionError("maximum recursion depth exceeded")
        return real(loaded)

    monkeypatch.setattr(bot.build, "document_write", explode)
    engine = Engine(folder, tmp_path / "s.db")
    try:
        report = engine.open()
        assert report.added == ["other"] and [n for n, _ in report.failed] == ["bridge.md"]
        assert "RecursionError" in report.failed[0][1]
    finally:
        engine.close()
