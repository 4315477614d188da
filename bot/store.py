"""The SQLite schema (through sqlite-utils) and the atomic writes of a build.

One file holds everything: documents, passages, the vocabulary, per-document
postings (so a restart does not re-tokenise), entity mentions, and the
moderators' records (audit, gaps, feedback). Writes of a build happen in one
transaction (`Store.write_changes`): SQLite's journal makes a crash or
`kill -9` mid-build leave the file as it was. The database runs in WAL mode
so readers are not blocked while a build writes.

The WAL stays small and the main file stays whole: no read transaction outlives
one question (`PassageReader` reads in autocommit), so checkpoints complete;
each build and each journal write ends with `Store.checkpoint()` (everything
moved into the main file, the WAL truncated), so a plain copy of the database
file is complete and deleting `-wal`/`-shm` loses nothing.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Any, Callable, Iterable, TypeVar

import numpy as np

from bot.text.tokenize import tokenize

SCHEMA_VERSION = 4  # 4: passages.tokens (each sentence's index terms, for retrieval)
# The `title_terms` table (each document's title terms, counted; the empty term holds the
# title's length): doc-level BM25 (bot/search/doc_score.py) reads a question's terms from
# it instead of tokenising every title on a process's first question. Added to older
# databases in place when a writer opens them (meta `title_terms`).
TITLE_TERMS_VERSION = "1"
_DIGIT_VALUES = bytes.maketrans(b"0123456789", bytes(range(10)))  # (title_term_lists)
TITLE_LENGTH = ""  # the `term` of the row that holds a title's length in terms
# A question's title postings are read by term: an index on (term) alone made each row a
# look-up in the table (a common title word has thousands of rows at 1M sentences), so the
# index holds (term, document, n) and the read never leaves it. It replaces the (term)
# index (the same rows to keep up at ingest); a writer swaps them in an older database.
TITLE_TERMS_INDEX = "idx_title_terms_term_document_n"

T = TypeVar("T")


def generation_row(conn: sqlite3.Connection) -> tuple[Any, ...] | None:
    """The `generation` meta row (bumped by every build that changes anything): a snapshot
    keeps the one it was read at and compares it to know whether it is stale."""
    return conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()


class StoreError(RuntimeError):
    """The database cannot be opened or read (missing, corrupt, locked, disk full)."""


@dataclass(frozen=True)
class StoredDocument:
    id: str
    title: str
    date: str | None
    date_text: str | None
    authors: tuple[str, ...]
    byline: str | None
    source: str | None
    url: str | None
    path: str
    content_hash: str
    size: int
    mtime_ns: int
    paragraphs: int
    passages: int
    loaded_at: float


@dataclass(frozen=True)
class PassageRow:
    """One indexed sentence. `paragraph` 0 holds the article's byline and date lines."""

    id: int
    document: str
    paragraph: int
    sentence: int
    kind: str  # "body", "byline" or "date"
    text: str
    # `tokenize(text)`, as stored by the build (None when not read): retrieval's
    # candidates take their terms from here instead of re-tokenising the text.
    tokens: tuple[str, ...] | None = None


@dataclass
class DocumentWrite:
    """Everything a build writes for one new or changed document."""

    doc: StoredDocument
    passages: list[tuple[int, int, str, str]]  # (paragraph, sentence, kind, text)
    tokens: list[list[str]]  # index terms per passage, same order
    mentions: list[tuple[int, str, str, str]]  # (passage index, name, key, role)
    # `tokenize(text)` per passage (for body sentences the same lists as `tokens`; a
    # byline's or date line's index terms also hold hint words): stored in
    # passages.tokens. None: not stored (retrieval then tokenises the text).
    text_tokens: list[list[str]] | None = None
    # Who said what (bot/ingest/attribution.py): (passage index, speaker, speaker key, kind)
    # in reading order, attributed by rules `statements_version`. None: not attributed
    # (answering then attributes the article itself).
    statements: list[tuple[int, str, str, str]] | None = None
    statements_version: str = ""
    # The postings counted where the document was parsed (`count_terms`): a build worker
    # sends these instead of `tokens` / `text_tokens` (then empty), so the one writing
    # process only maps the article's distinct terms to ids and writes.
    terms: "PassageTerms | None" = None
    # The document's `title_terms` rows (`_title_rows`), when the worker made them: the
    # title is tokenised where the article was parsed, not in the one writing process.
    title_rows: "list[tuple[str, str, int, str | None]] | None" = None

    def compact(self) -> "DocumentWrite":
        """The same write with its token lists counted into `terms` and its title's rows
        made (what a worker sends)."""
        if self.terms is not None:
            return self
        return DocumentWrite(self.doc, self.passages, [], self.mentions, None, self.statements,
                             self.statements_version, count_terms(self.tokens, self.text_tokens),
                             _title_rows(self.doc.id, self.doc.title))


@dataclass
class PassageTerms:
    """One document's postings, counted: the arrays of `postings` with each term as an
    index into `vocab` (the document's distinct terms) instead of a term id."""

    vocab: list[str]
    # per posting: index into vocab (passage by passage, first-seen order); uint16 when
    # the vocabulary allows (most articles), else int32
    term_index: bytes
    distinct: bytes  # int32 per passage: its number of distinct terms (postings)
    tfs: bytes  # uint16 per posting: the term's count in the passage (capped at 65535)
    lengths: bytes  # int32 per passage: its number of index terms
    joined: list[str | None] | None  # passages.tokens cells (None: text tokens not stored)


def count_terms(tokens: list[list[str]], text_tokens: list[list[str]] | None) -> PassageTerms:
    """Count each passage's terms, in the order `postings` always held them (per passage,
    first-seen order; Counter keeps insertion order)."""
    flat: list[str] = []  # each passage's distinct terms, passage by passage
    distinct: list[int] = []
    tf_counts: list[int] = []
    for toks in tokens:
        counts = Counter(toks)
        flat += counts
        distinct.append(len(counts))
        tf_counts += counts.values()
    # The vocabulary in first-seen order; each posting's index into it (in C, not one
    # dict call per posting: a worker counts every posting of a build).
    vocab = list(dict.fromkeys(flat))
    t_idx = list(map(dict(zip(vocab, range(len(vocab)))).__getitem__, flat))
    return PassageTerms(
        vocab=vocab,
        term_index=np.asarray(t_idx, dtype=np.uint16 if len(vocab) <= 65535 else np.int32).tobytes(),
        distinct=np.asarray(distinct, dtype=np.int32).tobytes(),
        tfs=np.minimum(np.asarray(tf_counts, dtype=np.int64), 65535).astype(np.uint16).tobytes(),
        lengths=np.asarray([len(t) for t in tokens], dtype=np.int32).tobytes(),
        joined=[_join_tokens(t) for t in text_tokens] if text_tokens is not None else None,
    )


# The WAL file is cut back to this size when a checkpoint resets it, and an automatic
# checkpoint runs once it holds this many pages: it cannot grow far between two.
WAL_LIMIT_BYTES = 1 << 20
WAL_AUTOCHECKPOINT_PAGES = 256
# SQLite's page cache during a build's write (KiB; the default is 2 MB): with it, the
# index pages a large build keeps touching (terms, mentions' keys, title terms) stay
# in memory instead of being spilled to the WAL and read back, again and again. Set
# back to the default after the write (the pages are then released).
BUILD_CACHE_KIB = 65536


def connect(path: Path | str, *, timeout: float = 5.0) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=timeout, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = %d" % int(timeout * 1000))
    return conn


