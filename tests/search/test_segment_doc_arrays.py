"""Title postings and document postings from the index's per-segment arrays
(bot/search/indexfiles.py `title_postings`, `doc_postings`, read by
bot/search/doc_score.py `_Titles` and `_TermDocs.body`): the same arrays as the
store's `title_terms` rows and the sentence postings gathered into documents give,
for every term, after reloads that add, change and delete articles (several
segments, deleted documents); the store is asked only for terms the arrays leave out.
Counts, not clocks.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from bench.corpus import generate
from bot.engine import Engine
from bot.search import doc_score
from bot.search.indexfiles import DOC_ARRAYS, TITLE_WORD_BYTES, doc_postings, title_postings
from bot.text.tokenize import tokenize


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory):
    return generate(tmp_path_factory.mktemp("tarr") / "knowledge", 1200, 11, n_questions=20)


@pytest.fixture
def kb(tmp_path: Path, corpus) -> Path:
    import shutil

    folder = tmp_path / "knowledge"
    shutil.copytree(corpus.folder, folder)
    return folder


def _all_title_terms(engine: Engine) -> list[str]:
    return [t for (t,) in engine._snapshot.reader.query("SELECT DISTINCT term FROM title_terms WHERE term != ''")]


def _both_ways(engine: Engine, terms: list[str]) -> tuple[dict, dict, int]:
    """Each term's title arrays from the index (and how many store reads that made),
    then from the store's rows (the arrays turned off)."""
    snap = engine._snapshot
    doc_score._CACHE.pop(snap.index, None)
    stats = doc_score.doc_stats(snap)
    assert stats.titles.arrays_of is not None
    reads = []
    real = snap.reader.title_term_lists
    snap.reader.title_term_lists = lambda ts: reads.append(list(ts)) or real(ts)  # type: ignore[method-assign]
    try:
        stats.titles.fetch(tuple(terms))
        from_arrays = {t: stats.titles.arrays(t) for t in terms}
    finally:
        del snap.reader.title_term_lists
    doc_score._CACHE.pop(snap.index, None)
    stats = doc_score.doc_stats(snap)
    stats.titles.arrays_of = None
    stats.titles.fetch(tuple(terms))
    from_store = {t: stats.titles.arrays(t) for t in terms}
    doc_score._CACHE.pop(snap.index, None)
    return from_arrays, from_store, sum(len(r) for r in reads)


def _assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for t in a:
        for x, y in zip(a[t], b[t]):
            assert x.dtype == y.dtype and x.tolist() == y.tolist(), t


def _retitle(path: Path, title: str) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r'^title: .*$', f'title: "{title}"', text, count=1, flags=re.M), encoding="utf-8")


def test_title_arrays_equal_the_store_rows_across_reloads(kb: Path, tmp_path: Path) -> None:
    long_word = "Pneumonoultramicroscopicsilicovolcanoconiosis"  # longer than the arrays keep: read from the store
    assert len(long_word) > TITLE_WORD_BYTES
    engine = Engine(kb, tmp_path / "kb.sqlite")
    engine.open()
    try:
        terms = _all_title_terms(engine) + ["zzzneverseen", ""]
        arrays, store, reads = _both_ways(engine, terms)
        _assert_same(arrays, store)
        assert reads == 0  # every term looked up in the arrays, none read from the store
        assert sum(a[0].shape[0] for a in arrays.values()) > len(terms)  # (titles share words)

        files = sorted(kb.glob("*.md"))
        _retitle(files[0], f"Harbour ferries and {long_word}")  # changed: its old title deleted
        files[1].unlink()  # deleted
        (kb / "extra-new.md").write_text(
            "---\ntitle: \"Ferries, harbour ferries\"\ndate: 2024-01-02\n---\n\nThe harbour ferries run late.\n",
            encoding="utf-8")
        engine.reload()
        snap = engine._snapshot
        assert len(snap.segments) >= 2 and any(s.deleted for s in snap.segments)
        terms = _all_title_terms(engine) + ["zzzneverseen"]
        long_terms = [t for t in terms if len(t.encode()) > TITLE_WORD_BYTES]
        assert long_terms
        arrays, store, reads = _both_ways(engine, terms)
        _assert_same(arrays, store)
        assert reads == len(long_terms)  # only the terms the arrays leave out
        ferri = [t for t in terms if t.startswith("ferri")]
        assert ferri and arrays[ferri[0]][0].shape[0] >= 2  # in two segments' titles

        # the article scores, whole, both ways
        questions = ["harbour ferries late", "ferries", long_word.lower()]
        for q in questions:
            ts = tuple(dict.fromkeys(tokenize(q)))
            ids = snap.term_ids_memo(ts)
            doc_score._CACHE.pop(snap.index, None)
            doc_score._TERM_DOCS.pop(snap.index, None)
            a = doc_score.doc_scores(snap, ts, ids)._total.copy()
            doc_score._CACHE.pop(snap.index, None)
            doc_score._TERM_DOCS.pop(snap.index, None)
            doc_score.doc_stats(snap).titles.arrays_of = None
            b = doc_score.doc_scores(snap, ts, ids)._total.copy()
            assert a.tobytes() == b.tobytes()
            doc_score._CACHE.pop(snap.index, None)
            doc_score._TERM_DOCS.pop(snap.index, None)
    finally:
        engine.close()


