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
                       "bot.render.help", "hashlib", "bot.ingest.parse")


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


def test_the_freshness_check_makes_one_lstat_per_article(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    harbour_articles(kb, 30)
    (kb / ".hidden.md").write_text("x")  # hidden files and other suffixes are no articles
    (kb / "notes.pdf").write_bytes(b"%PDF")
    (kb / ".retired").mkdir()
    names, sizes, mtimes = _stamps(kb)
    calls: list[str] = []
    real = os.lstat

    def counted(path, *a, **k):
        calls.append(str(path))
        return real(path, *a, **k)

    monkeypatch.setattr(os, "lstat", counted)
    assert unchanged_as_listed(kb, str(kb), names, sizes, mtimes)
    assert sorted(calls) == names  # one each, of the articles only
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


def test_the_freshness_check_across_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With chunks smaller than the folder, a change in any chunk is found."""
    import bot.ingest.files as files_mod

    monkeypatch.setattr(files_mod, "_STAT_CHUNK", 4)
    kb = tmp_path / "kb"
    kb.mkdir()
    harbour_articles(kb, 13)
    names, sizes, mtimes = _stamps(kb)
    assert unchanged_as_listed(kb, str(kb), names, sizes, mtimes)
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