def sidecar_identity(path: Path | str) -> tuple[tuple[int, int] | None, ...]:
    """(device, inode) of the database's -wal and -shm files (None when missing).

    Connections opened before someone deletes these files keep the old ones open,
    and a new connection then fails ("disk I/O error"): the engine compares this
    before a reload and, when it moved, closes and reopens every connection."""
    out: list[tuple[int, int] | None] = []
    for suffix in ("-wal", "-shm"):
        try:
            st = os.stat(f"{path}{suffix}")
            out.append((st.st_dev, st.st_ino))
        except OSError:
            out.append(None)
    return tuple(out)


def connect_readonly(path: Path | str, *, timeout: float = 5.0) -> sqlite3.Connection:
    """A connection that never writes (`mode=ro`): query-only paths (the CLI's `ask`)
    use it, so any number of readers and one writer coexist, and a read-only file or
    folder can still be queried. Raises sqlite3.OperationalError when the file is missing."""
    uri = Path(path).resolve().as_uri() + "?mode=ro"
    conn = sqlite3.connect(uri, uri=True, timeout=timeout, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = %d" % int(timeout * 1000))
    try:
        conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
    except sqlite3.OperationalError as exc:
        if "readonly" not in str(exc).replace(" ", ""):
            raise
        # A WAL database in a folder we cannot write, without its -shm: nobody can be
        # writing it then (a writer would have made the -shm), so read it as immutable.
        conn.close()
        conn = sqlite3.connect(uri + "&immutable=1", uri=True, timeout=timeout, check_same_thread=False)
    return conn


def is_corruption(exc: BaseException) -> bool:
    """Whether a database error means the file is damaged (not locked, not full, not I/O)."""
    text = str(exc).lower()
    if "could not decode to utf-8" in text:  # a text column's bytes flipped (Python's decode)
        return True
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return (code & 0xFF) in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)
    return "malformed" in text or "not a database" in text