def test_damaged_title_arrays_fall_back_to_the_store(kb: Path, tmp_path: Path) -> None:
    engine = Engine(kb, tmp_path / "kb.sqlite")
    engine.open()
    try:
        snap = engine._snapshot
        terms = _all_title_terms(engine)
        _, store, _ = _both_ways(engine, terms)
        stats = doc_score.doc_stats(snap)
        words, offsets, docs, counts, placed = stats.titles.arrays_of[0]
        stats.titles.arrays_of[0] = (words, offsets, np.full_like(docs, placed.shape[0] + 5), counts, placed)
        stats.titles.fetch(tuple(terms))
        _assert_same({t: stats.titles.arrays(t) for t in terms}, store)
    finally:
        doc_score._CACHE.pop(engine._snapshot.index, None)
        engine.close()


def test_title_postings_sorted_and_kept_only_when_counts_are_integers() -> None:
    names = ["b-doc", "a-doc", "c-doc"]
    rows = [("c-doc", "ferri", 1), ("b-doc", "ferri", 2), ("a-doc", "harbour", 1), ("gone", "ferri", 1),
            ("b-doc", "x" * (TITLE_WORD_BYTES + 1), 1), ("a-doc", "ferri", "3")]
    got = title_postings(rows, names)
    assert got["title_words"].tolist() == [b"ferri", b"harbour"]
    assert got["title_offsets"].tolist() == [0, 3, 4]
    assert got["title_docs"].tolist() == [0, 1, 2, 1]  # segment order: b-doc, a-doc, c-doc
    assert got["title_n"].tolist() == [2, 3, 1, 1]
    assert title_postings(rows + [("a-doc", "pier", "many")], names)["title_offsets"].shape[0] == 0
    assert title_postings(None, names)["title_offsets"].shape[0] == 0


def _gathered(snap, stats, tid: int) -> tuple[np.ndarray, np.ndarray]:
    """A term's documents and summed tf the long way: every live sentence posting's document."""
    pos, tfs = snap.index.postings(tid)
    which = np.searchsorted(np.asarray(snap.doc_starts), pos, side="right") - 1
    sums = np.bincount(which, weights=tfs.astype(np.float64), minlength=len(stats.ids))
    held = np.zeros(len(stats.ids), dtype=np.bool_)
    held[which] = True
    docs = np.flatnonzero(held)
    return docs.astype(np.int64), sums[docs]


