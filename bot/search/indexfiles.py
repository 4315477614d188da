"""The persisted index: BM25 postings as numpy files beside the database, memory-mapped.

SQLite stays the store of record (the `postings` table holds each article's
terms); this directory is derived from it, so a start maps files instead of
re-sorting every posting (the 1.4 s of a 1.8 s reload at 100k sentences).

Layout: `<database>.index/manifest.json` names the segments and the database
state (store uid + generation) they describe; each `seg-*/` holds one group of
articles: passage ids and lengths, postings grouped by term (CSR: term_offsets,
post_pos, post_tf) and the same postings grouped by passage (pt_offsets,
pt_terms: the terms of a candidate sentence without re-tokenising it), each
passage's paragraph or metadata kind (body_para: ranking reads no row for it), each
passage's text, stored tokens and sentence number (row files: a candidate's row is a
slice of a mapped file, not a B-tree seek), and the per-document arrays a start needs (names, position bounds, first passage ids,
title lengths): mapped too, so a start builds no Python object per document and
decodes no per-document JSON (the manifest names segments and their deletions only).
The article scores' own postings are kept there too: each term's title postings
(TITLE_ARRAYS) and its documents with tf summed per document (DOC_ARRAYS), so a
question's new words read neither a statement nor every sentence posting.

A build that changes a few articles writes one small segment for them and marks
their old passages deleted in the segment that held them (incremental reload);
when segments pile up they are merged, and when deletions pass a third of the
index it is written anew. A manifest that names another database, a file whose
size or checksum does not match, or arrays that do not fit together are detected
at load: the index is rebuilt from SQLite with one log line. Writers take a file
lock; the manifest is replaced atomically, so readers see the old or the new set.
"""

from __future__ import annotations

import fcntl
import itertools
import json
import logging
import os
import shutil
import sqlite3
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from bot.search.bm25 import term_bounds
from bot.store import (BYLINE_LINE, DATE_LINE, OTHER_LINE, body_paragraphs, document_files, passage_cells,
                       stored_title_lengths, stored_title_postings)

log = logging.getLogger(__name__)

FORMAT = 5  # 5: row files (text, tokens, sentence) and title / document postings per segment; 4: body_para per position; 3: per-document arrays in the segments (2 kept them as JSON)
MAX_SEGMENTS = 8  # more than this: merge the small ones
REWRITE_DELETED_SHARE = 1 / 3  # deleted passages above this share: write the index anew
CHECK_BYTES = 1 << 16  # the checksum covers each file's first and last 64 KiB

ARRAYS = {  # name → dtype
    "passage_ids": np.int64,
    "doc_len": np.int32,
    "term_offsets": np.int64,
    "post_pos": np.int32,
    "post_tf": np.uint16,
    "pt_offsets": np.int64,
    "pt_terms": np.int32,
    "term_tfmax": np.uint16,  # per term: its largest tf in this segment (pruning bounds)
    "term_mindl": np.int32,  # per term: the shortest passage holding it in this segment
    # Per position: the paragraph of a body sentence, else a negative code (bot/store.py
    # BYLINE_LINE, DATE_LINE, OTHER_LINE): ranking groups candidates by paragraph and skips
    # metadata lines without reading their rows (bot/search/retrieve.py).
    "body_para": np.int32,
    # Per document (in segment order): positions doc_bounds[i]:doc_bounds[i+1], its first
    # passage id (the key a reload compares), its title's length in terms (-1: unknown,
    # a database without title terms), and its id: UTF-8, one "\n"-joined blob.
    "doc_bounds": np.int64,
    "doc_keys": np.int64,
    "doc_title_len": np.int32,
    "doc_names": np.uint8,
}

# Title postings per segment (`title_postings`): the segment's title terms, sorted, as
# fixed-width UTF-8 (a term longer than TITLE_WORD_BYTES, or holding a NUL, is left out
# and read from the store); each term's rows at title_offsets[k]:title_offsets[k + 1],
# (document in segment order, count) ascending. title_offsets empty: not kept (read them
# from the store). bot/search/doc_score.py looks a question's terms up here instead of
# a statement per question.
TITLE_WORD_BYTES = 24
TITLE_ARRAYS = {
    "title_words": np.dtype(f"S{TITLE_WORD_BYTES}"),
    "title_offsets": np.int64,
    "title_docs": np.int32,
    "title_n": np.int32,
}
ARRAYS.update(TITLE_ARRAYS)

# Document postings per segment (`doc_postings`): each term's documents (segment order)
# and its tf summed over each one's passages, at dterm_offsets[t]:dterm_offsets[t + 1]:
# the article scores read a term's documents without gathering every sentence posting
# into them (bot/search/doc_score.py `_TermDocs.body`). dterm_offsets empty: not kept.
DOC_ARRAYS = {
    "dterm_offsets": np.int64,
    "dpost_doc": np.int32,
    "dpost_tf": np.uint16,
}
ARRAYS.update(DOC_ARRAYS)


# Per position, what a passage's row holds beyond the arrays above (`RowTexts`): its text
# and its stored tokens as UTF-8 cells laid end to end (row_offsets[2p] : [2p+1] the text,
# [2p+1] : [2p+2] the tokens), its sentence number (NOT_KEPT: read the row from SQLite),
# and the CRC-32 of its two cells (row_crc): the file checksums cover each file's ends
# only, and a quote is text the bot says an article holds, so each cell is checked as read.
ROW_ARRAYS = {
    "row_text": np.uint8,
    "row_offsets": np.int64,
    "row_sentence": np.int32,
    "row_crc": np.uint32,
}
NOT_KEPT = np.iinfo(np.int32).min  # row_sentence of a row the files do not hold (read from the store)
NO_TOKENS = b"\x00"  # the tokens cell of a row stored without tokens (passages.tokens NULL)
_META_KINDS = {BYLINE_LINE: "byline", DATE_LINE: "date"}


class IndexFileError(RuntimeError):
    """A persisted index that does not match its manifest or its database."""


