"""Issue 13, `ask` at 1M (sixth pass): retrieval's and the answer's work after the
candidates are scored, done once. Each shortcut gives what the long way gives:

- a question's terms and their family words are read in one statement (`ONE_TERM_READ`);
- the top sentences' number / date / place / cause checks reuse the ranking's kind
  evidence, and carrying reuses the next sentences' kind already looked for;
- the name finder of "who" questions is led by its capital (same matches);
- highlighting keeps the quotes (and the answer) whose marks do not change.
Work is counted, never timed.
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
from bot.search import retrieve as R
from bot.search.question import analyse


@pytest.fixture(scope="module")
def corpus_engine(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("tail")
    corpus = generate(tmp / "knowledge", 1500, 13, n_questions=120)
    engine = Engine(corpus.folder, tmp / "kb.sqlite")
    engine.open()
    yield engine, corpus
    engine.close()


def _questions(corpus) -> list[str]:
    openers = ["When did", "How many", "Who said", "Where did", "Why did", "When were", "What about"]
    return list(corpus.questions) + [f"{opener} {q.split(' ', 2)[-1]}"
                                     for opener, q in zip(openers * 40, corpus.questions)]


def _key(r: R.Retrieval) -> tuple:
    return (r.answered, r.reason, r.kind, r.coverage, dict(r.signals),
            [(h.passage.id, h.score, h.bm25, h.coverage, h.follow and h.follow.id) for h in r.hits])


def test_one_term_read_equals_two(corpus_engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Terms and family words read together give the same retrieval (hits, scores,
    signals) as the two reads, in fewer statements."""
    engine, corpus = corpus_engine
    snap = engine._snapshot
    reads = {"n": 0}
    term_ids = snap.reader.term_ids

    def counting(terms):
        reads["n"] += 1
        return term_ids(terms)

    monkeypatch.setattr(snap.reader, "term_ids", counting)
    questions = _questions(corpus)
    one = [_key(R.retrieve(snap, analyse(q))) for q in questions]
    one_reads = reads["n"]
    monkeypatch.setattr(R, "ONE_TERM_READ", False)
    reads["n"] = 0
    two = [_key(R.retrieve(snap, analyse(q))) for q in questions]
    assert one == two
    assert one_reads < reads["n"]  # (questions with family words do read once)
    assert sum(k[0] for k in one) > 50


def test_reused_kind_evidence_equals_looking_again(corpus_engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """The top sentences' number / date / place / cause checks (signals) and carrying, with
    the kind evidence the ranking and the next sentences' check already found, give the
    same retrieval, signals included, as running every regex again; with fewer regex runs."""
    engine, corpus = corpus_engine
    snap = engine._snapshot
    calls = {"n": 0}
    evidence = R.kind_evidence

    def counting(*args):
        calls["n"] += 1
        return evidence(*args)

    monkeypatch.setattr(R, "kind_evidence", counting)
    monkeypatch.setattr(Q, "kind_evidence", counting)  # (names_a_time's)
    questions = _questions(corpus)
    reused = [_key(R.retrieve(snap, analyse(q), abstain=abstain)) for q in questions for abstain in (True, False)]
    reused_calls = calls["n"]
    monkeypatch.setattr(R, "REUSE_KIND", False)
    calls["n"] = 0
    again = [_key(R.retrieve(snap, analyse(q), abstain=abstain)) for q in questions for abstain in (True, False)]
    assert reused == again
    assert reused_calls < calls["n"]
    signals = [k[4] for k in reused]
    for name in ("when_unmet", "answer_type"):  # (both outcomes are among them)
        assert {s.get(name) for s in signals} >= {0.0, 1.0}, name
    assert 0.0 in {s.get("number_unmet") for s in signals}
    assert any(h[4] for k in reused for h in k[5])  # (some quote carries its next sentence)


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