class Store:
    """Owns the write connection and the schema. Reads for answering go through
    `PassageReader`."""

    _last_passage_id = 0  # the largest passage id given during the current write
    # term → id for the terms seen during the current write (ids never change and terms
    # are never deleted; dropped after the write, so a rolled-back id is never reused)
    _term_cache: dict[str, int] | None = None
    _term_next = 0  # the next term id to give, when the write gives them itself (0: it does not)

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = connect(self.path)
            self.conn.execute("PRAGMA journal_mode = WAL")
            # NORMAL: a commit may wait for the next sync; the checkpoint that follows
            # each build and each journal write syncs the WAL and then the main file.
            self.conn.execute("PRAGMA synchronous = NORMAL")
            self.conn.execute(f"PRAGMA journal_size_limit = {WAL_LIMIT_BYTES}")
            self.conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES}")
            import sqlite_utils  # here: only a writer needs it (58–300 ms of a CLI `ask`'s start)

            self.db = sqlite_utils.Database(self.conn)
            self._ensure_schema()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open the database {self.path}: {exc}") from exc
        self.lock = threading.RLock()
        self.checkpoints = 0  # completed checkpoints (every frame moved into the main file)
        self.checkpoint()

    def checkpoint(self) -> bool:
        """Move the WAL into the main file and truncate it; True when it completed.

        A reader in the middle of a question can make it partial; the next one
        (or SQLite's automatic one) finishes the job. Never raises: a failed
        checkpoint leaves the data safely in the WAL."""
        try:
            with self.lock:
                # Without a busy handler: a reader mid-question (or a snapshot pinned
                # during a reload) makes it copy what it can and return, never wait.
                wait_ms = int(self.conn.execute("PRAGMA busy_timeout").fetchone()[0])
                self.conn.execute("PRAGMA busy_timeout = 0")
                try:
                    busy, log_frames, done = self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                finally:
                    self.conn.execute(f"PRAGMA busy_timeout = {wait_ms}")
        except sqlite3.Error:
            return False
        complete = busy == 0 and (log_frames == done or log_frames <= 0)
        if complete:
            self.checkpoints += 1
        return complete

    def close(self) -> None:
        # Under the lock: closing a connection while another thread runs a statement
        # on it (a journal write's checkpoint at shutdown) crashes the interpreter.
        with self.lock:
            try:
                self.conn.close()
            except sqlite3.Error:
                pass

    # -- schema ---------------------------------------------------------------------
    def _ensure_schema(self) -> None:
        db = self.db
        version = self.get_meta("schema_version") if "meta" in db.table_names() else None
        if version is not None and int(version) != SCHEMA_VERSION:
            # Derived data only (the articles are the source of truth): rebuild.
            with db.atomic():
                for name in ("documents", "passages", "terms", "postings", "mentions", "title_terms", "statements"):
                    if name in db.table_names():
                        db[name].drop()
        with db.atomic():
            if "meta" not in db.table_names():
                db.table("meta").create({"key": str, "value": str}, pk="key")
            if self.get_meta("store_uid") is None:
                # Names this database for the derived index files beside it (bot/search/indexfiles.py).
                import uuid

                self.set_meta("store_uid", uuid.uuid4().hex)
            if "documents" not in db.table_names():
                db.table("documents").create(
                    {
                        "id": str, "title": str, "date": str, "date_text": str, "authors": str,
                        "byline": str, "source": str, "url": str, "path": str, "content_hash": str,
                        "size": int, "mtime_ns": int, "paragraphs": int, "passages": int,
                        "loaded_at": float,
                    },
                    pk="id",
                )
            if "passages" not in db.table_names():
                db.table("passages").create(
                    {"id": int, "document": str, "paragraph": int, "sentence": int, "kind": str, "text": str,
                     "tokens": str},  # space-joined tokenize(text); NULL: not stored
                    pk="id",
                )
                db.table("passages").create_index(["document", "paragraph", "sentence"])
            if "terms" not in db.table_names():
                db.table("terms").create({"id": int, "term": str}, pk="id")
                db.table("terms").create_index(["term"], unique=True)
            if "postings" not in db.table_names():
                # Per document: passage ids, lengths, and (term id, local passage, tf) triples.
                db.table("postings").create(
                    {"document": str, "passage_ids": bytes, "lengths": bytes, "term_ids": bytes,
                     "local": bytes, "tfs": bytes},
                    pk="document",
                )
            if "mentions" not in db.table_names():
                db.table("mentions").create(
                    {"document": str, "passage": int, "name": str, "key": str, "role": str}
                )
                db.table("mentions").create_index(["key"])
                db.table("mentions").create_index(["document"])
            if "statements" not in db.table_names():
                # Per document: its statements in reading order (seq 0, 1, …) and one row
                # (seq -1, no passage) whose `kind` is the attribution rules' version: the
                # document was attributed, even when nobody in it says anything. Added in
                # place (no schema bump): documents written before it have no rows, and
                # answering attributes them itself (bot/answers/said.py).
                db.table("statements").create(
                    {"document": str, "seq": int, "passage": int, "speaker": str, "key": str, "kind": str})
                db.table("statements").create_index(["document"])
            if "builds" not in db.table_names():
                db.table("builds").create(
                    {"id": int, "started_at": float, "finished_at": float, "duration_ms": float,
                     "added": int, "changed": int, "removed": int, "failed": int, "report": str},
                    pk="id",
                )
            if "failures" not in db.table_names():
                db.table("failures").create({"path": str, "document": str, "reason": str, "at": float}, pk="path")
            if "audit" not in db.table_names():
                db.table("audit").create(
                    {"id": int, "at": float, "actor": str, "action": str, "target": str,
                     "result": str, "detail": str},
                    pk="id",
                )
            if "gaps" not in db.table_names():
                db.table("gaps").create({"id": int, "question": str, "key": str, "asked_at": float,
                                   "articles": int}, pk="id")
                db.table("gaps").create_index(["key"])
            if "feedback" not in db.table_names():
                db.table("feedback").create({"id": int, "at": float, "query": str, "answered": int,
                                       "vote": int, "passages": str}, pk="id")
            if "answers" not in db.table_names():  # what answer buttons act on, across restarts
                db.table("answers").create({"key": str, "at": float, "body": str}, pk="key")
            self._ensure_title_terms()
            self.set_meta("schema_version", str(SCHEMA_VERSION))

    def _create_title_terms_index(self) -> None:
        self.conn.execute(f'CREATE INDEX IF NOT EXISTS "{TITLE_TERMS_INDEX}" ON title_terms (term, document, n)')

    def _ensure_title_terms(self) -> None:
        """Create the title-terms table, or fill it again when it does not describe every
        document (a database from before it, or written meanwhile by an older version)."""
        db = self.db
        if "title_terms" not in db.table_names():
            # `title`: the title the rows were made from (on the length row only), so rows
            # left stale by a version that did not write them are found.
            db.table("title_terms").create({"document": str, "term": str, "n": int, "title": str})
            self._create_title_terms_index()
            db.table("title_terms").create_index(["document"])
        elif not self.conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?",
                                   (TITLE_TERMS_INDEX,)).fetchone():
            # A database from before the covering index: one pass over the table (~0.2 s
            # of CPU at 1M sentences, once); its (term) index then has nothing left to do.
            self._create_title_terms_index()
            self.conn.execute('DROP INDEX IF EXISTS "idx_title_terms_term"')
        stale = self.conn.execute(
            "SELECT (SELECT COUNT(*) FROM documents d LEFT JOIN title_terms t ON t.document = d.id AND t.term = ? "
            "        WHERE t.document IS NULL OR t.title IS NOT d.title) + "
            "       (SELECT COUNT(*) FROM title_terms WHERE term = ? AND document NOT IN (SELECT id FROM documents))",
            (TITLE_LENGTH, TITLE_LENGTH)).fetchone()[0]
        if self.get_meta("title_terms") != TITLE_TERMS_VERSION or stale:
            self.conn.execute("DELETE FROM title_terms")
            rows = self.conn.execute("SELECT id, title FROM documents").fetchall()
            self.conn.executemany("INSERT INTO title_terms (document, term, n, title) VALUES (?, ?, ?, ?)",
                                  [r for doc_id, title in rows for r in _title_rows(doc_id, title)])
            self.set_meta("title_terms", TITLE_TERMS_VERSION)

    def generation_row(self) -> tuple[Any, ...] | None:
        """The meta row a snapshot compares to know whether it is stale (as `PassageReader.generation`)."""
        return generation_row(self.conn)

    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.db.table("meta").upsert({"key": key, "value": value}, pk="key")

    # -- reads used by a build -----------------------------------------------------
    def documents(self) -> dict[str, StoredDocument]:
        # A plain cursor: sqlite-utils' `.rows` costs several times more per row,
        # and every reload reads every document row.
        cur = self.conn.execute("SELECT * FROM documents")
        names = [d[0] for d in cur.description]
        out: dict[str, StoredDocument] = {}
        for values in cur:
            row = dict(zip(names, values))
            out[row["id"]] = _doc_from_row(row)
        return out

    # -- the atomic write of a build ---------------------------------------------------
    def write_changes(
        self,
        writes: Iterable[DocumentWrite],
        removed: Iterable[str],
        failures: dict[str, tuple[str, str]],
        build: dict[str, Any] | Callable[[], dict[str, Any]],
        touch: Iterable[tuple[str, int, int, str]] = (),
        meta: dict[str, str] | None = None,
    ) -> None:
        """Replace changed documents, add new ones, drop removed ones: all or nothing.

        `writes` may be a generator that parses as it goes (bot/build.py): each write is
        inserted as it comes, in the one transaction. `failures`, `touch` and `build`
        (the record, or a function giving it) are read after the last write, so that
        generator may still fill them.
        `touch` updates (id, size, mtime_ns, path) of files whose bytes did not change.
        """
        with self.lock:
            db = self.db
            self._last_passage_id = 0
            self._term_cache = {}
            # An empty terms table (a first build): every term is new and the cache holds
            # all the table will, so ids are given here, in the order the table would give
            # them (`_term_ids_from_db`), with no SELECT back per article. 0: ask the table.
            self._term_next = 0 if self.conn.execute("SELECT 1 FROM terms LIMIT 1").fetchone() else 1
            # An empty title-terms table (a first build, again): its covering index is made
            # once after the rows (~0.2 s of CPU at 1M sentences) instead of kept up per row
            # (~0.5 s); in the one transaction, so a failed build leaves it as it was.
            first_titles = not self.conn.execute("SELECT 1 FROM title_terms LIMIT 1").fetchone()
            cache_size = self.conn.execute("PRAGMA cache_size").fetchone()[0]
            self.conn.execute(f"PRAGMA cache_size = -{BUILD_CACHE_KIB}")
            try:
                with db.atomic():
                    if first_titles:
                        self.conn.execute(f'DROP INDEX IF EXISTS "{TITLE_TERMS_INDEX}"')
                    for doc_id in removed:
                        self._delete_document(doc_id)
                    for write in writes:
                        self._delete_document(write.doc.id)
                        self._insert_document(write)
                    if first_titles:
                        self._create_title_terms_index()
                    for doc_id, size, mtime_ns, path in touch:
                        self.conn.execute("UPDATE documents SET size = ?, mtime_ns = ?, path = ? WHERE id = ?",
                                          (size, mtime_ns, path, doc_id))
                    self.conn.execute("DELETE FROM failures")
                    if failures:
                        db.table("failures").insert_all(
                            [{"path": p, "document": d, "reason": r, "at": time.time()}
                             for p, (d, r) in failures.items()],
                            pk="path", replace=True,
                        )
                    if callable(build):
                        build = build()
                    db.table("builds").insert({**build, "report": json.dumps(build.get("report", {}))})
                    for key, value in (meta or {}).items():
                        self.set_meta(key, value)
                    self.set_meta("built_at", str(build.get("finished_at", time.time())))
                    self.set_meta("generation", str(int(self.get_meta("generation") or 0) + 1))
                    if self._last_passage_id:
                        self.set_meta("last_passage_id", str(self._last_passage_id))
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"the database refused the build: {exc}") from exc
            finally:
                self._last_passage_id = 0
                self._term_cache = None
                self._term_next = 0
                self.conn.execute(f"PRAGMA cache_size = {int(cache_size)}")
            self.checkpoint()

    def _delete_document(self, doc_id: str) -> None:
        for table in ("passages", "mentions", "title_terms", "statements"):
            self.conn.execute(f"DELETE FROM {table} WHERE document = ?", (doc_id,))
        self.conn.execute("DELETE FROM postings WHERE document = ?", (doc_id,))
        self.conn.execute("DELETE FROM documents WHERE id = ?", (doc_id,))

    def _insert_document(self, write: DocumentWrite) -> None:
        doc = write.doc
        row = {**doc.__dict__, "authors": json.dumps(list(doc.authors))}
        self.conn.execute(  # plain SQL: sqlite-utils' insert introspects the table on every call
            f"INSERT INTO documents ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values())
        )
        # Ids are never reused (above both the largest present and the largest ever given):
        # a snapshot still serving the previous state then finds a replaced passage
        # missing rather than reads another passage's text under its id.
        if not self._last_passage_id:
            self._last_passage_id = max(
                int(self.conn.execute("SELECT COALESCE(MAX(id), 0) FROM passages").fetchone()[0]),
                int(self.get_meta("last_passage_id") or 0))
        first = self._last_passage_id + 1
        ids = list(range(first, first + len(write.passages)))
        self._last_passage_id = first + len(write.passages) - 1
        counted = write.terms if write.terms is not None else count_terms(write.tokens, write.text_tokens)
        joined = counted.joined if counted.joined is not None else [None] * len(write.passages)
        self.conn.executemany(
            "INSERT INTO passages (id, document, paragraph, sentence, kind, text, tokens) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(pid, doc.id, paragraph, sentence, kind, text, toks)
             for pid, (paragraph, sentence, kind, text), toks in zip(ids, write.passages, joined)],
        )
        vocab_ids = np.asarray(self._term_id_list(counted.vocab), dtype=np.int32)
        wide = len(counted.vocab) > 65535
        term_index = np.frombuffer(counted.term_index, dtype=np.int32 if wide else np.uint16)
        distinct = np.frombuffer(counted.distinct, dtype=np.int32)
        self.conn.execute(
            "INSERT INTO postings (document, passage_ids, lengths, term_ids, local, tfs) VALUES (?, ?, ?, ?, ?, ?)",
            (
                doc.id,
                np.asarray(ids, dtype=np.int64).tobytes(),
                counted.lengths,
                vocab_ids[term_index].tobytes(),
                np.repeat(np.arange(len(distinct), dtype=np.int32), distinct).tobytes(),
                counted.tfs,
            ),
        )
        if write.mentions:
            self.conn.executemany(
                "INSERT INTO mentions (document, passage, name, key, role) VALUES (?, ?, ?, ?, ?)",
                [(doc.id, ids[i], name, key, role) for i, name, key, role in write.mentions],
            )
        self.conn.executemany("INSERT INTO title_terms (document, term, n, title) VALUES (?, ?, ?, ?)",
                              write.title_rows if write.title_rows is not None else _title_rows(doc.id, doc.title))
        if write.statements is not None:
            self.conn.executemany(
                "INSERT INTO statements (document, seq, passage, speaker, key, kind) VALUES (?, ?, ?, ?, ?, ?)",
                [(doc.id, -1, None, "", "", write.statements_version)]
                + [(doc.id, seq, ids[i], speaker, key, kind)
                   for seq, (i, speaker, key, kind) in enumerate(write.statements)])

    def _term_id_list(self, vocab: list[str]) -> list[int]:
        """The id of each of `vocab`'s (distinct) terms, in its order."""
        if not vocab:
            return []
        cache = self._term_cache
        if cache is None:
            found = self._term_ids_from_db(set(vocab))
            return [found[t] for t in vocab]
        got = list(map(cache.get, vocab))
        if None in got:
            missing = {t for t, i in zip(vocab, got) if i is None}
            new = self._new_term_ids(missing) if self._term_next else self._term_ids_from_db(missing)
            cache.update(new)
            got = [i if i is not None else new[t] for t, i in zip(vocab, got)]
        return got  # type: ignore[return-value]

    def _new_term_ids(self, terms: set[str]) -> dict[str, int]:
        """Terms none of which the table holds, each given the next id (the rowid SQLite
        would give: one more than the largest), inserted in the set's order as
        `_term_ids_from_db` inserts them."""
        first = self._term_next
        new = dict(zip(terms, range(first, first + len(terms))))
        self._term_next = first + len(new)
        self.conn.executemany("INSERT INTO terms (id, term) VALUES (?, ?)", [(i, t) for t, i in new.items()])
        return new

    def _term_ids_from_db(self, terms: set[str]) -> dict[str, int]:
        self.conn.executemany("INSERT OR IGNORE INTO terms (term) VALUES (?)", [(t,) for t in terms])
        out: dict[str, int] = {}
        term_list = list(terms)
        for i in range(0, len(term_list), 500):
            chunk = term_list[i : i + 500]
            q = f"SELECT term, id FROM terms WHERE term IN ({','.join('?' * len(chunk))})"
            out.update({t: int(i_) for t, i_ in self.conn.execute(q, chunk)})
        return out

    # -- story tools: which new articles were announced in the updates channel --------------
    def _ensure_announcements(self) -> None:
        if "announcements" not in self.db.table_names():
            self.db.table("announcements").create({"document": str, "at": float, "channel": int}, pk="document")

    def announced_documents(self) -> set[str] | None:
        """Articles already announced (or present when announcing started); None before the first use."""
        with self.lock:
            try:
                self._ensure_announcements()
                if self.get_meta("announcements_started") is None:
                    return None
                return {d for (d,) in self.conn.execute("SELECT document FROM announcements")}
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"cannot read the announcements: {exc}") from exc

    def mark_announced(self, documents: Iterable[str], channel: int = 0) -> None:
        """Remember articles as announced (channel 0: present before announcing started)."""
        with self.lock:
            try:
                with self.db.atomic():
                    self._ensure_announcements()
                    now = time.time()
                    self.conn.executemany(
                        "INSERT OR IGNORE INTO announcements (document, at, channel) VALUES (?, ?, ?)",
                        [(d, now, channel) for d in documents],
                    )
                    self.set_meta("announcements_started", "1")
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"cannot record the announcement: {exc}") from exc


