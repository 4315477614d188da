"""Issue 13: a "What did X say …" answer is X's own statements, then what retrieval
found behind "More". When X's statements alone fill the answer and "More",
retrieval is not run (its hits could not show); otherwise it is, and its hits
follow X's. Work is counted (retrieval calls), never timed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answers import ask as ask_mod
from bot.answers.said import said_answer
from bot.engine import Engine


def _article(i: int) -> str:
    extra = (f"Harbour master Bo Berg said pier {i} needs new railings.\n\n" if i < 2
             else f"Bo Berg inspected the railings of pier {i} on Tuesday.\n\n" if i < 4 else "")
    return (f"---\ntitle: Council session {i}\ndate: 2025-{i % 12 + 1:02d}-{i % 27 + 1:02d}\n---\n"
            f"The council met on Monday to discuss the railings of pier {i}.\n\n"
            f"Mayor Ada Lindqvist said the budget line {i} would be reviewed before winter.\n\n"
            f"{extra}Residents asked about parking near pier {i}.\n")


@pytest.fixture()
def council(tmp_path: Path):
    kb = tmp_path / "knowledge"
    kb.mkdir()
    for i in range(14):
        (kb / f"session-{i:03d}.md").write_text(_article(i), encoding="utf-8")
    engine = Engine(kb, tmp_path / "council.db")
    engine.open()
    yield engine
    engine.close()


class _Retrievals:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        original = ask_mod.retrieve

        def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
            self.calls += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(ask_mod, "retrieve", counting)


def _with_retrieval(engine: Engine, question: str, k: int = 3) -> tuple[tuple, tuple]:
    """(quotes, more) as composed when retrieval always ran: X's statements, then the
    retrieved quotes that are not X's."""
    snap = engine._snapshot
    analysed = ask_mod.analyse(question)
    attributed = said_answer(snap, analysed.text, k)
    assert attributed
    result = ask_mod.retrieve(snap, analysed, k=k)
    own = {q.passage for q in attributed}
    rest = [q for q in ask_mod.merge_duplicates(snap, list(result.hits)) if q.passage not in own] \
        if result.answered else []
    return tuple(attributed[:k]), tuple((attributed[k:] + rest)[:ask_mod.MORE_QUOTES])


def test_statements_that_fill_the_answer_and_more_skip_retrieval(council, monkeypatch: pytest.MonkeyPatch) -> None:
    question = "What did Ada Lindqvist say?"
    expected = _with_retrieval(council, question)
    retrievals = _Retrievals(monkeypatch)
    answer = council.ask(question)
    assert retrievals.calls == 0
    assert (answer.quotes, answer.more) == expected
    assert len(answer.quotes) == 3 and len(answer.more) == ask_mod.MORE_QUOTES
    assert all("Ada Lindqvist said" in q.text for q in answer.quotes + answer.more)


def test_fewer_statements_are_followed_by_what_retrieval_found(council, monkeypatch: pytest.MonkeyPatch) -> None:
    question = "What did Bo Berg say about the pier railings?"
    expected = _with_retrieval(council, question)
    retrievals = _Retrievals(monkeypatch)
    answer = council.ask(question)
    assert retrievals.calls == 1
    assert (answer.quotes, answer.more) == expected
    assert len(answer.quotes) == 2 and all("Bo Berg said" in q.text for q in answer.quotes)
    assert answer.more and all("Bo Berg inspected" in q.text for q in answer.more)
