"""A long sentence is quoted around the words the question asks about (bot/answers/ask.focus_clip)."""

from __future__ import annotations

from bot.answers.ask import focus_clip
from bot.answers.model import MAX_QUOTE_CHARS
from bot.text.tokenize import tokenize

LONG = ("The college grew slowly, " * 16 + "and its main campus sits on the Charles River near Boston, "
        + "with many halls and libraries. " * 8).strip()


def _terms(q: str) -> frozenset[str]:
    return frozenset(tokenize(q))


def test_window_holds_the_question_words() -> None:
    assert len(LONG) > 2 * MAX_QUOTE_CHARS
    out = focus_clip(LONG, _terms("Which river is the campus on?"))
    assert "Charles River" in out and "campus" in out
    assert out.startswith("…") and out.endswith("…")
    assert len(out) <= MAX_QUOTE_CHARS
    assert out.strip("…") in LONG  # still a verbatim quote


def test_start_kept_when_the_words_are_there_or_absent() -> None:
    start = focus_clip(LONG, _terms("How did the college grow?"))
    assert start.startswith("The college grew slowly") and not start.startswith("…")
    assert focus_clip(LONG, _terms("zebra")).startswith("The college")
    assert focus_clip("A short sentence.", _terms("short")) == "A short sentence."