def _join_tokens(tokens: list[str]) -> str | None:
    """One text cell for a passage's tokens; None (not stored) if a token held the separator."""
    joined = " ".join(tokens)
    return joined if joined.count(" ") == max(len(tokens) - 1, 0) and "" not in tokens else None


def split_tokens(cell: str | None) -> tuple[str, ...] | None:
    """A stored `tokens` cell as the tuple it was written from (NULL: none stored); the
    store's rows and the index's row files (bot/search/snapshot.py `rows_at`) read it alike."""
    if cell is None:
        return None
    return tuple(cell.split(" ")) if cell else ()


def _title_rows(doc_id: str, title: str | None) -> list[tuple[str, str, int, str | None]]:
    """A title's rows for `title_terms`: its length (with the title), each index term's count."""
    terms = tokenize(title or "")
    counts: dict[str, int] = {}
    for t in terms:
        counts[t] = counts.get(t, 0) + 1
    return [(doc_id, TITLE_LENGTH, len(terms), title), *((doc_id, t, n, None) for t, n in counts.items())]


def _doc_from_row(row: dict[str, Any]) -> StoredDocument:
    return StoredDocument(
        id=row["id"], title=row["title"], date=row["date"], date_text=row["date_text"],
        authors=tuple(json.loads(row["authors"] or "[]")), byline=row["byline"], source=row["source"],
        url=row["url"], path=row["path"], content_hash=row["content_hash"], size=row["size"] or 0,
        mtime_ns=row["mtime_ns"] or 0, paragraphs=row["paragraphs"] or 0, passages=row["passages"] or 0,
        loaded_at=row["loaded_at"] or 0.0,
    )


DOC_COLUMNS = ("id, title, date, date_text, authors, byline, source, url, path, content_hash, "
               "size, mtime_ns, paragraphs, passages, loaded_at")


