"""Issue 13: a "What did X say …" question reads a bounded number of articles
(bot/answers/said.py MAX_DOCUMENTS), whatever the number that name X. Work is
counted (articles attributed), never timed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answers import said as said_mod
from bot.engine import Engine


def _article(i: int, topic: str) -> str:
    return (f"---\ntitle: Council session {i}\ndate: 2025-{i % 12 + 1:02d}-{i % 27 + 1:02d}\n---\n"
            f"The council met on Monday to discuss item {i}.\n\n"
            f"Mayor Ada Lindqvist said the {topic} would be reviewed before winter.\n\n"
            f"Residents asked about parking near pier {i}.\n")


@pytest.fixture()
def council(tmp_path: Path):
    kb = tmp_path / "knowledge"
    kb.mkdir()
    n = said_mod.MAX_DOCUMENTS + 16
    for i in range(n):
        topic = "ferry timetable" if i == n - 3 else f"budget line {i}"
        (kb / f"session-{i:03d}.md").write_text(_article(i, topic), encoding="utf-8")
    engine = Engine(kb, tmp_path / "council.db")
    engine.open()
    yield engine, n
    engine.close()


class _Counting(said_mod._DocumentReader):
    made = 0

    def __init__(self, rows):  # type: ignore[no-untyped-def]
        type(self).made += 1
        super().__init__(rows)


def test_said_reads_at_most_max_documents(council, monkeypatch: pytest.MonkeyPatch) -> None:
    engine, n = council
    monkeypatch.setattr(said_mod, "_DocumentReader", _Counting)
    _Counting.made = 0
    snap = engine._snapshot
    result = said_mod.said(snap, "Ada Lindqvist")
    assert n > said_mod.MAX_DOCUMENTS
    assert 0 < _Counting.made <= said_mod.MAX_DOCUMENTS
    assert result.statements and all(s.speaker == "Ada Lindqvist" for s in result.statements)
    # What each article read yields is exactly what attributing that article alone yields.
    for st in result.statements:
        assert st in said_mod._DocumentReader(snap.reader.body_passages(st.document)).statements()


def test_said_question_reads_the_articles_that_fit_the_topic(council, monkeypatch: pytest.MonkeyPatch) -> None:
    """Among more articles than are read, the one whose statement fits the question's topic is read."""
    engine, n = council
    monkeypatch.setattr(said_mod, "_DocumentReader", _Counting)
    _Counting.made = 0
    answer = engine.ask("What did Ada Lindqvist say about the ferry timetable?")
    assert _Counting.made <= said_mod.MAX_DOCUMENTS
    assert answer.answered and "ferry timetable" in answer.quotes[0].text
    assert answer.quotes[0].citation.document == f"session-{n - 3:03d}"


def test_few_candidates_give_what_unbounded_attribution_gives(council, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no more candidates than the bound, every one is read: the same result as no bound;
    with one more candidate than the bound, exactly the bound is read."""
    engine, n = council
    snap = engine._snapshot
    monkeypatch.setattr(said_mod, "_DocumentReader", _Counting)

    def run(bound: int):
        snap.__dict__.pop("_said_cache", None)
        monkeypatch.setattr(said_mod, "MAX_DOCUMENTS", bound)
        _Counting.made = 0
        return said_mod.said(snap, "Ada Lindqvist", limit=1000), _Counting.made

    unbounded, read_all = run(10_000)
    assert read_all == n and len(unbounded.statements) == n
    assert run(n) == (unbounded, n)
    fewer, read = run(n - 1)
    assert read == n - 1 and set(fewer.statements) < set(unbounded.statements)
