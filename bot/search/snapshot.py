"""What answers one committed database state: the BM25 index (memory-mapped
segments, bot/search/indexfiles.py) and the document table. Immutable once
loaded; a reload loads a new one and the engine swaps the reference, so a
question never sees a half-built index.

A snapshot holds no read transaction: the index and the document table are in
memory (or mapped), and passage rows are slices of the index's row files (`rows_at`),
or read by short statements (bot/store.py) where the files do not hold them.
"""

from __future__ import annotations

import dataclasses
import functools
import sqlite3
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Mapping, TypeVar

import numpy as np

from bot.search.bm25 import BM25Params, Part, PostingsIndex
from bot.search.indexfiles import IndexState, RowTexts, Segment, open_index, row_kind
from bot.search.documents import DocumentTable
from bot.store import PassageReader, PassageRow, StoreError, split_tokens, document_files


_UNSEEN = object()
C = TypeVar("C")


class DocRanges(Mapping[str, tuple[int, int]]):
    """Document id → its [start, end) positions, read from the snapshot's per-document
    arrays (a dict of every document was built at each start: 34k tuples at 1M sentences)."""

    def __init__(self, snapshot: "Snapshot") -> None:
        self._snap = snapshot

    def __getitem__(self, doc_id: str) -> tuple[int, int]:
        i = self._snap.doc_index[doc_id]  # KeyError: not a live document
        return int(self._snap.doc_starts[i]), int(self._snap.doc_ends[i])

    def __iter__(self) -> Iterator[str]:
        return iter(self._snap.doc_ids)

    def __len__(self) -> int:
        return len(self._snap.doc_ids)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._snap.doc_index


