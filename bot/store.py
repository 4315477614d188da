"""The SQLite schema (through sqlite-utils) and the atomic writes of a build.

One file holds everything: documents, passages, the vocabulary, per-document
postings (so a restart does not re-tokenise), entity mentions, and the
moderators' records (audit, gaps, feedback). Writes of a build happen in one
transaction (`Store.write_changes`): SQLite's journal makes a crash or
`kill -9` mid-build leave the file as it was. The database runs in WAL mode
so readers keep a consistent snapshot while a build writes.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import sqlite_utils

SCHEMA_VERSION = 3


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


@dataclass
class DocumentWrite:
    """Everything a build writes for one new or changed document."""

    doc: StoredDocument
    passages: list[tuple[int, int, str, str]]  # (paragraph, sentence, kind, text)
    tokens: list[list[str]]  # index terms per passage, same order
    mentions: list[tuple[int, str, str, str]]  # (passage index, name, key, role)


def connect(path: Path | str, *, timeout: float = 5.0) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=timeout, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = %d" % int(timeout * 1000))
    return conn


class Store:
    """Owns the write connection and the schema. Reads for answering go through
    `PassageReader`, which pins a snapshot."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = connect(self.path)
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA synchronous = NORMAL")
            self.db = sqlite_utils.Database(self.conn)
            self._ensure_schema()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open the database {self.path}: {exc}") from exc
        self.lock = threading.RLock()

    def close(self) -> None:
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
                for name in ("documents", "passages", "terms", "postings", "mentions"):
                    if name in db.table_names():
                        db[name].drop()
        with db.atomic():
            if "meta" not in db.table_names():
                db.table("meta").create({"key": str, "value": str}, pk="key")
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
                    {"id": int, "document": str, "paragraph": int, "sentence": int, "kind": str, "text": str},
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
            self.set_meta("schema_version", str(SCHEMA_VERSION))

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
        build: dict[str, Any],
        touch: Iterable[tuple[str, int, int, str]] = (),
        meta: dict[str, str] | None = None,
    ) -> None:
        """Replace changed documents, add new ones, drop removed ones: all or nothing.

        `touch` updates (id, size, mtime_ns, path) of files whose bytes did not change.
        """
        with self.lock:
            db = self.db
            try:
                with db.atomic():
                    for doc_id in removed:
                        self._delete_document(doc_id)
                    for write in writes:
                        self._delete_document(write.doc.id)
                        self._insert_document(write)
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
                    db.table("builds").insert({**build, "report": json.dumps(build.get("report", {}))})
                    for key, value in (meta or {}).items():
                        self.set_meta(key, value)
                    self.set_meta("built_at", str(build.get("finished_at", time.time())))
                    self.set_meta("generation", str(int(self.get_meta("generation") or 0) + 1))
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"the database refused the build: {exc}") from exc

    def _delete_document(self, doc_id: str) -> None:
        for table in ("passages", "mentions"):
            self.conn.execute(f"DELETE FROM {table} WHERE document = ?", (doc_id,))
        self.conn.execute("DELETE FROM postings WHERE document = ?", (doc_id,))
        self.conn.execute("DELETE FROM documents WHERE id = ?", (doc_id,))

    def _insert_document(self, write: DocumentWrite) -> None:
        doc = write.doc
        row = {**doc.__dict__, "authors": json.dumps(list(doc.authors))}
        self.conn.execute(  # plain SQL: sqlite-utils' insert introspects the table on every call
            f"INSERT INTO documents ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values())
        )
        # The ids SQLite would assign one by one (max + 1), given in one executemany.
        first = int(self.conn.execute("SELECT COALESCE(MAX(id), 0) FROM passages").fetchone()[0]) + 1
        ids = list(range(first, first + len(write.passages)))
        self.conn.executemany(
            "INSERT INTO passages (id, document, paragraph, sentence, kind, text) VALUES (?, ?, ?, ?, ?, ?)",
            [(pid, doc.id, paragraph, sentence, kind, text)
             for pid, (paragraph, sentence, kind, text) in zip(ids, write.passages)],
        )
        term_ids_map = self._term_ids({t for toks in write.tokens for t in toks})
        t_ids: list[int] = []
        local: list[int] = []
        tfs: list[int] = []
        for i, toks in enumerate(write.tokens):
            counts: dict[str, int] = {}
            for tok in toks:
                counts[tok] = counts.get(tok, 0) + 1
            for tok, c in counts.items():
                t_ids.append(term_ids_map[tok])
                local.append(i)
                tfs.append(min(c, 65535))
        self.conn.execute(
            "INSERT INTO postings (document, passage_ids, lengths, term_ids, local, tfs) VALUES (?, ?, ?, ?, ?, ?)",
            (
                doc.id,
                np.asarray(ids, dtype=np.int64).tobytes(),
                np.asarray([len(t) for t in write.tokens], dtype=np.int32).tobytes(),
                np.asarray(t_ids, dtype=np.int32).tobytes(),
                np.asarray(local, dtype=np.int32).tobytes(),
                np.asarray(tfs, dtype=np.uint16).tobytes(),
            ),
        )
        if write.mentions:
            self.conn.executemany(
                "INSERT INTO mentions (document, passage, name, key, role) VALUES (?, ?, ?, ?, ?)",
                [(doc.id, ids[i], name, key, role) for i, name, key, role in write.mentions],
            )

    def _term_ids(self, terms: set[str]) -> dict[str, int]:
        if not terms:
            return {}
        self.conn.executemany("INSERT OR IGNORE INTO terms (term) VALUES (?)", [(t,) for t in terms])
        out: dict[str, int] = {}
        term_list = list(terms)
        for i in range(0, len(term_list), 500):
            chunk = term_list[i : i + 500]
            q = f"SELECT term, id FROM terms WHERE term IN ({','.join('?' * len(chunk))})"
            out.update({t: int(i_) for t, i_ in self.conn.execute(q, chunk)})
        return out


