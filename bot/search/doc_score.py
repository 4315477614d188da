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
import weakref
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterator, Mapping

import numpy as np

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

    @property
    def avg_length(self) -> float:
        return float(self.lengths.mean()) if self.lengths.size else 0.0


class _Titles:
    """Title term → [(document index, count)]: read from the store per term (and kept),
    or, for a database without title terms, from every title tokenised in memory."""

    def __init__(self, reader: PassageReader, index_of: dict[str, int],
                 in_memory: dict[str, list[tuple[int, int]]] | None):
        # The reader, not the snapshot: DocStats is cached weakly by the snapshot's index,
        # and a value that referred to its key would keep every retired snapshot alive.
        self.reader = reader
        self.index_of = index_of
        self.known: dict[str, tuple[tuple[int, int], ...]] = {} if in_memory is None else {
            t: tuple(v) for t, v in in_memory.items()}
        self.complete = in_memory is not None

    def get(self, term: str, default: tuple = ()) -> tuple[tuple[int, int], ...]:
        if term not in self.known and not self.complete:
            self.fetch((term,))
        return self.known.get(term, default)

    def fetch(self, terms: tuple[str, ...]) -> None:
        """Read these terms' title postings in one statement."""
        want = [t for t in terms if t not in self.known]
        if self.complete or not want:
            return
        if len(self.known) > 50_000:  # a long-running bot: keep the cache bounded
            self.known.clear()
        found: dict[str, list[tuple[int, int]]] = {t: [] for t in want}
        for term, doc, n in self.reader.title_terms(want):
            i = self.index_of.get(doc)
            if i is not None:  # a document this snapshot does not hold (a newer build's)
                found[term].append((i, int(n)))
        for term, postings in found.items():
            self.known[term] = tuple(sorted(postings))


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
    lengths are differences of one cumulative sum over the passages' lengths, title
    lengths are stored there too, so no Python loop over documents and no row per
    document is read. A database without stored title lengths tokenises the titles."""
    ids = snapshot.doc_ids
    index_of = snapshot.doc_index
    starts = np.asarray(snapshot.doc_starts, dtype=np.int64)
    ends = np.asarray(snapshot.doc_ends, dtype=np.int64)
    doc_len = getattr(snapshot.index, "doc_len", None)
    if doc_len is not None:
        cum = np.concatenate(([0.0], np.cumsum(np.asarray(doc_len, dtype=np.float64))))
        body = cum[ends] - cum[starts]
    else:
        body = (ends - starts).astype(np.float64)
    title_len = np.asarray(snapshot.doc_title_len, dtype=np.float64)
    in_memory: dict[str, list[tuple[int, int]]] | None = None
    if not len(ids) or bool((title_len < 0).any()) or not snapshot.reader.has_title_terms():
        title_len, in_memory = _titles_from_store(snapshot, ids, index_of)
    lengths = body + TITLE_WEIGHT * title_len
    n_pos = int(getattr(snapshot.index, "n_positions", 0) or 0)
    lens = np.maximum(ends - starts, 0)
    if len(ids) and int(starts[0]) == 0 and int(ends[-1]) == n_pos and bool((starts[1:] == ends[:-1]).all()):
        # the documents cover every position, end to end (no deleted passage): one repeat
        doc_of_pos = np.repeat(np.arange(len(ids), dtype=np.int32), lens)
    else:
        doc_of_pos = np.full(n_pos, -1, dtype=np.int32)
        if len(ids):  # doc_of_pos[lo:hi] = i for each document, without a Python loop over them
            first = np.concatenate(([0], np.cumsum(lens)[:-1]))
            pos = np.arange(int(lens.sum()), dtype=np.int64) + np.repeat(starts - first, lens)
            keep = pos < n_pos
            doc_of_pos[pos[keep]] = np.repeat(np.arange(len(ids), dtype=np.int32), lens)[keep]
    return DocStats(ids, starts, lengths, _Titles(snapshot.reader, index_of, in_memory), doc_of_pos, index_of)


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


def doc_scores(snapshot: Snapshot, terms: tuple[str, ...], term_ids: dict[str, int]) -> Mapping[str, float]:
    """BM25 of each document that holds at least one of `terms` (title included)."""
    stats = doc_stats(snapshot)
    n_docs = len(stats.ids)
    if not n_docs:
        return {}
    stats.titles.fetch(terms)
    total = np.zeros(n_docs, dtype=np.float64)
    norm = K1 * (1 - B + B * stats.lengths / (stats.avg_length or 1.0))
    for t in terms:
        tf = np.zeros(n_docs, dtype=np.float64)
        tid = term_ids.get(t)
        if tid is not None:
            pos, tfs = snapshot.index.postings(tid)
            if pos.size:
                which = _docs_of(stats, pos)
                tf += np.bincount(which, weights=tfs.astype(np.float64), minlength=n_docs)
        for i, n in stats.titles.get(t, ()):
            tf[i] += TITLE_WEIGHT * n
        df = int((tf > 0).sum())
        if not df:
            continue
        idf = math.log(1 + (n_docs - df + 0.5) / (df + 0.5))
        total += idf * tf * (K1 + 1) / (tf + norm)
    return DocScores(stats, total)


class DocScores(Mapping[str, float]):
    """Document id → score, for the documents that hold a query term, in position
    order: what a dict `{id: score}` gives, held as the score array. At 1M sentences
    a common word is in all 34k articles; building and sorting that dict per question
    took ~40 ms. `top(n)` gives what `sorted(self, key=lambda d: -self[d])[:n]` gives."""

    def __init__(self, stats: DocStats, total: np.ndarray) -> None:
        self._stats = stats
        self._total = total
        self._hit = np.flatnonzero(total > 0)

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

    def values(self) -> list[float]:  # type: ignore[override]
        return self._total[self._hit].tolist()

    def top(self, n: int) -> list[str]:
        """The n best document ids, score descending, position order on ties."""
        scores = self._total[self._hit]
        if scores.shape[0] > 4 * n:  # only the contenders are sorted
            kth = np.partition(scores, scores.shape[0] - n)[scores.shape[0] - n]
            keep = np.flatnonzero(scores >= kth)
        else:
            keep = np.arange(scores.shape[0])
        order = keep[np.lexsort((keep, -scores[keep]))][:n]
        return [self._stats.ids[i] for i in self._hit[order].tolist()]


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
    and a Python loop per article cost ~100 ms a question). The near-best documents'
    shares are then summed as that expression sums them, so the result is the same
    float."""
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
            pos, _ = snapshot.index.postings(tid)
            if pos.size:
                held[i, _docs_of(stats, pos)] = True
        for d, _ in stats.titles.get(f, ()):
            held[i, d] = True
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
    for d in np.flatnonzero(shares >= top - 1e-9).tolist():
        found: set[str] = set()
        for i, f in enumerate(stems):  # inserted in the order doc_term_sets inserts them
            if held[i, d]:
                found.add(f)
        best = max(best, sum(weights[t] for t in {expanded[f] for f in found}) / total)
    return best
