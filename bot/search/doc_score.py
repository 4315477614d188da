"""Document-level BM25: how well a whole article (title included) matches a question.

A sentence is evidence, and so is the article around it: among many articles,
the one whose body and title hold the question's words is where the answer
usually is. Scores are computed per question from the sentence index's own
postings (positions → documents). Title terms come from the store's
`title_terms` table, counted at ingest: only the question's terms are read,
so a process's first question no longer tokenises every title (0.09 s at 100k
sentences, ~1 s at 1M). A database written before that table is served by
tokenising the titles in memory, as before, until a writer adds it. Lucene's
non-negative IDF is used, so a term in most articles adds little but never
subtracts.
"""

from __future__ import annotations

import math
import threading
import weakref
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from itertools import chain, repeat
from typing import Iterable, Iterator, Mapping

import numpy as np

from bot.search.bm25 import distinct_sorted
from bot.search.indexfiles import TITLE_ARRAYS, title_word
from bot.search.snapshot import Snapshot
from bot.store import PassageReader
from bot.text.tokenize import tokenize

K1 = 1.2
B = 0.75
TITLE_WEIGHT = 2.0  # a title word counts as this many body occurrences


@dataclass(frozen=True)
class DocStats:
    ids: list[str]  # in position order
    starts: np.ndarray  # first position of each document
    lengths: np.ndarray  # tokens per document (title included)
    titles: "_Titles"  # title term → (document index, count)
    # position → document index (-1: no document): a gather per posting instead of a
    # binary search over the documents' starts (at 1M sentences, 34k documents)
    doc_of_pos: np.ndarray | None = None
    index_of: dict[str, int] = field(default_factory=dict)  # document id → its index
    # Per segment: (dterm_offsets, dpost_doc, dpost_tf, each document's index here or -1):
    # the index's document postings (`_doc_postings`); None: some segment keeps none
    doc_parts: list[tuple[np.ndarray, ...]] | None = None

    @property
    def avg_length(self) -> float:
        return float(self.lengths.mean()) if self.lengths.size else 0.0


