"""The Engine owns the current knowledge snapshot; everything else asks it.

A reload syncs the database (one transaction), builds a new snapshot beside
the current one and swaps the reference in one assignment. Questions asked
meanwhile are answered from the old snapshot, whose pinned read transaction
keeps seeing the old rows; it is closed once no question is using it.
Methods are synchronous and thread-safe: the Discord layer runs them in a
worker thread so the event loop never waits on SQLite or numpy.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable, TypeVar

from bot.answers.ask import ask as _ask
from bot.answers.followup import FollowUpContext, build_context, rewrite
from bot.answers.highlight import mark_answer, mark_card
from bot.answers.model import Answer, EntityCard, Summary
from bot.answers.summary import summarise
from bot.answers.who import entity_names as _entity_names
from bot.answers.who import who as _who
from bot.build import BuildReport, KnowledgeFolderError, sync_folder
from bot.ingest.files import MAX_FILE_BYTES
from bot.search.bm25 import BM25Params
from bot.search.question import MAX_QUESTION_CHARS
from bot.search.snapshot import Snapshot, load_snapshot
from bot.store import PassageReader, Store, StoreError, StoredDocument

if TYPE_CHECKING:  # pragma: no cover
    from bot.journal import Journal
    from bot.kb import KbChangeResult

log = logging.getLogger(__name__)
T = TypeVar("T")


def _file_identity(path: Path) -> tuple[int, int, int] | None:
    """(device, inode, size) of a file, None when it is missing."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size)


class EngineError(RuntimeError):
    """The engine cannot answer (no knowledge base could be loaded)."""


class UnknownDocument(ValueError):
    """A document id that is not loaded."""


@dataclass(frozen=True)
class EngineStatus:
    documents: int
    passages: int
    last_reload_at: float | None
    last_reload_ms: float | None
    last_report: BuildReport | None
    db_path: str


