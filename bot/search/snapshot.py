"""The in-memory side of one committed database state: the BM25 arrays and the
document table. Immutable once built; a reload builds a new one and the engine
swaps the reference, so a question never sees a half-built index.
"""

from __future__ import annotations

import functools
import sqlite3
from dataclasses import dataclass
from typing import Iterable

import numpy as np

from bot.search.bm25 import BM25Params, PostingsIndex
from bot.store import PassageReader, StoredDocument, StoreError


@dataclass
class Snapshot:
    reader: PassageReader
    index: PostingsIndex
    passage_ids: np.ndarray  # position → passages.id
    documents: dict[str, StoredDocument]
    doc_ranges: dict[str, tuple[int, int]]  # document → [start, end) positions
    doc_order: list[str]

    @property
    def passage_count(self) -> int:
        return self.index.n_passages

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
        for doc in self.documents.values():
            for i, author in enumerate(doc.authors):
                for word in set(name_key(author).split()):
                    index.setdefault(word, set()).add((doc.id, i))
        return {w: frozenset(v) for w, v in index.items()}

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
        return [(d, [self.documents[d].authors[i] for i in sorted(by_doc[d])])
                for d in self.documents if d in by_doc]

    @functools.cached_property
    def document_rank(self) -> dict[str, int]:
        """Document id → its place when sorted by (date, id)."""
        return {d: i for i, d in enumerate(sorted(self.documents, key=lambda d: (self.documents[d].date or "", d)))}


def load_snapshot(reader: PassageReader, params: BM25Params) -> Snapshot:
    """Concatenate the per-document postings stored by the build into one CSR index.

    The blobs are streamed into arrays allocated once at their final size (no
    list of every blob, no concatenation copies), and the postings are grouped
    by term with a stable sort of 32-bit term ids.
    """
    docs = {d.id: d for d in reader.documents()}
    with reader.lock:
        if reader.closed:
            raise StoreError("this snapshot was retired")
        try:
            n_passages, n_postings = reader.conn.execute(
                "SELECT COALESCE(SUM(length(passage_ids)), 0) / 8, COALESCE(SUM(length(term_ids)), 0) / 4 "
                "FROM postings"
            ).fetchone()
            ids = np.empty(n_passages, dtype=np.int64)
            lengths = np.empty(n_passages, dtype=np.float64)
            term_ids = np.empty(n_postings, dtype=np.int32)
            positions = np.empty(n_postings, dtype=np.int32)
            tfs = np.empty(n_postings, dtype=np.float32)
            ranges: dict[str, tuple[int, int]] = {}
            order: list[str] = []
            base = 0
            at = 0
            cursor = reader.conn.execute(
                "SELECT document, passage_ids, lengths, term_ids, local, tfs FROM postings ORDER BY document"
            )
            for doc_id, pids, lens, tids, local, tf in cursor:
                if doc_id not in docs:
                    continue
                pid_arr = np.frombuffer(pids, dtype=np.int64)
                n = pid_arr.shape[0]
                m = len(tids) // 4
                ids[base : base + n] = pid_arr
                lengths[base : base + n] = np.frombuffer(lens, dtype=np.int32)
                term_ids[at : at + m] = np.frombuffer(tids, dtype=np.int32)
                np.add(np.frombuffer(local, dtype=np.int32), base, out=positions[at : at + m])
                tfs[at : at + m] = np.frombuffer(tf, dtype=np.uint16)
                ranges[doc_id] = (base, base + n)
                order.append(doc_id)
                base += n
                at += m
            vocab_size = int(reader.conn.execute("SELECT COALESCE(MAX(id), 0) FROM terms").fetchone()[0]) + 1
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"knowledge base unavailable: {exc}") from exc

    index = PostingsIndex.build(term_ids[:at], positions[:at], tfs[:at], lengths[:base], vocab_size, params)
    return Snapshot(reader, index, ids[:base], docs, ranges, order)