def _doc_from_row(row: dict[str, Any]) -> StoredDocument:
    return StoredDocument(
        id=row["id"], title=row["title"], date=row["date"], date_text=row["date_text"],
        authors=tuple(json.loads(row["authors"] or "[]")), byline=row["byline"], source=row["source"],
        url=row["url"], path=row["path"], content_hash=row["content_hash"], size=row["size"] or 0,
        mtime_ns=row["mtime_ns"] or 0, paragraphs=row["paragraphs"] or 0, passages=row["passages"] or 0,
        loaded_at=row["loaded_at"] or 0.0,
    )


class PassageReader:
    """A read connection pinned to one committed state of the database.

    It holds an open read transaction, so a build committing meanwhile is not
    seen: the index built from this state and the texts read for it agree.
    """

    def __init__(self, path: Path | str) -> None:
        try:
            self.conn = connect(path)
            self.conn.isolation_level = None
            self.conn.execute("BEGIN")
            self.generation = self.conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot read the database {path}: {exc}") from exc
        self.lock = threading.Lock()
        self.closed = False
        self.failed = False  # a read failed: the engine replaces this snapshot at the next reload

    def close(self) -> None:
        with self.lock:
            if not self.closed:
                self.closed = True
                try:
                    self.conn.execute("ROLLBACK")
                    self.conn.close()
                except sqlite3.Error:
                    pass

    def query(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        with self.lock:
            if self.closed:
                raise StoreError("this snapshot was retired")
            try:
                return self.conn.execute(sql, tuple(params)).fetchall()
            except sqlite3.DatabaseError as exc:
                self.failed = True
                raise StoreError(f"knowledge base unavailable: {exc}") from exc

    def passages(self, ids: Iterable[int]) -> dict[int, PassageRow]:
        ids = list(dict.fromkeys(int(i) for i in ids))
        out: dict[int, PassageRow] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            rows = self.query(
                "SELECT id, document, paragraph, sentence, kind, text FROM passages "
                f"WHERE id IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            out.update({r[0]: PassageRow(*r) for r in rows})
        return out

    def documents(self) -> list[StoredDocument]:
        with self.lock:
            if self.closed:
                raise StoreError("this snapshot was retired")
            cur = self.conn.execute("SELECT * FROM documents ORDER BY date, id")
            names = [d[0] for d in cur.description]
            return [_doc_from_row(dict(zip(names, r))) for r in cur.fetchall()]

    def term_ids(self, terms: Iterable[str]) -> dict[str, int]:
        terms = list(dict.fromkeys(terms))
        if not terms:
            return {}
        rows = self.query(f"SELECT term, id FROM terms WHERE term IN ({','.join('?' * len(terms))})", terms)
        return {t: int(i) for t, i in rows}


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
