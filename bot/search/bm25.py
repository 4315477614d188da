"""BM25 over an inverted index whose cost follows the query, not the corpus.

rank-bm25 defines the scores: `BM25Okapi` and `BM25Plus` loop over every
passage for every query term (linear in the corpus). This module keeps the same
formulas, term for term, but touches only the postings of the query's terms,
held as compressed-sparse-row numpy arrays (no Python object per passage).
`tests/search/test_bm25_reference.py` checks the top 10 and the scores against
rank-bm25 on generated corpora.

Why the arrays and not a dict per passage: at 1M passages rank-bm25's list of
dicts costs gigabytes; three flat arrays cost bytes per posting.

`top_k` over long postings lists adds each term's contributions into one dense
array the index keeps (only touched entries are reset), rarest term first, and
stops reading lists once MaxScore's bounds show the rest cannot change the top k
(`_top_k_dense`); tests/search/test_bm25_topk.py checks every path against a
brute-force top k.
"""

from __future__ import annotations

import math
import threading
from bisect import bisect_left
from collections import OrderedDict
from dataclasses import dataclass
from typing import Literal, Sequence

import numpy as np

Variant = Literal["okapi", "plus"]

# Matches (summed over the query's terms) above n_passages / DENSE_RATIO are
# scored in a dense array rather than sorted: at that size the O(N) pass is cheaper.
DENSE_RATIO = 16

# top_k: queries whose terms hold fewer postings than SMALL_POSTINGS are scored by
# sorting the matches (`sparse_scores`); longer ones term at a time into a dense
# accumulator (`_top_k_dense`), with MaxScore pruning from PRUNE_MIN_POSTINGS on.
SMALL_POSTINGS = 4_000
PRUNE_MIN_POSTINGS = 20_000
# A look-up of many candidates in a term's postings reads the whole list once
# (candidates * SCAN_RATIO > postings) instead of one binary search per candidate.
SCAN_RATIO = 12
# MaxScore's candidates are found by one pass over the dense accumulator when the lists
# read hold more than n_positions / SCAN_DENSE postings.
SCAN_DENSE = 8
# MaxScore's terms left are walked over the accumulator (`_walk`: one gather per list) rather
# than looked up for each candidate when the candidates (estimated from every EST_STRIDE-th
# value) times WALK_RATIO exceed their postings; a walk goes on with look-ups once the
# candidates times SWITCH_RATIO no longer do.
WALK_RATIO = 16
SWITCH_RATIO = 16
EST_STRIDE = 16
# A walk's end reads the passages it wrote and those that had reached theta before it
# rather than pass over the accumulator when these hold at most n_positions / REACHED_RATIO.
REACHED_RATIO = 4
# MaxScore's last term, when its list holds at least SCAN_END_MIN postings (SCAN_END_TOUCHED
# times those of the lists read before), is scanned for the postings whose contribution alone
# reaches theta (`_scan_end`) when these and the touched candidates times SCAN_END_RATIO are
# fewer than its postings. KTH_KEPT: k-th best contributions kept per index.
SCAN_END_MIN = 4096
SCAN_END_TOUCHED = 2
SCAN_END_RATIO = 16
KTH_KEPT = 4096
# MaxScore's first theta is taken over the distinct positions of all the lists read when
# those before the last hold at most UNION_MAX postings (else over each list's own).
UNION_MAX = 4096
# The accumulator is cleared by one pass over it (not list by list) when the lists read
# hold more than n_positions / FILL_RATIO postings.
FILL_RATIO = 2
# Postings lists a global top k reads whole are kept scored per index, least recently used
# first out (`_scored_postings`): 16 bytes a posting and SCORED_ENTRY_BYTES a list. Short
# ones too: a rare word's list costs as much to read and score as a common word's few
# hundred postings (the fixed cost of ~15 numpy calls), and questions repeat words.
SCORED_MIN_POSTINGS = 1
SCORED_BYTES = 64 << 20
SCORED_ENTRY_BYTES = 512
# top_k over a position range of at most SMALL_RANGE positions (one article's passages)
# is scored in plain Python (`_top_k_small_range`): its few dozen postings cost less than
# the fixed cost of the numpy calls of the general path.
SMALL_RANGE = 128
# A filtered part's list is checked for deleted passages by one binary search per deleted
# passage when the list is longer than DEAD_RATIO times their number (else by reading
# the live mask at each posting).
DEAD_RATIO = 8



def distinct_sorted(a: np.ndarray) -> np.ndarray:
    """`np.unique(a)` (sorted, distinct) without its check for masked arrays, which
    imports numpy.ma (~20 ms of a cold start) the first time it runs."""
    s = np.sort(a)
    if s.size < 2:
        return s
    keep = np.empty(s.size, dtype=np.bool_)
    keep[0] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    return s[keep]


def _once_each(cand: np.ndarray, slot: np.ndarray) -> np.ndarray:
    """`cand`'s positions, one entry each, without sorting (the one whose mark stuck in
    `slot`, a zeroed int32 array over all positions, left zeroed): a few passes over
    the candidates instead of a sort of them."""
    mark = np.arange(1, cand.shape[0] + 1, dtype=np.int32)
    slot[cand] = mark
    first = slot[cand] == mark
    slot[cand] = 0
    return cand[first]


@dataclass(frozen=True)
class BM25Params:
    """Scoring parameters; the defaults are rank-bm25's own."""

    variant: Variant = "plus"
    k1: float = 1.5
    b: float = 0.75
    epsilon: float = 0.25  # okapi: floor for negative IDF, times the average IDF
    delta: float = 1.0  # plus: lower bound of a matching term's contribution


@dataclass(frozen=True)
class Part:
    """One segment's postings: `term_offsets[t]:term_offsets[t+1]` slices term t's
    local positions (ascending) and frequencies; global position = base + local."""

    term_offsets: np.ndarray
    post_pos: np.ndarray
    post_tf: np.ndarray
    base: int
    filtered: bool = False  # holds deleted passages: check the index's `live` mask
    # Per term: its largest tf and the shortest passage holding it (upper bounds for
    # pruning; computed on first use when not given).
    term_tfmax: np.ndarray | None = None
    term_mindl: np.ndarray | None = None


