"""The in-memory side of one committed database state: the BM25 arrays and the
document table. Immutable once built; a reload builds a new one and the engine
swaps the reference, so a question never sees a half-built index.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot.search.bm25 import BM25Params, PostingsIndex
from bot.store import PassageReader, StoredDocument


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

    def document_of(self, position: int) -> str:
        for doc_id in self.doc_order:  # small helper for tests; retrieval uses passage rows
            lo, hi = self.doc_ranges[doc_id]
            if lo <= position < hi:
                return doc_id
        raise IndexError(position)

    def close(self) -> None:
        self.reader.close()


def load_snapshot(reader: PassageReader, params: BM25Params) -> Snapshot:
    """Concatenate the per-document postings stored by the build into one CSR index."""
    docs = {d.id: d for d in reader.documents()}
    rows = reader.query("SELECT document, passage_ids, lengths, term_ids, local, tfs FROM postings ORDER BY document")
    id_parts: list[np.ndarray] = []
    len_parts: list[np.ndarray] = []
    term_parts: list[np.ndarray] = []
    pos_parts: list[np.ndarray] = []
    tf_parts: list[np.ndarray] = []
    ranges: dict[str, tuple[int, int]] = {}
    order: list[str] = []
    base = 0
    for doc_id, pids, lens, tids, local, tfs in rows:
        if doc_id not in docs:
            continue
        pid_arr = np.frombuffer(pids, dtype=np.int64)
        n = pid_arr.shape[0]
        id_parts.append(pid_arr)
        len_parts.append(np.frombuffer(lens, dtype=np.int32))
        term_parts.append(np.frombuffer(tids, dtype=np.int32))
        pos_parts.append(np.frombuffer(local, dtype=np.int32) + base)
        tf_parts.append(np.frombuffer(tfs, dtype=np.uint16))
        ranges[doc_id] = (base, base + n)
        order.append(doc_id)
        base += n
    vocab_size = int(reader.query("SELECT COALESCE(MAX(id), 0) FROM terms")[0][0]) + 1

    def cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
        return np.concatenate(parts).astype(dtype, copy=False) if parts else np.empty(0, dtype)

    index = PostingsIndex.build(
        cat(term_parts, np.int64), cat(pos_parts, np.int32), cat(tf_parts, np.float32),
        cat(len_parts, np.float64), vocab_size, params,
    )
    return Snapshot(reader, index, cat(id_parts, np.int64), docs, ranges, order)