class IndexFormatChanged(IndexFileError):
    """The index was written by a version of StoryBot with another layout (an upgrade):
    rebuilt like a damaged one, but said as what it is."""


@dataclass(eq=False)
class Segment:
    """One group of articles' postings; positions are local (0..n-1)."""

    name: str
    passage_ids: np.ndarray
    doc_len: np.ndarray
    term_offsets: np.ndarray
    post_pos: np.ndarray
    post_tf: np.ndarray
    pt_offsets: np.ndarray
    pt_terms: np.ndarray
    term_tfmax: np.ndarray
    term_mindl: np.ndarray
    body_para: np.ndarray
    doc_bounds: np.ndarray
    doc_keys: np.ndarray
    doc_title_len: np.ndarray
    doc_names: np.ndarray
    names: list[str]  # doc_names decoded: the document ids, in segment order
    deleted: set[str] = field(default_factory=set)
    files: dict[str, list[int]] = field(default_factory=dict)
    # (TITLE_ARRAYS: `title_postings`; empty title_offsets: not kept)
    title_words: np.ndarray = field(default_factory=lambda: np.zeros(0, TITLE_ARRAYS["title_words"]))
    title_offsets: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    title_docs: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    title_n: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    # (DOC_ARRAYS: `doc_postings`; empty dterm_offsets: not kept)
    dterm_offsets: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    dpost_doc: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    dpost_tf: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint16))
    rows: "RowTexts | None" = None  # the row files, mapped (None: not written; rows come from SQLite)

    @property
    def n(self) -> int:
        return int(self.passage_ids.shape[0])

    @property
    def docs(self) -> list[tuple[str, int, int, int]]:
        """(document, start, end, key = its first passage id): one tuple per document
        (a reload's comparison and merges; a start reads the arrays)."""
        b = self.doc_bounds.tolist()
        return list(zip(self.names, b[:-1], b[1:], self.doc_keys.tolist()))

    def deleted_mask(self) -> np.ndarray:
        """Per document: whether it is deleted in this segment. (`deleted` only grows,
        so the mask is kept for its size.)"""
        cached = self.__dict__.get("_mask")
        if cached is not None and cached[0] == len(self.deleted):
            return cached[1]
        mask = np.zeros(len(self.names), dtype=np.bool_)
        if len(self.deleted) <= 64:  # a few: found by C-level scans of the name list
            for d in self.deleted:
                try:
                    mask[self.names.index(d)] = True
                except ValueError:
                    pass
        elif self.deleted:
            mask = np.fromiter((d in self.deleted for d in self.names), dtype=np.bool_, count=len(self.names))
        self.__dict__["_mask"] = (len(self.deleted), mask)
        return mask

    @property
    def live_passages(self) -> int:
        if not self.deleted:
            return self.n
        sizes = np.diff(self.doc_bounds)
        return int(sizes[~self.deleted_mask()].sum())

    def manifest_entry(self) -> dict:
        return {"name": self.name, "n": self.n, "m": int(self.post_pos.shape[0]), "d": len(self.names),
                "deleted": sorted(self.deleted), "files": self.files}


def _encode_names(names: list[str]) -> np.ndarray:
    return np.frombuffer("\n".join(names).encode("utf-8"), dtype=np.uint8)


def _decode_names(blob: np.ndarray, count: int) -> list[str]:
    if count == 0:
        return []
    names = blob.tobytes().decode("utf-8").split("\n")
    if len(names) != count:
        raise IndexFileError(f"{len(names)} document names for {count} documents")
    return names


@dataclass
class IndexState:
    """What a snapshot needs: the segments (in position order) and the vocabulary size."""

    segments: list[Segment]
    vocab_size: int
    rebuilt: str  # "" (mapped as found), "delta", "merge" or "full": what this load wrote
    persisted: bool  # False when the folder was not writable (kept in memory only)
    table: "FileTable | None" = None  # the documents' files as the database holds them (None: read them)


TABLE_ARRAYS = {  # name → dtype: the document table's (id, date, path, size, mtime_ns), by file name
    "ids": np.uint8,  # "\n"-joined UTF-8, as doc_names
    "dates": np.uint8,  # "\n"-joined; a missing date is NO_DATE
    "names": np.uint8,  # file names (the path less the one folder every path shares)
    "sizes": np.int64,
    "mtimes": np.int64,
}
NO_DATE = "\x00"
_NO_KEY = bytes(8)  # the key of a document without passages (stored: an empty blob)


@dataclass(eq=False)
class FileTable:
    """What a snapshot keeps of every document row (bot/search/documents.py), for the
    state the manifest describes: written with it, mapped at a start instead of reading
    34k rows at 1M sentences. Rows sorted by file name, so the freshness check compares
    a sorted listing with `names` and arrays with arrays (bot/ingest/files.py)."""

    folder: str  # every stored path is folder + "/" + name
    ids: list[str]
    dates: list[str | None]
    names: list[str]
    sizes: np.ndarray
    mtimes: np.ndarray

    def rows(self) -> list[tuple[str, str | None, str, int, int]]:
        """(id, date, path, size, mtime_ns): what `document_files` reads."""
        prefix = self.folder + "/"
        return list(zip(self.ids, self.dates, [prefix + n for n in self.names],
                        self.sizes.tolist(), self.mtimes.tolist()))


