"""doc_score maps positions to documents through a per-snapshot array; the numbers
and sets equal the binary search over document starts it replaced, also on an
index of several segments with a replaced (deleted) article."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bench.corpus import generate
from bot.engine import Engine
from bot.search import doc_score
from bot.search.question import analyse


def _reference(snapshot, terms, term_ids):
    stats = doc_score.doc_stats(snapshot)
    sets: dict[str, set[str]] = {}
    for t in terms:
        tid = term_ids.get(t)
        if tid is not None:
            pos, _ = snapshot.index.postings(tid)
            if pos.size:
                for i in np.unique(np.searchsorted(stats.starts, pos, side="right") - 1):
                    sets.setdefault(stats.ids[int(i)], set()).add(t)
        for i, _ in stats.titles.get(t, ()):
            sets.setdefault(stats.ids[i], set()).add(t)
    return sets


def test_position_lookup_equals_binary_search(tmp_path: Path) -> None:
    corpus = generate(tmp_path / "knowledge", 600, 9, n_questions=30)
    engine = Engine(corpus.folder, tmp_path / "kb.sqlite")
    engine.open()
    try:
        target = corpus.files[len(corpus.files) // 2]
        target.write_text(target.read_text() + "\nA later paragraph about the harbour budget.\n")
        engine.reload()  # a delta segment; the old copy's passages are deleted
        snap = engine._snapshot
        assert snap is not None and len(snap.segments) >= 2 and snap.index.live is not None
        stats = doc_score.doc_stats(snap)
        live = np.flatnonzero(snap.index.live)
        assert np.array_equal(doc_score._docs_of(stats, live),
                              np.searchsorted(stats.starts, live, side="right") - 1)
        checked = 0
        for q in corpus.questions:
            terms = analyse(q).terms
            ids = snap.reader.term_ids(terms)
            got = doc_score.doc_term_sets(snap, terms, ids)
            assert got == _reference(snap, terms, ids)
            checked += bool(got)
        assert checked > 10
    finally:
        engine.close()


def test_best_share_equals_the_loop_over_term_sets(tmp_path: Path) -> None:
    """retrieve's off-topic measure, vectorised: the same float as the loop over every
    article's term set, for whole questions with family words, and for one article."""
    from bot.search.retrieve import information
    from bot.text.families import members

    corpus = generate(tmp_path / "knowledge", 900, 4, n_questions=60)
    engine = Engine(corpus.folder, tmp_path / "kb.sqlite")
    engine.open()
    try:
        snap = engine._snapshot
        assert snap is not None
        some_doc = snap.doc_order[len(snap.doc_order) // 3]
        nonzero = 0
        for q in corpus.questions + ["What did officials say about the court ruling?"]:
            terms = analyse(q).terms
            ids = snap.reader.term_ids(terms)
            relatives = {m: t for t in terms for m in members(t) if m not in terms}
            ids = {**snap.reader.term_ids(tuple(relatives)), **ids}
            weights = information(snap, ids, terms)
            expanded = {**relatives, **{t: t for t in terms}}
            sets = doc_score.doc_term_sets(snap, tuple(expanded), ids)
            # (a weightless term: the near-best are then not only the articles holding all)
            light = {**weights, terms[0]: 0.0} if terms else weights
            for w in (weights, light):
                total = sum(w.values()) or 1.0
                for document in (None, some_doc, "no-such-article"):
                    want = 0.0
                    for doc_id, found in sets.items():
                        if document is None or doc_id == document:
                            want = max(want, sum(w[t] for t in {expanded[f] for f in found}) / total)
                    got = doc_score.best_share(snap, expanded, ids, w, document)
                    assert got == want, (q, document, got, want)
                    assert doc_score._best_share_matrix(snap, expanded, ids, w, document) == want
                    nonzero += got > 0
        assert nonzero > 40
    finally:
        engine.close()


def test_doc_scores_mapping_equals_the_dict(tmp_path: Path) -> None:
    """`doc_scores` returns a mapping over the score array: the same items, in the same
    order, as the dict it replaced, and `top_documents` the same ids as sorting it."""
    corpus = generate(tmp_path / "knowledge", 900, 6, n_questions=60)
    engine = Engine(corpus.folder, tmp_path / "kb.sqlite")
    engine.open()
    try:
        snap = engine._snapshot
        assert snap is not None
        ties = 0
        for q in corpus.questions + ["What did officials say about the court ruling?", "zzzz qqqq"]:
            terms = analyse(q).terms
            ids = snap.reader.term_ids(terms)
            got = doc_score.doc_scores(snap, terms, ids)
            plain = dict(got.items())
            assert list(got) == list(plain) and list(got.values()) == list(plain.values())
            assert all(s > 0 for s in plain.values()) and len(got) == len(plain)
            assert got == plain and (len(plain) == 0) == (not got)
            for d in list(plain)[:5] + ["no-such-article"]:
                assert got.get(d, 0.0) == plain.get(d, 0.0)
            for n in (1, 3, 10, 1000):
                assert doc_score.top_documents(got, n) == sorted(plain, key=lambda d: -plain[d])[:n]
                assert doc_score.top_documents(plain, n) == sorted(plain, key=lambda d: -plain[d])[:n]
            ties += len(set(plain.values())) < len(plain)
        assert ties > 0  # equal scores occur: their order is checked too
    finally:
        engine.close()


def _reference_doc_of_pos(starts: np.ndarray, ends: np.ndarray, n_pos: int) -> np.ndarray:
    out = np.full(n_pos, -1, dtype=np.int32)
    for i, (s, e) in enumerate(zip(starts.tolist(), ends.tolist())):
        out[max(s, 0):min(e, n_pos)] = i
    return out


def test_per_document_sums_and_position_map_equal_the_plain_loops() -> None:
    """Document body lengths (`_range_sums`) and position → document (`_doc_of_positions`)
    equal a loop over the documents, for documents end to end, with gaps (deleted
    passages) before, between and after them, empty ones, and one running to the end."""
    rng = np.random.default_rng(7)
    checked = {"end to end": 0, "gaps": 0}
    for trial in range(300):
        n_docs = int(rng.integers(0, 40))
        lens = rng.integers(0, 6, n_docs)
        gaps = rng.integers(0, 4, n_docs) * (rng.random(n_docs) < 0.3) if trial % 2 else np.zeros(n_docs, np.int64)
        starts = np.cumsum(gaps + np.concatenate(([0], lens[:-1]))) if n_docs else np.zeros(0, np.int64)
        ends = starts + lens
        tail = int(rng.integers(0, 3)) if trial % 3 else 0
        n_pos = (int(ends[-1]) if n_docs else 0) + tail
        values = rng.integers(1, 60, n_pos).astype(np.float64)
        want = np.array([values[s:e].sum() for s, e in zip(starts.tolist(), ends.tolist())], dtype=np.float64)
        got = doc_score._range_sums(values, starts.astype(np.int64), ends.astype(np.int64))
        assert np.array_equal(got, want)
        positions = doc_score._doc_of_positions(starts.astype(np.int64), ends.astype(np.int64), n_pos)
        assert positions.dtype == np.int32 and positions.shape == (n_pos,)
        assert np.array_equal(positions, _reference_doc_of_pos(starts, ends, n_pos))
        contiguous = n_docs and not gaps.any() and not tail
        checked["end to end" if contiguous else "gaps"] += 1
    assert min(checked.values()) > 50
    # ranges out of order (never from a snapshot): the later document wins, as before
    starts, ends = np.array([4, 0, 2]), np.array([6, 3, 5])
    assert doc_score._doc_of_positions(starts, ends, 7).tolist() == [1, 1, 2, 2, 2, 0, -1]
