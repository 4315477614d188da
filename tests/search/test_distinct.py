"""`bm25.distinct_sorted` is `np.unique` (sorted, distinct) without importing numpy.ma."""

from __future__ import annotations

import numpy as np

from bot.search.bm25 import distinct_sorted


def test_distinct_equals_np_unique_on_random_and_edge_arrays() -> None:
    rng = np.random.default_rng(7)
    arrays = [np.array([], dtype=np.int32), np.array([5], dtype=np.int32), np.array([3, 3, 3], dtype=np.int64)]
    arrays += [rng.integers(0, n, size=n * 3).astype(np.int32) for n in (2, 10, 1000)]
    for a in arrays:
        got = distinct_sorted(a)
        assert got.dtype == a.dtype and np.array_equal(got, np.unique(a))