class _Titles:
    """Title term → its title postings: (document indices, ascending; counts as floats),
    looked up in the index's per-segment title arrays (or read from the store, for a
    term the arrays leave out) per term (and kept), or, for a database without title
    terms, from every title tokenised in memory.

    The arrays (bot/search/indexfiles.py `title_postings`) hold the same rows as the
    store's `title_terms` for the snapshot's own documents, in the same order: a
    question's new words cost a binary search per segment instead of a statement
    (~0.15-0.25 ms at 1M sentences) and a dict look-up per posting.

    Kept as arrays: a common title word is in thousands of titles at 1M sentences, and
    a tuple per posting (sorted, then turned into arrays per question) cost more than
    the read itself on a term's first question."""

    def __init__(self, reader: PassageReader, index_of: dict[str, int],
                 in_memory: dict[str, list[tuple[int, int]]] | None,
                 segments: list | None = None, segment_docs: list[np.ndarray] | None = None):
        # The reader, not the snapshot: DocStats is cached weakly by the snapshot's index,
        # and a value that referred to its key would keep every retired snapshot alive.
        self.reader = reader
        self.index_of = index_of
        self.known: dict[str, tuple[np.ndarray, np.ndarray]] = {} if in_memory is None else {
            t: _posting_arrays(sorted(v)) for t, v in in_memory.items()}
        self.complete = in_memory is not None
        # Per segment: (title_words, title_offsets, title_docs, title_n, each document's
        # index here or -1); None: some segment keeps no title arrays (read the store)
        self.arrays_of = None if in_memory is not None else _segment_arrays(
            segments, segment_docs, ("title_words", "title_offsets", "title_docs", "title_n"), "title_offsets")

    def arrays(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """(document indices, ascending; their counts as float64) of the titles holding `term`."""
        if term not in self.known and not self.complete:
            self.fetch((term,))
        return self.known.get(term, _NO_TITLES)

    def get(self, term: str, default: tuple = ()) -> tuple[tuple[int, int], ...]:
        """The titles holding `term` as (document index, count) pairs, ascending."""
        docs, counts = self.arrays(term)
        if not docs.shape[0]:
            return default if term not in self.known else ()
        return tuple(zip(docs.tolist(), counts.astype(np.int64).tolist()))

    def fetch(self, terms: tuple[str, ...]) -> None:
        """Read these terms' title postings in one statement."""
        want = [t for t in dict.fromkeys(terms) if t not in self.known]
        if self.complete or not want:
            return
        if len(self.known) > 50_000:  # a long-running bot: keep the cache bounded
            self.known.clear()
        if self.arrays_of is not None:
            want = self._from_arrays(want)
            if not want:
                return
        lists = self.reader.title_term_lists(want)
        code = {t: k for k, t in enumerate(want)}
        found: dict[str, tuple[np.ndarray, np.ndarray]] = dict.fromkeys(want, _NO_TITLES)
        count = sum(len(d) for _, d, _ in lists)
        if count:
            which = np.repeat(np.array([code.get(t, -1) for t, _, _ in lists], dtype=np.int64),
                              [len(d) for _, d, _ in lists])
            # -1: a document this snapshot does not hold (a newer build's)
            docs = np.fromiter(map(self.index_of.get, chain.from_iterable(d for _, d, _ in lists), repeat(-1, count)),
                               dtype=np.int64, count=count)
            counts = np.fromiter(chain.from_iterable(n for _, _, n in lists), dtype=np.int64, count=count)
            keep = (docs >= 0) & (which >= 0)
            which, docs, counts = which[keep], docs[keep], counts[keep]
            # by term, then (document, count): each term's pairs sorted as tuples sort
            order = np.lexsort((counts, docs, which))
            which, docs, counts = which[order], docs[order], counts[order]
            bounds = np.searchsorted(which, np.arange(len(want) + 1))
            for k, t in enumerate(want):
                lo, hi = int(bounds[k]), int(bounds[k + 1])
                if hi > lo:
                    found[t] = (docs[lo:hi].copy(), counts[lo:hi].astype(np.float64))
        self.known.update(found)


    def _from_arrays(self, want: list[str]) -> list[str]:
        """Keep the title postings of `want`'s terms the index's arrays hold (every term
        they do not leave out: one absent from them is in no title); the others are returned,
        for the store. What `title_term_lists` gives, turned into arrays as `fetch` does:
        each segment's rows are by document (segment order is position order) then count,
        and a document not live here is dropped."""
        keyed = [(t, title_word(t)) for t in want]
        rest = [t for t, w in keyed if w is None]
        keyed = [(t, w) for t, w in keyed if w is not None]
        if not keyed:
            return rest
        words = np.array([w for _, w in keyed], dtype=TITLE_ARRAYS["title_words"])
        pieces: list[list[tuple[np.ndarray, np.ndarray]]] = [[] for _ in keyed]
        for sorted_words, offsets, docs, counts, placed in self.arrays_of or ():
            size = sorted_words.shape[0]
            if not size:
                continue
            for k, j in enumerate(np.searchsorted(sorted_words, words).tolist()):
                if j < size and sorted_words[j] == keyed[k][1]:
                    lo, hi = int(offsets[j]), int(offsets[j + 1])
                    local = docs[lo:hi]
                    if not 0 <= lo <= hi <= docs.shape[0] or (hi > lo and not 0 <= int(local.min()) <= int(local.max()) < placed.shape[0]):
                        return want  # (damaged arrays: the store, for every term)
                    at, n = _live(placed, local, counts[lo:hi])
                    if at.shape[0]:
                        pieces[k].append((at, n))
        for (t, _), got in zip(keyed, pieces):
            self.known[t] = _joined(got)
        return rest


_NO_TITLES = (np.empty(0, np.int64), np.empty(0, np.float64))
_NO_ARRAY = np.zeros(0, np.int64)


def _segment_arrays(segments: list | None, segment_docs: list[np.ndarray] | None, names: tuple[str, ...],
                    offsets: str) -> list[tuple[np.ndarray, ...]] | None:
    """Per segment: its arrays `names`, then each of its documents' index here or -1
    (`Snapshot.segment_docs`); None when some segment keeps none (its `offsets` array empty,
    or absent): the caller reads the store or gathers the sentence postings instead."""
    if not (segments and segment_docs is not None and len(segment_docs) == len(segments)
            and all(getattr(s, offsets, _NO_ARRAY).shape[0] for s in segments)):
        return None
    return [(*(getattr(s, name) for name in names), placed) for s, placed in zip(segments, segment_docs)]


def _live(placed: np.ndarray, local: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the documents' indices here, their values) of a segment's postings `local` (its
    own document numbers), less the documents not live in this snapshot (-1 in `placed`)."""
    at = placed[local]
    live = at >= 0
    return (at, values) if live.all() else (at[live], values[live])


def _joined(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Segments' (documents, values) postings as one (int64 documents, float64 values) pair:
    segments hold disjoint documents, in position order, so the documents stay ascending."""
    if not parts:
        return _NO_TITLES
    if len(parts) == 1:
        return parts[0][0].astype(np.int64, copy=False), parts[0][1].astype(np.float64)
    return (np.concatenate([a for a, _ in parts]).astype(np.int64, copy=False),
            np.concatenate([v for _, v in parts]).astype(np.float64))


def _posting_arrays(postings: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    return (np.fromiter((i for i, _ in postings), dtype=np.int64, count=len(postings)),
            np.fromiter((n for _, n in postings), dtype=np.float64, count=len(postings)))


# Keyed by the snapshot's index (one per snapshot; the Snapshot dataclass is unhashable).
_CACHE: "weakref.WeakKeyDictionary[object, DocStats]" = weakref.WeakKeyDictionary()


def doc_stats(snapshot: Snapshot) -> DocStats:
    try:
        stats = _CACHE.get(snapshot.index)
    except TypeError:  # an index type that cannot be weakly referenced: no cache
        return _build_stats(snapshot)
    if stats is None:
        stats = _CACHE[snapshot.index] = _build_stats(snapshot)
    return stats


def _build_stats(snapshot: Snapshot) -> DocStats:
    """Per-document ids, first positions, lengths (title included) and the title terms.

    All from the snapshot's per-document arrays (kept in the index's segments): body
    lengths are sums of the passages' lengths over each document's range (`_range_sums`),
    title lengths are stored there too, so no Python loop over documents and no row per
    document is read. A database without stored title lengths tokenises the titles."""
    ids = snapshot.doc_ids
    index_of = snapshot.doc_index
    starts = np.asarray(snapshot.doc_starts, dtype=np.int64)
    ends = np.asarray(snapshot.doc_ends, dtype=np.int64)
    doc_len = getattr(snapshot.index, "doc_len", None)
    if doc_len is not None:
        body = _range_sums(np.asarray(doc_len, dtype=np.float64), starts, ends)
    else:
        body = (ends - starts).astype(np.float64)
    title_len = np.asarray(snapshot.doc_title_len, dtype=np.float64)
    in_memory: dict[str, list[tuple[int, int]]] | None = None
    if not len(ids) or bool((title_len < 0).any()) or not snapshot.reader.has_title_terms():
        title_len, in_memory = _titles_from_store(snapshot, ids, index_of)
    lengths = body + TITLE_WEIGHT * title_len
    n_pos = int(getattr(snapshot.index, "n_positions", 0) or 0)
    doc_of_pos = _doc_of_positions(starts, ends, n_pos)
    segments = getattr(snapshot, "segments", None)
    segment_docs = getattr(snapshot, "segment_docs", None)
    titles = _Titles(snapshot.reader, index_of, in_memory, segments, segment_docs)
    doc_parts = _segment_arrays(segments, segment_docs, ("dterm_offsets", "dpost_doc", "dpost_tf"), "dterm_offsets")
    return DocStats(ids, starts, lengths, titles, doc_of_pos, index_of, doc_parts)


def _doc_postings(parts: list[tuple[np.ndarray, ...]], tid: int) -> tuple[np.ndarray, np.ndarray] | None:
    """(the live documents whose body holds term `tid`, ascending; its tf summed in each, as
    float64) from the index's document postings (bot/search/indexfiles.py `doc_postings`):
    what gathering its sentence postings into documents gives (`_TermDocs.body`), read as
    one slice per segment. None: arrays that do not fit (damaged: gather instead)."""
    found: list[tuple[np.ndarray, np.ndarray]] = []
    for offsets, dpost_doc, dpost_tf, placed in parts:
        if tid + 1 >= offsets.shape[0]:
            continue  # (a term newer than the segment)
        lo, hi = int(offsets[tid]), int(offsets[tid + 1])
        if hi <= lo:
            continue
        local = dpost_doc[lo:hi]
        if not (hi <= dpost_doc.shape[0] and 0 <= int(local[0]) and int(local[-1]) < placed.shape[0]):
            return None
        found.append(_live(placed, local, dpost_tf[lo:hi]))
    return _joined(found)


def _range_sums(values: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """`values[s:e].sum()` for each document's [s, e), as float64: one `reduceat` over the
    ranges' bounds. The cumulative sum of all the values it replaces (`cum[e] - cum[s]`)
    wrote two fresh arrays of every position (at 1M sentences ~8-10 ms of a cold `ask`,
    most of it first touches of 16 MB). Passage lengths are whole numbers, so every
    partial sum is exact in float64 and both ways give the same floats."""
    n = values.shape[0]
    out = np.zeros(starts.shape[0], dtype=np.float64)
    filled = ends > starts
    s, e = starts[filled], ends[filled]
    if not s.shape[0]:
        return out
    bounds = np.empty(2 * s.shape[0], dtype=np.int64)
    bounds[0::2] = s
    bounds[1::2] = e
    # reduceat sums values[bounds[i]:bounds[i + 1]] (the even slots: the documents); a
    # bound equal to n is only allowed as the last range's end, which runs to the end anyway
    if int(bounds[-1]) == n:
        bounds = bounds[:-1]
    if int(s.min()) < 0 or int(e.max()) > n or bool((bounds == n).any()):
        # not ranges reduceat can take: as the cumulative sum gave them
        cum = np.concatenate(([0.0], np.cumsum(values)))
        return cum[ends] - cum[starts]
    out[filled] = np.add.reduceat(values, bounds)[0::2]
    return out


def _doc_of_positions(starts: np.ndarray, ends: np.ndarray, n_pos: int) -> np.ndarray:
    """Position → document index (-1: no live document there), for documents that hold
    [starts[i], ends[i]) in position order, not overlapping.

    End to end (no deleted passage), one repeat. Otherwise (a reloaded article leaves
    its old passages' positions behind) a running sum over marks: +(i + 1) where
    document i starts and -(i + 1) where it ends, so the sum is i + 1 inside it and 0
    between documents; an arange of every position, a repeat and a scatter cost ~25-70 ms
    at 1M sentences there."""
    lens = np.maximum(ends - starts, 0)
    n_docs = starts.shape[0]
    if n_docs and int(starts[0]) == 0 and int(ends[-1]) == n_pos and bool((starts[1:] == ends[:-1]).all()):
        return np.repeat(np.arange(n_docs, dtype=np.int32), lens)
    lo = np.clip(starts, 0, n_pos)
    hi = np.clip(ends, 0, n_pos)
    live = hi > lo
    number = np.arange(1, n_docs + 1, dtype=np.int32)[live]
    lo, hi = lo[live], hi[live]
    if not bool((lo[1:] >= hi[:-1]).all()):  # (never, for a snapshot's documents) out of order
        return _doc_of_positions_scattered(starts, lens, n_pos)
    doc_of_pos = np.zeros(n_pos + 1, dtype=np.int32)
    doc_of_pos[lo] += number  # starts are distinct, and so are ends: no index twice in one
    doc_of_pos[hi] -= number
    np.cumsum(doc_of_pos, dtype=np.int32, out=doc_of_pos)
    doc_of_pos -= 1
    return doc_of_pos[:n_pos]


def _doc_of_positions_scattered(starts: np.ndarray, lens: np.ndarray, n_pos: int) -> np.ndarray:
    """`_doc_of_positions` for ranges in any order (a later document wins a position):
    every position of every document, scattered."""
    doc_of_pos = np.full(n_pos, -1, dtype=np.int32)
    if starts.shape[0]:  # doc_of_pos[lo:hi] = i for each document, without a Python loop over them
        first = np.concatenate(([0], np.cumsum(lens)[:-1]))
        pos = np.arange(int(lens.sum()), dtype=np.int64) + np.repeat(starts - first, lens)
        keep = (pos < n_pos) & (pos >= 0)
        doc_of_pos[pos[keep]] = np.repeat(np.arange(starts.shape[0], dtype=np.int32), lens)[keep]
    return doc_of_pos


def _titles_from_store(snapshot: Snapshot, ids: list[str], index_of: dict[str, int]
                       ) -> tuple[np.ndarray, dict[str, list[tuple[int, int]]] | None]:
    """Title lengths read from the store (an index without them), or, for a database
    without title terms, every title tokenised here (and its terms kept in memory)."""
    title_len = np.zeros(len(ids), dtype=np.float64)
    in_memory: dict[str, list[tuple[int, int]]] | None = None
    stored = snapshot.reader.has_title_terms()
    missing = set(ids)
    if stored:
        for doc, n in snapshot.reader.title_lengths():
            i = index_of.get(doc)
            if i is not None:
                title_len[i] = n
                missing.discard(doc)
    if not stored or missing:
        # A database from before title terms (or rows a concurrent build has not written
        # yet): tokenise the titles here, the old way, and keep every title term in memory.
        in_memory = {}
        for i, d in enumerate(ids):
            counts = Counter(tokenize(snapshot.documents[d].title)) if d in snapshot.documents else Counter()
            title_len[i] = sum(counts.values())
            for term, n in counts.items():
                in_memory.setdefault(term, []).append((i, n))
    return title_len, in_memory


def _docs_of(stats: DocStats, pos: np.ndarray) -> np.ndarray:
    """The document index of each (live) position: what `searchsorted(starts, pos) - 1` gives."""
    if stats.doc_of_pos is not None and stats.doc_of_pos.shape[0] and int(pos[-1]) < stats.doc_of_pos.shape[0]:
        return stats.doc_of_pos[pos]
    return np.searchsorted(stats.starts, pos, side="right") - 1


TERM_DOCS_BYTES = 48 << 20  # per snapshot: the documents (and summed tf) of recently asked terms
DENSE_POSTINGS = 0.2  # `_TermDocs.body`: a list this long per document is summed into every document


def _nbytes(value: np.ndarray | tuple[np.ndarray, ...]) -> int:
    return value.nbytes if isinstance(value, np.ndarray) else sum(a.nbytes for a in value)


class _Kept:
    """Key → an array or a tuple of arrays, the least recently used dropped first once
    their bytes pass `budget` (one entry always stays). The caller holds its lock."""

    def __init__(self, budget: int) -> None:
        self.entries: OrderedDict = OrderedDict()
        self.bytes = 0
        self.budget = budget

    def get(self, key: object, default: object = None) -> object:
        """The entry as kept, without counting it as used."""
        return self.entries.get(key, default)

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, key: object) -> bool:
        return key in self.entries

    def touch(self, key: object):  # -> the entry or None
        """The entry, counted as the most recently used."""
        hit = self.entries.get(key)
        if hit is not None:
            self.entries.move_to_end(key)
        return hit

    def keep(self, key: object, value: np.ndarray | tuple[np.ndarray, ...]) -> None:
        """Keep `value` under `key` (an entry already there stays as it is)."""
        if key in self.entries:
            return
        self.entries[key] = value
        self.bytes += _nbytes(value)
        while self.bytes > self.budget and len(self.entries) > 1:
            _, old = self.entries.popitem(last=False)
            self.bytes -= _nbytes(old)


class _TermDocs:
    """Term id → (the documents whose body holds it, ascending; its tf summed per document),
    kept per snapshot for recently asked terms (least recently used go first, within
    TERM_DOCS_BYTES). Both the article scores and the article coverage of every question
    go from a term's sentence postings to documents; for a common word at 1M sentences
    that is a gather over ~10^5 postings, and questions keep asking the same words."""

    def __init__(self) -> None:
        self.items = _Kept(TERM_DOCS_BYTES)  # term id → (documents, summed tf)
        self.lock = threading.Lock()
        self.computed = 0  # terms gathered from postings (a counter for tests)
        self.norm: np.ndarray | None = None  # per-document BM25 length normalisation
        # (term, term id) → (documents, what the term adds to their article score)
        self.parts = _Kept(TERM_DOCS_BYTES)
        self.parts_computed = 0  # terms whose article-score part was computed (a counter for tests)
        # (term, term id) → which documents hold it, body or title (best_share's)
        self.marks = _Kept(TERM_DOCS_BYTES // 2)

    def mark(self, snapshot: Snapshot, stats: DocStats, term: str, tid: int | None) -> np.ndarray:
        """Whether each document holds `term` in its body or title (its titles fetched):
        a fact of the snapshot, kept for recently asked terms (`best_share` asks every
        question's terms and their families)."""
        key = (term, tid)
        with self.lock:
            hit = self.marks.touch(key)
            if hit is not None:
                return hit
        found = np.zeros(len(stats.ids), dtype=np.bool_)
        if tid is not None:
            found[term_documents(snapshot, stats, tid)[0]] = True
        found[stats.titles.arrays(term)[0]] = True
        self.keep_mark(term, tid, found)
        return found

    def scored(self, term: str, tid: int | None) -> tuple[np.ndarray, np.ndarray] | None:
        """What `term` adds to each document's score (`_term_part`), when kept."""
        with self.lock:
            return self.parts.touch((term, tid))

    def keep_scored(self, term: str, tid: int | None, found: tuple[np.ndarray, np.ndarray]
                    ) -> tuple[np.ndarray, np.ndarray]:
        with self.lock:
            self.parts_computed += 1
            self.parts.keep((term, tid), found)
        return found

    def keep_mark(self, term: str, tid: int | None, found: np.ndarray) -> None:
        """Keep `found` as `mark(term)` gives it (made while scoring the term: `_term_facts`)."""
        with self.lock:
            self.marks.keep((term, tid), found)

    def get(self, snapshot: Snapshot, stats: DocStats, tid: int) -> tuple[np.ndarray, np.ndarray]:
        found = self.body(snapshot, stats, tid, dense=False)
        assert isinstance(found, tuple)
        return found

    def body(self, snapshot: Snapshot, stats: DocStats, tid: int, dense: bool = True
             ) -> tuple[np.ndarray, np.ndarray] | np.ndarray:
        """`get`'s (documents, summed tf); or, when `dense` and the term is not kept, for a
        list of at least DENSE_POSTINGS postings a document: the summed tf of every
        document (0.0 where it has none) as a fresh array, not kept.

        A common word's sums over every document are one `bincount` of its documents
        (at 1M sentences ~10^5 postings in most of 34k articles): the run boundaries,
        their positions and a `reduceat` take three passes more, and the article score
        needs the dense sums anyway (titles added, the documents' mark taken from them)."""
        with self.lock:
            hit = self.items.touch(tid)
            if hit is not None:
                return hit
        got = _doc_postings(stats.doc_parts, tid) if stats.doc_parts is not None else None
        if got is not None:
            n_docs = len(stats.ids)
            if dense and got[0].shape[0] >= DENSE_POSTINGS * n_docs:
                tf = np.zeros(n_docs, dtype=np.float64)
                tf[got[0]] = got[1]
                with self.lock:
                    self.computed += 1
                return tf
            with self.lock:
                self.computed += 1
                self.items.keep(tid, got)
            return got
        pos, tfs = snapshot.index.postings(tid)
        if not pos.size:
            found = (np.empty(0, np.int64), np.empty(0, np.float64))
        else:
            which = _docs_of(stats, pos)
            n_docs = len(stats.ids)
            if dense and which.shape[0] >= DENSE_POSTINGS * n_docs:
                try:  # tf values are small integers: any summation order gives the same float
                    tf = np.bincount(which, weights=tfs, minlength=n_docs)
                except ValueError:  # (a position outside every document: -1) as below
                    tf = None
                if tf is not None and tf.shape[0] == n_docs:
                    with self.lock:
                        self.computed += 1
                    return tf
            if which.shape[0] == 1 or bool((which[1:] >= which[:-1]).all()):
                first = np.empty(which.shape[0], dtype=np.bool_)
                first[0] = True
                np.not_equal(which[1:], which[:-1], out=first[1:])
                starts = np.flatnonzero(first)
                # tf values are small integers: any summation order gives the same float
                found = (which[starts].astype(np.int64), np.add.reduceat(tfs.astype(np.float64), starts))
            else:
                sums = np.bincount(which, weights=tfs.astype(np.float64))
                docs = np.flatnonzero(sums > 0)
                found = (docs.astype(np.int64), sums[docs])
        with self.lock:
            self.computed += 1
            self.items.keep(tid, found)
        return found


_TERM_DOCS: "weakref.WeakKeyDictionary[object, _TermDocs]" = weakref.WeakKeyDictionary()
_TERM_DOCS_LOCK = threading.Lock()


_NO_DOCS = (np.empty(0, np.int64), np.empty(0, np.float64))


def _norm(snapshot: Snapshot, stats: DocStats) -> np.ndarray:
    """BM25's length normalisation per document (per snapshot, not per question)."""
    cache = _term_docs(snapshot)
    if cache.norm is None or cache.norm.shape[0] != len(stats.ids):
        cache.norm = K1 * (1 - B + B * stats.lengths / (stats.avg_length or 1.0))
    return cache.norm


def _term_docs(snapshot: Snapshot) -> "_TermDocs":
    try:
        with _TERM_DOCS_LOCK:
            cache = _TERM_DOCS.get(snapshot.index)
            if cache is None:
                cache = _TERM_DOCS[snapshot.index] = _TermDocs()
    except TypeError:  # an index that cannot be weakly referenced: no cache
        cache = _TermDocs()
    return cache


def term_documents(snapshot: Snapshot, stats: DocStats, tid: int) -> tuple[np.ndarray, np.ndarray]:
    """(document indices holding term `tid` in their body, ascending; tf summed per document)."""
    return _term_docs(snapshot).get(snapshot, stats, tid)


def doc_scores(snapshot: Snapshot, terms: tuple[str, ...], term_ids: dict[str, int]) -> Mapping[str, float]:
    """BM25 of each document that holds at least one of `terms` (title included)."""
    stats = doc_stats(snapshot)
    n_docs = len(stats.ids)
    if not n_docs:
        return {}
    cache = _term_docs(snapshot)
    total = np.zeros(n_docs, dtype=np.float64)
    fetched = False
    for t in terms:
        tid = term_ids.get(t)
        found = cache.scored(t, tid)
        if found is None:
            if not fetched:
                stats.titles.fetch(terms)
                fetched = True
            part, held = _term_facts(snapshot, stats, cache, t, tid)
            found = cache.keep_scored(t, tid, _dense(part, n_docs))
            if held is not None:  # (best_share asks every question term's mark)
                cache.keep_mark(t, tid, held)
        docs, part = found
        if docs is _DENSE:
            total += part
        elif docs.shape[0]:
            total[docs] += part
    return DocScores(stats, total)


_DENSE = np.empty(0, dtype=np.int64)  # (as a part's documents: the part is an array over every document)


def _dense(found: tuple[np.ndarray, np.ndarray], n_docs: int) -> tuple[np.ndarray, np.ndarray]:
    """A common term's part as one array over every document (zero elsewhere): adding it
    is one pass instead of a scatter, the same floats (x + 0.0 is x), and it is smaller
    than the documents and values once the term is in half the documents."""
    docs, part = found
    if docs.shape[0] * 2 < n_docs:
        return found
    full = np.zeros(n_docs, dtype=np.float64)
    full[docs] = part
    return _DENSE, full


def _term_part(snapshot: Snapshot, stats: DocStats, t: str, tid: int | None) -> tuple[np.ndarray, np.ndarray]:
    """(the documents holding term t in body or title, what t adds to each one's BM25): a
    fact of the snapshot, kept per term (`_TermDocs.scored`), as questions keep asking
    the same words."""
    return _term_facts(snapshot, stats, _term_docs(snapshot), t, tid)[0]


def _term_facts(snapshot: Snapshot, stats: DocStats, cache: "_TermDocs", t: str, tid: int | None
                ) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray | None]:
    """`_term_part`, and, when the term's tf over every document was at hand (a common
    word, or one in some title), which documents hold it in body or title (`_TermDocs.mark`'s
    array) from the same array: best_share asks every question term's mark next."""
    n_docs = len(stats.ids)
    body = cache.body(snapshot, stats, tid) if tid is not None else _NO_DOCS
    title_docs, title_n = stats.titles.arrays(t)
    held = None
    if isinstance(body, np.ndarray) or title_docs.shape[0]:
        if isinstance(body, np.ndarray):
            tf = body  # (fresh: `body` keeps no dense array)
        else:
            tf = np.zeros(n_docs, dtype=np.float64)
            tf[body[0]] = body[1]
        if not title_docs.shape[0]:
            pass
        elif title_docs.shape[0] == 1 or bool((title_docs[1:] > title_docs[:-1]).all()):
            tf[title_docs] += TITLE_WEIGHT * title_n  # one row per title: `tf[i] += 2.0 * n`, once each
        else:  # (a title listed twice) in list order, as `tf[i] += 2.0 * n` was
            np.add.at(tf, title_docs, TITLE_WEIGHT * title_n)
        held = tf > 0
        docs = np.flatnonzero(held)
        sums = tf[docs]
    else:
        docs, sums = body
        keep = sums > 0
        if not keep.all():
            docs, sums = docs[keep], sums[keep]
    df = int(docs.shape[0])
    if not df:
        return _NO_DOCS, held
    idf = math.log(1 + (n_docs - df + 0.5) / (df + 0.5))
    # Only the documents holding the term: elsewhere tf is 0 and the term adds 0.0,
    # so `total[docs] += part` is the dense `total += idf * tf * (K1 + 1) / (tf + norm)`,
    # float for float.
    return (docs, idf * sums * (K1 + 1) / (sums + _norm(snapshot, stats)[docs])), held


class DocScores(Mapping[str, float]):
    """Document id → score, for the documents that hold a query term, in position
    order: what a dict `{id: score}` gives, held as the score array. At 1M sentences
    a common word is in all 34k articles; building and sorting that dict per question
    took ~40 ms. `top(n)` gives what `sorted(self, key=lambda d: -self[d])[:n]` gives.

    Scores are sums of non-negative parts, so a document holds a query term exactly
    when its score is > 0. Which documents those are (`_hit`, a pass over every
    document and an array as long) is found only when asked: answering asks for the
    best score, truthiness, the top few and a few look-ups, none of which need it."""

    def __init__(self, stats: DocStats, total: np.ndarray) -> None:
        self._stats = stats
        self._total = total
        self._hit_cache: np.ndarray | None = None

    @property
    def _hit(self) -> np.ndarray:
        if self._hit_cache is None:
            self._hit_cache = np.flatnonzero(self._total > 0)
        return self._hit_cache

    def __getitem__(self, doc_id: str) -> float:
        i = self._stats.index_of.get(doc_id)
        if i is None or not self._total[i] > 0:
            raise KeyError(doc_id)
        return float(self._total[i])

    def __iter__(self) -> Iterator[str]:
        ids = self._stats.ids
        return (ids[i] for i in self._hit.tolist())

    def __len__(self) -> int:
        return int(self._hit.shape[0])

    def __bool__(self) -> bool:
        return self.best() > 0

    def values(self) -> list[float]:  # type: ignore[override]
        return self._total[self._hit].tolist()

    def best(self) -> float:
        """`max(self.values(), default=0.0)`: the largest score is the array's maximum
        (every other document's is 0.0), the same float."""
        if not self._total.shape[0]:
            return 0.0
        top = float(self._total.max())
        return top if top > 0 else 0.0

    def top(self, n: int) -> list[str]:
        """The n best document ids, score descending, position order on ties."""
        total = self._total
        keep = _contenders(total, n)
        if keep is None:
            scores = total[self._hit]
            if scores.shape[0] > 4 * n:  # only the contenders are sorted
                kth = np.partition(scores, scores.shape[0] - n)[scores.shape[0] - n]
                keep = self._hit[np.flatnonzero(scores >= kth)]
            else:
                keep = self._hit
        order = keep[np.lexsort((keep, -total[keep]))][:n]
        return [self._stats.ids[i] for i in order.tolist()]


SAMPLE_STEP = 16  # `_contenders`: every 16th score bounds the n-th best from below


def _contenders(total: np.ndarray, n: int) -> np.ndarray | None:
    """Positions (ascending) of a few positive scores that include the n best, or None
    (too few scores to bother, or no useful bound).

    The n-th largest of every SAMPLE_STEP-th score is at most the n-th largest of them
    all (the sample's n best are n scores at least that large), so every score at or
    above it holds the n best; at 1M sentences that is a few dozen of 34k articles. It
    replaces a partition of every hit's score (and the gather of those scores), the
    largest part of picking the top 3 articles. The order among the contenders is then
    the same lexsort, so the same documents come out."""
    if n <= 0 or total.shape[0] < 64 * n:
        return None
    sample = total[::SAMPLE_STEP]
    m = sample.shape[0]
    bound = np.partition(sample, m - n)[m - n]
    if not bound > 0:  # (fewer than n positive scores in the sample)
        return None
    return np.flatnonzero(total >= bound)


def best_score(scores: Mapping[str, float]) -> float:
    """`max(scores.values(), default=0.0)` without a Python pass over every article
    (at 1M sentences a common word gives all 34k a score)."""
    if isinstance(scores, DocScores):
        return scores.best()
    return max(scores.values(), default=0.0)


def scores_of(scores: Mapping[str, float], documents: Iterable[str]) -> dict[str, float]:
    """`{d: scores.get(d, 0.0) for d in documents}`, read from the score array when
    `scores` is a `DocScores` (a Mapping look-up per candidate's article added up)."""
    if not isinstance(scores, DocScores):
        return {d: scores.get(d, 0.0) for d in documents}
    index_of, total = scores._stats.index_of, scores._total
    out = {}
    for d in documents:
        i = index_of.get(d)
        value = total.item(i) if i is not None else 0.0  # (a Python float: no numpy scalar per look-up)
        out[d] = value if value > 0 else 0.0
    return out


def top_documents(scores: Mapping[str, float], n: int) -> list[str]:
    """`sorted(scores, key=lambda d: -scores[d])[:n]`, without visiting every document
    when `scores` is a `DocScores`."""
    if isinstance(scores, DocScores):
        return scores.top(n)
    return sorted(scores, key=lambda d: -scores[d])[:n]


def doc_term_sets(snapshot: Snapshot, terms: tuple[str, ...], term_ids: dict[str, int]) -> dict[str, set[str]]:
    """For each document holding any of `terms`: which of them it holds (body or title)."""
    stats = doc_stats(snapshot)
    stats.titles.fetch(terms)
    out: dict[str, set[str]] = {}
    for t in terms:
        tid = term_ids.get(t)
        if tid is not None:
            pos, _ = snapshot.index.postings(tid)
            if pos.size:
                which = _docs_of(stats, pos)  # ascending: positions are
                first = np.empty(which.shape[0], dtype=np.bool_)
                first[0] = True
                np.not_equal(which[1:], which[:-1], out=first[1:])
                ids = stats.ids
                for i in which[first].tolist():
                    got = out.get(ids[i])
                    if got is None:
                        out[ids[i]] = {t}
                    else:
                        got.add(t)
        for i, _ in stats.titles.get(t, ()):
            out.setdefault(stats.ids[i], set()).add(t)
    return out


def best_share(snapshot: Snapshot, expanded: dict[str, str], term_ids: dict[str, int],
               weights: dict[str, float], document: str | None = None) -> float:
    """The largest share of `weights` one document holds (only `document`, when given):
    a question term counts when the document holds any stem standing for it
    (`expanded`: stem → question term; body or title), as in
    `sum(weights[t] for t in {expanded[f] for f in doc_term_sets(...)[doc]}) / total`.

    Vectorised over documents (at 1M sentences a common word is in all 34k articles,
    and a Python loop per article cost ~100 ms a question): each document's question
    terms held are a small bit mask (each term's documents kept per snapshot,
    `_TermDocs.mark`); the shares of the masks some document has find the near-best
    documents (when every term weighs, those that hold them all). Their stems are then summed as that expression sums
    them, once per distinct set of stems, so the result is the same float: the maximum
    of that expression over all documents (the near-best hold it)."""
    stems = tuple(expanded)
    questions = list(dict.fromkeys(expanded.values()))
    if len(stems) > 64 or len(questions) > 16:  # (a pasted paragraph: more than the masks hold)
        return _best_share_matrix(snapshot, expanded, term_ids, weights, document)
    total = sum(weights.values()) or 1.0
    stats = doc_stats(snapshot)
    n_docs = len(stats.ids)
    if not n_docs or not stems:
        return 0.0
    stats.titles.fetch(stems)
    cache = _term_docs(snapshot)
    stem_marks = [cache.mark(snapshot, stats, f, term_ids.get(f)) for f in stems]  # documents holding each stem
    fixed = 0  # stems (bits) every near-best document is known to hold
    if document is not None:
        i = stats.index_of.get(document)
        if i is None:
            return 0.0
        near = np.array([i], dtype=np.int64)
    else:
        question_marks = []  # documents holding each question term (any of its stems)
        for q in questions:
            marks = [m for f, m in zip(stems, stem_marks) if expanded[f] == q]
            question_marks.append(_fold(np.logical_or, marks))
        near = None
        if min(weights.get(q, 0.0) for q in questions) >= 1e-8 * total:
            # Every term weighs: a document holding them all (the usual case) holds the
            # largest share, and every document that does not is 1e-8 below it.
            near = np.flatnonzero(_fold(np.logical_and, question_marks))
            if near.shape[0]:
                # Each of them holds every question term, so the only stem of a question
                # term is held by all of them: only the other stems' bits need looking at.
                stems_of = Counter(expanded.values())
                fixed = sum(1 << i for i, f in enumerate(stems) if stems_of[expanded[f]] == 1)
        if near is None or not near.shape[0]:
            code = _codes(question_marks, None)  # bit j: the document holds questions[j]
            near = _near_best(code, questions, weights, total)
            if near is None:
                return 0.0
    # The near-best documents (at 1M sentences thousands tie: every article that holds all
    # the question's words): which stems each holds, as a bit mask; summed once per mask
    # (documents with the same stems give the same `found` set, built the same way).
    best = 0.0
    for pattern in _patterns(stem_marks, near, fixed):
        found: set[str] = set()
        for i, f in enumerate(stems):  # inserted in the order doc_term_sets inserts them
            if pattern >> i & 1:
                found.add(f)
        best = max(best, sum(weights[t] for t in {expanded[f] for f in found}) / total)
    return best


def _patterns(marks: list[np.ndarray], near: np.ndarray, fixed: int) -> list[int]:
    """`_distinct(_codes(marks, near))` when every document of `near` is known to be in
    `marks[i]` for each bit i of `fixed`: only the other marks are read (none, for a
    question without family words: one pattern, no pass over the documents)."""
    if not fixed:
        return _distinct(_codes(marks, near))
    varying = [i for i in range(len(marks)) if not fixed >> i & 1]
    if not varying:
        return [fixed]
    out = []
    for code in _distinct(_codes([marks[i] for i in varying], near)):
        pattern = fixed
        for k, i in enumerate(varying):
            if code >> k & 1:
                pattern |= 1 << i
        out.append(pattern)
    return out


MASK_ORDER = 5  # `_near_best`: up to this many question terms, masks are tried best first
MASK_TESTS = 8  # ... at most this many of them, before counting every document's mask


# n → for each mask of n bits, the bits it has, ascending
_MASK_BITS = [[tuple(j for j in range(n) if m >> j & 1) for m in range(1 << n)] for n in range(MASK_ORDER + 1)]


def _near_best(code: np.ndarray, questions: list[str], weights: dict[str, float], total: float
               ) -> np.ndarray | None:
    """The documents (ascending) whose mask of question terms (`code`, bit j: questions[j])
    has a share within 1e-9 of the largest share any document's mask has; None when that
    share is 0.

    Counting every document's mask (a bincount over 34k articles at 1M sentences, and a
    gather through a table of the wanted masks) costs more than asking, best share first,
    whether some document has exactly this mask: usually the second or third mask tried
    is there (no article holds all the terms, one holds all but the lightest). The shares
    are the same floats either way; only which masks are looked at differs."""
    n = len(questions)

    def share(m: int) -> float:
        return sum(weights.get(q, 0.0) for j, q in enumerate(questions) if m >> j & 1) / total

    if n <= MASK_ORDER:
        w = [weights.get(q, 0.0) for q in questions]
        # (each mask's weights summed in question order, as `share` sums them: the same floats)
        shares = [sum([w[j] for j in bits]) / total for bits in _MASK_BITS[n]]
        top: float | None = None
        hits: list[np.ndarray] = []
        tests, complete = 0, True
        for m in sorted(range(1 << n), key=shares.__getitem__, reverse=True):
            if top is not None and shares[m] < top - 1e-9:
                break  # (every mask still to try is further below the best)
            if tests == MASK_TESTS:
                complete = False
                break
            tests += 1
            hit = code == m
            if hit.any():
                if top is None:
                    top = shares[m]
                    if top <= 0:
                        return None
                hits.append(hit)
        if complete and hits:
            return np.flatnonzero(_fold(np.logical_or, hits))
    present = np.flatnonzero(np.bincount(code))  # the masks some document has
    present_shares = [share(m) for m in present.tolist()]
    best = max(present_shares)
    if best <= 0:
        return None
    wanted = np.zeros(int(present[-1]) + 1, dtype=np.bool_)
    wanted[[m for m, x in zip(present.tolist(), present_shares) if x >= best - 1e-9]] = True
    return np.flatnonzero(wanted[code])


def _fold(op: np.ufunc, marks: list[np.ndarray]) -> np.ndarray:
    """`op.reduce(marks)` (np.logical_or or np.logical_and over documents' marks) without
    stacking the arrays into one first."""
    if len(marks) == 1:
        return marks[0]
    out = op(marks[0], marks[1])
    for m in marks[2:]:
        op(out, m, out=out)
    return out


def _codes(marks: list[np.ndarray], near: np.ndarray | None) -> np.ndarray:
    """Each document's (each of `near`'s, when given) bit mask: bit i set when it is in
    `marks[i]`, in the narrowest unsigned type that holds len(marks) bits (a byte per
    document up to 8 marks, not eight): the work is passes over 34k-element arrays.
    When `near` is most documents, the masks are built over every document and gathered
    once, not gathered per mark."""
    dtype = np.dtype(np.uint8 if len(marks) <= 8 else np.uint16 if len(marks) <= 16
                     else np.uint32 if len(marks) <= 32 else np.uint64)
    whole = near is None or near.shape[0] * 4 > marks[0].shape[0]
    code = np.zeros(marks[0].shape[0] if whole else near.shape[0], dtype=dtype)
    for i, mark in enumerate(marks):
        bits = (mark if whole else mark[near]).view(np.uint8)  # (bool as 0/1 bytes, no copy)
        if dtype.itemsize > 1:
            bits = bits.astype(dtype)
        # (a multiply by 2**i, not a left shift: numpy shifts bytes one at a time, ~4x slower)
        code |= np.multiply(bits, dtype.type(1 << i)) if i else bits
    return code if near is None or not whole else code[near]


def _distinct(codes: np.ndarray) -> list[int]:
    """`sorted(set(codes.tolist()))` without a Python int per document: a count per
    value when masks are at most 16 bits (np.unique would import numpy.ma: ~20 ms of a
    cold start), else `bm25.distinct_sorted`."""
    if not codes.shape[0]:
        return []
    if codes.dtype.itemsize <= 2:
        return np.flatnonzero(np.bincount(codes)).tolist()
    return distinct_sorted(codes).tolist()


def _best_share_matrix(snapshot: Snapshot, expanded: dict[str, str], term_ids: dict[str, int],
                       weights: dict[str, float], document: str | None = None) -> float:
    """`best_share` for more stems than a bit mask holds (the same float): a document ×
    stem matrix instead of masks, the near-best documents' shares summed as
    `best_share`'s reference expression sums them."""
    total = sum(weights.values()) or 1.0
    stats = doc_stats(snapshot)
    n_docs = len(stats.ids)
    stems = tuple(expanded)
    if not n_docs or not stems:
        return 0.0
    stats.titles.fetch(stems)
    held = np.zeros((len(stems), n_docs), dtype=np.bool_)
    for i, f in enumerate(stems):
        tid = term_ids.get(f)
        if tid is not None:
            held[i, term_documents(snapshot, stats, tid)[0]] = True
        held[i, stats.titles.arrays(f)[0]] = True
    questions = list(dict.fromkeys(expanded.values()))
    per_question = np.zeros((len(questions), n_docs), dtype=np.bool_)
    where = {q: j for j, q in enumerate(questions)}
    for i, f in enumerate(stems):
        per_question[where[expanded[f]]] |= held[i]
    w = np.array([weights.get(q, 0.0) for q in questions], dtype=np.float64)
    shares = w @ per_question / total
    if document is not None:
        keep = [i for i, d in enumerate(stats.ids) if d == document]
        mask = np.zeros(n_docs, dtype=np.bool_)
        mask[keep] = True
        shares = np.where(mask, shares, -1.0)
    top = float(shares.max())
    if top <= 0:
        return 0.0
    best = 0.0
    # The near-best documents (at 1M sentences thousands tie: every article that holds all
    # the question's words) are summed once per distinct pattern of stems held: documents
    # with the same pattern give the same `found` set, built the same way, so the same float.
    for d in _one_per_pattern(held, np.flatnonzero(shares >= top - 1e-9)):
        found: set[str] = set()
        for i, f in enumerate(stems):  # inserted in the order doc_term_sets inserts them
            if held[i, d]:
                found.add(f)
        best = max(best, sum(weights[t] for t in {expanded[f] for f in found}) / total)
    return best


def _one_per_pattern(held: np.ndarray, docs: np.ndarray) -> list[int]:
    """One document (the first) of `docs` per distinct column `held[:, d]`."""
    if docs.shape[0] <= 1:
        return docs.tolist()
    cols = np.ascontiguousarray(held[:, docs].T)  # one row of stems per document
    _, first = np.unique(cols.view(np.dtype((np.void, cols.shape[1]))).ravel(), return_index=True)
    return docs[np.sort(first)].tolist()
