"""Moderator operations on the knowledge folder: add (upload), retire, restore.

Each operation checks everything it can *before* touching the folder (file
type, size, a safe name, that the bytes parse as an article), writes
atomically (a hidden temp file in the same folder, fsync, `os.replace`), then
reloads the engine, and records one audit entry: who, when, what, the result.
Nothing is ever deleted: a retired article moves into `knowledge/.retired/`
with a UTC timestamp in its name, so it can be restored.

The Engine exposes these as `Engine.add_article`, `Engine.remove_article`,
`Engine.restore_article` and `Engine.retired_articles`; the functions here take
the engine as their first argument.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ContextManager, Protocol

from bot.build import BuildReport
from bot.ingest.fetch import ExtractedArticle
from bot.ingest.files import (
    ARTICLE_SUFFIXES,
    FileEntry,
    FileFailure,
    doc_id_for,
    load_bytes,
    safe_article_name,
)

if TYPE_CHECKING:  # pragma: no cover
    from bot.journal import Journal


class Engine(Protocol):
    """What these operations need from the engine (bot/engine.py implements it).

    A Protocol rather than an import of `bot.engine`: the engine calls into this
    module, so importing it back (even for type hints) would draw an import circle.
    """

    knowledge_dir: Path
    max_file_bytes: int
    _kb_lock: ContextManager[object]  # one moderator operation at a time

    @property
    def journal(self) -> "Journal": ...

    def reload(self, *, force: bool = False, actor: str | None = None) -> BuildReport: ...

    def is_loaded(self, doc_id: str) -> bool: ...

RETIRED_DIR = ".retired"
_STAMP_RE = re.compile(r"^(\d{8}T\d{6}(?:\.\d+)?Z)-(.+)$")


@dataclass(frozen=True)
class KbChangeResult:
    """What a moderator operation did, in one line for people (`message`).

    `ok` is False when the operation was refused (bad file, unknown article,
    name taken) or failed (the database refused the reload); `report` is the
    reload's report when a reload ran.
    """

    ok: bool
    action: str  # "add", "replace", "remove", "restore"
    document: str | None  # the article id concerned (None when no usable name)
    file: str | None  # the file name in the knowledge folder (or in .retired/)
    message: str
    report: BuildReport | None = None
    title: str | None = None
    error: bool = False  # True: the file was saved but the database refused the reload

    @property
    def result(self) -> str:
        """The audit table's word for the outcome: "ok", "refused" or "error"."""
        return "ok" if self.ok else ("error" if self.error else "refused")


@dataclass(frozen=True)
class UrlAddResult:
    """What `/kb add url:` / `storybot add URL` did: the extracted article and the change."""

    ok: bool
    message: str
    article: "ExtractedArticle | None" = None
    change: KbChangeResult | None = None
    file: str | None = None
    document: str | None = None
    report: object | None = None


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _shown_name(filename: object, limit: int = 120) -> str:
    """An untrusted file name made printable on one line (control characters escaped)."""
    return _one_line(repr(str(filename))[1:-1], limit)


def _stamp() -> str:
    t = time.time()
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime(t)) + f".{int((t % 1) * 1e6):06d}Z"


def _existing_files(folder: Path, doc_id: str) -> list[Path]:
    """Files in `folder` that would claim `doc_id` (any article suffix, any case)."""
    out = []
    try:
        for path in folder.iterdir():
            if path.name.startswith(".") or path.suffix.lower() not in ARTICLE_SUFFIXES:
                continue
            if doc_id_for(path) == doc_id:
                out.append(path)
    except OSError:
        pass
    return sorted(out)


