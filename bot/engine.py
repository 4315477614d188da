"""The Engine owns the current knowledge snapshot; everything else asks it.

A reload syncs the database (one transaction), builds a new snapshot beside
the current one and swaps the reference in one assignment. Questions asked
meanwhile are answered from the old snapshot (its index is in memory or mapped
files; it reads passage rows by short statements, holding no transaction), which
is closed once no question is using it.
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
from typing import TYPE_CHECKING, Callable, Mapping, TypeVar

from bot import heap
from bot.buildlock import build_lock
from bot.build import INDEX_FORMAT, BuildCancelled, BuildReport, KnowledgeFolderError, sync_folder
from bot.ingest.files import MAX_FILE_BYTES, scan_folder, unchanged_as_listed, unchanged_since
from bot.search.bm25 import BM25Params
from bot.search.documents import DocumentTable
from bot.search.snapshot import Snapshot, load_snapshot
from bot.store import (
    SCHEMA_VERSION,
    TITLE_TERMS_VERSION,
    PassageReader,
    Store,
    StoreError,
    StoredDocument,
    is_corruption,
    quick_check,
    restore_records,
    salvage_records,
    set_aside,
    sidecar_identity,
)

if TYPE_CHECKING:  # pragma: no cover
    from bot.answers.followup import FollowUpContext
    from bot.answers.model import Answer, EntityCard, Quote, Summary
    from bot.answers.said import SaidResult
    from bot.answers.timeline import Timeline
    from bot.answers.whatsnew import WhatsNew
    from bot.ingest.fetch import FetchPolicy
    from bot.journal import Journal
    from bot.kb import KbChangeResult, UrlAddResult

log = logging.getLogger(__name__)
T = TypeVar("T")


def _file_identity(path: Path) -> tuple[int, int, int] | None:
    """(device, inode, size) of a file, None when it is missing."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size)


def _follows(then: object, now: object, wrote: bool) -> bool:
    """Whether the generation row `now` is `then` plus this reload's one build when it
    `wrote` (or equal when it did not): no other process's build in between, which may
    have rewritten rows this one did not touch."""
    try:
        return int(now[0]) == int(then[0]) + (1 if wrote else 0)  # type: ignore[index]
    except (TypeError, ValueError, IndexError):
        return False


def _sound(result: T) -> T:
    """`result`, after checking that the quotes and documents it carries hold values of
    their fields' types (a str text and title, an int paragraph, …). A row of the wrong
    type (SQLite keeps any value in any column) may pass through answering untouched and
    fail only in a renderer, outside the engine; this raises the TypeError here, where
    `_with_snapshot` audits the rows and repairs the file (a dozen quotes: ~µs)."""
    for quote in _quotes_of(result):
        c = quote.citation
        if not (type(quote.text) is str and type(c.document) is str and type(c.title) is str
                and type(c.paragraph) is int and all(x is None or type(x) is str for x in (c.date_text, c.url, c.outlet))
                and type(c.authors) is tuple and all(type(a) is str for a in c.authors)):
            raise TypeError(f"a quote of {c.document!r} holds a value of the wrong type")
    for said in _tuple_field(result, "statements"):  # "What did X say": attributed sentences
        if not (type(said.text) is str and type(said.document) is str and type(said.paragraph) is int):
            raise TypeError(f"a statement of {said.document!r} holds a value of the wrong type")
    if isinstance(result, list):
        for doc in result:
            if isinstance(doc, StoredDocument) and not (
                    type(doc.id) is str and type(doc.title) is str and type(doc.path) is str
                    and all(x is None or type(x) is str for x in (doc.date, doc.date_text, doc.byline, doc.source, doc.url))
                    and all(type(a) is str for a in doc.authors)):
                raise TypeError(f"the document row {doc.id!r} holds a value of the wrong type")
    return result


def _quotes_of(result: object) -> list["Quote"]:
    """The quotes an answer, card, summary, timeline, "said" or "what's new" result carries."""
    quotes = [*_tuple_field(result, "quotes"), *_tuple_field(result, "more")]
    for item in (*_tuple_field(result, "events"), *_tuple_field(result, "items")):  # timeline, what's new
        quotes.append(item.quote)
    return quotes