@dataclass
class Snapshot:
    reader: PassageReader
    index: PostingsIndex
    passage_ids: np.ndarray  # position → passages.id
    documents: DocumentTable  # a Mapping[str, StoredDocument] that reads rows by id when asked
    # The live documents in position order, with their [start, end) positions and title
    # lengths in terms (-1: not stored): laid end to end from the segments' arrays.
    doc_ids: list[str]
    doc_starts: np.ndarray
    doc_ends: np.ndarray
    doc_title_len: np.ndarray
    segments: list[Segment] = dataclasses.field(default_factory=list)
    segment_bases: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(1, np.int64))
    rebuilt: str = ""  # what loading it wrote to the index folder ("", "delta", "merge", "full")
    # Per segment: each of its documents' place in `doc_ids` (-1: not live), for the
    # segments' per-document arrays (title postings: bot/search/doc_score.py)
    segment_docs: list[np.ndarray] = dataclasses.field(default_factory=list)

    @functools.cached_property
    def doc_index(self) -> dict[str, int]:
        """Document id → its place in `doc_ids`."""
        return dict(zip(self.doc_ids, range(len(self.doc_ids))))

    @property
    def doc_ranges(self) -> DocRanges:
        """Document id → [start, end) positions (a Mapping over the arrays)."""
        return DocRanges(self)

    @property
    def doc_order(self) -> list[str]:
        return self.doc_ids

    @property
    def passage_count(self) -> int:
        return self.index.n_passages

    @functools.cached_property
    def body_para(self) -> np.ndarray:
        """Position → its paragraph when it is a body sentence, else a negative code (bot/store.py
        BYLINE_LINE, DATE_LINE, OTHER_LINE) (the mapped
        array itself for one segment; joined when first asked for several)."""
        if len(self.segments) == 1:
            return self.segments[0].body_para
        if not self.segments:
            return np.zeros(0, np.int32)
        return np.concatenate([s.body_para for s in self.segments])

    @functools.cached_property
    def _term_memo(self) -> dict[str, int | None]:
        return {}

    def term_ids_memo(self, terms: Iterable[str]) -> dict[str, int]:
        """`reader.term_ids`, remembered for this snapshot (a term missing then is in none of
        its passages, whatever a later build adds): the question stems ranking looks up
        beside the searched ones (synonyms) recur from question to question."""
        memo = self._term_memo
        out: dict[str, int] = {}
        new: list[str] = []
        for t in terms:
            i = memo.get(t, _UNSEEN)
            if i is _UNSEEN:
                new.append(t)
            elif i is not None:
                out[t] = i  # type: ignore[assignment]
        if new:
            if len(memo) > 100_000:  # (bounded: a long-lived snapshot meets many words)
                memo.clear()
            found = self.reader.term_ids(new)
            for t in new:
                memo[t] = found.get(t)
            out.update(found)
        return out

    def documents_at(self, positions: np.ndarray) -> list[str]:
        """The document of each (live) position."""
        at = np.searchsorted(self.doc_starts, positions, side="right") - 1
        ids = self.doc_ids
        return [ids[i] for i in at.tolist()]

    # -- rows from the row files (bot/search/indexfiles.py RowTexts) --------------------------
    def rows_at(self, positions: Iterable[int]) -> dict[int, PassageRow]:
        """Passage id → its row, for these positions: the rows `reader.passages` reads (tested
        equal), made from the index's arrays (id, paragraph, kind, document) and row files
        (text, tokens, sentence): no B-tree seek per row. A row the files do not hold (a
        segment kept in memory only, a row of another kind, a position no live document
        holds) is read from the store, one statement for all of them."""
        at = np.fromiter(positions, dtype=np.int64)
        if not at.shape[0]:
            return {}
        cells = self._per_segment(at, RowTexts.cells)
        doc_at = np.searchsorted(self.doc_starts, at, side="right") - 1
        ends = self.doc_ends[doc_at].tolist() if self.doc_ids else [-1] * at.shape[0]  # (-1: no live document)
        out: dict[int, PassageRow] = {}
        rest: list[int] = []
        ids = self.doc_ids
        for pid, para, pos, d, end, cell in zip(self.passage_ids[at].tolist(), self.body_para[at].tolist(),
                                                at.tolist(), doc_at.tolist(), ends, cells):
            kind = row_kind(para) if cell is not None and 0 <= d and pos < end else None
            if kind is None:
                rest.append(pid)
                continue
            sentence, text, tokens = cell  # type: ignore[misc]
            out[pid] = PassageRow(pid, ids[d], kind[1], sentence, kind[0], text, split_tokens(tokens))
        if rest:
            out.update(self.reader.passages(rest))
        return out

    def texts_at(self, positions: Iterable[int]) -> list[str | None]:
        """The text of each (live) position's passage from the row files (None: not held
        there; read the row)."""
        at = np.fromiter(positions, dtype=np.int64)
        return self._per_segment(at, RowTexts.texts) if at.shape[0] else []

    def _per_segment(self, at: np.ndarray, read: "Callable[[RowTexts, np.ndarray], list[C | None]]") -> "list[C | None]":
        """`read(segment's row files, local positions)` for each segment `at` falls in, in `at`'s order."""
        segments = self.segments
        if len(segments) == 1:
            rows = segments[0].rows
            return read(rows, at) if rows is not None else [None] * at.shape[0]
        out: list[C | None] = [None] * at.shape[0]
        seg_of = np.searchsorted(self.segment_bases, at, side="right") - 1
        for i in sorted(set(seg_of.tolist())):
            rows = segments[i].rows
            if rows is None:
                continue
            sel = np.flatnonzero(seg_of == i)
            for j, cell in zip(sel.tolist(), read(rows, at[sel] - int(self.segment_bases[i]))):
                out[j] = cell
        return out

    def held_stems(self, positions: np.ndarray, term_ids: dict[str, int]) -> list[list[str]]:
        """For each position: which of `term_ids`' terms its passage holds, in its term
        list's order (what `set(tokenize(text)) & terms` gives for a body sentence; a byline
        or date line also holds its hint words), from the per-passage term lists, vectorised:
        one gather of every position's terms, one look-up of them in the wanted ids."""
        out: list[list[str]] = [[] for _ in range(len(positions))]
        if not term_ids or not len(positions):
            return out
        stems = list(term_ids)
        wanted = np.fromiter((term_ids[t] for t in stems), dtype=np.int64, count=len(stems))
        order = np.argsort(wanted, kind="stable")
        wanted = wanted[order]
        positions = np.asarray(positions, dtype=np.int64)
        seg_of = np.searchsorted(self.segment_bases, positions, side="right") - 1
        for i in sorted(set(seg_of.tolist())):  # (np.unique imports numpy.ma: ~10 ms of a cold CLI)
            seg = self.segments[i]
            sel = np.flatnonzero(seg_of == i)
            local = positions[sel] - int(self.segment_bases[i])
            starts = seg.pt_offsets[local]
            lens = seg.pt_offsets[local + 1] - starts
            total = int(lens.sum())
            if not total:
                continue
            owner = np.repeat(np.arange(sel.shape[0]), lens)
            ends = np.cumsum(lens)
            gather = np.arange(total, dtype=np.int64) + np.repeat(starts - (ends - lens), lens)
            terms = seg.pt_terms[gather]
            at = np.minimum(np.searchsorted(wanted, terms), wanted.shape[0] - 1)
            hit = np.flatnonzero(wanted[at] == terms)
            for o, j in zip(sel[owner[hit]].tolist(), order[at[hit]].tolist()):
                out[o].append(stems[j])
        return out

    def passage_terms(self, positions: Iterable[int], term_ids: dict[str, int | None]) -> dict[int, set[str]]:
        """For each position: its passage id → which of `term_ids`' terms the passage
        holds (what `set(tokenize(text)) & terms` gives for a body sentence), read from
        the index's per-passage term lists (`held_stems`) instead of re-tokenising the text.

        A byline or date line also holds its hint words (BYLINE_HINTS, DATE_HINTS)."""
        at = np.fromiter((int(p) for p in positions), dtype=np.int64)
        holds = self.held_stems(at, {t: int(i) for t, i in term_ids.items() if i is not None})
        return {int(self.passage_ids[p]): set(found) for p, found in zip(at.tolist(), holds)}

    def close(self) -> None:
        self.reader.close()

    # -- look-ups for entity cards, computed once per snapshot ------------------------------
    # `who()` used to scan every document's authors and run `key LIKE '%word%'` over
    # all mentions (a full table scan) on each call: ~0.2 s per call at 1M sentences.
    @functools.cached_property
    def _mention_keys_by_word(self) -> dict[str, frozenset[str]]:
        index: dict[str, set[str]] = {}
        for (key,) in self.reader.query("SELECT DISTINCT key FROM mentions"):
            for word in set(key.split()):
                index.setdefault(word, set()).add(key)
        return {w: frozenset(keys) for w, keys in index.items()}

    def mention_keys_with(self, words: Iterable[str]) -> list[str]:
        """Recorded name keys whose words include every one of `words`, sorted
        (what `SELECT DISTINCT key FROM mentions WHERE key LIKE '%w%'` + a word filter finds)."""
        found: frozenset[str] | None = None
        for word in set(words):
            keys = self._mention_keys_by_word.get(word, frozenset())
            found = keys if found is None else found & keys
            if not found:
                return []
        return sorted(found or ())

    @functools.cached_property
    def _author_words(self) -> dict[str, frozenset[tuple[str, int]]]:
        from bot.ingest.entities import name_key

        index: dict[str, set[tuple[str, int]]] = {}
        for doc_id, authors in self._authors.items():
            for i, author in enumerate(authors):
                for word in set(name_key(author).split()):
                    index.setdefault(word, set()).add((doc_id, i))
        return {w: frozenset(v) for w, v in index.items()}

    @functools.cached_property
    def _authors(self) -> dict[str, tuple[str, ...]]:
        # Two columns, not every document row (bot/search/documents.py).
        return {d: a for d, a in self.reader.document_authors() if d in self.documents}

    def documents_by_author(self, words: Iterable[str]) -> list[tuple[str, list[str]]]:
        """(document id, its authors whose name-key words include every one of `words`),
        in `documents` order: what scanning every document's authors finds."""
        found: frozenset[tuple[str, int]] | None = None
        for word in set(words):
            hits = self._author_words.get(word, frozenset())
            found = hits if found is None else found & hits
            if not found:
                return []
        if not found:
            return []
        by_doc: dict[str, list[int]] = {}
        for doc_id, i in found:
            by_doc.setdefault(doc_id, []).append(i)
        return [(d, [self._authors[d][i] for i in sorted(by_doc[d])])
                for d in self.documents if d in by_doc]

    @functools.cached_property
    def document_rank(self) -> dict[str, int]:
        """Document id → its place when sorted by (date, id)."""
        return self.documents.date_rank()


