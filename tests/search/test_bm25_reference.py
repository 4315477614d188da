"""PostingsIndex against rank-bm25 (the definition of the scores).

On generated corpora (several seeds, Zipf-like word frequencies so some terms
are in most passages), for both variants the product may use: every passage's
score equals `BM25Okapi` / `BM25Plus.get_scores` to 1e-6, and the top 10 (score
descending, position ascending on ties, matching passages only) is the same
list. Then the same through the real path: articles in a folder → Engine →
SQLite postings blobs → snapshot.index, against rank-bm25 over the stored
passages re-tokenised.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from rank_bm25 import BM25Okapi, BM25Plus

import bot.search.bm25 as bm25_module
from bench.corpus import generate
from bot.build import BYLINE_HINTS, DATE_HINTS
from bot.engine import Engine
from search.zipf import zipf_corpus
from bot.search.bm25 import BM25Params, PostingsIndex
from bot.search.question import analyse
from bot.text.tokenize import tokenize

REFERENCE = {"okapi": BM25Okapi, "plus": BM25Plus}


def queries(seed: int, vocab: int, n: int) -> list[list[str]]:
    rng = np.random.default_rng(seed + 1000)
    out = [["w0", "w1", "w2"], ["w0"], ["w1", "w5", "w0", "w3"], ["nowhere"], ["w0", "nowhere"]]
    for _ in range(n):
        size = int(rng.integers(1, 6))
        picks = [f"w{int(x)}" for x in rng.integers(0, vocab, size)]
        if rng.random() < 0.3:
            picks.append(f"w{int(rng.integers(0, 8))}")  # a very common word
        out.append(list(dict.fromkeys(picks)))
    return out


def reference_top(scores: np.ndarray, matched: np.ndarray, k: int) -> list[int]:
    """rank-bm25's argsort restricted to passages holding a query term; ties by position."""
    cand = np.flatnonzero(matched)
    order = np.lexsort((cand, -scores[cand]))
    return cand[order][:k].tolist()


def check(index: PostingsIndex, ref, tokens: list[list[str]], ids: list[int | None], query: list[str]) -> None:
    expected = np.asarray(ref.get_scores(query), dtype=np.float64)
    np.testing.assert_allclose(index.full_scores(ids), expected, rtol=0, atol=1e-6)
    qset = set(query)
    matched = np.array([bool(qset.intersection(doc)) for doc in tokens])
    top = index.top_k(ids, 10)
    assert [p for p, _ in top] == reference_top(expected, matched, 10)
    for p, s in top:
        assert abs(s - expected[p]) <= 1e-6