def _table_from_rows(rows: list[tuple]) -> FileTable | None:
    """`rows`: (id, date, path, size, mtime_ns) sorted by path. None when they do not fit
    the compact form (paths in several folders, a newline in a field): the snapshot then
    reads them from the database. Checked with C-level string operations, not a Python
    line per row (this runs at every build)."""
    if not rows:
        return FileTable("", [], [], [], np.zeros(0, np.int64), np.zeros(0, np.int64))
    ids, dates, paths, sizes, mtimes = (list(col) for col in zip(*rows))
    if any(p is None for p in paths):
        return None
    folder, sep, _ = paths[0].rpartition("/")
    if not sep:
        return None
    prefix = folder + "/"
    cut = len(prefix)
    if not all(map(str.startswith, paths, itertools.repeat(prefix))):
        return None
    names = [p[cut:] for p in paths]
    joined_names, joined_ids = "\n".join(names), "\n".join(ids)
    if "/" in joined_names or joined_names.count("\n") != len(names) - 1 or "" in names \
            or joined_ids.count("\n") != len(ids) - 1 or NO_DATE in joined_ids or NO_DATE in joined_names:
        return None
    known_dates = [d for d in dates if d is not None]
    joined_dates = "\n".join(known_dates)
    if joined_dates.count("\n") != max(len(known_dates) - 1, 0) or NO_DATE in joined_dates:
        return None
    if any(a >= b for a, b in zip(names, names[1:])):  # (sorted by path: the names too, and unique)
        return None
    return FileTable(folder, ids, dates, names, np.array([x or 0 for x in sizes], dtype=np.int64),
                     np.array([x or 0 for x in mtimes], dtype=np.int64))


def _write_table(folder: Path, table: FileTable) -> dict:
    name = f"tab-{os.urandom(6).hex()}"
    tmp = folder / (name + ".tmp")
    tmp.mkdir(parents=True)
    arrays = {"ids": _encode_names(table.ids), "names": _encode_names(table.names),
              "dates": _encode_names([NO_DATE if d is None else d for d in table.dates]),
              "sizes": table.sizes, "mtimes": table.mtimes}
    files: dict[str, list[int]] = {}
    for key, dtype in TABLE_ARRAYS.items():
        path = tmp / f"{key}.npy"
        np.save(path, np.ascontiguousarray(arrays[key], dtype=dtype))
        files[key] = [path.stat().st_size, _checksum(path)]
    os.replace(tmp, folder / name)
    return {"name": name, "d": len(table.ids), "folder": table.folder, "files": files}


def _load_table(folder: Path, entry: dict | None) -> FileTable | None:
    if entry is None:
        return None
    try:
        arrays = _load_arrays(folder / entry["name"], entry, TABLE_ARRAYS)
        d = int(entry["d"])
        if arrays["sizes"].shape[0] != d or arrays["mtimes"].shape[0] != d:
            raise IndexFileError(f"{entry['name']}: arrays of inconsistent sizes")
        ids = _decode_names(arrays["ids"], d)
        names = _decode_names(arrays["names"], d)
        dates = [None if x == NO_DATE else x for x in _decode_names(arrays["dates"], d)]
        return FileTable(str(entry["folder"]), ids, dates, names, arrays["sizes"], arrays["mtimes"])
    except (KeyError, TypeError, ValueError) as exc:  # (UnicodeDecodeError is a ValueError)
        raise IndexFileError(f"document table unreadable: {type(exc).__name__}: {exc}") from exc


def index_dir(db_path: Path | str) -> Path:
    return Path(str(db_path) + ".index")


# -- building segments from the store's postings ------------------------------------------------
def _segment_from_rows(rows: Iterable[tuple], sizes: tuple[int, int], vocab_size: int,
                       title_lengths: dict[str, int] | None = None,
                       paragraphs: tuple[np.ndarray, np.ndarray] | None = None) -> Segment:
    """`rows`: (document, passage_ids, lengths, term_ids, local, tfs) blobs as the store
    keeps them; `sizes`: (passages, postings) upper bounds, so arrays are allocated once;
    `title_lengths`: each document's title length in terms (None: unknown, -1);
    `paragraphs`: (passage ids ascending, their body_para), as `body_paragraphs` reads them."""
    n_cap, m_cap = sizes
    ids = np.empty(n_cap, dtype=np.int64)
    lengths = np.empty(n_cap, dtype=np.int32)
    term_ids = np.empty(m_cap, dtype=np.int32)
    positions = np.empty(m_cap, dtype=np.int32)
    tfs = np.empty(m_cap, dtype=np.uint16)
    docs: list[tuple[str, int, int, int]] = []
    base = at = 0
    for doc_id, pids, lens, tids, local, tf in rows:
        pid_arr = np.frombuffer(pids, dtype=np.int64)
        n = pid_arr.shape[0]
        m = len(tids) // 4
        ids[base : base + n] = pid_arr
        lengths[base : base + n] = np.frombuffer(lens, dtype=np.int32)
        term_ids[at : at + m] = np.frombuffer(tids, dtype=np.int32)
        np.add(np.frombuffer(local, dtype=np.int32), base, out=positions[at : at + m])
        tfs[at : at + m] = np.frombuffer(tf, dtype=np.uint16)
        docs.append((doc_id, base, base + n, int(pid_arr[0]) if n else 0))
        base += n
        at += m
    ids, lengths = ids[:base], lengths[:base]
    term_ids, positions, tfs = term_ids[:at], positions[:at], tfs[:at]
    # The forward index: the store's triples are already grouped by passage.
    pt_offsets = np.zeros(base + 1, dtype=np.int64)
    np.cumsum(np.bincount(positions, minlength=base), out=pt_offsets[1:])
    # The inverted index: a stable sort by term keeps positions ascending within a term.
    order = np.argsort(term_ids, kind="stable")
    v = max(vocab_size, int(term_ids.max()) + 1 if at else 0)
    term_offsets = np.zeros(v + 1, dtype=np.int64)
    np.cumsum(np.bincount(term_ids, minlength=v), out=term_offsets[1:])
    post_pos, post_tf = positions[order], tfs[order]
    tfmax, mindl = term_bounds(term_offsets, post_pos, post_tf, lengths)
    body_para = _body_para_of(ids, paragraphs)
    names = [d for d, _, _, _ in docs]
    if any("\n" in d for d in names):  # (ids are file names without control characters)
        raise ValueError("a document id holds a newline")
    bounds = np.array([0] + [e for _, _, e, _ in docs], dtype=np.int64)
    titles = title_lengths or {}
    return Segment(
        name="", passage_ids=ids, doc_len=lengths, term_offsets=term_offsets,
        post_pos=post_pos, post_tf=post_tf, pt_offsets=pt_offsets, pt_terms=term_ids,
        term_tfmax=tfmax, term_mindl=mindl, body_para=body_para, doc_bounds=bounds,
        doc_keys=np.array([k for _, _, _, k in docs], dtype=np.int64),
        doc_title_len=np.array([titles.get(d, -1) for d in names], dtype=np.int32),
        doc_names=_encode_names(names), names=names,
    )