def term_bounds(term_offsets: np.ndarray, post_pos: np.ndarray, post_tf: np.ndarray,
                doc_len: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per term: max tf and min passage length over its postings (`doc_len` indexed
    by the postings' positions); 0 and a huge length for terms without postings."""
    v = term_offsets.shape[0] - 1
    tfmax = np.zeros(v, dtype=np.uint16)
    mindl = np.full(v, np.iinfo(np.int32).max, dtype=np.int32)
    counts = np.diff(term_offsets)
    nonempty = np.flatnonzero(counts > 0)
    if nonempty.size:
        starts = np.asarray(term_offsets[:-1])[nonempty]
        tfmax[nonempty] = np.maximum.reduceat(np.asarray(post_tf), starts)
        mindl[nonempty] = np.minimum.reduceat(np.asarray(doc_len)[np.asarray(post_pos)].astype(np.int32), starts)
    return tfmax, mindl


class PostingsIndex:
    """An immutable inverted index: term id → (passage positions, term frequencies).

    Positions are 0..N-1 in the order passages were given; the caller maps them
    back to passage ids. The postings may come in several parts (segments of the
    persisted index, bot/search/indexfiles.py), over consecutive position ranges;
    positions of deleted passages (`live` False) are never scored and not counted
    in N, the document frequencies or the average length.
    """

    def __init__(
        self,
        term_offsets: np.ndarray,
        post_pos: np.ndarray,
        post_tf: np.ndarray,
        doc_len: np.ndarray,
        params: BM25Params,
    ) -> None:
        self._setup([Part(term_offsets, post_pos, post_tf, 0)], doc_len, None, None, params)

    @classmethod
    def from_parts(cls, parts: list[Part], doc_len: np.ndarray, params: BM25Params,
                   live: np.ndarray | None = None, df: np.ndarray | None = None) -> "PostingsIndex":
        """Several parts over consecutive positions; `df` (live document frequencies)
        when the caller knows them (deleted passages subtracted)."""
        index = cls.__new__(cls)
        index._setup(parts, doc_len, live, df, params)
        return index

    def with_params(self, params: BM25Params) -> "PostingsIndex":
        """The same postings scored with other parameters (e.g. the okapi variant)."""
        return PostingsIndex.from_parts(self.parts, self.doc_len, params, self.live, self.df)

    def _setup(self, parts: list[Part], doc_len: np.ndarray, live: np.ndarray | None,
               df: np.ndarray | None, params: BM25Params) -> None:
        self.parts = parts
        self._scratch: tuple[np.ndarray, np.ndarray] | None = None
        self._one: np.ndarray | None = None
        self._memoryviews: tuple | None = None  # (`_views`)
        self._dead_local: dict[int, np.ndarray] = {}  # (`_dead`)
        self._scratch_lock = threading.Lock()
        self._scored: OrderedDict[int, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._scored_bytes = 0
        self._kth: dict[tuple[int, int], float | None] = {}  # (`_kth_contrib`)
        self.scan_ends = 0  # MaxScore ends by one pass over the last list's contributions (tests count it)
        self._scratch_lock_scored = threading.Lock()
        self.scored_computed = 0  # lists scored and kept (tests count it)
        self.walks = 0  # MaxScore look-ups done by walking the accumulator (tests count it)
        self.walk_switches = 0  # walks that went on with look-ups for the candidates left
        self.walk_reached = 0  # walks whose end read the passages written and reached, not the accumulator
        self.dense_picks = 0  # MaxScore candidate sets found by a pass over the accumulator (tests count it)
        self.small_ranges = 0  # top k over a small position range scored in Python (tests count it)
        self.union_thetas = 0  # thetas taken over the distinct positions of lists each shorter than k
        self.pool_ends = 0  # top k read from MaxScore's pool and the last list, all terms read
        self.doc_len = np.asarray(doc_len).astype(np.float64, copy=False)
        self.params = params
        self.live = live
        self.n_positions = int(self.doc_len.shape[0])
        self.n_passages = int(live.sum()) if live is not None else self.n_positions
        if df is None:
            vocab = max((p.term_offsets.shape[0] - 1 for p in parts), default=0)
            df = np.zeros(vocab, dtype=np.int64)
            for part in parts:
                counts = np.diff(part.term_offsets)
                df[: counts.shape[0]] += counts
        self.df = df.astype(np.int64, copy=False)
        live_len = self.doc_len[live] if live is not None else self.doc_len
        self.avgdl = float(live_len.sum() / self.n_passages) if self.n_passages else 0.0
        self.idf = self._compute_idf()
        if self.n_passages and self.avgdl > 0:
            p = params
            # The length normaliser per passage, computed once: k1 * (1 - b + b * dl / avgdl).
            self._norm = p.k1 * (1.0 - p.b + p.b * self.doc_len / self.avgdl)
        else:
            self._norm = np.zeros(self.n_positions, dtype=np.float64)

    # One part (an index built in memory): its arrays, as before segments existed.
    @property
    def term_offsets(self) -> np.ndarray:
        return self._single().term_offsets

    @property
    def post_pos(self) -> np.ndarray:
        return self._single().post_pos

    @property
    def post_tf(self) -> np.ndarray:
        return self._single().post_tf

    def _single(self) -> Part:
        if len(self.parts) != 1 or self.live is not None:
            raise AttributeError("a segmented index has no single postings array; use with_params()")
        return self.parts[0]

    # -- construction -------------------------------------------------------------
    @classmethod
    def build(
        cls,
        term_ids: np.ndarray,
        positions: np.ndarray,
        tfs: np.ndarray,
        doc_len: np.ndarray,
        vocab_size: int,
        params: BM25Params,
    ) -> "PostingsIndex":
        """From unordered (term, position, tf) triples, one per distinct term per passage."""
        term_ids = np.asarray(term_ids)
        if term_ids.dtype != np.int32:  # int32 sorts in less than half the time of int64
            term_ids = term_ids.astype(np.int64)
        order = np.argsort(term_ids, kind="stable")
        counts = np.bincount(term_ids, minlength=vocab_size) if term_ids.size else np.zeros(vocab_size, np.int64)
        offsets = np.zeros(vocab_size + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        return cls(
            offsets,
            np.asarray(positions, dtype=np.int32)[order],
            np.asarray(tfs, dtype=np.float32)[order],
            np.asarray(doc_len, dtype=np.float64),
            params,
        )

    @classmethod
    def from_token_lists(
        cls, passages: Sequence[Sequence[str]], params: BM25Params
    ) -> tuple["PostingsIndex", dict[str, int]]:
        """Convenience for tests and small corpora: a vocabulary dict and the index."""
        vocab: dict[str, int] = {}
        t_ids: list[int] = []
        pos: list[int] = []
        tfs: list[int] = []
        lens = np.zeros(len(passages), dtype=np.float64)
        for i, toks in enumerate(passages):
            lens[i] = len(toks)
            counts: dict[str, int] = {}
            for tok in toks:
                counts[tok] = counts.get(tok, 0) + 1
            for tok, c in counts.items():
                t_ids.append(vocab.setdefault(tok, len(vocab)))
                pos.append(i)
                tfs.append(c)
        index = cls.build(np.array(t_ids, dtype=np.int64), np.array(pos), np.array(tfs), lens, len(vocab), params)
        return index, vocab

    # -- scoring --------------------------------------------------------------------
    def _compute_idf(self) -> np.ndarray:
        n = self.n_passages
        df = self.df.astype(np.float64)
        present = df > 0
        idf = np.zeros_like(df)
        if not present.any():
            return idf
        if self.params.variant == "okapi":
            raw = np.log(n - df[present] + 0.5) - np.log(df[present] + 0.5)
            average = float(raw.sum() / raw.size)
            raw = np.where(raw < 0, self.params.epsilon * average, raw)
            idf[present] = raw
        else:
            idf[present] = math.log(n + 1) - np.log(df[present])
        return idf

    def term_idf(self, term_id: int | None) -> float:
        if term_id is None or term_id >= self.idf.shape[0]:
            return 0.0
        return float(self.idf[term_id])

    def postings(self, term_id: int, position_range: tuple[int, int] | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
        """Term `term_id`'s live (global positions ascending, frequencies), optionally
        only those in [start, end)."""
        if term_id >= self.df.shape[0]:
            return np.empty(0, np.int64), np.empty(0, np.uint16)
        pos_parts: list[np.ndarray] = []
        tf_parts: list[np.ndarray] = []
        for n, part in enumerate(self.parts):
            if term_id >= part.term_offsets.shape[0] - 1:
                continue
            lo, hi = int(part.term_offsets[term_id]), int(part.term_offsets[term_id + 1])
            if lo == hi:
                continue
            pos, tf = part.post_pos[lo:hi], part.post_tf[lo:hi]
            if position_range is not None:
                a, b = position_range[0] - part.base, position_range[1] - part.base
                if b <= 0 or a >= int(pos[-1]) + 1:
                    continue
                # (keys of the list's own dtype: Python ints would make numpy cast the whole
                # mapped int32 slice to int64 first, ~0.1 ms per common word at 1M)
                i, j = np.searchsorted(pos, np.array([a, b], dtype=pos.dtype))
                pos, tf = pos[i:j], tf[i:j]
                if pos.shape[0] == 0:
                    continue
            gpos = pos.astype(np.int64)
            if part.base:
                gpos += part.base
            if part.filtered and self.live is not None:
                dead = self._dead(n)
                if dead.shape[0] * DEAD_RATIO < pos.shape[0]:
                    # Few deleted passages in the part: find them in the list (one binary
                    # search each) rather than read the live mask at every posting.
                    at = np.searchsorted(pos, dead)
                    np.minimum(at, pos.shape[0] - 1, out=at)  # (past the end: pos[-1] < that one)
                    at = at[pos[at] == dead]
                    if at.shape[0]:
                        keep = np.ones(pos.shape[0], dtype=np.bool_)
                        keep[at] = False
                        gpos, tf = gpos[keep], tf[keep]
                else:
                    keep = self.live[gpos]
                    gpos, tf = gpos[keep], tf[keep]
            pos_parts.append(gpos)
            tf_parts.append(tf)
        if not pos_parts:
            return np.empty(0, np.int64), np.empty(0, np.uint16)
        if len(pos_parts) == 1:
            return pos_parts[0], tf_parts[0]
        return np.concatenate(pos_parts), np.concatenate(tf_parts)

    def _dead(self, n: int) -> np.ndarray:
        """Part n's deleted passages: their local positions, ascending, in the postings'
        dtype (made once per part)."""
        dead = self._dead_local.get(n)
        if dead is None:
            part = self.parts[n]
            end = self.parts[n + 1].base if n + 1 < len(self.parts) else self.n_positions
            live = self.live[part.base : end] if self.live is not None else np.ones(0, np.bool_)
            dead = self._dead_local[n] = np.flatnonzero(~live).astype(part.post_pos.dtype)
        return dead

    def sparse_scores(self, term_ids: Sequence[int | None],
                      position_range: tuple[int, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Positions that match at least one term, and their scores.

        For `plus` the constant `delta * idf` that rank-bm25 also gives passages
        without the term is added to every score, so the numbers equal rank-bm25's.
        """
        return self._sparse(term_ids, position_range, {})

    def _sparse(self, term_ids: Sequence[int | None], position_range: tuple[int, int] | None,
                lists: dict[int, tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
        """sparse_scores, with some terms' postings already read (`lists`)."""
        p = self.params
        k1p1 = p.k1 + 1.0
        pos_parts: list[np.ndarray] = []
        val_parts: list[np.ndarray] = []
        constant = 0.0
        for t in term_ids:
            if t is None or t >= self.df.shape[0] or self.df[t] == 0:
                continue
            idf = self.idf[t]
            if p.variant == "plus":
                constant += idf * p.delta
            pos, tf = lists[t] if t in lists else self.postings(t, position_range)
            if pos.shape[0] == 0:
                continue
            tf64 = tf.astype(np.float64)
            if p.variant == "okapi":
                contrib = idf * (tf64 * k1p1 / (tf64 + self._norm[pos]))
            else:
                contrib = idf * (tf64 * k1p1 / (self._norm[pos] + tf64))
            pos_parts.append(pos)
            val_parts.append(contrib)
        if not pos_parts:
            return np.empty(0, np.int64), np.empty(0, np.float64)
        total = sum(part.shape[0] for part in pos_parts)
        if len(pos_parts) == 1:
            positions, scores = pos_parts[0], val_parts[0]
        elif total * DENSE_RATIO < self.n_positions:
            # Short lists: sort the few matches (np.unique) and sum per passage.
            all_pos = np.concatenate(pos_parts)
            all_val = np.concatenate(val_parts)
            positions, inverse = np.unique(all_pos, return_inverse=True)
            scores = np.bincount(inverse, weights=all_val, minlength=positions.shape[0])
        else:
            # Long lists (common words): add into one array over all passages; a
            # term's positions are distinct, so `acc[pos] += contrib` is exact and
            # sums in the same order as the sparse path. No sort of the matches.
            acc = np.zeros(self.n_positions, dtype=np.float64)
            hit = np.zeros(self.n_positions, dtype=np.bool_)
            for pos, contrib in zip(pos_parts, val_parts):
                acc[pos] += contrib
                hit[pos] = True
            positions = np.flatnonzero(hit)
            scores = acc[positions]
        return positions, scores + constant

    def top_k(
        self, term_ids: Sequence[int | None], k: int, position_range: tuple[int, int] | None = None
    ) -> list[tuple[int, float]]:
        """The k best matching positions (score descending, position ascending on ties).

        `position_range` is an optional [start, end) of positions: one document's
        passages are contiguous, so this limits the search to that document.
        """
        if k <= 0:
            return []
        counts: dict[int, int] = {}
        for t in term_ids:
            if t is None or t >= self.df.shape[0] or self.df[t] == 0:
                continue
            counts[int(t)] = counts.get(int(t), 0) + 1
        if not counts:
            return []
        if position_range is not None and position_range[1] - position_range[0] <= SMALL_RANGE:
            return self._top_k_small_range(term_ids, k, position_range[0], position_range[1])
        lists: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        if position_range is None:
            total = sum(int(self.df[t]) for t in counts)
        else:
            for t in counts:
                lists[t] = self.postings(t, position_range)
            total = sum(pos.shape[0] for pos, _ in lists.values())
        if total < SMALL_POSTINGS:
            positions, scores = self._sparse(term_ids, position_range, lists)
            return self._select(positions, scores, k)
        return self._top_k_dense(term_ids, counts, k, position_range, lists,
                                 prune=total >= PRUNE_MIN_POSTINGS)

    def _top_k_small_range(self, term_ids: Sequence[int | None], k: int, start: int, end: int
                           ) -> list[tuple[int, float]]:
        """top_k over the few positions [start, end), in plain Python: the same result as
        `_sparse` then `_select`, bit for bit (the same float operations on the same numbers,
        each passage's contributions added in the same order; Python floats are IEEE
        doubles like numpy's float64). A general top k over one article's ~30 passages is
        ~40 numpy calls of fixed cost (slices, searches, the live mask, a sort, a
        partition) for a few dozen postings; here the arrays are read through memoryviews
        (`_views`: an item is a Python number) and each list is searched by `bisect`."""
        self.small_ranges += 1
        start, end = max(start, 0), min(end, self.n_positions)
        if end <= start:
            return []
        parts, idf_of, df_of, norm, live = self._views()
        p = self.params
        k1p1 = p.k1 + 1.0
        okapi = p.variant == "okapi"
        found: dict[int, list[tuple[int, float]]] = {}
        sums: dict[int, float] = {}
        constant = 0.0
        n_terms = len(df_of)
        for t in term_ids:
            if t is None or t >= n_terms or df_of[t] == 0:
                continue
            idf = idf_of[t]
            if not okapi:
                constant += idf * p.delta
            hits = found.get(t)
            if hits is None:
                hits = found[t] = []
                for base, part_end, check, offsets, pos, tfs in parts:
                    if base >= end or part_end <= start or t >= len(offsets) - 1:
                        continue
                    lo, hi = offsets[t], offsets[t + 1]
                    if lo == hi:
                        continue
                    i = bisect_left(pos, start - base, lo, hi) if start > base else lo
                    j = bisect_left(pos, end - base, i, hi)
                    for at in range(i, j):
                        x = pos[at] + base
                        if check and not live[x]:
                            continue
                        tf = float(tfs[at])
                        if okapi:
                            hits.append((x, idf * (tf * k1p1 / (tf + norm[x]))))
                        else:
                            hits.append((x, idf * (tf * k1p1 / (norm[x] + tf))))
            for x, c in hits:
                sums[x] = sums.get(x, 0.0) + c
        out = [(x, s + constant) for x, s in sums.items()]
        out.sort(key=lambda pair: (-pair[1], pair[0]))
        return out[:k]

    def _views(self) -> tuple[list[tuple[int, int, bool, memoryview, memoryview, memoryview]],
                              memoryview, memoryview, memoryview, memoryview | None]:
        """Memoryviews for `_top_k_small_range`, made once: per part (base, end, whether to
        check `live`, term offsets, positions, frequencies), then idf, df, the length
        normaliser and the live mask."""
        views = self._memoryviews
        if views is None:
            ends = [part.base for part in self.parts[1:]] + [self.n_positions]
            parts = [(part.base, end, part.filtered and self.live is not None,
                      memoryview(np.ascontiguousarray(part.term_offsets)),
                      memoryview(np.ascontiguousarray(part.post_pos)),
                      memoryview(np.ascontiguousarray(part.post_tf)))
                     for part, end in zip(self.parts, ends)]
            live = memoryview(np.ascontiguousarray(self.live)) if self.live is not None else None
            views = self._memoryviews = (parts, memoryview(np.ascontiguousarray(self.idf)),
                                         memoryview(np.ascontiguousarray(self.df)),
                                         memoryview(np.ascontiguousarray(self._norm)), live)
        return views

    def _select(self, positions: np.ndarray, scores: np.ndarray, k: int) -> list[tuple[int, float]]:
        if positions.size == 0 or k <= 0:
            return []
        if positions.size > k:
            # The k best; of the passages tied with the k-th, the lowest positions
            # (argpartition alone would pick tied ones arbitrarily).
            kth = np.partition(scores, positions.size - k)[positions.size - k]
            better = np.flatnonzero(scores > kth)
            tied = np.flatnonzero(scores == kth)  # ascending positions: matches are sorted
            if not (positions[:-1] <= positions[1:]).all():
                tied = tied[np.argsort(positions[tied], kind="stable")]
            part = np.concatenate([better, tied[: k - better.size]])
            positions, scores = positions[part], scores[part]
        order = np.lexsort((positions, -scores))
        # (Python ints and floats by tolist(), not one numpy scalar per element: the same values)
        return list(zip(positions[order].astype(np.int64, copy=False).tolist(),
                        scores[order].astype(np.float64, copy=False).tolist()))

    # -- exact top k over long postings lists: one dense accumulator, MaxScore ----------------
    def _take_scratch(self) -> tuple[np.ndarray, np.ndarray, bool]:
        """The index's dense arrays over all positions, allocated on first use and
        left all-zero by every query (only touched entries are reset), so a query
        pays for its postings, not for the corpus. A second thread meanwhile gets
        its own arrays (the caller says whether to give them back)."""
        if self._scratch_lock.acquire(blocking=False):
            scratch = self._scratch
            if scratch is None:
                scratch = self._scratch = (np.zeros(self.n_positions, np.float64),
                                           np.zeros(self.n_positions, np.int32))
            return scratch[0], scratch[1], True
        return np.zeros(self.n_positions, np.float64), np.zeros(self.n_positions, np.int32), False

    def _theta(self, acc: np.ndarray, touched: list[np.ndarray], k: int, vals: list[np.ndarray]) -> float | None:
        """A score at least k distinct touched positions have reached in `acc`: the
        best k-th value over the lists read (each holds distinct positions, and
        `acc` holds their sums so far). When no list has k positions but together
        they do (rare words: a few dozen postings each), the k-th best over their
        distinct positions (the union, a few hundred at most); None when even these
        are fewer than k. `vals` receives each list's sums (the candidates are picked
        from them)."""
        best = None
        vals.clear()
        total = 0
        for pos in touched:
            v = acc[pos]
            vals.append(v)
            total += pos.shape[0]
            if pos.shape[0] >= k:
                kth = float(np.partition(v, v.size - k)[v.size - k])
                best = kth if best is None else max(best, kth)
        if best is None and total >= k and len(touched) > 1:
            union = distinct_sorted(np.concatenate(touched))
            if union.shape[0] >= k:
                v = acc[union]
                v.partition(v.size - k)  # (in place: a gathered copy)
                best = float(v[v.size - k])
                self.union_thetas += 1
        return best

    @staticmethod
    def _theta_pool(acc: np.ndarray, pos: np.ndarray, pool: np.ndarray, k: int) -> tuple[float | None, np.ndarray]:
        """theta after reading the list `pos`: the k-th best sum over its positions and the
        earlier best ones (`pool`, sorted; those also in `pos` counted once), read from `acc`
        (one gather of the new list instead of one per list read). Returns it and the
        positions at or above it."""
        v = acc[pos]
        at = np.searchsorted(pos, pool)
        at[at >= pos.shape[0]] = 0
        old = pool[pos[at] != pool]
        ov = acc[old]
        n = v.shape[0] + ov.shape[0]
        if n < k:
            return None, pool
        both = np.concatenate([v, ov])
        both.partition(n - k)  # (in place: `both` is a copy, not read again)
        found = float(both[n - k])
        keep = np.concatenate([pos[v >= found], old[ov >= found]])
        keep.sort()
        return found, keep

    def _top_k_dense(self, term_ids: Sequence[int | None], counts: dict[int, int], k: int,
                     position_range: tuple[int, int] | None,
                     lists: dict[int, tuple[np.ndarray, np.ndarray]], prune: bool) -> list[tuple[int, float]]:
        """Exact top k, term at a time into a dense accumulator (no sort of the
        matches, no pass over all positions), with MaxScore pruning when `prune`.

        Terms go by their upper bound (`_upper_bound`: most for rare terms), highest
        first. Once a score `theta` that k passages already reach exceeds what the
        terms not yet read could add together, no passage that only they hold can
        enter the top k: only the passages already touched that could still reach
        `theta` stay candidates, and the remaining terms are looked up for them
        only (binary search in their postings, or one pass over a list), dropping
        the candidates that fall behind after each term — or, when the candidates
        are many, walked over the accumulator (`_walk`). `theta` is first the k-th
        best sum over the distinct positions of the lists read (while those before
        the last are short: rare words), else the best k-th sum of one list, then
        raised from each new list and the positions that were at it (`_theta_pool`).
        A last long list that could still lift an untouched passage is scanned
        instead (`_scan_end`). Every passage's contributions are added in the same
        order, so equal inputs give bit-equal scores.
        """
        p = self.params
        constant = 0.0
        if p.variant == "plus":
            for t in term_ids:
                if t is not None and t < self.df.shape[0] and self.df[t] > 0:
                    constant += self.idf[t] * p.delta
        terms = list(counts)
        if prune and any(self.idf[t] <= 0 for t in terms):
            prune = False  # a negative contribution breaks the bounds
        bounds = {t: self._upper_bound(t) * counts[t] for t in terms} if prune else {t: 0.0 for t in terms}
        terms.sort(key=lambda t: (-bounds[t], int(self.df[t]), t))
        # rest[i]: what terms[i:] could add to one passage at most (no subtraction: exactly 0
        # at the end); done[i]: what terms[:i] could.
        rest = [0.0] * (len(terms) + 1)
        done = [0.0] * (len(terms) + 1)
        for j in range(len(terms) - 1, -1, -1):
            rest[j] = bounds[terms[j]] + rest[j + 1]
        for j, t in enumerate(terms):
            done[j + 1] = done[j] + bounds[t]
        acc, slot, shared = self._take_scratch()
        touched: list[np.ndarray] = []
        vals: list[np.ndarray] = []  # acc at each touched list's positions, when still current
        theta: float | None = None
        pool: np.ndarray | None = None  # the positions at or above theta when it was last raised
        total_touched = 0
        try:
            i = 0
            while i < len(terms):
                if prune and theta is not None and theta > rest[i]:
                    break  # the terms left cannot lift an untouched passage to theta
                t = terms[i]
                if (prune and touched and i == len(terms) - 1 and position_range is None
                        and int(self.df[t]) >= SCAN_END_MIN):
                    ended = self._scan_end(t, counts, rest[i], theta, k, constant, acc, slot, touched)
                    if ended is not None:
                        return ended
                i += 1
                pos, contrib = self._list_scored(t, lists, position_range)
                if pos.shape[0] == 0:
                    continue
                if counts[t] > 1:
                    contrib = contrib * counts[t]
                if touched:
                    np.add.at(acc, pos, contrib)  # (a list's positions are distinct)
                else:
                    acc[pos] = contrib
                before = total_touched
                total_touched += pos.shape[0]
                touched.append(pos)
                vals.clear()
                if prune and i < len(terms) and done[i] > rest[i]:
                    if pool is None and len(touched) > 1 and before <= UNION_MAX:
                        # The lists before this one are short (rare words): their distinct
                        # positions are the pool the new list is measured with, so theta is
                        # the k-th best over every position touched (not only over one list
                        # holding k), from one gather of the new list.
                        seen = touched[0] if len(touched) == 2 else distinct_sorted(np.concatenate(touched[:-1]))
                        found, seen = self._theta_pool(acc, pos, seen, k)
                        if found is not None:
                            pool = seen
                            self.union_thetas += 1
                    elif pool is None:
                        found = self._theta(acc, touched, k, vals)
                        if found is not None:
                            pool = distinct_sorted(np.concatenate([p[v >= found] for p, v in zip(touched, vals)]))
                    else:
                        found, pool = self._theta_pool(acc, pos, pool, k)
                    if found is not None and (theta is None or found > theta):
                        theta = found
            if not touched:
                return []
            if i == len(terms):  # every term read: the best touched positions
                if len(touched) == 1:
                    return self._select(touched[0], acc[touched[0]] + constant, k)
                if pool is not None:
                    # `pool` holds exactly the positions at theta before the last list (it follows
                    # every list read once set): with it,
                    # those at the new k-th best sum are all the top k can hold.
                    self.pool_ends += 1
                    found, cand = self._theta_pool(acc, touched[-1], pool, k)
                    return self._select(cand, acc[cand] + constant, k)
                floor = self._theta(acc, touched, k, vals)
                need = -np.inf if floor is None else floor
            else:
                need = theta - rest[i]  # type: ignore[operator]
                # Candidates, estimated (a passage in several lists counts once per list; from
                # every EST_STRIDE-th posting when the sums are not at hand).
                if len(vals) == len(touched):
                    est = sum(int(np.count_nonzero(v >= need)) for v in vals)
                else:
                    est = EST_STRIDE * sum(int(np.count_nonzero(acc[pos[::EST_STRIDE]] >= need))
                                           for pos in touched)
                left = sum(int(self.df[t]) for t in terms[i:])
                if est * WALK_RATIO > left:
                    # The walk's end needs the passages already at theta: `pool` holds exactly
                    # those (theta is the last k-th sum found, and every list read since the
                    # first was counted into the pool).
                    return self._walk(terms[i:], counts, rest[i:], theta, k, constant, acc, slot,  # type: ignore[arg-type]
                                      position_range, lists, None if pool is None else [pool])
            if len(touched) > 1 and need > 0 and sum(pos.shape[0] for pos in touched) * SCAN_DENSE > self.n_positions:
                # Many touched positions: one pass over the accumulator finds them (untouched
                # ones hold 0), in position order and each once, where picking them list by
                # list and removing repeats costs several random passes over them.
                picked = [np.flatnonzero(acc >= need)]
                self.dense_picks += 1
            else:
                if len(vals) != len(touched):
                    vals = [acc[pos] for pos in touched]
                picked = [pos[v >= need] for pos, v in zip(touched, vals)]
            cand = picked[0] if len(picked) == 1 else np.concatenate(picked)
            if len(picked) > 1:
                cand = _once_each(cand, slot)  # (not in position order: _lookup and _select do not need it)
            partial = acc[cand]
            for pos in touched:
                acc[pos] = 0.0
            touched = []
            return self._finish(terms[i:], counts, rest[i:], theta, k, constant, cand, partial, slot)
        finally:
            if sum(pos.shape[0] for pos in touched) * FILL_RATIO > self.n_positions:
                acc.fill(0.0)  # (one pass over the array: cheaper than many scattered writes)
            else:
                for pos in touched:
                    acc[pos] = 0.0
            if shared:
                self._scratch_lock.release()

    def _kth_contrib(self, t: int, k: int) -> float | None:
        """The k-th best contribution in term t's list (kept per index with the list it
        comes from); None when the list holds fewer than k postings."""
        key = (t, k)
        with self._scratch_lock_scored:
            if key in self._kth:
                return self._kth[key]
        _, contrib = self._scored_postings(t)
        n = contrib.shape[0]
        found = float(np.partition(contrib, n - k)[n - k]) if n >= k else None
        with self._scratch_lock_scored:
            if len(self._kth) >= KTH_KEPT:
                self._kth.clear()
            self._kth[key] = found
        return found

    def _scan_end(self, u: int, counts: dict[int, int], bound: float, theta: float | None, k: int,
                  constant: float, acc: np.ndarray, slot: np.ndarray, touched: list[np.ndarray]
                  ) -> list[tuple[int, float]] | None:
        """MaxScore's end when one term `u` is left, a long list that could still lift an
        untouched passage to theta (its bound reaches it): theta is at least the k-th best
        contribution of `u` alone (k distinct passages hold that much from it), and a
        passage not touched yet can only reach theta through its contribution from `u`, so
        the candidates are the touched passages within `bound` of theta and the postings
        of `u` whose contribution alone reaches it (of those tied at theta, the first k),
        found by one sequential pass over the
        list kept scored (no gather into the accumulator, no reset). `u` is then looked up
        for them (`_finish`: the same additions in the same order, bit-equal scores).
        None (the caller reads `u` as before) when that pass would pick too many."""
        cnt = counts[u]
        if sum(p.shape[0] for p in touched) * SCAN_END_TOUCHED > int(self.df[u]):
            return None
        kth = self._kth_contrib(u, k)
        if kth is not None:
            kth *= cnt  # (rounding is monotone: the k-th best of the products)
            theta = kth if theta is None else max(theta, kth)
        if theta is None:
            return None
        pos, contrib = self._scored_postings(u)
        scaled = contrib if cnt == 1 else contrib * cnt
        if EST_STRIDE * int(np.count_nonzero(scaled[::EST_STRIDE] > theta)) * SCAN_END_RATIO > pos.shape[0]:
            return None
        at = np.flatnonzero(scaled >= theta)
        above = scaled[at] > theta
        # Of the untouched passages `u` gives exactly theta (often many: passages of one length),
        # the first k by position can be in the top k, no other: ties go to lower positions, and
        # these k rank before any later one (touched ones score more than theta).
        tied = at[~above][:k]
        at = at[above]
        need = theta - bound
        picked = [p[acc[p] >= need] for p in touched]
        if (sum(p.shape[0] for p in picked) + at.shape[0]) * SCAN_END_RATIO > pos.shape[0]:
            return None
        self.scan_ends += 1
        picked.append(pos[at])
        picked.append(pos[tied])
        cand = _once_each(np.concatenate(picked), slot)
        return self._finish([u], counts, [bound, 0.0], theta, k, constant, cand, acc[cand], slot)

    def _list_scored(self, t: int, lists: dict[int, tuple[np.ndarray, np.ndarray]],
                     position_range: tuple[int, int] | None) -> tuple[np.ndarray, np.ndarray]:
        """(positions, contributions) of term `t`'s postings: from the lists already read
        (`lists`), else over `position_range`, else the whole list as kept scored per index
        (`_scored_postings`: shared arrays, never to be changed in place)."""
        if t not in lists and position_range is None:
            return self._scored_postings(t)
        pos, tf = lists[t] if t in lists else self.postings(t, position_range)
        return pos, (self._contrib(t, pos, tf) if pos.shape[0] else pos)

    def _walk(self, terms: list[int], counts: dict[int, int], rest: list[float], theta: float, k: int,
              constant: float, acc: np.ndarray, slot: np.ndarray, position_range: tuple[int, int] | None,
              lists: dict[int, tuple[np.ndarray, np.ndarray]], reached: list[np.ndarray] | None = None
              ) -> list[tuple[int, float]]:
        """MaxScore's look-ups for many candidates: the terms left (`terms`, whose bounds sum
        to `rest[0]` < `theta`) are walked over the accumulator itself. For each one, the
        accumulator is read at its postings (one gather); a passage there whose sum with the
        term's contribution still reaches `theta - rest[j + 1]` gets it written back. One
        that falls behind is never written again (what it still misses is at most the
        bounds it was measured against, and the thresholds only rise), so after the last
        term the passages at or above `theta` are exactly those with every contribution
        added, in the same order as everywhere else (bit-equal scores). No candidate set
        is built while many are left: each list costs one gather and the survivors'
        writes; once few are (estimated from every EST_STRIDE-th position), they are found
        by one pass and the terms left looked up for them (`_finish`). Every write is at a
        position already touched (a contribution alone cannot reach the threshold): the
        caller's reset clears them. At the end the passages at `theta` are those written
        that reach it and those already at the first `theta` (`reached`, when the caller
        gives them: `theta` > 0 only rises, a passage not written keeps its sum) that still
        do: read there, not by a pass over the whole accumulator, when they are few."""
        self.walks += 1
        lo, hi = position_range if position_range is not None else (0, self.n_positions)
        for j, t in enumerate(terms):
            if j:
                # Few candidates left (estimated from every EST_STRIDE-th position): look
                # the terms left up for them instead (binary search, or one pass per list).
                left = sum(lists[u][0].shape[0] if u in lists else int(self.df[u]) for u in terms[j:])
                window = acc[lo:hi]
                need = theta - rest[j]
                if EST_STRIDE * int(np.count_nonzero(window[::EST_STRIDE] >= need)) * SWITCH_RATIO <= left:
                    cand = np.flatnonzero(window >= need)
                    if lo:
                        cand += lo
                    self.walk_switches += 1
                    return self._finish(terms[j:], counts, rest[j:], theta, k, constant, cand, acc[cand], slot)
            pos, contrib = self._list_scored(t, lists, position_range)
            if pos.shape[0] == 0:
                continue
            v = acc[pos]  # (a copy)
            v += contrib if counts[t] == 1 else contrib * counts[t]
            live = np.flatnonzero(v >= theta - rest[j + 1])
            if live.size == 0:
                continue
            v = v[live]
            at = pos[live]
            acc[at] = v
            if reached is not None:
                reached.append(at)
            if v.size >= k:
                v.partition(v.size - k)  # (in place: written back above, not read again)
                theta = max(theta, float(v[v.size - k]))
        if reached is not None and sum(at.shape[0] for at in reached) * REACHED_RATIO <= hi - lo:
            self.walk_reached += 1
            cand = distinct_sorted(np.concatenate([at[acc[at] >= theta] for at in reached]))
        else:
            cand = np.flatnonzero(acc[lo:hi] >= theta)
            if lo:
                cand += lo
        return self._select(cand, acc[cand] + constant, k)

    def _finish(self, terms: list[int], counts: dict[int, int], rest: list[float], theta: float | None,
                k: int, constant: float, cand: np.ndarray, partial: np.ndarray,
                slot: np.ndarray) -> list[tuple[int, float]]:
        """MaxScore's end: the terms left looked up for the candidates `cand` (sums so far
        `partial`; `rest[j]`: what terms[j:] could add), dropping those that fall behind."""
        for j, t in enumerate(terms):
            if cand.shape[0] == 0:
                break
            add = self._lookup(t, cand, slot)
            if counts[t] > 1:
                add *= counts[t]
            partial = partial + add
            if cand.shape[0] >= k:
                theta = max(theta or 0.0, float(np.partition(partial, partial.size - k)[partial.size - k]))
                keep = partial + rest[j + 1] >= theta
                cand, partial = cand[keep], partial[keep]
        return self._select(cand, partial + constant, k)

    def _stats(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        part = self.parts[i]
        if part.term_tfmax is None or part.term_mindl is None:
            end = self.parts[i + 1].base if i + 1 < len(self.parts) else self.n_positions
            tfmax, mindl = term_bounds(part.term_offsets, part.post_pos, part.post_tf,
                                       self.doc_len[part.base : end])
            part = self.parts[i] = Part(part.term_offsets, part.post_pos, part.post_tf, part.base,
                                        part.filtered, tfmax, mindl)
        return part.term_tfmax, part.term_mindl  # type: ignore[return-value]

    def _upper_bound(self, t: int) -> float:
        """The most one occurrence of term t can add to a passage's score."""
        tfmax, mindl = 0, None
        for i, part in enumerate(self.parts):
            if t < part.term_offsets.shape[0] - 1 and part.term_offsets[t + 1] > part.term_offsets[t]:
                tf_arr, dl_arr = self._stats(i)
                tfmax = max(tfmax, int(tf_arr[t]))
                mindl = int(dl_arr[t]) if mindl is None else min(mindl, int(dl_arr[t]))
        if tfmax == 0 or mindl is None:
            return 0.0
        p = self.params
        norm = p.k1 * (1.0 - p.b + p.b * mindl / self.avgdl)
        return float(self.idf[t]) * tfmax * (p.k1 + 1.0) / (tfmax + norm) * (1 + 1e-9)

    def _scored_postings(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        """Term t's live global positions and each one's contribution (`_contrib`), kept
        per index (LRU within SCORED_BYTES): questions keep asking the same common words,
        and reading such a list from the segments (int64 positions, the live check) and
        scoring it are most of a top k over them; a short list costs the fixed cost of
        those numpy calls, several times a top k's worth when a rare word comes back.
        The arrays are shared: read only."""
        with self._scratch_lock_scored:
            hit = self._scored.get(t)
            if hit is not None:
                self._scored.move_to_end(t)
                return hit
        pos, tf = self.postings(t)
        found = (pos, self._contrib(t, pos, tf) if pos.shape[0] else np.empty(0, np.float64))
        if pos.shape[0] >= SCORED_MIN_POSTINGS:
            with self._scratch_lock_scored:
                self.scored_computed += 1
                if t not in self._scored:
                    self._scored[t] = found
                    self._scored_bytes += pos.nbytes + found[1].nbytes + SCORED_ENTRY_BYTES
                    while self._scored_bytes > SCORED_BYTES and len(self._scored) > 1:
                        _, (a, b) = self._scored.popitem(last=False)
                        self._scored_bytes -= a.nbytes + b.nbytes + SCORED_ENTRY_BYTES
        return found

    def _contrib(self, t: int, pos: np.ndarray, tf: np.ndarray) -> np.ndarray:
        """idf * tf * (k1 + 1) / (tf + norm) for each posting, bit for bit as
        `sparse_scores` computes it. Most postings have tf = 1: for them it is
        idf * one[pos], with `one` = (k1 + 1) / (norm + 1) computed once per index
        (the same operations on the same numbers); the others are computed in full."""
        one = self._one
        if one is None:
            one = self._one = (self.params.k1 + 1.0) / (self._norm + 1.0)
        out = one[pos]
        out *= self.idf[t]
        other = np.flatnonzero(tf != 1)
        if other.size:
            tf64 = tf[other].astype(np.float64)
            out[other] = self.idf[t] * (tf64 * (self.params.k1 + 1.0) / (self._norm[pos[other]] + tf64))
        return out

    def _lookup(self, t: int, cand: np.ndarray, slot: np.ndarray | None = None) -> np.ndarray:
        """Term t's contribution to each of the distinct live positions `cand` (in any
        order): binary search for few candidates; with many, one pass over t's
        postings through `slot` (a zeroed int32 array over all positions, left zeroed).
        A list kept scored (`_scored_postings`) is looked up in its global positions, its
        contributions taken as kept (the same floats)."""
        out = np.zeros(cand.shape[0], dtype=np.float64)
        with self._scratch_lock_scored:
            kept = self._scored.get(t)
        if kept is not None:
            pos, contrib = kept
            if slot is not None and cand.shape[0] * SCAN_RATIO > pos.shape[0]:
                slot[cand] = np.arange(1, cand.shape[0] + 1, dtype=np.int32)
                found = slot[pos]
                slot[cand] = 0
                hit = np.flatnonzero(found)
                out[found[hit].astype(np.int64) - 1] = contrib[hit]
            elif pos.shape[0]:
                at = np.searchsorted(pos, cand)
                at[at >= pos.shape[0]] = 0
                hit = np.flatnonzero(pos[at] == cand)
                out[hit] = contrib[at[hit]]
            return out
        for i, part in enumerate(self.parts):
            if t >= part.term_offsets.shape[0] - 1:
                continue
            lo, hi = int(part.term_offsets[t]), int(part.term_offsets[t + 1])
            if lo == hi:
                continue
            if len(self.parts) == 1:
                mine, sub = None, cand
            else:
                end = self.parts[i + 1].base if i + 1 < len(self.parts) else self.n_positions
                mine = np.flatnonzero((cand >= part.base) & (cand < end))
                if mine.size == 0:
                    continue
                sub = cand[mine]
            local = sub - part.base if part.base else sub
            pos = part.post_pos[lo:hi]
            if slot is not None and sub.shape[0] * SCAN_RATIO > hi - lo:
                window = slot[part.base :]
                window[local] = np.arange(1, sub.shape[0] + 1, dtype=np.int32)
                found = window[pos]
                window[local] = 0
                hit = np.flatnonzero(found)
                idx = found[hit].astype(np.int64) - 1
            else:
                idx = np.searchsorted(pos, local.astype(pos.dtype, copy=False))
                idx[idx >= pos.shape[0]] = 0
                hit = np.flatnonzero(pos[idx] == local)
                hit, idx = idx[hit], hit  # (postings index, candidate index)
            if idx.size:
                contrib = self._contrib(t, sub[idx], part.post_tf[lo:hi][hit])
                out[idx if mine is None else mine[idx]] = contrib
        return out

    def full_scores(self, term_ids: Sequence[int | None]) -> np.ndarray:
        """Dense scores over all passages, as rank-bm25's `get_scores` returns them."""
        out = np.zeros(self.n_positions, dtype=np.float64)
        positions, scores = self.sparse_scores(term_ids)
        if self.params.variant == "plus":
            constant = sum(self.idf[t] * self.params.delta for t in term_ids
                           if t is not None and t < self.df.shape[0] and self.df[t] > 0)
            out += constant
            out[positions] = scores
        else:
            out[positions] = scores
        return out