def doc_from_tuple(row: tuple[Any, ...]) -> StoredDocument:
    """A `StoredDocument` from a row in `DOC_COLUMNS` order, built positionally
    (a dict per row cost more than the read at 300k sentences)."""
    (doc_id, title, date, date_text, authors, byline, source, url, path, content_hash,
     size, mtime_ns, paragraphs, passages, loaded_at) = row
    return StoredDocument(
        doc_id, title, date, date_text, tuple(json.loads(authors)) if authors and authors != "[]" else (),
        byline, source, url, path, content_hash, size or 0, mtime_ns or 0, paragraphs or 0,
        passages or 0, loaded_at or 0.0)


def document_files(conn: sqlite3.Connection, *, by_path: bool = False) -> list[tuple[str, str | None, str, int, int]]:
    """(id, date, path, size, mtime_ns) of every document: what a snapshot keeps of the
    table (its order, which documents are live, the freshness check); the other
    columns are read by id when an answer needs them (bot/search/documents.py).
    `by_path`: sorted by path (code point order, as Python sorts strings)."""
    return conn.execute("SELECT id, date, path, size, mtime_ns FROM documents"
                        + (" ORDER BY path" if by_path else "")).fetchall()


def stored_title_lengths(conn: sqlite3.Connection, documents: list[str] | None) -> dict[str, int] | None:
    """Document → its title's length in terms, as `title_terms` holds it (None: this
    database has no current title terms). Kept in the persisted index's segments, so a
    start reads no row per document (bot/search/indexfiles.py)."""
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'title_terms'").fetchone()
        if not row or row[0] != TITLE_TERMS_VERSION:
            return None
        if documents is None:
            return dict(conn.execute("SELECT document, n FROM title_terms WHERE term = ?", (TITLE_LENGTH,)))
        out: dict[str, int] = {}
        for i in range(0, len(documents), 500):
            chunk = documents[i : i + 500]
            out.update(conn.execute(
                f"SELECT document, n FROM title_terms WHERE term = ? AND document IN ({','.join('?' * len(chunk))})",
                (TITLE_LENGTH, *chunk)))
        return out
    except sqlite3.OperationalError:  # no such table (a database from before title terms)
        return None


def stored_title_postings(conn: sqlite3.Connection, documents: list[str] | None) -> list[tuple[str, str, int]] | None:
    """The given documents' (all, when None) `title_terms` rows but their lengths, as
    (document, term, n); None when this database has no current title terms. The
    persisted index keeps them per segment as arrays (bot/search/indexfiles.py
    `title_postings`), so a question's title postings are not one statement each."""
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'title_terms'").fetchone()
        if not row or row[0] != TITLE_TERMS_VERSION:
            return None
        if documents is None:
            return conn.execute("SELECT document, term, n FROM title_terms WHERE term != ?", (TITLE_LENGTH,)).fetchall()
        out: list[tuple[str, str, int]] = []
        for i in range(0, len(documents), 500):
            chunk = documents[i : i + 500]
            out += conn.execute(
                f"SELECT document, term, n FROM title_terms WHERE term != ? AND document IN ({','.join('?' * len(chunk))})",
                (TITLE_LENGTH, *chunk)).fetchall()
        return out
    except sqlite3.OperationalError:  # no such table (a database from before title terms)
        return None


BYLINE_LINE, DATE_LINE, OTHER_LINE = -1, -2, -3  # `body_paragraphs` of a passage that is not a body sentence


def body_paragraphs(conn: sqlite3.Connection, documents: list[str] | None) -> tuple["np.ndarray", "np.ndarray"]:
    """(passage ids ascending, the paragraph of each body sentence, else BYLINE_LINE,
    DATE_LINE or OTHER_LINE: another kind, or no paragraph) of the given documents'
    passages (all, when None): the index keeps them per position, so ranking groups
    candidates and skips metadata lines without reading their rows (bot/search/indexfiles.py)."""
    sql = (f"SELECT id, CASE kind WHEN 'body' THEN COALESCE(paragraph, {OTHER_LINE}) WHEN 'byline' THEN {BYLINE_LINE} "
           f"WHEN 'date' THEN {DATE_LINE} ELSE {OTHER_LINE} END FROM passages")
    # Streamed into one array (no list of a million tuples at a full build).
    if documents is None:
        flat = np.fromiter(itertools.chain.from_iterable(conn.execute(sql + " ORDER BY id")), dtype=np.int64)
    else:
        parts = [np.zeros(0, np.int64)]
        for i in range(0, len(documents), 500):
            chunk = documents[i : i + 500]
            parts.append(np.fromiter(itertools.chain.from_iterable(
                conn.execute(sql + f" WHERE document IN ({','.join('?' * len(chunk))})", chunk)), dtype=np.int64))
        flat = np.concatenate(parts)
    pairs = flat.reshape(-1, 2)
    if documents is not None:
        pairs = pairs[np.argsort(pairs[:, 0], kind="stable")]
    return pairs[:, 0].copy(), pairs[:, 1].astype(np.int32)


def passage_cells(conn: sqlite3.Connection, documents: list[str]) -> list[tuple[Any, ...]]:
    """(id, paragraph, sentence, kind, text, tokens) of the given documents' passages, in no
    particular order: what the index keeps of each row (bot/search/indexfiles.py, row files),
    so a candidate's row is read from the mapped files instead of a B-tree seek per row."""
    if not documents:
        return []
    return conn.execute("SELECT id, paragraph, sentence, kind, text, tokens FROM passages "
                        f"WHERE document IN ({','.join('?' * len(documents))})", documents).fetchall()