def _build_segment(conn: sqlite3.Connection, documents: list[str] | None, vocab_size: int) -> Segment:
    """A segment of the given documents (all, when None), in document order."""
    if documents is None:
        n, m = conn.execute("SELECT COALESCE(SUM(length(passage_ids)), 0) / 8, "
                            "COALESCE(SUM(length(term_ids)), 0) / 4 FROM postings "
                            "WHERE document IN (SELECT id FROM documents)").fetchone()
        rows = conn.execute("SELECT document, passage_ids, lengths, term_ids, local, tfs FROM postings "
                            "WHERE document IN (SELECT id FROM documents) ORDER BY document")
        return _with_titles(conn, None, _segment_from_rows(rows, (int(n), int(m)), vocab_size,
                                                           stored_title_lengths(conn, None), body_paragraphs(conn, None)))
    docs = sorted(documents)
    fetched: list[tuple] = []
    for i in range(0, len(docs), 500):
        chunk = docs[i : i + 500]
        fetched += conn.execute(
            "SELECT document, passage_ids, lengths, term_ids, local, tfs FROM postings "
            f"WHERE document IN ({','.join('?' * len(chunk))}) ORDER BY document", chunk).fetchall()
    sizes = (sum(len(r[1]) // 8 for r in fetched), sum(len(r[3]) // 4 for r in fetched))
    return _with_titles(conn, docs, _segment_from_rows(fetched, sizes, vocab_size, stored_title_lengths(conn, docs),
                                                       body_paragraphs(conn, docs)))


def _with_titles(conn: sqlite3.Connection, documents: list[str] | None, seg: Segment) -> Segment:
    """`seg` with its documents' title postings (`title_postings`) and document postings
    (`doc_postings`)."""
    arrays = title_postings(stored_title_postings(conn, documents), seg.names)
    arrays.update(doc_postings(seg.term_offsets, seg.post_pos, seg.post_tf, seg.doc_bounds))
    for name, value in arrays.items():
        setattr(seg, name, value)
    return seg


DOC_POSTINGS_CHUNK = 1 << 21  # `doc_postings` works through this many sentence postings at a time


def doc_postings(term_offsets: np.ndarray, post_pos: np.ndarray, post_tf: np.ndarray,
                 doc_bounds: np.ndarray) -> dict[str, np.ndarray]:
    """DOC_ARRAYS from a segment's postings (grouped by term, positions ascending) and its
    documents' position bounds: one entry per (term, document) holding it, tf summed (in
    int64, exact). A run of a term's postings in one document is one entry. Worked through
    in chunks of whole terms (bounded memory at 1M sentences: 12M postings, 6.7M entries).
    A sum above 65535: not kept (empty dterm_offsets)."""
    empty = {name: np.zeros(0, dtype) for name, dtype in DOC_ARRAYS.items()}
    v = term_offsets.shape[0] - 1
    m = post_pos.shape[0]
    if v < 0 or doc_bounds.shape[0] < 1:
        return empty
    doc_of_pos = np.repeat(np.arange(doc_bounds.shape[0] - 1, dtype=np.int32), np.diff(doc_bounds))
    counts = np.zeros(v, dtype=np.int64)
    docs_parts: list[np.ndarray] = []
    tf_parts: list[np.ndarray] = []
    t0 = 0
    while t0 < v:
        # whole terms, about DOC_POSTINGS_CHUNK postings (at least one term)
        t1 = int(np.searchsorted(term_offsets, int(term_offsets[t0]) + DOC_POSTINGS_CHUNK, side="right")) - 1
        t1 = min(max(t1, t0 + 1), v)
        lo, hi = int(term_offsets[t0]), int(term_offsets[t1])
        if hi > lo:
            docs = doc_of_pos[post_pos[lo:hi]]
            new = np.empty(hi - lo, dtype=np.bool_)
            new[0] = True
            np.not_equal(docs[1:], docs[:-1], out=new[1:])
            starts = term_offsets[t0:t1] - lo
            new[starts[starts < hi - lo]] = True  # (a term's first posting starts an entry)
            at = np.flatnonzero(new)
            sums = np.add.reduceat(post_tf[lo:hi], at, dtype=np.int64)
            if sums.shape[0] and int(sums.max()) > 65535:
                return empty
            # entries per term: the entry starts within each term's postings
            counts[t0:t1] = np.diff(np.searchsorted(at, term_offsets[t0 : t1 + 1] - lo))
            docs_parts.append(docs[at])
            tf_parts.append(sums.astype(np.uint16))
        t0 = t1
    offsets = np.zeros(v + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return {"dterm_offsets": offsets,
            "dpost_doc": np.concatenate(docs_parts) if docs_parts else np.zeros(0, np.int32),
            "dpost_tf": np.concatenate(tf_parts) if tf_parts else np.zeros(0, np.uint16)}


def title_word(term: str) -> bytes | None:
    """`term` as `title_words` holds it, or None: a term the arrays leave out (too long,
    a NUL, not encodable), whose title postings are read from the store."""
    try:
        raw = term.encode("utf-8")
    except UnicodeEncodeError:
        return None
    if len(raw) > TITLE_WORD_BYTES or b"\0" in raw:
        return None
    return raw  # (b"" for the title-length rows' term: in no segment's words, as in no title)


def title_postings(rows: list[tuple[str, str, int]] | None, names: list[str]) -> dict[str, np.ndarray]:
    """TITLE_ARRAYS for a segment of documents `names` (in segment order) from its
    `title_terms` rows (document, term, n): by term (bytes order), then document, then
    count. None (a database without current title terms), or a count that is not a
    small non-negative integer: not kept (an empty title_offsets)."""
    empty = {name: np.zeros(0, dtype) for name, dtype in TITLE_ARRAYS.items()}
    if rows is None:
        return empty
    local = dict(zip(names, range(len(names))))
    codes: dict[bytes, int] = {}
    word_of, doc_of, n_of = [], [], []
    for doc, term, n in rows:
        i = local.get(doc)
        if i is None or not isinstance(term, str):
            continue
        raw = title_word(term)
        if not raw:
            continue
        try:  # (as the store's reader turns a count it cannot join: `int(n)`)
            n = int(n)
        except (TypeError, ValueError, OverflowError):
            return empty
        if not 0 <= n < 1 << 31:
            return empty
        code = codes.get(raw)
        if code is None:
            code = codes[raw] = len(codes)
        word_of.append(code)
        doc_of.append(i)
        n_of.append(n)
    words = sorted(codes)
    rank = np.zeros(len(codes), dtype=np.int64)
    rank[[codes[w] for w in words]] = np.arange(len(words), dtype=np.int64)
    which = rank[np.asarray(word_of, dtype=np.int64)]
    docs = np.asarray(doc_of, dtype=np.int32)
    counts = np.asarray(n_of, dtype=np.int32)
    order = np.lexsort((counts, docs, which))
    offsets = np.zeros(len(words) + 1, dtype=np.int64)
    np.cumsum(np.bincount(which, minlength=len(words)), out=offsets[1:])
    return {"title_words": np.array(words, dtype=TITLE_ARRAYS["title_words"]), "title_offsets": offsets,
            "title_docs": docs[order], "title_n": counts[order]}


def _body_para_of(ids: np.ndarray, paragraphs: tuple[np.ndarray, np.ndarray] | None) -> np.ndarray:
    """body_para for passages `ids` (OTHER_LINE for an id `paragraphs` does not hold)."""
    out = np.full(ids.shape[0], OTHER_LINE, dtype=np.int32)
    if paragraphs is None or not ids.shape[0] or not paragraphs[0].shape[0]:
        return out
    known, para = paragraphs
    at = np.minimum(np.searchsorted(known, ids), known.shape[0] - 1)
    found = known[at] == ids
    out[found] = para[at[found]]
    return out


# -- files ---------------------------------------------------------------------------------------
def _checksum(path: Path) -> int:
    size = path.stat().st_size
    with open(path, "rb") as fh:
        crc = zlib.crc32(fh.read(CHECK_BYTES))
        if size > CHECK_BYTES:
            fh.seek(max(CHECK_BYTES, size - CHECK_BYTES))
            crc = zlib.crc32(fh.read(CHECK_BYTES), crc)
    return crc


def _write_segment(folder: Path, seg: Segment, conn: sqlite3.Connection) -> None:
    seg.name = f"seg-{os.urandom(6).hex()}"  # 12 random hex digits (uuid4 costs an import)
    tmp = folder / (seg.name + ".tmp")
    tmp.mkdir(parents=True)
    files: dict[str, list[int]] = {}
    for name, dtype in ARRAYS.items():
        path = tmp / f"{name}.npy"
        np.save(path, np.ascontiguousarray(getattr(seg, name), dtype=dtype))
        files[name] = [path.stat().st_size, _checksum(path)]
    files.update(_write_row_files(tmp, conn, seg))
    os.replace(tmp, folder / seg.name)
    seg.files = files
    seg.rows = _load_row_files(folder / seg.name, {"name": seg.name, "files": files}, seg.n)


def _load_segment(folder: Path, entry: dict) -> Segment:
    try:
        return _load_segment_entry(folder, entry)
    except (KeyError, TypeError, ValueError) as exc:  # a manifest entry of the wrong shape
        raise IndexFileError(f"manifest entry unreadable: {type(exc).__name__}: {exc}") from exc


def _load_arrays(seg_dir: Path, entry: dict, kinds: dict[str, type]) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {}
    for name, dtype in kinds.items():
        path = seg_dir / f"{name}.npy"
        size, crc = entry["files"][name]
        try:
            if path.stat().st_size != size or _checksum(path) != crc:
                raise IndexFileError(f"{entry['name']}/{name}.npy does not match its checksum")
            arr = np.load(path, mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise IndexFileError(f"{entry['name']}/{name}.npy: {exc}") from exc
        if arr.dtype != dtype or arr.ndim != 1:
            raise IndexFileError(f"{entry['name']}/{name}.npy has the wrong type")
        # A plain ndarray view of the mapping (it keeps the map alive): indexing a
        # np.memmap goes through a Python-level __getitem__ (~3 µs per scalar; a
        # question indexes these arrays thousands of times).
        arrays[name] = np.asarray(arr)
    return arrays


def _load_segment_entry(folder: Path, entry: dict) -> Segment:
    arrays = _load_arrays(folder / entry["name"], entry, ARRAYS)
    n, m, d = int(entry["n"]), int(entry["m"]), int(entry["d"])
    bounds = arrays["doc_bounds"]
    ok = (bounds.shape[0] == d + 1 and arrays["doc_keys"].shape[0] == d
          and arrays["doc_title_len"].shape[0] == d and int(bounds[0]) == 0 and int(bounds[-1]) == n
          and bool((bounds[1:] >= bounds[:-1]).all()) and arrays["passage_ids"].shape[0] == n and arrays["doc_len"].shape[0] == n
          and arrays["pt_offsets"].shape[0] == n + 1 and arrays["post_pos"].shape[0] == m
          and arrays["post_tf"].shape[0] == m and arrays["pt_terms"].shape[0] == m
          and int(arrays["term_offsets"][-1]) == m and int(arrays["pt_offsets"][-1]) == m
          and int(arrays["term_offsets"][0]) == 0 and int(arrays["pt_offsets"][0]) == 0
          and arrays["term_tfmax"].shape[0] == arrays["term_mindl"].shape[0] == arrays["term_offsets"].shape[0] - 1
          and arrays["body_para"].shape[0] == n and _titles_fit(arrays) and _doc_postings_fit(arrays))
    if not ok:
        raise IndexFileError(f"{entry['name']}: arrays of inconsistent sizes")
    try:
        names = _decode_names(arrays["doc_names"], d)
    except UnicodeDecodeError as exc:
        raise IndexFileError(f"{entry['name']}: document names unreadable ({exc})") from exc
    return Segment(name=entry["name"], names=names, deleted=set(entry.get("deleted", ())),
                   files=entry["files"], rows=_load_row_files(folder / entry["name"], entry, n), **arrays)


def _titles_fit(arrays: dict[str, np.ndarray]) -> bool:
    """The title arrays' sizes agree (or title_offsets is empty: not kept)."""
    offsets = arrays["title_offsets"]
    if not offsets.shape[0]:
        return True
    k = arrays["title_docs"].shape[0]
    return (offsets.shape[0] == arrays["title_words"].shape[0] + 1 and arrays["title_n"].shape[0] == k
            and int(offsets[0]) == 0 and int(offsets[-1]) == k)


def _doc_postings_fit(arrays: dict[str, np.ndarray]) -> bool:
    """The document postings' sizes agree with the term postings (or are not kept)."""
    offsets = arrays["dterm_offsets"]
    if not offsets.shape[0]:
        return True
    k = arrays["dpost_doc"].shape[0]
    return (offsets.shape[0] == arrays["term_offsets"].shape[0] and arrays["dpost_tf"].shape[0] == k
            and int(offsets[0]) == 0 and int(offsets[-1]) == k)


def _read_manifest(folder: Path) -> dict | None:
    try:
        data = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise IndexFileError(f"manifest unreadable: {exc}") from exc
    if isinstance(data, dict) and isinstance(data.get("format"), int) and data["format"] != FORMAT:
        raise IndexFormatChanged(f"written in format {data['format']}, this version reads {FORMAT}")
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("segments"), list):
        raise IndexFileError("manifest of another format")
    return data


def _write_manifest(folder: Path, manifest: dict) -> None:
    tmp = folder / f"manifest.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(manifest, separators=(",", ":")), encoding="utf-8")
    os.replace(tmp, folder / "manifest.json")
    keep = {s["name"] for s in manifest["segments"]} | {(manifest.get("table") or {}).get("name")}
    for child in folder.iterdir():  # segments no manifest names any more (a reader that
        if child.name.startswith(("seg-", "tab-")) and child.name not in keep:  # mapped them keeps them)
            shutil.rmtree(child, ignore_errors=True)


class _Lock:
    """An exclusive lock on the index folder, across processes (a CLI beside the bot)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "lock"

    def __enter__(self) -> "_Lock":
        self.fh = open(self.path, "a+")
        fcntl.flock(self.fh, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self.fh, fcntl.LOCK_UN)
        self.fh.close()


def _log_unreadable(folder: Path, exc: IndexFileError) -> None:
    """One log line for an index that cannot be used as it is: an upgrade's new format is
    not damage (info), anything else is (a warning)."""
    if isinstance(exc, IndexFormatChanged):
        log.info("index at %s was %s: rebuilding it from the database", folder, exc)
    else:
        log.warning("index at %s is damaged (%s): rebuilding it from the database", folder, exc)


# -- the entry point -------------------------------------------------------------------------------
def open_index(conn: sqlite3.Connection, db_path: Path | str, generation: object,
               store_uid: str | None, vocab_size: int,
               hint: tuple[object, frozenset[str]] | None = None) -> IndexState:
    """The index for the database state `conn` reads (a read transaction is open):
    mapped when the manifest describes this state; otherwise brought up to date
    (a delta segment, a merge, or a full rebuild) and persisted first.

    `hint`: (generation before, documents written): the caller's own build, the one
    write between that state and this one. When the manifest describes that earlier
    state, only those documents are compared (not every document's postings row)."""
    folder = index_dir(db_path)
    want = {"store_uid": store_uid, "generation": generation}
    logged = False
    try:
        manifest = _read_manifest(folder)
        if manifest is not None and all(manifest.get(k) == v for k, v in want.items()):
            return IndexState([_load_segment(folder, e) for e in manifest["segments"]],
                              max(vocab_size, int(manifest.get("vocab_size", 0))), "", True,
                              _load_table(folder, manifest.get("table")))
    except IndexFileError as exc:
        _log_unreadable(folder, exc)
        logged = True
    try:
        folder.mkdir(exist_ok=True)
        with _Lock(folder):
            return _update(conn, folder, want, vocab_size, logged, hint)
    except OSError as exc:
        log.warning("cannot write the index at %s (%s): building it in memory", folder, exc)
        seg = _build_segment(conn, None, vocab_size)
        return IndexState([seg], vocab_size, "full", False)


def _update(conn: sqlite3.Connection, folder: Path, want: dict, vocab_size: int, logged: bool,
            hint: tuple[object, frozenset[str]] | None = None) -> IndexState:
    segments: list[Segment] | None = None
    manifest: dict | None = None
    try:
        manifest = _read_manifest(folder)
        if manifest is not None and manifest.get("store_uid") == want["store_uid"]:
            segments = [_load_segment(folder, e) for e in manifest["segments"]]
            if manifest.get("generation") == want["generation"]:  # another process just did it
                return IndexState(segments, max(vocab_size, int(manifest.get("vocab_size", 0))), "", True,
                                  _load_table(folder, manifest.get("table")))
    except IndexFileError as exc:
        if not logged:  # (one line per damage)
            _log_unreadable(folder, exc)
        segments = None
    rebuilt = "full"
    if segments is not None:
        # (document, first passage id) pairs as stored and as indexed, compared as sets of
        # (str, 8 bytes): no int or tuple built per document in Python (34k at 1M sentences).
        only = _hinted(manifest, want, hint)
        if only is not None:  # this process's one build since the indexed state: its documents
            desired, current = _pairs_of(conn, segments, sorted(only))
        else:
            desired, current = _all_pairs(conn, segments)
        gone_set = {d for d, _ in current - desired}
        new = sorted({d for d, _ in desired - current})
        gone = sorted(gone_set)
        for seg in segments:
            for d in gone_set.intersection(seg.names):
                if d not in seg.deleted:
                    seg.deleted.add(d)
        rebuilt = "delta" if (gone or new) else ""
        if new:
            seg = _build_segment(conn, new, vocab_size)
            _write_segment(folder, seg, conn)
            segments.append(seg)
        segments = [s for s in segments if s.live_passages > 0]
        total = sum(s.n for s in segments)
        live = sum(s.live_passages for s in segments)
        if total and (total - live) > REWRITE_DELETED_SHARE * total:
            segments = None
        elif len(segments) > MAX_SEGMENTS:
            segments = _merge_small(conn, folder, segments, vocab_size)
            rebuilt = "merge" if segments is not None else "full"
    if segments is None:
        seg = _build_segment(conn, None, vocab_size)
        _write_segment(folder, seg, conn)
        segments = [seg]
        rebuilt = "full"
    table = _table_from_rows(document_files(conn, by_path=True))
    _write_manifest(folder, {"format": FORMAT, **want, "vocab_size": vocab_size,
                             "segments": [s.manifest_entry() for s in segments],
                             "table": _write_table(folder, table) if table is not None else None})
    if rebuilt:
        log.info("index %s: %s (%d segment(s))", folder.name, rebuilt, len(segments))
    return IndexState(segments, vocab_size, rebuilt, True, table)


def _hinted(manifest: dict | None, want: dict, hint: tuple[object, frozenset[str]] | None) -> frozenset[str] | None:
    """The documents to compare when the hint applies: the manifest describes the state
    just before the caller's build, and the database is exactly one write past it."""
    if hint is None or manifest is None or len(hint[1]) > 256:
        return None
    before, documents = hint
    try:
        if manifest.get("generation") != before[0] or int(want["generation"]) != int(before[0]) + 1:  # type: ignore[index]
            return None
    except (TypeError, ValueError, IndexError):
        return None
    return documents


def _key_bytes(seg: Segment) -> list[bytes]:
    """Each document's first passage id as the store's blob begins (b"" for none)."""
    raw = seg.doc_keys.astype("<i8").tobytes()
    return [raw[i : i + 8] if raw[i : i + 8] != _NO_KEY else b"" for i in range(0, len(raw), 8)]


def _all_pairs(conn: sqlite3.Connection, segments: list[Segment]) -> tuple[set, set]:
    desired = set(conn.execute(
        "SELECT document, COALESCE(substr(passage_ids, 1, 8), X'') FROM postings "
        "WHERE document IN (SELECT id FROM documents)"))
    current: set[tuple[str, bytes]] = set()
    for seg in segments:
        keys = _key_bytes(seg)
        if seg.deleted:
            current.update((d, k) for d, k, dead in zip(seg.names, keys, seg.deleted_mask().tolist()) if not dead)
        else:
            current.update(zip(seg.names, keys))
    return desired, current


def _pairs_of(conn: sqlite3.Connection, segments: list[Segment], documents: list[str]) -> tuple[set, set]:
    """`_all_pairs` restricted to `documents` (a few: found by C-level list scans)."""
    desired: set[tuple[str, bytes]] = set()
    for i in range(0, len(documents), 500):
        chunk = documents[i : i + 500]
        desired.update(conn.execute(
            "SELECT document, COALESCE(substr(passage_ids, 1, 8), X'') FROM postings "
            f"WHERE document IN ({','.join('?' * len(chunk))}) AND document IN (SELECT id FROM documents)", chunk))
    current: set[tuple[str, bytes]] = set()
    wanted = set(documents)
    for seg in segments:
        for d in wanted.intersection(seg.names):
            if d not in seg.deleted:
                k = int(seg.doc_keys[seg.names.index(d)])
                current.add((d, k.to_bytes(8, "little") if k else b""))
    return desired, current


def _merge_small(conn: sqlite3.Connection, folder: Path, segments: list[Segment],
                 vocab_size: int) -> list[Segment] | None:
    """Merge every segment smaller than a tenth of the index into one (re-read from
    the store); None when that would not bring the count down (write anew instead)."""
    total = sum(s.live_passages for s in segments)
    small = [s for s in segments if s.live_passages < total / 10]
    if len(small) < 2:
        return None
    docs = [d for s in small for d, _, _, _ in s.docs if d not in s.deleted]
    merged = _build_segment(conn, docs, vocab_size)
    _write_segment(folder, merged, conn)
    keep = [s for s in segments if all(s is not x for x in small)]
    return keep + [merged] if len(keep) + 1 <= MAX_SEGMENTS else None


# -- row files: each passage's text, tokens and sentence, read as slices ---------------------------
class RowTexts:
    """A segment's row files, mapped: what `PassageReader.passages` would read of a
    position's row (its text, stored tokens and sentence; the rest is in the arrays),
    without a B-tree seek and page read per row (~20 rows a question at 1M sentences).
    The files describe the same database state as the segment's postings (written from
    it in the build's read transaction), so the text is the text its postings index."""

    def __init__(self, text: np.ndarray, offsets: np.ndarray, sentence: np.ndarray, crc: np.ndarray) -> None:
        self.text = memoryview(text)  # (slicing a memoryview: no numpy scalar per cell)
        self.offsets = offsets
        self.sentence = sentence
        self.crc = crc

    def _intact(self, local: np.ndarray) -> Iterator[tuple[int, int, int, int] | None]:
        """(sentence, text start, tokens start, end) of each local position whose cells
        the files hold and whose bytes are as written (in bounds, CRC-32 equal); None for
        the others (read the row from the store)."""
        at = 2 * local
        text = self.text
        size = len(text)
        for sentence, crc, a, b, c in zip(self.sentence[local].tolist(), self.crc[local].tolist(),
                                          self.offsets[at].tolist(), self.offsets[at + 1].tolist(),
                                          self.offsets[at + 2].tolist()):
            ok = sentence != NOT_KEPT and 0 <= a <= b <= c <= size and zlib.crc32(text[a:c]) == crc
            yield (sentence, a, b, c) if ok else None

    def cells(self, local: np.ndarray) -> list[tuple[int, str, str | None] | None]:
        """(sentence, text, tokens cell: None when stored without) of each local position;
        None where the files do not hold the row (read it from the store)."""
        text = self.text
        out: list[tuple[int, str, str | None] | None] = []
        for cell in self._intact(local):
            if cell is None:
                out.append(None)
                continue
            sentence, a, b, c = cell
            try:
                tokens = text[b:c]
                out.append((sentence, str(text[a:b], "utf-8"), None if tokens == NO_TOKENS else str(tokens, "utf-8")))
            except (UnicodeDecodeError, ValueError):  # (damage the checksums missed: the store answers)
                out.append(None)
        return out

    def texts(self, local: np.ndarray) -> list[str | None]:
        """The text of each local position (None: read the row from the store)."""
        text = self.text
        out: list[str | None] = []
        for cell in self._intact(local):  # (the same cells `cells` accepts)
            try:
                out.append(None if cell is None else str(text[cell[1]:cell[2]], "utf-8"))
            except (UnicodeDecodeError, ValueError):
                out.append(None)
        return out


def row_kind(body_para: int) -> tuple[str, int] | None:
    """(kind, paragraph) of a row the row files hold, from its body_para code."""
    if body_para >= 0:
        return "body", body_para
    kind = _META_KINDS.get(body_para)
    return (kind, 0) if kind is not None else None


def _write_row_files(seg_dir: Path, conn: sqlite3.Connection, seg: Segment) -> dict[str, list[int]]:
    """Write `seg`'s row files into `seg_dir`, read from the store 500 documents at a time
    (their positions are contiguous), streamed to disk: a full build at 1M sentences holds
    ~15k rows at once, not 200 MB of text. A row the files cannot hold as the arrays
    describe it (another kind, a metadata line outside paragraph 0, a missing row or a
    value of another type) is marked NOT_KEPT and read from the store when asked."""
    n = seg.n
    offsets = np.zeros(2 * n + 1, dtype=np.int64)
    sentence = np.full(n, NOT_KEPT, dtype=np.int32)
    crc = np.zeros(n, dtype=np.uint32)
    raw_path = seg_dir / "row_text.raw"
    bounds = seg.doc_bounds.tolist()
    body_para = seg.body_para
    at = 0
    with open(raw_path, "wb") as raw:
        for i in range(0, len(seg.names), 500):
            lo, hi = bounds[i], bounds[min(i + 500, len(seg.names))]
            if lo == hi:
                continue
            where = dict(zip(seg.passage_ids[lo:hi].tolist(), range(hi - lo)))
            paras = body_para[lo:hi].tolist()
            cells = [b""] * (2 * (hi - lo))
            sent = sentence[lo:hi]
            sums = crc[lo:hi]
            for pid, paragraph, number, kind, text, tokens in passage_cells(conn, seg.names[i : i + 500]):
                j = where.get(pid)
                if j is None or not isinstance(text, str) or type(number) is not int or type(paragraph) is not int \
                        or not NOT_KEPT < number < 1 << 31 or row_kind(paras[j]) != (kind, paragraph) \
                        or not (tokens is None or isinstance(tokens, str)):
                    continue
                try:
                    cell = NO_TOKENS if tokens is None else tokens.encode("utf-8")
                    if cell == NO_TOKENS and tokens is not None:
                        continue
                    cells[2 * j], cells[2 * j + 1] = text.encode("utf-8"), cell
                except UnicodeEncodeError:  # (a lone surrogate: the store keeps what it keeps)
                    continue
                sent[j] = number
                sums[j] = zlib.crc32(cell, zlib.crc32(cells[2 * j]))
            lengths = np.fromiter(map(len, cells), dtype=np.int64, count=len(cells))
            np.cumsum(lengths, out=offsets[2 * lo + 1 : 2 * hi + 1])
            offsets[2 * lo + 1 : 2 * hi + 1] += at
            at = int(offsets[2 * hi])
            raw.write(b"".join(cells))
    offsets[2 * n :] = at  # (a trailing document without passages)
    files: dict[str, list[int]] = {}
    path = seg_dir / "row_text.npy"
    with open(path, "wb") as out, open(raw_path, "rb") as raw:
        np.lib.format.write_array_header_1_0(out, {"descr": "|u1", "fortran_order": False, "shape": (at,)})
        shutil.copyfileobj(raw, out, 1 << 20)
    raw_path.unlink()
    files["row_text"] = [path.stat().st_size, _checksum(path)]
    for name, arr in (("row_offsets", offsets), ("row_sentence", sentence), ("row_crc", crc)):
        path = seg_dir / f"{name}.npy"
        np.save(path, arr)
        files[name] = [path.stat().st_size, _checksum(path)]
    return files


def _load_row_files(seg_dir: Path, entry: dict, n: int) -> RowTexts:
    arrays = _load_arrays(seg_dir, entry, ROW_ARRAYS)
    text, offsets, sentence, crc = arrays["row_text"], arrays["row_offsets"], arrays["row_sentence"], arrays["row_crc"]
    if offsets.shape[0] != 2 * n + 1 or sentence.shape[0] != n or crc.shape[0] != n or int(offsets[0]) != 0 \
            or int(offsets[-1]) != text.shape[0]:
        raise IndexFileError(f"{entry['name']}: row files of inconsistent sizes")
    return RowTexts(text, offsets, sentence, crc)