@pytest.mark.parametrize("prune", ["never", "always"])
@pytest.mark.parametrize("variant", ["okapi", "plus"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_token_lists_equal_rank_bm25(variant: str, seed: int, prune: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the dense path and MaxScore pruning forced on every query, and with
    pruning off."""
    monkeypatch.setattr(bm25_module, "PRUNE_MIN_POSTINGS", 0 if prune == "always" else 10**12)
    if prune == "always":
        monkeypatch.setattr(bm25_module, "SMALL_POSTINGS", 0)
    n_passages, vocab = 3000 + 500 * seed, 1500
    tokens = zipf_corpus(seed, n_passages, vocab)
    index, term_ids = PostingsIndex.from_token_lists(tokens, BM25Params(variant=variant))
    ref = REFERENCE[variant](tokens)
    for query in queries(seed, vocab, 40):
        check(index, ref, tokens, [term_ids.get(t) for t in query], query)


def test_dense_and_sparse_accumulation_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    """Common words take the dense path; forcing either path gives identical numbers."""
    tokens = zipf_corpus(9, 4000, 800)
    index, term_ids = PostingsIndex.from_token_lists(tokens, BM25Params())
    results = {}
    for ratio in (0, 10**9):  # 0: always sparse; huge: always dense
        monkeypatch.setattr(bm25_module, "DENSE_RATIO", ratio)
        results[ratio] = [index.sparse_scores([term_ids.get(t) for t in q]) for q in queries(9, 800, 30)]
    for (pa, sa), (pb, sb) in zip(results[0], results[10**9]):
        assert np.array_equal(pa, pb)
        assert np.array_equal(sa, sb)  # same additions in the same order: bit for bit


def test_top_k_ties_prefer_lower_positions() -> None:
    tokens = [["a", "b"]] * 30 + [["a"]] * 5
    index, ids = PostingsIndex.from_token_lists(tokens, BM25Params())
    top = index.top_k([ids["a"], ids["b"]], 7)
    assert [p for p, _ in top] == list(range(7))
    top = index.top_k([ids["a"]], 33)
    assert [p for p, _ in top] == sorted(range(35), key=lambda p: (len(tokens[p]), p))[:33]


def stored_tokens(row_kind: str, text: str) -> list[str]:
    """What the build indexes for a passage (body text; metadata lines get hint words)."""
    if row_kind == "byline":
        return tokenize(text) + tokenize(BYLINE_HINTS)
    if row_kind == "date":
        return tokenize(text) + tokenize(DATE_HINTS)
    return tokenize(text)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [11, 12])
def test_store_path_equals_rank_bm25(tmp_path: Path, seed: int) -> None:
    corpus = generate(tmp_path / "knowledge", 2500, seed, n_questions=60)
    engine = Engine(tmp_path / "knowledge", tmp_path / "kb.sqlite")
    engine.open()
    try:
        snap = engine._snapshot
        assert snap is not None
        rows = {r[0]: (r[1], r[2]) for r in snap.reader.query("SELECT id, kind, text FROM passages")}
        tokens = [stored_tokens(*rows[int(pid)]) for pid in snap.passage_ids]
        assert snap.index.n_passages == len(rows) > 2500
        plus = snap.index
        okapi = plus.with_params(BM25Params(variant="okapi"))
        refs = {"plus": BM25Plus(tokens), "okapi": BM25Okapi(tokens)}
        for question in corpus.questions:
            terms = list(analyse(question).terms)
            known = snap.reader.term_ids(terms)
            ids = [known.get(t) for t in terms]
            check(plus, refs["plus"], tokens, ids, terms)
            check(okapi, refs["okapi"], tokens, ids, terms)
    finally:
        engine.close()


def test_questions_are_reproducible(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", 400, 5, n_questions=20)
    b = generate(tmp_path / "b", 400, 5, n_questions=20)
    assert a.questions == b.questions
    assert [p.read_bytes() for p in a.files] == [p.read_bytes() for p in b.files]
    assert json.dumps(a.questions)


def test_pruning_skips_most_postings_of_common_terms(monkeypatch: pytest.MonkeyPatch) -> None:
    """A rare term with common ones: the pruned top 10 equals the full one while
    reading far fewer postings (counted through `postings`, and the look-ups:
    a pass over a list counts its length, a binary search one)."""
    tokens = zipf_corpus(21, 20000, 3000)
    index, term_ids = PostingsIndex.from_token_lists(tokens, BM25Params())
    rare = next(t for t in (f"w{i}" for i in range(2500, 3000)) if t in term_ids)
    query = [term_ids[t] for t in ("w0", "w1", "w2", rare)]
    read = {"n": 0}
    real = PostingsIndex.postings

    def counting(self, term_id, position_range=None):
        pos, tf = real(self, term_id, position_range)
        read["n"] += pos.shape[0]
        return pos, tf

    real_lookup = PostingsIndex._lookup

    def counting_lookup(self, t, cand, slot=None):
        # a pass over the term's postings, or one binary search per candidate
        df = int(self.df[t])
        read["n"] += df if slot is not None and cand.shape[0] * bm25_module.SCAN_RATIO > df else cand.shape[0]
        return real_lookup(self, t, cand, slot)

    monkeypatch.setattr(PostingsIndex, "postings", counting)
    monkeypatch.setattr(PostingsIndex, "_lookup", counting_lookup)
    monkeypatch.setattr(bm25_module, "PRUNE_MIN_POSTINGS", 10**12)
    full = index.top_k(query, 10)
    full_read, read["n"] = read["n"], 0
    monkeypatch.setattr(bm25_module, "PRUNE_MIN_POSTINGS", 0)
    pruned = index.top_k(query, 10)
    assert [p for p, _ in pruned] == [p for p, _ in full]
    np.testing.assert_allclose([s for _, s in pruned], [s for _, s in full], rtol=0, atol=1e-9)
    assert read["n"] * 5 < full_read, (read["n"], full_read)