def _tuple_field(result: object, name: str) -> tuple:
    """A result record's tuple field `name` (none for anything else: a mapping's `items`)."""
    value = getattr(result, name, ())
    return value if isinstance(value, tuple) else ()


class EngineError(RuntimeError):
    """The engine cannot answer (no knowledge base could be loaded)."""


class UnknownDocument(ValueError):
    """A document id that is not loaded."""


class _Corrupt(Exception):
    """The database file is damaged: set it aside and rebuild (internal)."""


# What decoding a damaged row can raise besides sqlite3 errors (blobs of the wrong
# length, JSON cut in half, text that is not UTF-8).
_DECODE_ERRORS = (ValueError, TypeError, KeyError, IndexError, UnicodeDecodeError)


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
        self._stop = threading.Event()  # set on SIGTERM: a running reload stops between files
        self._checked = False  # PRAGMA quick_check ran on this file (once per process)
        self._needs_rebuild = False  # a question met a damaged row
        self.keep_choices = False  # the Discord bot keeps autocomplete lists in memory
        self._choices: object | None = None
        self._build_locked = False  # this engine holds the cross-process build lock (bot/buildlock.py)

    # -- lifecycle -------------------------------------------------------------------
    def open(self, *, refresh: bool = True) -> BuildReport | None:
        """Load the knowledge base; with `refresh`, sync the folder first."""
        if refresh:
            return self.reload()
        self._swap(self._load())
        return None

    def request_stop(self) -> None:
        """Ask a running reload to stop between files (SIGTERM): it raises BuildCancelled
        without writing, and the last committed build stays. Later reloads stop at once."""
        self._stop.set()

    def open_for_queries(self) -> BuildReport | None:
        """Load for answering only (the CLI's ask/who/summary/sources).

        When the database already matches the folder, it is opened read-only (`mode=ro`)
        and nothing is written, so parallel readers never meet "database is locked" and a
        read-only file works. Otherwise the folder is synced first, as `open` does; if that
        write is refused because the file is read-only, the stored articles still answer.
        """
        if self._open_readonly(require_fresh=True):
            return None
        with build_lock(self.db_path) as held:
            # Another process may have been building this database while we waited:
            # then it is fresh now, and reading it writes nothing.
            if held and self._open_readonly(require_fresh=True):
                return None
            self._build_locked = True  # held, or given up on (waited long enough): do not wait again
            try:
                return self._reload_for_queries()
            finally:
                self._build_locked = False

    def refresh(self, *, force: bool = False, progress: Callable[[int, int], None] | None = None) -> BuildReport:
        """What `index` runs: `reload`, except that when nothing is loaded yet and the
        database already matches the folder (the read-only check a query start makes:
        one lstat per file against the stamps kept with the index), it reports that
        without opening a writer. A writer's first reload also reads the whole file
        (`quick_check`), the sqlite-utils schema pass and every document row: ~0.5 s of
        CPU at 100k sentences, growing with the archive, for a call that changes nothing.
        (The integrity check runs at the next reload that writes, or with `force`.)"""
        if force or self._snapshot is not None:
            return self.reload(force=force, progress=progress)
        t0 = time.perf_counter()
        if not self._open_readonly(require_fresh=True):
            return self.reload(progress=progress)
        snap = self._snapshot
        assert snap is not None
        if snap.reader.query("SELECT 1 FROM failures LIMIT 1"):  # a build re-reads refused files: let it
            return self.reload(progress=progress)
        report = BuildReport(unchanged=len(snap.documents), documents=len(snap.documents),
                             passages=snap.passage_count)
        report.duration_ms = (time.perf_counter() - t0) * 1000
        self.last_report = report
        self.last_reload_at = time.time()
        self._tell_reload_listeners(report)
        return report

    def _reload_for_queries(self) -> BuildReport | None:
        try:
            return self.reload()
        except StoreError as exc:
            if "readonly" in str(exc).replace("-", "").replace(" ", "").lower() and self._open_readonly(require_fresh=False):
                log.warning("the database %s is read-only and may be out of date: answering from it as it is",
                            self.db_path)
                return None
            raise

    def _open_readonly(self, *, require_fresh: bool) -> bool:
        if not self.db_path.is_file() or self.db_path.stat().st_size == 0:
            return False
        try:
            reader = PassageReader(self.db_path, readonly=True)
        except StoreError:
            return False
        snap: Snapshot | None = None
        try:
            if require_fresh and not self._same_format(reader):
                reader.close()
                return False
            snap = load_snapshot(reader, self.params)
            # The folder is compared with the document rows the snapshot just read
            # (one read of the table, not two: at 100k sentences each read costs ~0.1 s).
            if require_fresh and not self._matches_folder(reader, snap.documents):
                snap.close()
                return False
        except (StoreError, sqlite3.DatabaseError, OSError, *_DECODE_ERRORS):
            if snap is not None:
                snap.close()
            else:
                reader.close()  # damaged or odd: the writing path checks and rebuilds it
            return False
        self._swap(snap)
        return True

    def _same_format(self, reader: PassageReader) -> bool:
        meta = dict(reader.query("SELECT key, value FROM meta"))
        return (meta.get("index_format") == INDEX_FORMAT and meta.get("schema_version") == str(SCHEMA_VERSION)
                and meta.get("title_terms") == TITLE_TERMS_VERSION)  # else a writer adds them (bot/store.py)

    def _matches_folder(self, reader: PassageReader, documents: DocumentTable) -> bool:
        """Whether a sync would change nothing: every article file's (path, size, mtime)
        as stored (`documents`, as the snapshot read them; no full row is read); a file
        that failed must have failed after its mtime. (The index format is checked by
        `_same_format`.)"""
        if not self.knowledge_dir.is_dir():
            return False
        failed_at = {p: at for p, at in reader.query("SELECT path, at FROM failures")}
        if not failed_at:  # the cheap check (one lstat per file); otherwise the full comparison
            table = documents.table
            if table is not None:  # the stamps as arrays (the persisted index's copy)
                if unchanged_as_listed(self.knowledge_dir, table.folder, table.names, table.sizes, table.mtimes):
                    return True
            elif unchanged_since(self.knowledge_dir, documents.file_stamps()):
                return True
        files = documents.files()
        entries, failures = scan_folder(self.knowledge_dir)
        seen: set[str] = set()
        for e in entries:
            if files.get(e.doc_id) == (e.path_str, e.size, e.mtime_ns):
                seen.add(e.doc_id)
            elif (failed_at.get(e.path_str) or 0) * 1e9 < e.mtime_ns:
                return False
        if set(files) - seen:
            return False
        return all(str(f.path) in failed_at for f in failures)

    def reload(self, *, force: bool = False, actor: str | None = None, allow_empty: bool = False,
               progress: Callable[[int, int], None] | None = None) -> BuildReport:
        """Sync the folder into the database and swap in the new snapshot.

        On any failure the current snapshot keeps serving and the error propagates
        (a database that refuses the write raises StoreError). With `actor`, the
        reload and its outcome are recorded in the audit table.
        """
        try:
            report = self._reload(force, allow_empty, progress)
        except (StoreError, KnowledgeFolderError, BuildCancelled) as exc:
            if self._snapshot is not None:
                log.warning("reload failed, the previous articles keep serving: %s", exc)
            else:  # nothing to keep serving: the caller reports the error (one line in the CLI)
                log.debug("reload failed, no articles loaded: %s", exc)
            if actor is not None:
                self.journal.try_audit(actor, "reload", "", "error", str(exc))
            raise
        if actor is not None:  # (the journal's write checkpoints)
            self.journal.try_audit(actor, "reload", "", "ok", "; ".join(report.summary_lines()))
        elif self._store is not None and report.changed_anything:
            self._store.checkpoint()  # what the snapshot pinned during the reload held back
        self._tell_reload_listeners(report)
        return report

    def _reload(self, force: bool, allow_empty: bool = False,
                progress: Callable[[int, int], None] | None = None) -> BuildReport:
        with self._reload_lock:
            if self._build_locked:
                return self._reload_locked(force, allow_empty, progress)
            with build_lock(self.db_path):
                return self._reload_locked(force, allow_empty, progress)

    def _reload_locked(self, force: bool, allow_empty: bool,
                       progress: Callable[[int, int], None] | None) -> BuildReport:
        if self._stop.is_set():
            raise BuildCancelled("stopping: no reload started")
        self._check_db_file()
        self._check_sidecars()
        serving = self._snapshot
        pinned = serving is not None and serving.reader.pin()
        try:
            try:
                report = self._sync_and_swap(force, allow_empty, progress)
            except _Corrupt as exc:
                self._rebuild_corrupt(str(exc))
                try:
                    report = self._sync_and_swap(True, allow_empty, progress)
                except _Corrupt as again:
                    raise StoreError(f"the rebuilt database is unusable too: {again}") from again
        finally:
            if pinned and serving is not None:
                serving.reader.unpin()
        self.last_report = report
        self.last_reload_at = time.time()
        return report

    def _sync_and_swap(self, force: bool, allow_empty: bool,
                       progress: Callable[[int, int], None] | None = None) -> BuildReport:
        if self._needs_rebuild:
            self._needs_rebuild = False
            raise _Corrupt("a question met a damaged row")
        try:
            if not self._checked and self._store is None and self.db_path.is_file() and self.db_path.stat().st_size:
                problem = quick_check(self.db_path)
                self._checked = True
                if problem:
                    raise _Corrupt(problem)
            store = self._ensure_store()
            known: Mapping[str, StoredDocument] | None = self._current_documents()
            before: object = None
            start = self._snapshot.reader.generation if known is not None and self._snapshot else None
            if known is None:  # read here (what sync_folder would read), kept for the new snapshot
                before = start = store.generation_row()
                known = store.documents()
            report = sync_folder(store, self.knowledge_dir, max_bytes=self.max_file_bytes, force=force,
                                 allow_empty=allow_empty, should_stop=self._stop.is_set, progress=progress,
                                 known=known)
            stale = report.changed_anything or force or self._snapshot is None or self._stale()
        except StoreError as exc:
            self._drop_store()
            if is_corruption(exc.__cause__ or exc):
                raise _Corrupt(str(exc.__cause__ or exc)) from exc
            raise
        except sqlite3.DatabaseError as exc:
            self._drop_store()
            if is_corruption(exc):
                raise _Corrupt(str(exc)) from exc
            raise StoreError(f"the database refused the reload ({exc}); the previous articles keep serving") from exc
        if stale:
            # This build's documents: the index compares only those when it describes the
            # state the build started from (and nothing else was written meanwhile).
            hint = (start, frozenset({*report.added, *report.changed, *report.removed})) \
                if report.changed_anything and not force and start is not None else None
            try:
                new = self._load(hint)
            except StoreError as exc:
                if is_corruption(exc.__cause__ or exc):
                    raise _Corrupt(str(exc.__cause__ or exc)) from exc
                raise
            except sqlite3.DatabaseError as exc:
                if is_corruption(exc):
                    raise _Corrupt(str(exc)) from exc
                raise StoreError(f"cannot read the database: {exc}") from exc
            except _DECODE_ERRORS as exc:
                raise _Corrupt(f"the stored index cannot be decoded ({type(exc).__name__}: {exc})") from exc
            # The rows this reload already holds, for what its build left alone (the state
            # it read them at, plus its own write at most): not read again by the next reload.
            old = self._snapshot
            written = report.changed_anything
            changed = {*report.added, *report.changed, *report.removed}
            if not force:
                if before is not None and _follows(before, new.reader.generation, written):
                    new.documents.adopt(known, changed)
                elif old is not None and written and _follows(old.reader.generation, new.reader.generation, True):
                    new.documents.adopt(old.documents, changed)
            self._swap(new)
        return report

    def _rebuild_corrupt(self, problem: str) -> None:
        """Set the damaged file aside (kept), start a fresh one with whatever audit, gap and
        feedback rows could still be read, and let the caller rebuild from the articles."""
        self._drop_store()
        rows, lost = salvage_records(self.db_path)
        try:
            aside = set_aside(self.db_path)
        except OSError as exc:
            raise StoreError(f"the database {self.db_path} is corrupt ({problem}) and cannot be set aside: "
                             f"{exc.strerror or exc}") from exc
        self._db_identity = None
        self._checked = True
        kept = restore_records(self._ensure_store(), rows)
        records = (f"{kept} audit/gap/feedback row(s) kept" if not lost
                   else f"{kept} row(s) kept, could not read {', '.join(lost)} (those records are in {aside.name} only)")
        log.warning("the database %s was corrupt (%s): set aside as %s and rebuilt from %s; %s",
                    self.db_path, " ".join(problem.split())[:200], aside.name, self.knowledge_dir, records)

    def _current_documents(self) -> Mapping[str, StoredDocument] | None:
        """The serving snapshot's document rows when it describes the database's current
        state (what `_stale` checks), so a reload does not read the table twice; else None.
        (The snapshot reads its rows lazily: here all of them, once per snapshot.)"""
        snap = self._snapshot
        if snap is None or self._stale():
            return None
        return snap.documents.as_dict()

    def _stale(self) -> bool:
        snap = self._snapshot
        return snap is None or getattr(snap.reader, "failed", False) or snap.reader.generation != self._current_generation()

    def _current_generation(self) -> object:
        return self._ensure_store().generation_row()

    def _ensure_store(self) -> Store:
        if self._store is None:
            self._store = Store(self.db_path)
            self._db_identity = _file_identity(self.db_path)
            self._sidecars = sidecar_identity(self.db_path)
        return self._store

    def _check_sidecars(self) -> None:
        """The -wal/-shm files deleted or replaced while connections held them: a new
        connection would fail ("disk I/O error") as long as an old one stays open, so
        close them all (every build and journal write was checkpointed into the main
        file: nothing is lost) and let the next statement open fresh ones."""
        known = getattr(self, "_sidecars", None)
        if known is None or self._store is None or sidecar_identity(self.db_path) == known:
            return
        log.warning("the database's -wal/-shm files were removed or replaced; reopening %s", self.db_path)
        self._store.checkpoint()
        self._drop_store()
        snap = self._snapshot
        if snap is not None:
            snap.reader.release()

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

    def _load(self, hint: tuple[object, frozenset[str]] | None = None) -> Snapshot:
        reader = PassageReader(self.db_path)
        try:
            return load_snapshot(reader, self.params, self._snapshot, hint)
        except Exception:
            reader.close()
            raise

    def _swap(self, new: Snapshot) -> None:
        choices = self._build_choices(new) if self.keep_choices else None
        old, self._snapshot = self._snapshot, new
        self._choices = choices
        if old is not None:
            old.close()  # waits for a question holding its lock, then retires it
        heap.snapshot_swapped()  # keep full collections off the loaded snapshot (bot/heap.py)

    # -- autocomplete from memory (bot/answers/choices.py) ------------------------------------
    def _build_choices(self, snap: Snapshot) -> object | None:
        from bot.answers.choices import Choices

        try:
            return Choices.build(snap)
        except (StoreError, sqlite3.DatabaseError) as exc:
            log.warning("autocomplete lists not built: %s", exc)
            return None

    def prepare_choices(self) -> None:
        """Keep autocomplete lists in memory from now on (built at every swap, in the
        reloading thread), so an autocomplete never waits for a worker thread."""
        self.keep_choices = True
        snap = self._snapshot
        if snap is not None and self._choices is None:
            self._choices = self._build_choices(snap)

    def article_choices(self, typed: str, limit: int = 25) -> list[StoredDocument]:
        """Loaded articles matching `typed` (id or title), newest first; from memory."""
        choices = self._choices
        if choices is None and self._snapshot is not None:
            self.prepare_choices()
            choices = self._choices
        return choices.articles(typed, limit) if choices is not None else []  # type: ignore[attr-defined]

    def name_choices(self, typed: str, limit: int = 25) -> list[str]:
        """Entity names for /who autocomplete; from memory."""
        choices = self._choices
        if choices is None and self._snapshot is not None:
            self.prepare_choices()
            choices = self._choices
        return choices.names(typed, limit) if choices is not None else []  # type: ignore[attr-defined]

    def close(self) -> None:
        if self._snapshot is not None:
            self._snapshot.close()
            self._snapshot = None
            heap.snapshot_swapped()  # what was frozen with it can be collected again
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
        repaired = False
        for _ in range(5):
            snap = self._snapshot
            if snap is None:
                raise EngineError("the knowledge base is not loaded")
            try:
                return _sound(fn(snap))
            except StoreError as exc:
                if snap.reader.closed and snap is not self._snapshot:
                    continue  # retired between picking it and reading: use the new one
                if not is_corruption(exc.__cause__ or exc) or repaired:
                    raise
                # A damaged page a quick check at open did not meet (the CLI opens a fresh
                # database read-only without one): set the file aside, rebuild from the
                # articles, and answer from the rebuilt one, rather than failing every
                # question that touches the page until someone reloads.
                repaired = True
                self._repair(str(exc.__cause__ or exc), exc)
            except (*_DECODE_ERRORS, AttributeError) as exc:
                # A value of the wrong type in a row (SQLite keeps any value in any column:
                # a NULL paragraph, a blob title) fails deep inside a question. When the
                # file's rows confirm it (`damaged_rows`), it is damage like a bad page:
                # repaired the same way. Otherwise it is a fault of the code: raised.
                if snap.reader.closed and snap is not self._snapshot:
                    continue
                problem = snap.reader.damaged_rows()
                if problem is None:
                    raise
                damage = StoreError(f"the database {self.db_path} is damaged ({problem}); "
                                    "`python -m bot index --force` rebuilds it from the articles")
                if repaired:
                    raise damage from exc
                repaired = True
                self._repair(problem, damage)
        raise EngineError("the knowledge base is reloading too often to answer")

    def _repair(self, problem: str, exc: StoreError) -> None:
        """Set the damaged file aside and rebuild it from the articles (the next reload
        does: `_needs_rebuild`); raise `exc`, the damage itself, when that cannot be done
        (e.g. a read-only file)."""
        if not self._needs_rebuild:
            self._needs_rebuild = True  # the reload below sets the file aside and rebuilds
            log.warning("the database %s is damaged (%s): rebuilding it", self.db_path,
                        " ".join(problem.split())[:120])
        try:
            self.reload()
        except (StoreError, KnowledgeFolderError, BuildCancelled):
            raise exc from None

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
        # The answering modules are imported by the first question, not by every engine:
        # `index` and the bot's start need none of them (~0.15 s of a cold CLI call).
        from bot.answers.ask import ask as _ask
        from bot.answers.highlight import mark_answer

        t0 = time.perf_counter()

        def run(snap: Snapshot) -> Answer:
            self._check_document(snap, document)
            if context is None:
                return _ask(snap, question, k=k, document=document)
            from bot.answers.followup import rewrite  # (a follow-up's: not a CLI question's)
            from bot.search.question import MAX_QUESTION_CHARS

            answer = _ask(snap, rewrite(question, context), k=k, document=document,
                          prefer_document=context.document if context.document in snap.documents else None)
            return replace(answer, query=" ".join(question.split())[:MAX_QUESTION_CHARS])

        answer = mark_answer(self._with_snapshot(run))
        return replace(answer, elapsed_ms=round((time.perf_counter() - t0) * 1000, 3))

    def follow_up_context(self, question: str, answer: Answer) -> FollowUpContext:
        """What a later follow-up to this exchange may refer to (small, immutable)."""
        from bot.answers.followup import build_context

        return self._with_snapshot(lambda snap: build_context(snap, question, answer))

    def who(self, name: str) -> EntityCard:
        from bot.answers.highlight import mark_card
        from bot.answers.who import who as _who

        t0 = time.perf_counter()
        card = mark_card(self._with_snapshot(lambda snap: _who(snap, name)))
        return replace(card, elapsed_ms=round((time.perf_counter() - t0) * 1000, 3))

    def summary(self, document: str | None = None) -> Summary:
        from bot.answers.summary import summarise

        t0 = time.perf_counter()

        def run(snap: Snapshot) -> Summary:
            self._check_document(snap, document)
            return summarise(snap, document)

        result = self._with_snapshot(run)
        return replace(result, elapsed_ms=round((time.perf_counter() - t0) * 1000, 3))

    def entity_names(self, prefix: str = "", limit: int = 25) -> list[str]:
        from bot.answers.who import entity_names as _entity_names

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

    # -- story tools (bot/answers/timeline.py, said.py, whatsnew.py; bot/ingest/fetch.py) --------
    def timeline(self, topic: str = "", document: str | None = None) -> "Timeline":
        from bot.answers.timeline import timeline as _timeline

        t0 = time.perf_counter()

        def run(snap: Snapshot) -> "Timeline":
            self._check_document(snap, document)
            return _timeline(snap, topic, document=document)

        result = self._with_snapshot(run)
        return replace(result, elapsed_ms=round((time.perf_counter() - t0) * 1000, 3))

    def said(self, name: str) -> "SaidResult":
        from bot.answers.said import said as _said

        return self._with_snapshot(lambda snap: _said(snap, name))

    def whatsnew(self, document: str | None = None) -> "WhatsNew":
        from bot.answers.whatsnew import UnknownArticle, whatsnew as _whatsnew

        t0 = time.perf_counter()

        def run(snap: Snapshot) -> "WhatsNew":
            try:
                return _whatsnew(snap, document)
            except UnknownArticle as exc:
                raise UnknownDocument(str(exc)) from None

        result = self._with_snapshot(run)
        return replace(result, elapsed_ms=round((time.perf_counter() - t0) * 1000, 3))

    def add_article_from_url(self, url: str, actor: str, policy: "FetchPolicy", *, replace: bool = False) -> "UrlAddResult":
        """Fetch a page a moderator linked to, extract the article, save it as .md and
        reload (`add_article`); every outcome is audited (action "add-url")."""
        from bot.ingest.fetch import FetchError, extract_article, fetch_html, file_name, to_markdown
        from bot.kb import UrlAddResult

        shown = " ".join((url or "").split())[:200]
        try:
            page = fetch_html(url, policy)
            article = extract_article(page.html, page.url)
        except FetchError as exc:
            self.journal.try_audit(actor, "add-url", shown, "refused", str(exc))
            return UrlAddResult(False, str(exc))
        change = self.add_article(file_name(article), to_markdown(article), actor, replace=replace)
        return UrlAddResult(change.ok, change.message, article, change, change.file, change.document, change.report)

    def add_reload_listener(self, listener: Callable[[BuildReport], None]) -> None:
        """Call `listener(report)` after every successful reload (from the reloading thread)."""
        self._reload_listeners = [*getattr(self, "_reload_listeners", []), listener]

    def remove_reload_listener(self, listener: Callable[[BuildReport], None]) -> None:
        self._reload_listeners = [f for f in getattr(self, "_reload_listeners", []) if f is not listener]

    def _tell_reload_listeners(self, report: BuildReport) -> None:
        for listener in list(getattr(self, "_reload_listeners", [])):
            try:
                listener(report)
            except Exception:  # noqa: BLE001 - a listener must not fail a reload
                log.exception("reload listener failed")


__all__ = ["Engine", "EngineError", "EngineStatus", "KnowledgeFolderError", "StoreError", "UnknownDocument"]
