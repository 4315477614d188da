"""doc_score's cheaper paths (issue 13, per-question article work at 1M sentences) give
what the plain expressions they replace give: the top articles and best score without
a pass for the scored documents (`_contenders`), question and stem masks in narrow
types counted without a Python int per document (`_codes`, `_distinct`), and title
postings read as one joined string per term (`Store.title_term_lists`)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from bot.engine import Engine
from bot.search import doc_score
from bot.search.indexfiles import index_dir


def _scores(total: np.ndarray) -> doc_score.DocScores:
    ids = [f"doc-{i:05d}" for i in range(total.shape[0])]
    stats = doc_score.DocStats(ids, np.arange(total.shape[0]), np.ones(total.shape[0]), None,  # type: ignore[arg-type]
                               None, {d: i for i, d in enumerate(ids)})
    return doc_score.DocScores(stats, total)


def _totals() -> list[np.ndarray]:
    rng = np.random.default_rng(13)
    out = [np.zeros(0), np.zeros(1), np.array([0.5]), np.zeros(5000)]
    for size in (50, 200, 5000, 40000):
        out.append(rng.random(size) * 10)  # every document scored (a common word)
        sparse = rng.random(size) * 10
        sparse[rng.random(size) < 0.9] = 0.0
        out.append(sparse)
        out.append(rng.integers(0, 4, size).astype(np.float64) * 1.5)  # many ties, some zeros
        few = np.zeros(size)
        few[rng.choice(size, 2, replace=False)] = [3.0, 1.0]  # fewer than n scored
        out.append(few)
        tied = np.full(size, 2.25)  # every score equal: position order decides
        tied[::7] = 0.0
        out.append(tied)
        top_ties = rng.random(size)
        top_ties[rng.choice(size, 40, replace=False)] = 9.0  # more than n tie for the top
        out.append(top_ties)
    return out


def test_top_best_and_truth_equal_the_dict() -> None:
    bounded = 0
    for total in _totals():
        got = _scores(total)
        plain = {d: float(s) for d, s in zip(got._stats.ids, total.tolist()) if s > 0}
        assert got.best() == max(plain.values(), default=0.0)
        assert doc_score.best_score(got) == doc_score.best_score(plain)
        assert bool(got) == bool(plain) and len(got) == len(plain)
        ranked = sorted(plain, key=lambda d: -plain[d])
        for n in (1, 2, 3, 5, 10, 100):
            assert got.top(n) == ranked[:n], (total.shape, n)
            keep = doc_score._contenders(total, n)
            if keep is not None:
                bounded += 1
                # a few positive scores, ascending, that hold every score at least the n-th best
                assert keep.shape[0] >= n and bool((total[keep] > 0).all()) and bool((np.diff(keep) > 0).all())
                nth = plain[ranked[n - 1]]
                assert set(np.flatnonzero(total >= nth).tolist()) <= set(keep.tolist())
    assert bounded > 20  # the bounded path ran, on all kinds of scores


def _reference_codes(marks: list[np.ndarray], near: np.ndarray | None) -> list[int]:
    rows = range(marks[0].shape[0]) if near is None else near.tolist()
    return [sum(int(m[d]) << i for i, m in enumerate(marks)) for d in rows]


@pytest.mark.parametrize("k", [1, 3, 8, 9, 16, 17, 33, 64])
def test_masks_and_their_distinct_values_equal_the_python_ints(k: int) -> None:
    rng = np.random.default_rng(k)
    n_docs = 3000
    marks = [rng.random(n_docs) < p for p in rng.uniform(0.05, 0.98, k)]
    marks[0][:5] = True  # (so no mask is empty)
    for near in (None, np.array([7]), np.sort(rng.choice(n_docs, 40, replace=False)),
                 np.sort(rng.choice(n_docs, 2900, replace=False)), np.arange(n_docs), np.array([], dtype=np.int64)):
        code = doc_score._codes(marks, near)
        want = _reference_codes(marks, near)
        assert code.tolist() == want
        assert code.dtype.itemsize * 8 >= k
        assert doc_score._distinct(code) == sorted(set(want))
    for j in range(1, k + 1):
        assert np.array_equal(doc_score._fold(np.logical_or, marks[:j]), np.logical_or.reduce(marks[:j]))
        assert np.array_equal(doc_score._fold(np.logical_and, marks[:j]), np.logical_and.reduce(marks[:j]))


TITLES = ["Harbour ferry timetable changes", "Ferry, ferry and more ferry: a harbour story",
          "Council budget for the harbour", "Pier repairs delayed"]


def test_title_term_lists_equal_the_rows_odd_rows_included(tmp_path: Path) -> None:
    """One joined row per term gives each term's (document, count) rows, also for rows it
    cannot join back (a NUL in a document id, a count of ten or more, a count stored as a
    float or as text), and the title postings arrays are the rows, sorted."""
    kb = tmp_path / "knowledge"
    kb.mkdir()
    for i, title in enumerate(TITLES):
        (kb / f"harbour-{i:02d}.md").write_text(
            f"---\ntitle: \"{title}\"\n---\nThe council met about the harbour. The ferry may change.\n", encoding="utf-8")
    db = tmp_path / "kb.db"
    Engine(kb, db).open()
    conn = sqlite3.connect(db)
    conn.executemany("INSERT INTO title_terms (document, term, n, title) VALUES (?, ?, ?, '')", [
        ("harbour-02", "ferri", 12, ), ("odd\0id", "ferri", 1), ("harbour-03", "budget", 2.0),
        ("harbour-03", "council", "3"), ("harbour-01", "pier", 0)])
    conn.commit()
    conn.close()
    # (rows written behind the index's back: rebuild it, so its title arrays hold them too)
    shutil.rmtree(index_dir(db))
    engine = Engine(kb, db)
    engine.open_for_queries()
    try:
        reader = engine._snapshot.reader
        terms = ("ferri", "harbour", "budget", "council", "pier", "zzzunknown", "")
        rows = reader.title_terms(terms)
        lists = reader.title_term_lists(terms)
        assert sorted(t for t, _, _ in lists) == sorted({t for t, _, _ in rows})
        for term, docs, counts in lists:
            assert all(isinstance(n, int) for n in counts)
            assert sorted(zip(docs, counts)) == sorted((d, int(n)) for t, d, n in rows if t == term)
        assert ("odd\0id", 1) in [(d, n) for t, docs, counts in lists if t == "ferri" for d, n in zip(docs, counts)]
        snap = engine._snapshot
        for from_arrays in (True, False):  # the index's title arrays, and the store's rows
            doc_score._CACHE.pop(snap.index, None)
            stats = doc_score.doc_stats(snap)
            assert (stats.titles.arrays_of is not None) is True
            if not from_arrays:
                stats.titles.arrays_of = None
            stats.titles.fetch(terms)
            for t in terms:
                want = sorted((stats.index_of[d], int(n)) for term, d, n in snap.reader.title_terms([t])
                              if term == t and d in stats.index_of)
                assert list(stats.titles.get(t)) == want
                docs, counts = stats.titles.arrays(t)
                assert docs.dtype == np.int64 and counts.dtype == np.float64
            assert dict(stats.titles.get("ferri"))[stats.index_of["harbour-02"]] == 12
        doc_score._CACHE.pop(snap.index, None)
    finally:
        engine.close()
