"""Bring the database in line with the knowledge folder: the incremental build.

Only files whose size or mtime moved are read, and only those whose content
hash changed are parsed and re-tokenised. A file that fails keeps its last good
version serving (it is not treated as removed). The writes go in one
transaction (`Store.write_changes`).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Mapping

from bot.ingest.entities import capitalised_words, extract_mentions, scan_words
from bot.ingest.files import FileEntry, FileFailure, LoadedFile, read_article, scan_folder, MAX_FILE_BYTES
from bot.ingest.model import Document
from bot.text.tokenize import tokenize
from bot.store import DocumentWrite, Store, StoredDocument

if TYPE_CHECKING:  # imported by the first parallel build, not by every `ask`
    from concurrent.futures import ProcessPoolExecutor

# Words that let people reach the byline and the date line ("Who wrote the
# article?", "When was it published?"): these lines say who and when, but not
# in the words people ask with.
# Bump when tokenizing, sentence splitting, entity or attribution rules change, or
# when the build starts storing something new: a database built by another version
# is then rebuilt in full by the next sync. 8: statements stored at build time
# (an older database would otherwise attribute at answer time until `index --force`).
INDEX_FORMAT = "8"

BYLINE_HINTS = "article story piece report wrote written write author authors byline reporter reporters journalist journalists"
DATE_HINTS = "article story piece report published publish publication date dated released appeared"

# A build that has to read at least this many files parses them in worker
# processes (parsing and sentence splitting are pure Python: one core each).
# STORYBOT_BUILD_WORKERS=1 keeps everything in this process.
PARALLEL_MIN_FILES = 200
# A build that reads at least this many files writes each article as it is parsed, in
# the one transaction (memory stays flat at any size); a smaller one parses all first.
STREAM_MIN_FILES = 200
log = logging.getLogger(__name__)


class KnowledgeFolderError(RuntimeError):
    """The knowledge folder itself is missing or unreadable."""


class EmptyFolderError(KnowledgeFolderError):
    """The folder lists no article at all while articles are loaded: most likely a
    volume that is not mounted. Retiring everything is refused (`allow_empty` is
    only passed for a moderator removing the last article)."""


class BuildCancelled(RuntimeError):
    """A stop was asked for (SIGTERM) while files were still being parsed: nothing
    was written, the previous build stays."""


@dataclass
class BuildReport:
    """What a build did, for people (`index`, `/kb reload`) and for the audit table."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file name, reason)
    unchanged: int = 0
    documents: int = 0
    passages: int = 0
    duration_ms: float = 0.0

    @property
    def changed_anything(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def as_dict(self) -> dict[str, object]:
        return {
            "added": self.added, "changed": self.changed, "removed": self.removed,
            "failed": [{"file": f, "reason": r} for f, r in self.failed],
            "unchanged": self.unchanged, "documents": self.documents, "passages": self.passages,
            "duration_ms": round(self.duration_ms, 1),
        }

    def summary_lines(self, verbose: bool = False, handful: int = 5) -> list[str]:
        """Counts first ("911 added, 2 changed, 1 refused"), then at most `handful`
        names per kind with "and N more" (every name with `verbose`). No timings:
        they are in `duration_ms` and the logs."""
        counts = [f"{len(items):,} {label}" for label, items in
                  (("added", self.added), ("changed", self.changed), ("removed", self.removed), ("refused", self.failed))
                  if items]
        total = (f"{self.documents:,} article{'s' if self.documents != 1 else ''}, "
                 f"{self.passages:,} passage{'s' if self.passages != 1 else ''} indexed")
        if not self.changed_anything:
            counts.insert(0, f"nothing changed ({self.unchanged:,} unchanged)")
        lines = [f"{', '.join(counts)}; {total}."]
        limit = None if verbose else handful

        def some(items: list[str]) -> str:
            shown = items if limit is None else items[:limit]
            more = len(items) - len(shown)
            return ", ".join(shown) + (f" and {more:,} more" if more else "")

        for label, items in (("added", self.added), ("changed", self.changed), ("removed", self.removed)):
            if items:
                lines.append(f"{label}: {some(items)}")
        shown_failed = self.failed if limit is None else self.failed[:limit]
        for name, reason in shown_failed:
            lines.append(f"failed: {name}: {reason}")
        if len(shown_failed) < len(self.failed):
            lines.append(f"failed: and {len(self.failed) - len(shown_failed):,} more")
        return lines


def document_write(loaded: LoadedFile) -> DocumentWrite:
    """Turn a parsed document into the rows and terms the store keeps."""
    from bot.ingest.attribution import ATTRIBUTION_VERSION  # (a build's, not every CLI call's import)

    doc: Document = loaded.document
    passages: list[tuple[int, int, str, str]] = []
    tokens: list[list[str]] = []
    text_tokens: list[list[str]] = []  # tokenize(text): what retrieval reads back
    if doc.byline:
        passages.append((0, 1, "byline", doc.byline))
        text_tokens.append(tokenize(doc.byline))
        tokens.append(text_tokens[-1] + tokenize(BYLINE_HINTS))
    if doc.date_text:
        passages.append((0, 2, "date", doc.date_text))
        text_tokens.append(tokenize(doc.date_text))
        tokens.append(text_tokens[-1] + tokenize(DATE_HINTS))
    sentences = [s for p in doc.paragraphs for s in p.sentences]
    scans = [scan_words(s) for s in sentences]  # one word scan per sentence, read twice
    known = capitalised_words(sentences, scans)
    mentions: list[tuple[int, str, str, str]] = []
    found_per_sentence = []
    for paragraph in doc.paragraphs:
        for number, sentence in enumerate(paragraph.sentences, start=1):
            index = len(passages)
            passages.append((paragraph.number, number, "body", sentence))
            tokens.append(tokenize(sentence))
            text_tokens.append(tokens[-1])
            found_per_sentence.append(extract_mentions(sentence, known, scans[len(found_per_sentence)]))
            for m in found_per_sentence[-1]:
                if m.key:
                    mentions.append((index, m.name, m.key, m.role))
    statements = _statements(doc.id, passages, found_per_sentence, known)
    stored = StoredDocument(
        id=doc.id, title=doc.title, date=doc.date, date_text=doc.date_text, authors=doc.authors,
        byline=doc.byline, source=doc.source, url=doc.url, path=loaded.entry.path_str,
        content_hash=loaded.content_hash, size=loaded.entry.size, mtime_ns=loaded.entry.mtime_ns,
        paragraphs=len(doc.paragraphs), passages=len(passages), loaded_at=time.time(),
    )
    return DocumentWrite(stored, passages, tokens, mentions, text_tokens, statements, ATTRIBUTION_VERSION)


def _statements(doc_id: str, passages: list[tuple[int, int, str, str]], found: list, known: frozenset[str]
                ) -> list[tuple[int, str, str, str]]:
    """Who said what in the body sentences (bot/ingest/attribution.py), once per article
    at build time, reusing the mentions just found: (passage index, speaker, key, kind)."""
    from bot.ingest.attribution import Sentence, attribute_document

    body = [Sentence(i, doc_id, par, sen, text) for i, (par, sen, kind, text) in enumerate(passages)
            if kind == "body"]
    return [(st.passage, st.speaker, st.speaker_key, st.kind) for st in attribute_document(body, found, known)]


def sync_folder(store: Store, folder: Path, *, max_bytes: int = MAX_FILE_BYTES, force: bool = False,
                progress: Callable[[int, int], None] | None = None,
                allow_empty: bool = False, should_stop: Callable[[], bool] | None = None,
                known: Mapping[str, StoredDocument] | None = None) -> BuildReport:
    """Make the database match `folder`; returns what changed. Raises KnowledgeFolderError
    when the folder is missing (EmptyFolderError when it lists no article while some are
    loaded), StoreError when the database refuses the write, BuildCancelled when
    `should_stop()` turns true before every file was parsed. `progress(done, total)` is
    called as each file to read is parsed (for a progress bar). `known`: the stored
    documents when the caller already holds them for the database's current state (the
    serving snapshot's), so the table is not read again."""
    started = time.time()
    t0 = time.perf_counter()
    if not folder.is_dir():
        raise KnowledgeFolderError(f"knowledge folder not found: {folder}")
    try:
        entries, failures = scan_folder(folder)
    except OSError as exc:
        raise KnowledgeFolderError(f"cannot list the knowledge folder {folder}: {exc.strerror or exc}") from exc
    if store.get_meta("index_format") != INDEX_FORMAT:
        force = True
    if known is None:
        known = store.documents()
    if known and not entries and not failures and not allow_empty:
        raise EmptyFolderError(
            f"the knowledge folder {folder} holds no article: refusing to retire all {len(known)} loaded "
            "article(s) (is the volume mounted?); the previous articles keep serving"
        )
    report = BuildReport()
    written: dict[str, StoredDocument] = {}
    touch: list[tuple[str, int, int, str]] = []
    failed_ids: set[str] = set()
    failure_rows: dict[str, tuple[str, str]] = {}

    def record_failure(f: FileFailure) -> None:
        report.failed.append((f.path.name, f.reason))
        failure_rows[str(f.path)] = (f.doc_id, f.reason)
        failed_ids.add(f.doc_id)

    for f in failures:
        record_failure(f)
    to_read: list[tuple[FileEntry, StoredDocument | None]] = []
    for entry in entries:
        old = known.get(entry.doc_id)
        if (not force and old is not None and old.path == entry.path_str
                and old.size == entry.size and old.mtime_ns == entry.mtime_ns):
            report.unchanged += 1
            continue
        to_read.append((entry, old))
    # (A file read below that fails is in `entries`: removals are known before reading.)
    present = {e.doc_id for e in entries} | failed_ids
    report.removed = sorted(doc_id for doc_id in known if doc_id not in present)

    def stream() -> Iterator[DocumentWrite]:
        """Each parsed file's rows as they come: the store writes them one by one into
        the build's transaction, so memory holds a few articles, not the whole build
        (1M sentences held every row until the commit: 871 MB)."""
        prepared = _prepare_all(to_read, max_bytes, force)
        try:
            for n, ((entry, old), outcome) in enumerate(zip(to_read, prepared)):
                if should_stop is not None and should_stop():
                    raise BuildCancelled(f"reload stopped after {n} of {len(to_read)} file(s); nothing was written")
                if progress is not None:
                    progress(n + 1, len(to_read))
                if isinstance(outcome, FileFailure):
                    record_failure(outcome)
                    continue
                if outcome is None:  # same bytes under a new mtime
                    report.unchanged += 1
                    touch.append((entry.doc_id, entry.size, entry.mtime_ns, entry.path_str))
                    continue
                written[outcome.doc.id] = outcome.doc
                (report.changed if old is not None else report.added).append(entry.doc_id)
                yield outcome
        finally:
            prepared.close()

    def finish() -> dict[str, object]:
        """The build's record, once every file was read (the store asks after the writes)."""
        finished = time.time()
        report.duration_ms = (time.perf_counter() - t0) * 1000
        new_docs = {**{k: v for k, v in known.items() if k not in report.removed}, **written}
        report.documents = len(new_docs)
        report.passages = sum(d.passages for d in new_docs.values())
        return {
            "started_at": started, "finished_at": finished, "duration_ms": report.duration_ms,
            "added": len(report.added), "changed": len(report.changed),
            "removed": len(report.removed), "failed": len(report.failed), "report": report.as_dict(),
        }

    # Every file read ends as a write, a failure or a touch: a build with files to read writes.
    if to_read or report.removed or failure_rows or force or not store.get_meta("built_at"):
        # A large build streams (bounded memory); a small one parses first, so the store's
        # lock (journal writes: gaps, audit) and the write transaction are held only to write.
        writes = stream() if len(to_read) >= STREAM_MIN_FILES else iter(list(stream()))
        try:
            store.write_changes(writes, report.removed, failure_rows, finish, touch=touch,
                                meta={"index_format": INDEX_FORMAT})
        finally:
            if hasattr(writes, "close"):
                writes.close()
    else:
        finish()
    report.duration_ms = (time.perf_counter() - t0) * 1000
    return report


def _prepare(entry: FileEntry, max_bytes: int, old_hash: str | None) -> DocumentWrite | FileFailure | None:
    """Read, parse and tokenise one file; None when its bytes equal `old_hash`.

    Whatever goes wrong with one file (a bug included) is that file's failure: a
    reload never stops on one file."""
    try:
        result = read_article(entry, max_bytes)
        if isinstance(result, FileFailure):
            return result
        if old_hash is not None and old_hash == result.content_hash:
            return None
        # Counted here (a worker): the writing process gets arrays, not token lists.
        return document_write(result).compact()
    except Exception as exc:  # noqa: BLE001 - reported as this file's one-line reason
        log.warning("unexpected error reading %s", entry.path, exc_info=True)
        return FileFailure(entry.doc_id, entry.path, f"could not be loaded: {type(exc).__name__}: {exc}"[:300])


def _same_bytes(entry: FileEntry, max_bytes: int, old_hash: str) -> bool:
    """Whether the file still holds the bytes hashed as `old_hash` (False when unreadable:
    `read_article` then reports why)."""
    if entry.size > max_bytes:
        return False
    import hashlib  # (OpenSSL's ~5 ms: only when a file must be compared)

    try:
        with open(entry.path, "rb") as fh:
            return hashlib.sha256(fh.read(max_bytes + 1)).hexdigest() == old_hash
    except OSError:
        return False


def _build_workers(n_files: int) -> int:
    try:
        configured = int(os.environ.get("STORYBOT_BUILD_WORKERS", "0"))
    except ValueError:
        configured = 0
    if configured == 1 or n_files < PARALLEL_MIN_FILES:
        return 1
    return configured if configured > 1 else min(os.cpu_count() or 1, 8)


def _prepare_all(
    to_read: list[tuple[FileEntry, StoredDocument | None]], max_bytes: int, force: bool
) -> Iterator[DocumentWrite | FileFailure | None]:
    """`_prepare` for each file, in order; in worker processes for a large build.

    When many known files look changed (a checkout, a copy, the folder given by
    another path), their hashes are compared first, so untouched bytes cost a
    read and a hash instead of a parse.
    """
    hashes = [None if force or old is None else old.content_hash for _, old in to_read]
    same = [False] * len(to_read)
    if len(to_read) >= PARALLEL_MIN_FILES:
        same = [h is not None and _same_bytes(e, max_bytes, h) for (e, _), h in zip(to_read, hashes)]
    pending = [i for i in range(len(to_read)) if not same[i]]
    outcomes = _prepare_many([to_read[i][0] for i in pending], max_bytes, [hashes[i] for i in pending])
    try:
        for i in range(len(to_read)):
            yield None if same[i] else next(outcomes)
    finally:
        outcomes.close()


def _worker_init(parent_pid: int) -> None:
    """In each parsing worker: exit as soon as the parent process is gone."""
    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="storybot-parent-watch", daemon=True).start()


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel what is queued and end the workers now (their results are not wanted)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        try:
            proc.terminate()
        except Exception:  # noqa: BLE001 - already gone
            pass
    for proc in processes:
        try:
            proc.join(2)
        except Exception:  # noqa: BLE001
            pass


