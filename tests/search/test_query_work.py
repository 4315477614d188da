"""Issue 13, `ask`'s own work per question (counted, never timed): what is per snapshot
is computed once per snapshot, what is per question is not repeated per candidate, and
each shortcut gives what the longer way gives."""

from __future__ import annotations

import math
import random
from pathlib import Path

import numpy as np
import pytest

from bench.corpus import generate
from bot.answers import said as said_mod
from bot.engine import Engine
from bot.search import doc_score
from bot.search.question import analyse
from bot.store import PassageReader
from bot.text.families import _families, families_of, family, family_stems


@pytest.fixture(scope="module")
def corpus_engine(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("work")
    corpus = generate(tmp / "knowledge", 1200, 5, n_questions=80)
    engine = Engine(corpus.folder, tmp / "kb.sqlite")
    engine.open()
    yield engine, corpus
    engine.close()


def test_family_stems_tell_what_families_of_tells() -> None:
    """A token set holds a word of t's family exactly when it meets family_stems(t)."""
    table = _families()[0]
    stems = sorted(table)
    rng = random.Random(3)
    outside = ["harbour", "budget", "zzqx", "council"]
    for _ in range(400):
        tokens = set(rng.sample(stems, 12)) | set(rng.sample(outside, 2))
        fams = families_of(tokens)
        for t in rng.sample(stems, 20) + outside:
            assert (family(t) in fams) == (not tokens.isdisjoint(family_stems(t))), (t, tokens)


def test_term_documents_equal_a_count_over_postings(corpus_engine) -> None:
    """The per-snapshot term → documents table holds what a bincount of the term's
    postings over documents gives, and doc_scores built from it is unchanged."""
    engine, corpus = corpus_engine
    snap = engine._snapshot
    stats = doc_score.doc_stats(snap)
    n_docs = len(stats.ids)
    checked = 0
    for q in corpus.questions:
        for tid in snap.reader.term_ids(analyse(q).terms).values():
            pos, tfs = snap.index.postings(tid)
            want = np.bincount(doc_score._docs_of(stats, pos), weights=tfs.astype(np.float64), minlength=n_docs) \
                if pos.size else np.zeros(n_docs)
            docs, sums = doc_score.term_documents(snap, stats, tid)
            got = np.zeros(n_docs)
            got[docs] = sums
            assert np.array_equal(got, want) and np.array_equal(docs, np.flatnonzero(want > 0))
            checked += 1
    assert checked > 50


def test_a_question_asked_again_gathers_no_term_documents(corpus_engine) -> None:
    """Article scores and article coverage share one gather per term and snapshot: the
    second time a question is asked, no term's postings are gathered into documents."""
    engine, corpus = corpus_engine
    snap = engine._snapshot
    cache = doc_score._TERM_DOCS[snap.index]
    question = corpus.questions[3]
    first = engine.ask(question)
    before = cache.computed
    again = engine.ask(question)
    assert cache.computed == before
    assert [q.text for q in again.quotes] == [q.text for q in first.quotes]


def test_store_reads_per_question_do_not_grow_with_candidates(corpus_engine, monkeypatch) -> None:
    """Candidates' rows come in at most three reads (the metadata lines the question's kind
    uses, the contenders of the kind bonus, the ones that can be shown; the others are
    ranked from the index's arrays), plus one for their next sentences, one for carrying
    and one for the ids of the question's synonyms: never a read per candidate."""
    engine, corpus = corpus_engine
    calls = {"query": 0}
    original = PassageReader.query

    def counting(self, sql, params=()):  # type: ignore[no-untyped-def]
        calls["query"] += 1
        return original(self, sql, params)

    monkeypatch.setattr(PassageReader, "query", counting)
    asked = 0
    for q in corpus.questions:
        if q.lower().startswith(("what did", "who is", "what is")):
            continue  # other paths (statements, entity cards) have reads of their own
        calls["query"] = 0
        answer = engine.ask(q)
        asked += 1
        assert calls["query"] <= 10, (q, calls["query"], len(answer.quotes))
    assert asked > 30


def test_documents_at_equals_the_binary_search(corpus_engine, monkeypatch) -> None:
    """said's documents of ranked positions, gathered through the position table, are the
    ones the binary search over document ranges gives, in the same order."""
    engine, corpus = corpus_engine
    snap = engine._snapshot
    rng = random.Random(7)
    n = len(snap.passage_ids)
    hits = [(rng.randrange(n), 0.0) for _ in range(300)]
    fast = said_mod._documents_at(snap, hits)
    stats = doc_score.doc_stats(snap)
    monkeypatch.setattr(said_mod, "doc_stats", lambda s: doc_score.DocStats(stats.ids, stats.starts, stats.lengths,
                                                                            stats.titles, None, stats.index_of))
    assert said_mod._documents_at(snap, hits) == fast and len(fast) > 20


def test_doc_scores_over_holding_documents_equal_the_dense_sum(corpus_engine) -> None:
    """Article BM25 summed only where a term is held is the dense sum over every article,
    float for float (title words included)."""
    engine, corpus = corpus_engine
    snap = engine._snapshot
    stats = doc_score.doc_stats(snap)
    n_docs = len(stats.ids)
    k1, b = doc_score.K1, doc_score.B
    checked = 0
    for q in corpus.questions:
        terms = analyse(q).terms
        ids = snap.reader.term_ids(terms)
        got = doc_score.doc_scores(snap, terms, ids)
        want = np.zeros(n_docs)
        norm = k1 * (1 - b + b * stats.lengths / (stats.avg_length or 1.0))
        for t in terms:
            tf = np.zeros(n_docs)
            if ids.get(t) is not None:
                pos, tfs = snap.index.postings(ids[t])
                if pos.size:
                    tf += np.bincount(doc_score._docs_of(stats, pos), weights=tfs.astype(np.float64), minlength=n_docs)
            for i, n in stats.titles.get(t, ()):
                tf[i] += doc_score.TITLE_WEIGHT * n
            df = int((tf > 0).sum())
            if df:
                idf = math.log(1 + (n_docs - df + 0.5) / (df + 0.5))
                want += idf * tf * (k1 + 1) / (tf + norm)
        assert np.array_equal(got._total, want), q
        checked += len(got) > 0
    assert checked > 50


def test_best_score_is_the_max_over_values(corpus_engine) -> None:
    engine, corpus = corpus_engine
    snap = engine._snapshot
    for q in corpus.questions:
        terms = analyse(q).terms
        scores = doc_score.doc_scores(snap, terms, snap.reader.term_ids(terms))
        assert doc_score.best_score(scores) == max(scores.values(), default=0.0)
    assert doc_score.best_score({}) == 0.0 and doc_score.best_score({"a": 2.0, "b": 3.5}) == 3.5
