"""Issue 13, `ask` end to end (second pass): what is a fact of the snapshot is computed
once per snapshot, and the shortcut gives what the longer way gives. Work is counted
(terms scored), never timed."""

from __future__ import annotations

import numpy as np
import pytest

import bot.search.bm25 as bm25_module
from bench.corpus import generate
from bot.engine import Engine
from bot.search import doc_score
from search.zipf import zipf_corpus
from bot.search.bm25 import BM25Params, PostingsIndex
from bot.search.question import analyse

@pytest.fixture(scope="module")
def corpus_engine(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("askwork")
    corpus = generate(tmp / "knowledge", 3000, 5, n_questions=80)
    engine = Engine(corpus.folder, tmp / "kb.sqlite")
    engine.open()
    yield engine, corpus
    engine.close()


def test_a_term_is_scored_for_articles_once_per_snapshot(corpus_engine) -> None:
    """doc_scores keeps each term's part of the article scores: asked again, no term is
    scored again, and the scores are the same floats."""
    engine, corpus = corpus_engine
    snap = engine._snapshot
    cache = doc_score._term_docs(snap)
    q = corpus.questions[5]
    terms = analyse(q).terms
    ids = snap.reader.term_ids(terms)
    first = doc_score.doc_scores(snap, terms, ids)._total.copy()
    before = cache.parts_computed
    again = doc_score.doc_scores(snap, terms, ids)._total
    assert cache.parts_computed == before
    assert np.array_equal(first, again) and (first > 0).any()
    # A question with one new word scores that word only.
    extra = next(t for t in ("council", "harbour", "ferry", "budget", "zzzunseen") if t not in terms)
    doc_score.doc_scores(snap, (*terms, extra), {**ids, **snap.reader.term_ids((extra,))})
    assert cache.parts_computed == before + 1


def test_maxscore_candidates_by_one_pass_equal_the_list_by_list_pick(monkeypatch: pytest.MonkeyPatch) -> None:
    """MaxScore's candidates found by one pass over the accumulator (many lists read) give
    the same top k as picking them list by list; both ways are taken."""
    monkeypatch.setattr(bm25_module, "SMALL_POSTINGS", 0)
    monkeypatch.setattr(bm25_module, "PRUNE_MIN_POSTINGS", 0)
    index, vocab = PostingsIndex.from_token_lists(zipf_corpus(3, 4000, 300), BM25Params())
    rng = np.random.default_rng(5)
    queries = []
    for _ in range(60):
        words = [f"w{int(x)}" for x in rng.integers(0, 300, int(rng.integers(1, 5)))]
        words += [f"w{int(x)}" for x in rng.integers(0, 6, int(rng.integers(1, 4)))]  # common words
        queries.append([vocab.get(w) for w in words])
    fast = [index.top_k(ids, k) for ids in queries for k in (10, 60)]
    assert index.dense_picks > 5
    monkeypatch.setattr(bm25_module, "SCAN_DENSE", 0)  # never the one pass
    before = index.dense_picks
    slow = [index.top_k(ids, k) for ids in queries for k in (10, 60)]
    assert index.dense_picks == before
    assert fast == slow
    for got, ids in zip(fast[::2], queries):  # k = 10: the sorted matches' first 10
        pos, scores = index.sparse_scores(ids)
        order = np.lexsort((pos, -scores))[:10]
        assert [p for p, _ in got] == [int(pos[i]) for i in order]
        assert np.allclose([s for _, s in got], scores[order], rtol=1e-12, atol=0)


@pytest.mark.parametrize("scan", [0, 10**9])  # look-ups by binary search / by one pass over a list
def test_common_words_are_scored_once_per_index(scan: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """A long postings list read in full by top_k is scored once per index and kept: the
    next query with that word scores no list again (and looks candidates up in the kept
    list), and the top k are those of an index that keeps nothing."""
    monkeypatch.setattr(bm25_module, "SCAN_RATIO", scan)
    monkeypatch.setattr(bm25_module, "SMALL_POSTINGS", 0)
    monkeypatch.setattr(bm25_module, "PRUNE_MIN_POSTINGS", 0)
    monkeypatch.setattr(bm25_module, "SCORED_MIN_POSTINGS", 500)
    index, vocab = PostingsIndex.from_token_lists(zipf_corpus(4, 4000, 300), BM25Params())
    common = [vocab["w0"], vocab["w1"], vocab["w2"]]
    assert all(int(index.df[t]) >= 500 for t in common)
    queries = [[*common, vocab[f"w{i}"]] for i in range(20, 60) if f"w{i}" in vocab]
    got = [index.top_k(ids, 10) for ids in queries]
    kept = index.scored_computed
    long_lists = {t for ids in queries for t in ids if int(index.df[t]) >= 500}
    assert 0 < kept <= len(long_lists) < len(queries)  # each long list once, not once per query
    again = [index.top_k(ids, 10) for ids in queries]
    assert again == got and index.scored_computed == kept
    monkeypatch.setattr(bm25_module, "SCORED_MIN_POSTINGS", 10**12)  # an index that keeps nothing
    plain, _ = PostingsIndex.from_token_lists(zipf_corpus(4, 4000, 300), BM25Params())
    assert [plain.top_k(ids, 10) for ids in queries] == got and plain.scored_computed == 0