def _prepare_many(
    entries: list[FileEntry], max_bytes: int, hashes: list[str | None]
) -> Iterator[DocumentWrite | FileFailure | None]:
    workers = _build_workers(len(entries))
    if workers <= 1:
        for entry, old_hash in zip(entries, hashes):
            yield _prepare(entry, max_bytes, old_hash)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    done = 0
    # "spawn": the engine runs in a threaded process (the Discord bot), where fork is unsafe.
    # Each worker watches its parent and exits when it dies (kill -9 of `index` or the bot
    # leaves no orphaned worker, and then no orphaned resource tracker either).
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_worker_init, initargs=(os.getpid(),))
    finished = False
    try:
        # Small chunks: a stop (SIGTERM) waits for at most one chunk per worker.
        for outcome in pool.map(_prepare, entries, [max_bytes] * len(entries), hashes,
                                chunksize=max(1, min(8, len(entries) // (workers * 8)))):
            # (Terms are not interned here any more: the build streams, each article's
            # rows are dropped once written, and interning every token cost the one
            # writing process ~10% of its CPU for no memory saved.)
            yield outcome
            done += 1
        finished = True
    except (BrokenProcessPool, OSError) as exc:  # e.g. a __main__ that a worker cannot re-import
        log.warning("parallel parsing unavailable (%s); parsing in this process", exc)
        finished = True
    finally:
        if finished:
            pool.shutdown(wait=True)
        else:  # abandoned (a stop, an error in the caller): do not wait for queued files
            _stop_pool(pool)
    for entry, old_hash in zip(entries[done:], hashes[done:]):
        yield _prepare(entry, max_bytes, old_hash)