class PassageReader:
    """The read connection a snapshot answers from.

    It holds no transaction between statements: a reader that kept one open for
    the snapshot's life stopped every checkpoint, and the WAL grew by every write
    (issue 12). Each statement reads the latest committed state; passage ids are
    never reused, so a snapshot retired by a build at worst misses the rows of
    an article that changed meanwhile. `read_transaction()` gives one consistent
    view for the few reads that need it (loading a snapshot), for their length only.
    """

    def __init__(self, path: Path | str, *, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly  # query-only paths (CLI ask): never write, not even the -shm
        try:
            self.conn = connect_readonly(path) if readonly else connect(path)
            self.conn.isolation_level = None
            self.generation = generation_row(self.conn)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot read the database {path}: {exc}") from exc
        self.lock = threading.RLock()
        self.closed = False
        self.failed = False  # a read failed: the engine replaces this snapshot at the next reload

    def read_transaction(self) -> "_ReadTransaction":
        """`with reader.read_transaction():` one consistent view, released at the end."""
        return _ReadTransaction(self)

    def pin(self) -> bool:
        """Hold the current state while a build in this process commits and the
        engine swaps in the next snapshot (a reload's length, not the snapshot's
        life): questions asked meanwhile still read the rows this snapshot's index
        was built from. False when the database already moved past this snapshot."""
        with self.lock:
            if self.closed or self.failed or self._released or getattr(self.conn, "in_transaction", True):
                return False
            try:
                self.conn.execute("BEGIN")
                now = generation_row(self.conn)
                if now == self.generation:
                    return True
                self.conn.execute("ROLLBACK")
            except sqlite3.Error:
                try:
                    if self.conn.in_transaction:
                        self.conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
            return False

    def unpin(self) -> None:
        with self.lock:
            try:
                if not self.closed and not self._released and getattr(self.conn, "in_transaction", False):
                    self.conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass

    def reopen(self) -> None:
        """A new connection (the -wal/-shm files were replaced under the old one)."""
        with self.lock:
            if self.closed:
                return
            try:
                self.conn.close()
            except sqlite3.Error:
                pass
            try:
                self.conn = connect_readonly(self.path) if self.readonly else connect(self.path)
                self.conn.isolation_level = None
            except sqlite3.DatabaseError as exc:
                self.failed = True
                raise StoreError(f"cannot read the database {self.path}: {exc}") from exc

    def release(self) -> None:
        """Close the connection, keep the reader usable (reopened by the next read)."""
        with self.lock:
            try:
                self.conn.close()
            except sqlite3.Error:
                pass
            self._released = True

    _released = False

    def close(self) -> None:
        with self.lock:
            if not self.closed:
                self.closed = True
                try:
                    if getattr(self.conn, "in_transaction", False):
                        self.conn.execute("ROLLBACK")
                    self.conn.close()
                except sqlite3.Error:
                    pass

    def damaged_rows(self) -> str | None:
        """`damaged_rows` of this snapshot's file (a scan of each answering table: only
        after a question failed on a value of the wrong type)."""
        return self._read(damaged_rows)

    def query(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        return self._read(lambda conn: conn.execute(sql, tuple(params)).fetchall())

    def _read(self, read: Callable[[sqlite3.Connection], T]) -> T:
        """`read(conn)` under the lock, on a live connection (reopened when released); a
        database error marks the snapshot failed and is raised as a StoreError."""
        with self.lock:
            if self.closed:
                raise StoreError("this snapshot was retired")
            if self._released:
                self._released = False
                self.reopen()
            try:
                return read(self.conn)
            except sqlite3.DatabaseError as exc:
                self.failed = True
                raise StoreError(f"knowledge base unavailable: {exc}") from exc

    def passages(self, ids: Iterable[int]) -> dict[int, PassageRow]:
        """The rows of `ids`, with their stored tokens (`PassageRow.tokens`)."""
        ids = list(dict.fromkeys(int(i) for i in ids))
        out: dict[int, PassageRow] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            rows = self.query(
                "SELECT id, document, paragraph, sentence, kind, text, tokens FROM passages "
                f"WHERE id IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            out.update({r[0]: PassageRow(r[0], r[1], r[2], r[3], r[4], r[5], split_tokens(r[6])) for r in rows})
        if len(out) < len(ids):
            self.failed = True  # rows this snapshot indexes are gone: replace it at the next reload
        return out

    def documents(self) -> list[StoredDocument]:
        with self.lock:
            if self.closed:
                raise StoreError("this snapshot was retired")
            try:
                cur = self.conn.execute("SELECT * FROM documents ORDER BY date, id")
                names = [d[0] for d in cur.description]
                return [_doc_from_row(dict(zip(names, r))) for r in cur.fetchall()]
            except sqlite3.DatabaseError as exc:
                self.failed = True
                raise StoreError(f"knowledge base unavailable: {exc}") from exc

    def documents_by_id(self, ids: Iterable[str] | None) -> list[StoredDocument]:
        """The document rows of `ids` (None: every row), in no particular order."""
        if ids is None:
            return [doc_from_tuple(r) for r in self.query(f"SELECT {DOC_COLUMNS} FROM documents")]
        ids = list(dict.fromkeys(ids))
        out: list[StoredDocument] = []
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            out += [doc_from_tuple(r) for r in self.query(
                f"SELECT {DOC_COLUMNS} FROM documents WHERE id IN ({','.join('?' * len(chunk))})", chunk)]
        return out

    def document_authors(self) -> list[tuple[str, tuple[str, ...]]]:
        """(document id, its authors) for every document that names one."""
        return [(d, tuple(json.loads(a))) for d, a in
                self.query("SELECT id, authors FROM documents WHERE authors IS NOT NULL AND authors != '[]'")]

    def term_ids(self, terms: Iterable[str]) -> dict[str, int]:
        terms = list(dict.fromkeys(terms))
        if not terms:
            return {}
        rows = self.query(f"SELECT term, id FROM terms WHERE term IN ({','.join('?' * len(terms))})", terms)
        return {t: int(i) for t, i in rows}

    # -- title terms, for document-level BM25 (bot/search/doc_score.py) ------------------
    def has_title_terms(self) -> bool:
        """Whether this database stores title terms (one written before them does not yet)."""
        rows = self.query("SELECT value FROM meta WHERE key = 'title_terms'")
        return bool(rows) and rows[0][0] == TITLE_TERMS_VERSION

    def title_lengths(self) -> list[tuple[str, int]]:
        """(document, number of terms in its title) for every document."""
        return self.query("SELECT document, n FROM title_terms WHERE term = ?", (TITLE_LENGTH,))

    def title_terms(self, terms: Iterable[str]) -> list[tuple[str, str, int]]:
        """(term, document, count) of the documents whose titles hold these terms."""
        terms = [t for t in dict.fromkeys(terms) if t != TITLE_LENGTH]
        if not terms:
            return []
        return self.query(f"SELECT term, document, n FROM title_terms WHERE term IN ({','.join('?' * len(terms))})",
                          terms)

    def title_term_lists(self, terms: Iterable[str]) -> list[tuple[str, list[str], list[int]]]:
        """`title_terms` grouped: (term, its documents, their counts), one row per term
        found, in no particular order. A row per posting made a Python tuple each (at 1M
        sentences a common title word is in thousands of titles): SQLite joins each term's
        documents into one string and its counts into one string of digits (a title holds
        a word fewer than ten times), and Python splits them. A term whose lists do not
        split back into its row count (a NUL in a document id, a NULL, a count of 10 or
        more) is read row by row."""
        terms = [t for t in dict.fromkeys(terms) if t != TITLE_LENGTH]
        if not terms:
            return []
        rows = self.query(
            "SELECT term, COUNT(*), group_concat(document, char(0)), group_concat(n, '') "
            f"FROM title_terms WHERE term IN ({','.join('?' * len(terms))}) GROUP BY term", terms)
        out: list[tuple[str, list[str], list[int]]] = []
        for term, count, docs, digits in rows:
            doc_list = docs.split("\0") if isinstance(docs, str) else []
            if (len(doc_list) == count and isinstance(digits, str) and len(digits) == count
                    and digits.isascii() and digits.isdigit()):
                out.append((term, doc_list, list(digits.encode().translate(_DIGIT_VALUES))))
                continue
            got = self.title_terms([term])
            out.append((term, [d for _, d, _ in got], [int(n) for _, _, n in got]))
        return out

    # -- who said what (bot/answers/said.py) ----------------------------------------------
    def statements(self, documents: Iterable[str], version: str
                   ) -> dict[str, list[tuple[str, str, str, str, int, int, int, str]]]:
        """The stored statements of each of `documents` attributed by rules `version`, in
        reading order, as (speaker, key, text, document, paragraph, sentence, passage, kind)
        (bot.ingest.attribution.Statement's fields). A document stored without them, by
        other rules, or whose rows are incomplete, is left out."""
        found = self._statement_rows(documents, version, "s.speaker, s.key, s.passage, p.paragraph, p.sentence, p.text",
                                     "LEFT JOIN passages p ON p.id = s.passage")
        return {doc: [(speaker, key, text, doc, int(paragraph), int(sentence), int(passage), kind)
                      for _, _, kind, speaker, key, passage, paragraph, sentence, text in rows]
                for doc, rows in found.items()}

    def statement_speakers(self, documents: Iterable[str], version: str
                           ) -> dict[str, list[tuple[str, str, int, str]]]:
        """`statements` without their sentences: each of `documents`' stored statements
        by rules `version`, in reading order, as (speaker, key, passage, kind). No passage
        row is read (~40 % of `statements`' time): a "What did X say …" question reads
        the speakers of two dozen articles, then only X's sentences (`passages`). A
        document stored without them, or by other rules, is left out."""
        found = self._statement_rows(documents, version, "s.speaker, s.key, s.passage")
        return {doc: [(speaker, key, int(passage), kind) for _, _, kind, speaker, key, passage in rows]
                for doc, rows in found.items()}

    def _statement_rows(self, documents: Iterable[str], version: str, columns: str, join: str = ""
                        ) -> dict[str, list[tuple[Any, ...]]]:
        """Each of `documents`' stored statement rows, (document, seq, kind, *`columns`), in
        reading order, for the documents attributed by rules `version`. A document stored
        without them, by other rules, with a row whose last column is NULL (a sentence
        gone) or whose seq is not an integer (damaged) is left out."""
        documents = list(dict.fromkeys(documents))
        if not documents or not self.query(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'statements'"):
            return {}
        out: dict[str, list[tuple[Any, ...]]] = {}
        broken: set[str] = set()
        for i in range(0, len(documents), 500):
            chunk = documents[i : i + 500]
            rows = self.query(
                f"SELECT s.document, s.seq, s.kind, {columns} FROM statements s {join} "
                f"WHERE s.document IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            # A row whose seq is not an integer (a damaged database: NULL, text) cannot be
            # put in reading order: its document is left out, as one with a sentence gone.
            damaged = [row for row in rows if type(row[1]) is not int]
            if damaged:
                broken.update(row[0] for row in damaged)
                rows = [row for row in rows if type(row[1]) is int]
            # Reading order, sorted here: SQL's ORDER BY s.document, s.seq built a temporary
            # B-tree of the ~180 joined rows (~10 % of the statement, measured at 1M); a
            # TEXT column's BINARY order is its UTF-8 bytes', which is Python's str order.
            rows.sort(key=_DOC_SEQ)
            for row in rows:
                doc, seq, kind = row[0], row[1], row[2]
                if seq < 0:
                    if kind == version:
                        out[doc] = []
                    continue
                if doc not in out or row[-1] is None:
                    broken.add(doc)
                    continue
                out[doc].append(row)
        for doc in broken:
            out.pop(doc, None)
        return out

    def documents_mentioning(self, keys: list[str]) -> list[str]:
        """The documents that mention any of these name keys."""
        if not keys:
            return []
        return [d for (d,) in self.query(
            f"SELECT DISTINCT document FROM mentions WHERE key IN ({','.join('?' * len(keys))})", keys)]

    def mention_counts_by_document(self, keys: list[str]) -> list[tuple[str, int]]:
        """(document, how many mentions of these name keys it holds)."""
        if not keys:
            return []
        return self.query(
            f"SELECT document, COUNT(*) FROM mentions WHERE key IN ({','.join('?' * len(keys))}) GROUP BY document",
            keys)

    # -- reads for summaries and entity cards (bot/answers/summary.py, who.py) ------------
    def body_passages(self, document: str) -> list[PassageRow]:
        """One document's body sentences in reading order (no byline or date lines)."""
        rows = self.query(
            "SELECT id, document, paragraph, sentence, kind, text FROM passages "
            "WHERE document = ? AND kind = 'body' ORDER BY paragraph, sentence",
            (document,),
        )
        return [PassageRow(*r) for r in rows]

    def byline_passages(self, document: str) -> list[PassageRow]:
        """A document's byline line(s): authors are named there, not in mentions."""
        rows = self.query(
            "SELECT id, document, paragraph, sentence, kind, text FROM passages "
            "WHERE document = ? AND kind = 'byline'",
            (document,),
        )
        return [PassageRow(*r) for r in rows]

    def mentions_of(self, keys: Iterable[str]) -> list[tuple[int, str, str, str]]:
        """(passage id, name as written, role, key) of every mention whose key is one of `keys`."""
        keys = list(dict.fromkeys(keys))
        out: list[tuple[int, str, str, str]] = []
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            rows = self.query(
                f"SELECT passage, name, role, key FROM mentions WHERE key IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            out += [(int(p), n, r or "", k) for p, n, r, k in rows]
        return out

    def mention_key_counts(self, keys: Iterable[str]) -> dict[str, int]:
        """How many mentions each name key has."""
        keys = list(dict.fromkeys(keys))
        out: dict[str, int] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            rows = self.query(
                f"SELECT key, COUNT(*) FROM mentions WHERE key IN ({','.join('?' * len(chunk))}) GROUP BY key", chunk
            )
            out.update({k: int(n) for k, n in rows})
        return out

    def mention_with_role(self, key: str) -> tuple[str, str] | None:
        """One (name as written, role) for a name key, one written with a title if any."""
        rows = self.query("SELECT name, role FROM mentions WHERE key = ? ORDER BY role DESC LIMIT 1", (key,))
        return (rows[0][0], rows[0][1] or "") if rows else None

    def mentions_in(self, passages: Iterable[int]) -> list[tuple[str, str]]:
        """(name as written, role) of every mention in these passages, in passage order."""
        ids = list(dict.fromkeys(int(i) for i in passages))
        out: list[tuple[str, str]] = []
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            rows = self.query(
                f"SELECT name, role FROM mentions WHERE passage IN ({','.join('?' * len(chunk))}) ORDER BY passage",
                chunk,
            )
            out += [(n, r or "") for n, r in rows]
        return out

    def mentions_containing(self, word: str, limit: int = 200) -> list[tuple[str, str, str]]:
        """(name as written, key, role) of mentions whose key contains `word` (a follow-up's
        "Xi" finds "xi jinping"); the caller keeps the keys that hold all its words."""
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = self.query(
            "SELECT name, key, role FROM mentions WHERE key LIKE ? ESCAPE '\\' LIMIT ?", (f"%{escaped}%", limit)
        )
        return [(n, k, r or "") for n, k, r in rows]

    def mention_counts(self, like: str = "%", limit: int = 400) -> list[tuple[str, int]]:
        """(a name as written, mentions of its key), commonest keys first, keys matching `like`."""
        rows = self.query(
            "SELECT name, COUNT(*) AS n FROM mentions WHERE key LIKE ? GROUP BY key ORDER BY n DESC, name LIMIT ?",
            (like, limit),
        )
        return [(name, int(n)) for name, n in rows]


_DOC_SEQ = itemgetter(0, 1)  # (document, seq) of a statements() row


class _ReadTransaction:
    """One read transaction on a `PassageReader`, held for a `with` block only."""

    def __init__(self, reader: PassageReader) -> None:
        self.reader = reader

    def __enter__(self) -> sqlite3.Connection:
        r = self.reader
        r.lock.acquire()
        try:
            if r.closed:
                raise StoreError("this snapshot was retired")
            if r._released:
                r._released = False
                r.reopen()
            r.conn.execute("BEGIN")
            r.generation = generation_row(r.conn)
        except sqlite3.DatabaseError as exc:
            r.lock.release()
            r.failed = True
            raise StoreError(f"knowledge base unavailable: {exc}") from exc
        except BaseException:
            r.lock.release()
            raise
        return r.conn

    def __exit__(self, *exc: object) -> None:
        r = self.reader
        try:
            if r.conn.in_transaction:
                r.conn.execute("COMMIT")
        except sqlite3.Error:
            pass
        finally:
            r.lock.release()

# -- corruption: check, salvage the moderators' records, set the file aside ----------------------
RECORD_TABLES = ("audit", "gaps", "feedback")


# The columns answering reads and the SQLite types a sound row holds in each (what the
# writer stores; the record dataclasses' types). SQLite keeps any value in any column: a
# damaged or tampered file can hold a NULL paragraph or a blob title, which answering
# would meet as a TypeError deep inside a question rather than as a damaged database.
_TEXT, _TEXT_OR_NULL, _INT, _INT_OR_NULL = ("text",), ("text", "null"), ("integer",), ("integer", "null")
SOUND_TYPES: dict[str, dict[str, tuple[str, ...]]] = {
    "documents": {"id": _TEXT, "title": _TEXT, "date": _TEXT_OR_NULL, "date_text": _TEXT_OR_NULL,
                  "authors": _TEXT_OR_NULL, "byline": _TEXT_OR_NULL, "source": _TEXT_OR_NULL,
                  "url": _TEXT_OR_NULL, "path": _TEXT, "content_hash": _TEXT, "size": _INT_OR_NULL,
                  "mtime_ns": _INT_OR_NULL, "paragraphs": _INT_OR_NULL, "passages": _INT_OR_NULL},
    "passages": {"id": _INT, "document": _TEXT, "paragraph": _INT, "sentence": _INT, "kind": _TEXT,
                 "text": _TEXT, "tokens": _TEXT_OR_NULL},
    "terms": {"id": _INT, "term": _TEXT},
    "mentions": {"document": _TEXT, "passage": _INT, "name": _TEXT, "key": _TEXT, "role": _TEXT_OR_NULL},
    "statements": {"document": _TEXT, "seq": _INT, "passage": _INT_OR_NULL, "speaker": _TEXT, "key": _TEXT,
                   "kind": _TEXT},
    "title_terms": {"document": _TEXT, "term": _TEXT, "n": _INT, "title": _TEXT_OR_NULL},
}
# documents.authors is a JSON array of names
_AUTHORS_UNSOUND = ("authors IS NOT NULL AND (json_valid(authors) = 0 OR json_type(authors) != 'array' "
                    "OR EXISTS (SELECT 1 FROM json_each(authors) WHERE type != 'text'))")


def damaged_rows(conn: sqlite3.Connection) -> str | None:
    """None when every row answering reads holds values of the types the writer stores
    (`SOUND_TYPES`), else which tables do not (one scan of each table: at start-up,
    and when a question fails on a value of the wrong type, never per question)."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    problems = []
    for table, columns in SOUND_TYPES.items():
        if table not in tables:
            continue
        present = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
        tests = [f"typeof({column}) NOT IN ({', '.join(repr(t) for t in types)})"
                 for column, types in columns.items() if column in present]
        if table == "documents" and "authors" in present:
            tests.append(_AUTHORS_UNSOUND)
        if not tests:
            continue
        (bad,) = conn.execute(f"SELECT COUNT(*) FROM {table} WHERE {' OR '.join(tests)}").fetchone()
        if bad:
            problems.append(f"{bad} {table} row(s) with values of the wrong type")
    return "; ".join(problems) if problems else None


def quick_check(path: Path | str) -> str | None:
    """None when `PRAGMA quick_check` finds the file sound, else its first complaint.
    Reads the whole file once (start-up only, never per question)."""
    try:
        conn = connect_readonly(path, timeout=5.0)
    except sqlite3.DatabaseError as exc:
        return str(exc)
    try:
        rows = conn.execute("PRAGMA quick_check(5)").fetchall()
        problems = [str(r[0]) for r in rows if r and r[0] != "ok"]
        if not problems:
            # quick_check sees the b-trees, not the bytes inside a row: a flipped byte in
            # a text makes Python's decode fail later, at a question. Read them all once.
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            for table, column in (("passages", "text"), ("terms", "term"), ("documents", "title"),
                                  ("documents", "path"), ("documents", "content_hash"), ("meta", "value")):
                if table in tables:
                    for _ in conn.execute(f"SELECT {column} FROM {table}"):
                        pass
            # The postings blobs are the store of record the index files are built from;
            # a blob cut or grown by a byte no longer holds whole numbers of its type
            # (int64 ids, int32 lengths/terms/rows, uint16 counts), or the arrays disagree.
            if "postings" in tables:
                (bad,) = conn.execute(
                    "SELECT COUNT(*) FROM postings WHERE length(passage_ids) % 8 != 0 "
                    "OR length(lengths) * 2 != length(passage_ids) OR length(term_ids) % 4 != 0 "
                    "OR length(local) != length(term_ids) OR length(tfs) * 2 != length(term_ids)"
                ).fetchone()
                if bad:
                    problems.append(f"{bad} postings row(s) with blobs of the wrong size")
            typed = damaged_rows(conn)
            if typed:
                problems.append(typed)
    except sqlite3.DatabaseError as exc:
        if not is_corruption(exc):
            raise StoreError(f"cannot check the database {path}: {exc}") from exc
        return str(exc)
    finally:
        conn.close()
    return "; ".join(problems)[:300] if problems else None


def salvage_records(path: Path | str) -> tuple[dict[str, list[tuple[Any, ...]]], list[str]]:
    """Copy out what can still be read of the audit trail, gaps and feedback.

    Returns the rows per table and the names of the tables that could not be read
    (row by row where the table itself fails, so one bad page costs only its rows)."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    lost: list[str] = []
    try:
        conn = connect_readonly(path, timeout=1.0)
    except sqlite3.DatabaseError:
        return {}, list(RECORD_TABLES)
    try:
        for table in RECORD_TABLES:
            try:
                cols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
                if not cols:
                    lost.append(table)
                    continue
                rows[table] = [tuple(r) for r in conn.execute(f"SELECT {', '.join(cols)} FROM {table} ORDER BY id")]
                rows[table + ":columns"] = [tuple(cols)]
            except sqlite3.DatabaseError:
                lost.append(table)
    finally:
        conn.close()
    return rows, lost


def set_aside(path: Path | str) -> Path:
    """Rename a damaged database (and its -wal/-shm) to `<name>.corrupt-<UTC stamp>`:
    never deleted, an operator may still want to look at it."""
    path = Path(path)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    dest = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while dest.exists():
        dest = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
        n += 1
    for suffix in ("", "-wal", "-shm"):
        src = Path(f"{path}{suffix}")
        if src.exists():
            os.replace(src, Path(f"{dest}{suffix}"))
    return dest


def restore_records(store: "Store", rows: dict[str, list[tuple[Any, ...]]]) -> int:
    """Put salvaged moderator records into a fresh store; returns how many rows."""
    n = 0
    with store.lock:
        with store.db.atomic():
            for table in RECORD_TABLES:
                if table not in rows:
                    continue
                cols = rows[table + ":columns"][0]
                have = {r[1] for r in store.conn.execute(f"PRAGMA table_info({table})")}
                keep = [i for i, c in enumerate(cols) if c in have]
                names = ", ".join(cols[i] for i in keep)
                store.conn.executemany(
                    f"INSERT OR REPLACE INTO {table} ({names}) VALUES ({', '.join('?' * len(keep))})",
                    [tuple(r[i] for i in keep) for r in rows[table]],
                )
                n += len(rows[table])
    return n

def count_documents_readonly(path: Path | str) -> int:
    """Open the database read-only and count its documents (for `python -m bot health`).

    Read-only (`mode=ro`): a health probe must never create, migrate or lock the
    file the running bot writes. Raises StoreError when it cannot be read.
    """
    p = Path(path)
    if not p.is_file():
        raise StoreError(f"no database at {p}")
    try:
        conn = sqlite3.connect(f"{p.resolve().as_uri()}?mode=ro", uri=True, timeout=5.0)
        try:
            return int(conn.execute("SELECT count(*) FROM documents").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise StoreError(f"cannot read the database {p}: {exc}") from exc