class Engine:
    def __init__(
        self,
        knowledge_dir: Path | str,
        db_path: Path | str,
        *,
        params: BM25Params | None = None,
        max_file_bytes: int = MAX_FILE_BYTES,
    ) -> None:
        self.knowledge_dir = Path(knowledge_dir)
        self.db_path = Path(db_path)
        self.params = params or BM25Params()
        self.max_file_bytes = max_file_bytes
        self._snapshot: Snapshot | None = None
        self._reload_lock = threading.Lock()
        self._kb_lock = threading.RLock()  # add/remove/restore one at a time (bot/kb.py)
        self._store: Store | None = None
        self._journal: Journal | None = None
        self.last_report: BuildReport | None = None
        self.last_reload_at: float | None = None

    # -- lifecycle -------------------------------------------------------------------
    def open(self, *, refresh: bool = True) -> BuildReport | None:
        """Load the knowledge base; with `refresh`, sync the folder first."""
        if refresh:
            return self.reload()
        self._swap(self._load())
        return None

    def reload(self, *, force: bool = False, actor: str | None = None,
               progress: Callable[[int, int], None] | None = None) -> BuildReport:
        """Sync the folder into the database and swap in the new snapshot.

        On any failure the current snapshot keeps serving and the error propagates
        (a database that refuses the write raises StoreError). With `actor`, the
        reload and its outcome are recorded in the audit table.
        """
        try:
            report = self._reload(force, progress)
        except (StoreError, KnowledgeFolderError) as exc:
            log.warning("reload failed, the previous articles keep serving: %s", exc)
            if actor is not None:
                self.journal.try_audit(actor, "reload", "", "error", str(exc))
            raise
        if actor is not None:
            self.journal.try_audit(actor, "reload", "", "ok", "; ".join(report.summary_lines()))
        return report

    def _reload(self, force: bool, progress: Callable[[int, int], None] | None = None) -> BuildReport:
        with self._reload_lock:
            self._check_db_file()
            store = self._ensure_store()
            try:
                report = sync_folder(store, self.knowledge_dir, max_bytes=self.max_file_bytes, force=force,
                                     progress=progress)
            except StoreError:
                self._drop_store()
                raise
            except sqlite3.DatabaseError as exc:
                self._drop_store()
                raise StoreError(f"the database refused the reload ({exc}); the previous articles keep serving") from exc
            if report.changed_anything or force or self._snapshot is None or self._stale():
                self._swap(self._load())
            self.last_report = report
            self.last_reload_at = time.time()
            return report

    def _stale(self) -> bool:
        snap = self._snapshot
        return snap is None or getattr(snap.reader, "failed", False) or snap.reader.generation != self._current_generation()

    def _current_generation(self) -> object:
        store = self._ensure_store()
        row = store.conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return row

    def _ensure_store(self) -> Store:
        if self._store is None:
            self._store = Store(self.db_path)
            self._db_identity = _file_identity(self.db_path)
        return self._store

    def _check_db_file(self) -> None:
        """The database file deleted, replaced or emptied under a running engine: the
        open connections still see the old file, so writing through them would be lost
        and a new reader would find no tables. Close the store, set aside the old
        file's -wal/-shm (they belong to the old inode; the current snapshot keeps its
        open descriptors and answering) and let this reload rebuild from the folder."""
        known = getattr(self, "_db_identity", None)
        if known is None:
            return
        now = _file_identity(self.db_path)
        if now is not None and now[:2] == known[:2] and now[2] > 0:
            return
        what = "deleted" if now is None else ("emptied" if now[:2] == known[:2] else "replaced")
        log.warning("the database file %s was %s while running; rebuilding it from %s",
                    self.db_path, what, self.knowledge_dir)
        self._drop_store()
        self._db_identity = None
        for suffix in ("-wal", "-shm"):
            try:
                os.unlink(f"{self.db_path}{suffix}")
            except OSError:
                pass
        if now is not None and now[:2] == known[:2]:  # emptied in place: start a fresh file
            try:
                os.unlink(self.db_path)
            except OSError:
                pass

    def _drop_store(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
            self._journal = None

    def _load(self) -> Snapshot:
        reader = PassageReader(self.db_path)
        try:
            return load_snapshot(reader, self.params)
        except Exception:
            reader.close()
            raise

    def _swap(self, new: Snapshot) -> None:
        old, self._snapshot = self._snapshot, new
        if old is not None:
            old.close()  # waits for a question holding its lock, then retires it

    def close(self) -> None:
        if self._snapshot is not None:
            self._snapshot.close()
            self._snapshot = None
        self._drop_store()

    @property
    def store(self) -> Store:
        return self._ensure_store()

    @property
    def journal(self) -> "Journal":
        """The audit trail, unanswered questions and feedback (bot/journal.py)."""
        from bot.journal import Journal

        store = self._ensure_store()
        journal = self._journal
        if journal is None or journal.store is not store:
            journal = self._journal = Journal(store)
        return journal

    # -- moderator operations (bot/kb.py) ------------------------------------------------
    def add_article(self, filename: str, data: bytes, actor: str, *, replace: bool = False) -> "KbChangeResult":
        """Validate, save atomically into the knowledge folder, reload, audit."""
        from bot.kb import add_article

        return add_article(self, filename, data, actor, replace=replace)

    def remove_article(self, doc_id: str, actor: str) -> "KbChangeResult":
        """Retire an article into knowledge/.retired/ (kept, restorable), reload, audit."""
        from bot.kb import remove_article

        return remove_article(self, doc_id, actor)

    def restore_article(self, retired_name: str, actor: str, *, replace: bool = False) -> "KbChangeResult":
        from bot.kb import restore_article

        return restore_article(self, retired_name, actor, replace=replace)

    def retired_articles(self) -> list[str]:
        from bot.kb import retired_articles

        return retired_articles(self)

    def is_loaded(self, doc_id: str) -> bool:
        snap = self._snapshot
        return snap is not None and doc_id in snap.documents

    # -- questions -----------------------------------------------------------------------
    def _with_snapshot(self, fn: Callable[[Snapshot], T]) -> T:
        for _ in range(5):
            snap = self._snapshot
            if snap is None:
                raise EngineError("the knowledge base is not loaded")
            try:
                return fn(snap)
            except StoreError:
                if snap.reader.closed and snap is not self._snapshot:
                    continue  # retired between picking it and reading: use the new one
                raise
        raise EngineError("the knowledge base is reloading too often to answer")

    def _check_document(self, snap: Snapshot, document: str | None) -> None:
        if document is not None and document not in snap.documents:
            raise UnknownDocument(f"unknown document: {document!r}")

    def ask(
        self,
        question: str,
        *,
        document: str | None = None,
        k: int = 3,
        context: FollowUpContext | None = None,
    ) -> Answer:
        """Answer `question`; with `context` (a follow-up) pronouns are resolved against
        the previous exchange first and its article is preferred."""
        t0 = time.perf_counter()

        def run(snap: Snapshot) -> Answer:
            self._check_document(snap, document)
            if context is None:
                return _ask(snap, question, k=k, document=document)
            answer = _ask(snap, rewrite(question, context), k=k, document=document,
                          prefer_document=context.document if context.document in snap.documents else None)
            return replace(answer, query=" ".join(question.split())[:MAX_QUESTION_CHARS])

        answer = mark_answer(self._with_snapshot(run))
        return replace(answer, elapsed_ms=round((time.perf_counter() - t0) * 1000, 3))

    def follow_up_context(self, question: str, answer: Answer) -> FollowUpContext:
        """What a later follow-up to this exchange may refer to (small, immutable)."""
        return self._with_snapshot(lambda snap: build_context(snap, question, answer))

    def who(self, name: str) -> EntityCard:
        t0 = time.perf_counter()
        card = mark_card(self._with_snapshot(lambda snap: _who(snap, name)))
        return replace(card, elapsed_ms=round((time.perf_counter() - t0) * 1000, 3))

    def summary(self, document: str | None = None) -> Summary:
        t0 = time.perf_counter()

        def run(snap: Snapshot) -> Summary:
            self._check_document(snap, document)
            return summarise(snap, document)

        result = self._with_snapshot(run)
        return replace(result, elapsed_ms=round((time.perf_counter() - t0) * 1000, 3))

    def entity_names(self, prefix: str = "", limit: int = 25) -> list[str]:
        return self._with_snapshot(lambda snap: _entity_names(snap, prefix, limit))

    def documents(self) -> list[StoredDocument]:
        return self._with_snapshot(lambda snap: sorted(snap.documents.values(), key=lambda d: (d.date or "", d.id)))

    def status(self) -> EngineStatus:
        snap = self._snapshot
        return EngineStatus(
            documents=len(snap.documents) if snap else 0,
            passages=snap.passage_count if snap else 0,
            last_reload_at=self.last_reload_at,
            last_reload_ms=self.last_report.duration_ms if self.last_report else None,
            last_report=self.last_report,
            db_path=str(self.db_path),
        )

    @property
    def loaded(self) -> bool:
        return self._snapshot is not None


__all__ = ["Engine", "EngineError", "EngineStatus", "KnowledgeFolderError", "StoreError", "UnknownDocument"]