def write_atomically(folder: Path, name: str, data: bytes) -> Path:
    """Write `data` to `folder/name` so a reader sees the old file or the whole new one."""
    target = folder / name
    fd, tmp = tempfile.mkstemp(prefix=".upload-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(folder)
    return target


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _retired_dir(folder: Path) -> Path:
    retired = folder / RETIRED_DIR
    if retired.is_symlink():  # never write through a link out of the folder
        raise OSError(f"{RETIRED_DIR} is a symlink: refusing to use it")
    retired.mkdir(exist_ok=True)
    return retired


def _keep_copy(folder: Path, path: Path) -> Path:
    retired = _retired_dir(folder)
    dest = retired / f"{_stamp()}-{path.name}"
    write_atomically(retired, dest.name, path.read_bytes())
    return dest


def _retire_file(folder: Path, path: Path) -> Path:
    retired = _retired_dir(folder)
    dest = retired / f"{_stamp()}-{path.name}"
    os.replace(path, dest)  # moves a symlink itself, never its target
    _fsync_dir(folder)
    return dest


def _reload_into(engine: "Engine", result: KbChangeResult, doc_id: str | None, *, expect_loaded: bool) -> KbChangeResult:
    """Reload and turn the outcome into the final result (a store error → ok=False).

    Only a removal may leave the folder empty: any other reload refuses to retire every
    article at once (an unmounted volume looks exactly like that)."""
    from bot.build import BuildCancelled, KnowledgeFolderError
    from bot.store import StoreError  # local: keep import order simple

    try:
        report = engine.reload(allow_empty=result.action == "remove")
    except (StoreError, KnowledgeFolderError, BuildCancelled) as exc:
        return KbChangeResult(False, result.action, result.document, result.file,
                              _one_line(f"{result.message}, but the reload failed: {exc}. "
                                        "The previous articles keep serving; try /kb reload."),
                              None, result.title, error=True)
    if doc_id is not None and expect_loaded:
        for name, reason in report.failed:
            if Path(name).stem == doc_id:
                return KbChangeResult(False, result.action, result.document, result.file,
                                      _one_line(f"{result.message}, but the reload refused it: {reason}"),
                                      report, result.title)
    return KbChangeResult(result.ok, result.action, result.document, result.file, result.message,
                          report, result.title)


def add_article(engine: "Engine", filename: str, data: bytes, actor: str, *, replace: bool = False) -> KbChangeResult:
    """Save an uploaded article into the knowledge folder and load it.

    Refused (ok=False, nothing written): not .md/.txt, a name that cannot be made
    safe, too large, empty/binary/not UTF-8/unparseable, or an article with that
    id already exists with different content and `replace` is False.
    Re-uploading identical bytes is ok and changes nothing.
    """
    with engine._kb_lock:
        result = _add(engine, filename, data, actor, replace)
    engine.journal.try_audit(actor, result.action, result.file or _shown_name(filename),
                             result.result, result.message)
    return result


def _add(engine: "Engine", filename: str, data: bytes, actor: str, replace: bool) -> KbChangeResult:
    shown = _shown_name(filename, 80)
    if not isinstance(data, (bytes, bytearray)):
        return KbChangeResult(False, "add", None, None, "the upload has no file content")
    name = safe_article_name(filename or "")
    if name is None:
        base = os.path.basename((filename or "").replace("\\", "/"))
        if Path(base).suffix.lower() not in ARTICLE_SUFFIXES:
            why = "only .md and .txt articles can be added"
        else:
            why = "the file name has no usable letters or digits"
        return KbChangeResult(False, "add", None, None, f"refused {shown}: {why}")
    folder = engine.knowledge_dir
    doc_id = doc_id_for(Path(name))
    target = folder / name
    if len(data) > engine.max_file_bytes:
        return KbChangeResult(False, "add", doc_id, name,
                              f"refused {name}: too large: {len(data):,} bytes (limit {engine.max_file_bytes:,})")
    loaded = load_bytes(FileEntry(doc_id, target, len(data), 0), bytes(data), engine.max_file_bytes)
    if isinstance(loaded, FileFailure):
        return KbChangeResult(False, "add", doc_id, name, f"refused {name}: {loaded.reason}")
    title = loaded.document.title
    if not folder.is_dir():
        return KbChangeResult(False, "add", doc_id, name, f"refused {name}: the knowledge folder {folder} does not exist")
    existing = _existing_files(folder, doc_id)
    action = "add"
    retire: list[Path] = []
    if existing:
        same = [p for p in existing if p.name == name and not p.is_symlink() and p.is_file()
                and _read_or_none(p) == bytes(data)]
        if same and len(existing) == 1:
            if engine.is_loaded(doc_id):
                return KbChangeResult(True, "add", doc_id, name, f"{name} is already loaded (same content): nothing changed",
                                      title=title)
            action = "add"  # present on disk but not loaded yet: just reload
        elif not replace:
            names = ", ".join(p.name for p in existing)
            return KbChangeResult(False, "add", doc_id, name,
                                  f"refused {name}: an article with the id {doc_id!r} already exists ({names}); "
                                  "replace it explicitly or pick another name")
        else:
            action = "replace"
            # The old version is retired (kept), not overwritten in place.
            retire = list(existing)
    try:
        # Keep the old version first (a copy), then swap the new bytes in, then move
        # aside any other file claiming the id (x.txt when x.md is uploaded).
        # A symlink is moved aside as a link: its target is never read or copied.
        for path in retire:
            if path.name == name and not path.is_symlink():
                _keep_copy(folder, path)
            elif path.name == name:
                _retire_file(folder, path)
        write_atomically(folder, name, bytes(data))
        for path in retire:
            if path.name != name:
                _retire_file(folder, path)
    except OSError as exc:
        return KbChangeResult(False, action, doc_id, name,
                              f"could not save {name}: {exc.strerror or exc}")
    verb = "replaced" if action == "replace" else "added"
    pending = KbChangeResult(True, action, doc_id, name, f"{verb} {name} ({title})", title=title)
    return _reload_into(engine, pending, doc_id, expect_loaded=True)


def _read_or_none(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def remove_article(engine: "Engine", doc_id: str, actor: str) -> KbChangeResult:
    """Retire an article: move its file into `knowledge/.retired/` (timestamped), then reload."""
    with engine._kb_lock:
        result = _remove(engine, doc_id)
    engine.journal.try_audit(actor, "remove", result.file or _shown_name(doc_id),
                             result.result, result.message)
    return result


def _remove(engine: "Engine", doc_id: str) -> KbChangeResult:
    doc_id = (doc_id or "").strip()
    if doc_id.lower().endswith(ARTICLE_SUFFIXES):
        doc_id = doc_id_for(Path(doc_id))
    folder = engine.knowledge_dir
    if not doc_id or "/" in doc_id or "\\" in doc_id or doc_id.startswith("."):
        return KbChangeResult(False, "remove", None, None, f"unknown article: {doc_id[:80]!r}")
    files = _existing_files(folder, doc_id) if folder.is_dir() else []
    if not files:
        if engine.is_loaded(doc_id):
            # Loaded but its file is gone already: a reload drops it.
            pending = KbChangeResult(True, "remove", doc_id, None, f"removed {doc_id} (its file was already gone)")
            return _reload_into(engine, pending, None, expect_loaded=False)
        return KbChangeResult(False, "remove", doc_id, None, f"unknown article: {doc_id!r}; see /sources")
    moved = []
    try:
        for path in files:
            moved.append(_retire_file(folder, path))
    except OSError as exc:
        return KbChangeResult(False, "remove", doc_id, files[0].name, f"could not retire {files[0].name}: {exc.strerror or exc}")
    shown = ", ".join(f"{RETIRED_DIR}/{p.name}" for p in moved)
    pending = KbChangeResult(True, "remove", doc_id, files[0].name, f"retired {doc_id} (kept as {shown})")
    return _reload_into(engine, pending, None, expect_loaded=False)


def retired_articles(engine: "Engine") -> list[str]:
    """Names of the retired files (newest first), as `restore_article` takes them."""
    retired = engine.knowledge_dir / RETIRED_DIR
    if not retired.is_dir():
        return []
    names = [p.name for p in retired.iterdir() if _STAMP_RE.match(p.name)]
    return sorted(names, reverse=True)


def restore_article(engine: "Engine", retired_name: str, actor: str, *, replace: bool = False) -> KbChangeResult:
    """Bring a retired file back (as an upload of its bytes under its original name)."""
    retired = engine.knowledge_dir / RETIRED_DIR
    base = os.path.basename((retired_name or "").replace("\\", "/"))
    m = _STAMP_RE.match(base)
    path = retired / base
    if not m or not path.is_file() or path.is_symlink():
        result = KbChangeResult(False, "restore", None, None, f"no retired article named {base[:80]!r}")
        engine.journal.try_audit(actor, "restore", base[:120], "refused", result.message)
        return result
    try:
        data = path.read_bytes()
    except OSError as exc:
        result = KbChangeResult(False, "restore", None, base, f"cannot read {base}: {exc.strerror or exc}")
        engine.journal.try_audit(actor, "restore", base, "refused", result.message)
        return result
    with engine._kb_lock:
        result = _add(engine, m.group(2), data, actor, replace)
        if result.ok:
            try:
                os.unlink(path)  # it is back in the folder (and the replaced version retired)
            except OSError:
                pass
    result = KbChangeResult(result.ok, "restore", result.document, result.file,
                            result.message.replace("added", "restored", 1), result.report, result.title,
                            result.error)
    engine.journal.try_audit(actor, "restore", result.file or base, result.result, result.message)
    return result


__all__ = ["KbChangeResult", "RETIRED_DIR", "add_article", "remove_article", "restore_article",
           "retired_articles", "write_atomically"]