def load_snapshot(reader: PassageReader, params: BM25Params, previous: "Snapshot | None" = None,
                  hint: "tuple[object, frozenset[str]] | None" = None) -> Snapshot:
    """Map the persisted index of the reader's database state (bringing it up to
    date first when a build changed the database: bot/search/indexfiles.py).

    The documents' (id, date, path, size, mtime), the generation and the index are
    read in one short read transaction, so they describe the same state; nothing
    stays open afterwards. The other document columns are read by id when an answer
    needs them (bot/search/documents.py). (`previous` is accepted for callers; rows
    are carried over by the engine, `DocumentTable.adopt`.) `hint`: the caller's own
    build since the state the index may describe (bot/search/indexfiles.py `open_index`).
    """
    try:
        with reader.read_transaction() as conn:
            uid_row = conn.execute("SELECT value FROM meta WHERE key = 'store_uid'").fetchone()
            vocab_size = int(conn.execute("SELECT COALESCE(MAX(id), 0) FROM terms").fetchone()[0]) + 1
            state = open_index(conn, reader.path, reader.generation[0] if reader.generation else None,
                               uid_row[0] if uid_row else None, vocab_size, hint)
            # The document table as the index folder keeps it for this state; read when it does not.
            docs = DocumentTable(reader, table=state.table) if state.table is not None \
                else DocumentTable(reader, document_files(conn))
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"knowledge base unavailable: {exc}") from exc
    return snapshot_from_index(reader, state, docs, params)


