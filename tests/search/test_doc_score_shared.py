"""doc_score's first use of a term (issue 13: in one pass over many questions most terms
are new): a common word's tf summed into every document at once (`_TermDocs.body`),
the article score part and the documents' mark taken from that one array
(`_term_facts`), and best_share's near-best masks tried best first (`_near_best`) give
what the longer ways give, float for float."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from bench.corpus import generate
from bot.engine import Engine
from bot.search import doc_score
from bot.search.question import analyse
from bot.search.retrieve import information
from bot.text.families import members


@pytest.fixture(scope="module")
def corpus_engine(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("shared")
    corpus = generate(tmp / "knowledge", 1500, 6, n_questions=60)
    engine = Engine(corpus.folder, tmp / "kb.sqlite")
    engine.open()
    yield engine, corpus
    engine.close()


def _reference_mark(snap, stats, term: str, tid: int | None) -> np.ndarray:
    """Which documents hold `term` in body (any posting) or title."""
    found = np.zeros(len(stats.ids), dtype=np.bool_)
    if tid is not None:
        pos, _ = snap.index.postings(tid)
        found[doc_score._docs_of(stats, pos)] = True
    found[stats.titles.arrays(term)[0]] = True
    return found


def _question_args(snap, question: str):
    terms = analyse(question).terms
    ids = snap.reader.term_ids(terms)
    relatives = {m: t for t in terms for m in members(t) if m not in terms}
    all_ids = {**snap.reader.term_ids(tuple(relatives)), **ids}
    expanded = {**relatives, **{t: t for t in terms}}
    return terms, ids, all_ids, expanded, information(snap, all_ids, terms)


def _run(snap, corpus, monkeypatch: pytest.MonkeyPatch, dense_postings: float):
    """Every question's article scores, kept marks and best shares, from fresh caches."""
    monkeypatch.setattr(doc_score, "DENSE_POSTINGS", dense_postings)
    doc_score._TERM_DOCS.pop(snap.index, None)
    stats = doc_score.doc_stats(snap)
    out = []
    for q in corpus.questions:
        terms, ids, all_ids, expanded, weights = _question_args(snap, q)
        scores = doc_score.doc_scores(snap, terms, ids)
        total = scores._total.tobytes() if isinstance(scores, doc_score.DocScores) else dict(scores)
        cache = doc_score._term_docs(snap)
        kept = {}
        for t in terms:  # a mark kept while scoring is the mark best_share would make
            mark = cache.marks.get((t, ids.get(t)))
            if mark is not None:
                assert np.array_equal(mark, _reference_mark(snap, stats, t, ids.get(t))), (q, t)
                kept[t] = mark
        share = doc_score.best_share(snap, expanded, all_ids, weights)
        out.append((total, share, doc_score.top_documents(scores, 3)))
    monkeypatch.undo()
    return out, cache


def test_dense_and_sparse_term_gathers_give_the_same_scores_marks_and_shares(
        corpus_engine, monkeypatch: pytest.MonkeyPatch) -> None:
    engine, corpus = corpus_engine
    snap = engine._snapshot
    n_docs = len(doc_score.doc_stats(snap).ids)
    # which terms the default threshold sums densely: some, not all
    lengths = []
    for q in corpus.questions:
        for tid in snap.reader.term_ids(analyse(q).terms).values():
            lengths.append(snap.index.postings(tid)[0].shape[0])
    dense_terms = sum(n >= doc_score.DENSE_POSTINGS * n_docs for n in lengths)
    assert 0 < dense_terms < len(lengths)
    sparse, sparse_cache = _run(snap, corpus, monkeypatch, math.inf)
    dense, dense_cache = _run(snap, corpus, monkeypatch, 0.0)
    default, _ = _run(snap, corpus, monkeypatch, doc_score.DENSE_POSTINGS)
    assert sparse == dense == default
    assert sum(s > 0 for _, s, _ in sparse) > 30
    # all dense: no term's body documents are kept (the marks came with the scores);
    # never dense: each scored term's documents are
    assert len(dense_cache.items) < len(sparse_cache.items)


def _reference_near(code: np.ndarray, questions: list[str], weights: dict[str, float], total: float):
    present = np.flatnonzero(np.bincount(code, minlength=1))
    shares = [sum(weights.get(q, 0.0) for j, q in enumerate(questions) if m >> j & 1) / total
              for m in present.tolist()]
    top = max(shares)
    if top <= 0:
        return None
    wanted = {m for m, s in zip(present.tolist(), shares) if s >= top - 1e-9}
    return np.array([i for i, c in enumerate(code.tolist()) if c in wanted], dtype=np.int64)


def test_near_best_masks_tried_best_first_equal_the_count_of_every_mask() -> None:
    rng = np.random.default_rng(7)
    tried_first = fell_back = 0
    for case in range(600):
        n = int(rng.integers(1, 8))
        questions = [f"q{j}" for j in range(n)]
        kind = case % 4
        if kind == 0:
            w = rng.random(n) * 5
        elif kind == 1:
            w = rng.integers(0, 3, n).astype(np.float64)  # ties and weightless terms
        elif kind == 2:
            w = np.full(n, 1.0 / 3)  # equal weights: many masks tie
        else:
            w = rng.random(n) * 1e-9  # shares within 1e-9 of each other
        weights = {q: float(x) for q, x in zip(questions, w)}
        total = sum(weights.values()) or 1.0
        n_docs = int(rng.integers(1, 400))
        p = rng.uniform(0.0, 1.0, n)
        marks = [rng.random(n_docs) < pj for pj in p]
        code = doc_score._codes(marks, None)
        want = _reference_near(code, questions, weights, total)
        got = doc_score._near_best(code, questions, weights, total)
        if want is None:
            assert got is None, case
        else:
            assert got is not None and got.tolist() == want.tolist(), case
        if n <= doc_score.MASK_ORDER:
            tried_first += 1
        else:
            fell_back += 1
    assert tried_first > 300 and fell_back > 50


def test_patterns_with_stems_known_held_equal_every_stem_read() -> None:
    """`_patterns` reads only the stems not known to be held by every near document and
    gives the distinct masks `_codes` over every stem gives."""
    rng = np.random.default_rng(11)
    skipped = 0
    for case in range(300):
        k = int(rng.integers(1, 12))
        n_docs = int(rng.integers(1, 300))
        marks = [rng.random(n_docs) < p for p in rng.uniform(0.2, 1.0, k)]
        fixed_bits = [i for i in range(k) if rng.random() < 0.5]
        near = np.flatnonzero(np.ones(n_docs, dtype=np.bool_) if not fixed_bits
                              else np.logical_and.reduce([marks[i] for i in fixed_bits]))
        if not near.shape[0]:
            continue
        fixed = sum(1 << i for i in fixed_bits)
        want = doc_score._distinct(doc_score._codes(marks, near))
        assert sorted(doc_score._patterns(marks, near, fixed)) == want, case
        skipped += len(fixed_bits) == k
    assert skipped > 5
