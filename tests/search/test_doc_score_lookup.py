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