def _check_doc_postings(engine: Engine) -> int:
    snap = engine._snapshot
    doc_score._CACHE.pop(snap.index, None)
    doc_score._TERM_DOCS.pop(snap.index, None)
    stats = doc_score.doc_stats(snap)
    assert stats.doc_parts is not None and len(stats.doc_parts) == len(snap.segments)
    checked = 0
    for tid in range(snap.index.df.shape[0] + 2):  # every term, and two past the last
        got = doc_score._doc_postings(stats.doc_parts, tid)
        want = _gathered(snap, stats, tid) if tid < snap.index.df.shape[0] else (np.empty(0, np.int64), np.empty(0))
        assert got is not None
        assert got[0].dtype == np.int64 and got[1].dtype == np.float64
        assert got[0].tolist() == want[0].tolist() and got[1].tolist() == want[1].tolist(), tid
        checked += int(got[0].shape[0] > 0)
    doc_score._CACHE.pop(snap.index, None)
    return checked


def test_doc_postings_equal_the_gathered_sentence_postings_across_reloads(kb: Path, tmp_path: Path) -> None:
    engine = Engine(kb, tmp_path / "kb.sqlite")
    engine.open()
    try:
        assert _check_doc_postings(engine) > 100
        files = sorted(kb.glob("*.md"))
        files[2].write_text(files[2].read_text(encoding="utf-8") + "\nThe harbour ferries ran late again.\n",
                            encoding="utf-8")
        files[3].unlink()
        (kb / "extra-new.md").write_text(
            "---\ntitle: Ferries\ndate: 2024-01-02\n---\n\nThe harbour ferries run late. Ferries, ferries.\n",
            encoding="utf-8")
        engine.reload()
        snap = engine._snapshot
        assert len(snap.segments) >= 2 and any(s.deleted for s in snap.segments)
        assert _check_doc_postings(engine) > 100
        # damaged arrays (a document past the segment's): gathered from the sentence postings instead
        doc_score._TERM_DOCS.pop(snap.index, None)
        stats = doc_score.doc_stats(snap)
        offsets, docs, tfs, placed = stats.doc_parts[0]
        stats.doc_parts[0] = (offsets, np.full_like(docs, placed.shape[0] + 3), tfs, placed)
        tid = int(np.argmax(np.diff(np.asarray(offsets))))
        assert doc_score._doc_postings(stats.doc_parts, tid) is None
        got = doc_score._term_docs(snap).get(snap, stats, tid)
        want = _gathered(snap, stats, tid)
        assert got[0].tolist() == want[0].tolist() and got[1].tolist() == want[1].tolist()
    finally:
        doc_score._CACHE.pop(engine._snapshot.index, None)
        doc_score._TERM_DOCS.pop(engine._snapshot.index, None)
        engine.close()


def test_doc_postings_runs_chunks_and_overflow(monkeypatch: pytest.MonkeyPatch) -> None:
    # three documents: positions [0, 2), [2, 5), [5, 6); terms 0..3 (term 2 in no passage)
    bounds = np.array([0, 2, 5, 6], dtype=np.int64)
    by_term = {0: [(0, 1), (1, 2), (4, 1)], 1: [(2, 3), (3, 1), (5, 1)], 2: [], 3: [(1, 1)]}
    offsets = np.zeros(5, dtype=np.int64)
    np.cumsum([len(by_term[t]) for t in range(4)], out=offsets[1:])
    pos = np.array([p for t in range(4) for p, _ in by_term[t]], dtype=np.int32)
    tf = np.array([n for t in range(4) for _, n in by_term[t]], dtype=np.uint16)
    want_docs = [0, 1, 1, 2, 0]
    want_tf = [3, 1, 4, 1, 1]
    for chunk in (1, 2, 3, 1 << 21):  # chunk boundaries between and inside terms: the same arrays
        monkeypatch.setattr("bot.search.indexfiles.DOC_POSTINGS_CHUNK", chunk)
        got = doc_postings(offsets, pos, tf, bounds)
        assert got["dterm_offsets"].tolist() == [0, 2, 4, 4, 5], chunk
        assert got["dpost_doc"].tolist() == want_docs and got["dpost_tf"].tolist() == want_tf
        assert {k: v.dtype for k, v in got.items()} == {k: np.dtype(v) for k, v in DOC_ARRAYS.items()}
    big = np.array([40000, 40000, 1, 1, 1, 1, 1], dtype=np.uint16)  # a sum past 65535: not kept
    assert doc_postings(offsets, pos, big[: pos.shape[0]], bounds)["dterm_offsets"].shape[0] == 0
