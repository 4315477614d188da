"""Issue 13, a cold CLI `ask`: the modules a plain question does not need stay
unimported, and the freshness check makes one lstat per article file (work
counted, never timed)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import bot.answers.ask as ask_mod
import bot.answers.said as said_mod
from search.harbour import built, cli_in_fresh_process, harbour_articles  # noqa: F401 (built is a fixture)
from bot.ingest.files import unchanged_as_listed

# Imported by the questions (or commands) that need them, never by a plain `ask`.
NOT_FOR_A_PLAIN_ASK = ("bot.answers.said", "bot.ingest.attribution", "bot.answers.who", "bot.answers.followup",
                       "bot.render.help", "hashlib", "bot.ingest.parse",
                       "numpy.ma")  # (np.unique without return_index imports it: ~20 ms)


def _cli_modules(kb: Path, db: Path, tmp_path: Path, *args: str) -> tuple[dict, list[str]]:
    answer, _, loaded = cli_in_fresh_process(kb, db, tmp_path, NOT_FOR_A_PLAIN_ASK, *args)
    return answer, loaded


def test_a_plain_cli_ask_imports_no_statement_card_or_follow_up_code(built: tuple[Path, Path], tmp_path: Path) -> None:
    kb, db = built
    answer, loaded = _cli_modules(kb, db, tmp_path, "ask", "What would repairs to pier 4 cost?")
    assert answer["answered"] and "pier 4" in answer["quotes"][0]["text"]
    assert loaded == []


def test_the_questions_that_need_them_still_import_them(built: tuple[Path, Path], tmp_path: Path) -> None:
    kb, db = built
    _, loaded = _cli_modules(kb, db, tmp_path, "ask", "What did the council say about repairs?")
    assert "bot.answers.said" in loaded and "bot.ingest.attribution" in loaded
    _, loaded = _cli_modules(kb, db, tmp_path, "ask", "Who is the council?")
    assert "bot.answers.who" in loaded


def test_the_said_precheck_is_the_start_of_the_said_pattern() -> None:
    """`ask` imports bot/answers/said.py only when a question starts as its pattern does:
    the pre-check must stay a prefix of that pattern, or said questions would go unanswered."""
    pre = ask_mod._SAID_START_RE.pattern
    assert pre.endswith(r"\s+") and said_mod._SAID_QUESTION_RE.pattern.startswith(pre)
    assert ask_mod._SAID_START_RE.flags & said_mod._SAID_QUESTION_RE.flags & 2  # both IGNORECASE
    for q in ("What did He Lifeng say about TikTok?", "  what HAS the council said", "WHAT WERE officials told"):
        assert said_mod._SAID_QUESTION_RE.match(q) and ask_mod._SAID_START_RE.match(q)


def _stamps(kb: Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    names = sorted(p.name for p in kb.iterdir() if p.suffix == ".md")
    st = [os.lstat(kb / n) for n in names]
    return names, np.array([s.st_size for s in st], np.int64), np.array([s.st_mtime_ns for s in st], np.int64)


def _stat_path(monkeypatch: pytest.MonkeyPatch, native: bool) -> list[str]:
    """Route the freshness check's lstats through libc's fstatat (`native`) or os.lstat,
    and count the names each stats (returned list, filled as it goes)."""
    import bot.ingest.files as files_mod

    calls: list[str] = []
    if native:
        found = files_mod._find_native_lstat()
        if found is None:
            pytest.skip("no native lstat on this platform (Linux x86-64 only)")
        real_call = found.fstatat
        found.fstatat = lambda fd, name, addr, flags: calls.append(os.fsdecode(name)) or real_call(fd, name, addr, flags)
        monkeypatch.setattr(files_mod, "_NATIVE", [found])
    else:
        monkeypatch.setattr(files_mod, "_NATIVE", [None])
        real = os.lstat

        def counted(path, *a, **k):
            calls.append(str(path))
            return real(path, *a, **k)

        monkeypatch.setattr(os, "lstat", counted)
    return calls


@pytest.mark.parametrize("native", [True, False], ids=["fstatat", "os.lstat"])
def test_the_freshness_check_makes_one_lstat_per_article(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         native: bool) -> None:
    import bot.ingest.files as files_mod

    kb = tmp_path / "kb"
    kb.mkdir()
    harbour_articles(kb, 30)
    (kb / "notes.pdf").write_bytes(b"%PDF")  # hidden files and other suffixes are no articles
    (kb / ".retired").mkdir()
    (kb / ".hidden.md").write_text("x")
    names, sizes, mtimes = _stamps(kb)
    keep = [i for i, n in enumerate(names) if not n.startswith(".")]  # (stored names never hold a hidden file)
    names, sizes, mtimes = [names[i] for i in keep], sizes[keep], mtimes[keep]
    assert len(names) == 30
    calls = _stat_path(monkeypatch, native)
    assert unchanged_as_listed(kb, str(kb), names, sizes, mtimes)
    assert sorted(calls) == names  # one each, of the articles only
    if native:
        assert files_mod._NATIVE[0].ok and files_mod._NATIVE[0].calls == len(names)  # it did the work
    calls.clear()
    (kb / "harbour-999.md").write_text("new")  # an addition: found from the listing, no lstat
    assert not unchanged_as_listed(kb, str(kb), names, sizes, mtimes)
    assert calls == []
    (kb / "harbour-999.md").unlink()
    os.rename(kb / names[3], kb / "renamed.txt")  # a rename
    assert not unchanged_as_listed(kb, str(kb), names, sizes, mtimes)
    os.rename(kb / "renamed.txt", kb / names[3])
    assert unchanged_as_listed(kb, str(kb), names, sizes, mtimes)
    path = kb / names[-1]  # the last file edited in place, same size, in another chunk's place
    data = path.read_bytes()
    path.write_bytes(data.replace(b"pier", b"PIER"))
    os.utime(path, ns=(int(mtimes[-1]) + 1, int(mtimes[-1]) + 1))
    assert not unchanged_as_listed(kb, str(kb), names, sizes, mtimes)


@pytest.mark.parametrize("native", [True, False], ids=["fstatat", "os.lstat"])
def test_the_freshness_check_across_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, native: bool) -> None:
    """With chunks smaller than the folder, a change in any chunk is found."""
    import bot.ingest.files as files_mod

    monkeypatch.setattr(files_mod, "_STAT_CHUNK", 4)
    kb = tmp_path / "kb"
    kb.mkdir()
    harbour_articles(kb, 13)
    names, sizes, mtimes = _stamps(kb)
    calls = _stat_path(monkeypatch, native)
    assert unchanged_as_listed(kb, str(kb), names, sizes, mtimes)
    assert sorted(calls) == names
    for i in (0, 5, 12):
        bumped = mtimes.copy()
        bumped[i] += 1
        assert not unchanged_as_listed(kb, str(kb), names, sizes, bumped)
        grown = sizes.copy()
        grown[i] += 1
        assert not unchanged_as_listed(kb, str(kb), names, grown, mtimes)
    os.unlink(kb / names[7])
    os.mkdir(kb / names[7])  # a directory in a file's place
    assert not unchanged_as_listed(kb, str(kb), names, sizes, mtimes)
    os.rmdir(kb / names[7])  # gone: not sure either (os.lstat raised here)
    assert not unchanged_as_listed(kb, str(kb), names, sizes, mtimes)


def test_the_native_lstat_reads_what_os_lstat_reads(tmp_path: Path) -> None:
    """fstatat's buffer read as arrays gives os.lstat's mode, size and mtime_ns, for every
    kind of entry (a file, an empty file, a symlink, a dangling one, a folder, a FIFO, a
    name with spaces and non-ASCII letters, a time before 1970); a missing name raises."""
    import bot.ingest.files as files_mod

    native = files_mod._find_native_lstat()
    if native is None:
        pytest.skip("no native lstat on this platform (Linux x86-64 only)")
    kb = tmp_path / "kb"
    kb.mkdir()
    harbour_articles(kb, 3)
    (kb / "empty.md").write_bytes(b"")
    (kb / "Zürich café.md").write_text("Zürich", encoding="utf-8")
    (kb / "link.md").symlink_to(kb / "harbour-001.md")
    (kb / "dangling.md").symlink_to(kb / "nowhere.md")
    (kb / "folder.md").mkdir()
    os.mkfifo(kb / "pipe.md")
    os.utime(kb / "harbour-002.md", ns=(-1_500_000_123, -1_500_000_123))
    os.utime(kb / "harbour-000.md", ns=(1_700_000_000_987_654_321, 1_700_000_000_987_654_321))
    names = sorted(os.listdir(kb))
    fd = os.open(kb, os.O_RDONLY)
    try:
        modes, sizes, mtimes = native.chunk(fd, names)
        want = [os.lstat(n, dir_fd=fd) for n in names]
        assert native.ok and native.checked
        assert modes.tolist() == [s.st_mode for s in want]
        assert sizes.tolist() == [s.st_size for s in want]
        assert mtimes.tolist() == [s.st_mtime_ns for s in want]
        with pytest.raises(OSError):
            native.chunk(fd, names[:2] + ["missing.md"])
        assert native.chunk(fd, ["bad\0name.md"]) is None  # os.lstat's ValueError, via the fallback
    finally:
        os.close(fd)


def test_a_layout_that_does_not_check_out_falls_back_to_os_lstat(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """If fstatat's buffer does not read as os.lstat's result (another struct layout), the
    native path switches itself off and os.lstat gives the answer: still right."""
    import bot.ingest.files as files_mod

    native = files_mod._find_native_lstat()
    if native is None:
        pytest.skip("no native lstat on this platform (Linux x86-64 only)")
    wrong = np.dtype({"names": ["mode", "size", "sec", "nsec"], "formats": ["<u4", "<i8", "<i8", "<i8"],
                      "offsets": [16, 40, 72, 80], "itemsize": files_mod._NativeLstat.SIZE})
    monkeypatch.setattr(files_mod, "_stat_fields", lambda: wrong)
    monkeypatch.setattr(files_mod, "_NATIVE", [native])
    kb = tmp_path / "kb"
    kb.mkdir()
    harbour_articles(kb, 5)
    names, sizes, mtimes = _stamps(kb)
    assert unchanged_as_listed(kb, str(kb), names, sizes, mtimes)
    assert native.checked and not native.ok
    bumped = mtimes.copy()
    bumped[2] += 1
    assert not unchanged_as_listed(kb, str(kb), names, sizes, bumped)
