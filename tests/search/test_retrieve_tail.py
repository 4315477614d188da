"""Issue 13, `ask` at 1M (sixth pass): the answer's own work after retrieval. Each
shortcut gives what the long way gives:

- the name finder of "who" questions is led by its capital (the same matches);
- highlighting keeps the quotes (and the answer) whose marks do not change.
"""

from __future__ import annotations

import random
import re
from dataclasses import replace

import pytest

from bench.corpus import generate
from bot.answers import highlight as H
from bot.answers.model import Answer, Citation, Quote
from bot.engine import Engine
from bot.search import question as Q


@pytest.fixture(scope="module")
def corpus_engine(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("tail")
    corpus = generate(tmp / "knowledge", 1500, 13, n_questions=120)
    engine = Engine(corpus.folder, tmp / "kb.sqlite")
    engine.open()
    yield engine, corpus
    engine.close()


_NAME_REFERENCE = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-Z][a-z]+(?:\s+[A-Z][\w.-]+)+")


def test_name_finder_matches_its_reference_form(corpus_engine) -> None:
    """The capital-led name regex finds exactly what the \\b-led one finds, span for span,
    in the corpus's sentences and in random strings of capitals, stops and odd spaces."""
    engine, _ = corpus_engine
    texts = [row[0] for row in engine._snapshot.reader.query("SELECT text FROM passages")]
    rng = random.Random(3)
    texts += ["".join(rng.choice("Ab .!?\n\téÀ_1-B cÜ\u00a0") for _ in range(rng.randint(0, 40))) for _ in range(30000)]
    texts += ["Bob Smith", " Bob Smith", ".Bob Smith", ". Bob Smith", "x. Bob Smith", "éBob Smith", "_Bob Smith"]
    found = 0
    for text in texts:
        want = [m.span() for m in _NAME_REFERENCE.finditer(text)]
        assert [m.span() for m in Q._NAME_RE.finditer(text)] == want, repr(text)
        found += bool(want)
    assert found > 300


def test_marking_keeps_what_does_not_change() -> None:
    """A quote with no answering span is kept as it is, and an answer none of whose
    quotes changes is the same answer; a quote with a span gets it."""
    cite = Citation("a", "A", 1)
    why = Answer("Why did the council close the ferry?", True,
                 (Quote("The ferry closed because of storms.", cite, 1.0),), 0.0, ("ferry",))
    assert H.mark_answer(why) is why
    when = Answer("When did the ferry close?", True,
                  (Quote("The ferry closed on Friday.", cite, 1.0), Quote("The ferry closed.", cite, 0.5)), 0.0,
                  ("ferri", "close"), more=(Quote("It reopened in 2024.", cite, 0.4),))
    marked = H.mark_answer(when)
    assert marked is not when
    assert marked.quotes[0].marks == H.answer_spans("The ferry closed on Friday.", "when", when.query) != ()
    assert marked.quotes[1] is when.quotes[1]
    assert marked == replace(when, quotes=tuple(replace(q, marks=H.answer_spans(q.text, "when", when.query))
                                                for q in when.quotes),
                             more=tuple(replace(q, marks=H.answer_spans(q.text, "when", when.query)) for q in when.more))