def snapshot_from_index(reader: PassageReader, state: IndexState, docs: DocumentTable,
                        params: BM25Params) -> Snapshot:
    """Lay the segments end to end: positions, passage ids, lengths, the live mask,
    document frequencies without the deleted passages, and the live documents'
    ranges. Vectorised over documents: only deleted ones are visited one by one."""
    segments = state.segments
    bases = np.zeros(len(segments) + 1, dtype=np.int64)
    np.cumsum([s.n for s in segments], out=bases[1:])
    total = int(bases[-1])
    if len(segments) == 1:  # the mapped arrays themselves, no copy
        ids, lengths = segments[0].passage_ids, segments[0].doc_len
    else:
        ids = np.empty(total, dtype=np.int64)
        lengths = np.empty(total, dtype=np.float64)
    live = np.ones(total, dtype=np.bool_)
    df = np.zeros(state.vocab_size, dtype=np.int64)
    parts: list[Part] = []
    doc_ids: list[str] = []
    starts: list[np.ndarray] = []
    ends: list[np.ndarray] = []
    titles: list[np.ndarray] = []
    segment_docs: list[np.ndarray] = []
    any_deleted = False
    for seg, base in zip(segments, bases[:-1].tolist()):
        if len(segments) > 1:
            ids[base : base + seg.n] = seg.passage_ids
            lengths[base : base + seg.n] = seg.doc_len
        counts = np.diff(seg.term_offsets)
        if counts.shape[0] > df.shape[0]:
            df = np.concatenate([df, np.zeros(counts.shape[0] - df.shape[0], np.int64)])
        df[: counts.shape[0]] += counts
        dead = seg.deleted_mask()
        unknown = docs.unknown(seg.names)  # (none, unless the table and the index disagree)
        if unknown:
            dead |= np.fromiter((d in unknown for d in seg.names), dtype=np.bool_, count=len(seg.names))
        bounds = seg.doc_bounds
        filtered = bool(dead.any())
        if filtered:
            gone: list[np.ndarray] = []
            for i in np.flatnonzero(dead).tolist():
                start, end = int(bounds[i]), int(bounds[i + 1])
                live[base + start : base + end] = False
                gone.append(seg.pt_terms[int(seg.pt_offsets[start]) : int(seg.pt_offsets[end])])
            gone_terms = np.concatenate(gone) if gone else np.zeros(0, np.int32)
            if gone_terms.size:
                df -= np.bincount(gone_terms, minlength=df.shape[0])[: df.shape[0]]
            keep = ~dead
            doc_ids += [d for d, k in zip(seg.names, keep.tolist()) if k]
            starts.append(bounds[:-1][keep] + base)
            ends.append(bounds[1:][keep] + base)
            titles.append(seg.doc_title_len[keep])
            placed = np.full(keep.shape[0], -1, dtype=np.int64)
            placed[keep] = np.arange(len(doc_ids) - int(keep.sum()), len(doc_ids), dtype=np.int64)
            segment_docs.append(placed)
        else:
            segment_docs.append(np.arange(len(doc_ids), len(doc_ids) + len(seg.names), dtype=np.int64))
            doc_ids += seg.names
            starts.append(bounds[:-1] + base)
            ends.append(bounds[1:] + base)
            titles.append(seg.doc_title_len)
        any_deleted |= filtered
        parts.append(Part(seg.term_offsets, seg.post_pos, seg.post_tf, base, filtered, seg.term_tfmax, seg.term_mindl))
    index = PostingsIndex.from_parts(parts, lengths, params, live if any_deleted else None, df)

    def joined(arrays: list[np.ndarray], dtype: type) -> np.ndarray:
        return np.concatenate(arrays).astype(dtype, copy=False) if arrays else np.zeros(0, dtype)

    return Snapshot(reader, index, ids, docs, doc_ids, joined(starts, np.int64), joined(ends, np.int64),
                    joined(titles, np.int32), segments, bases[:-1], state.rebuilt, segment_docs)
