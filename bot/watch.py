"""Watch mode (`STORYBOT_WATCH=1`): reload by itself when the knowledge folder changes.

No new dependency: an asyncio task polls the folder's listing (name, size,
mtime, inode of each article file) every `interval` seconds. When it differs
from what was last loaded, it waits until the folder has been quiet for
`debounce` seconds (an editor saving, a copy in progress), then runs
`engine.reload()` in a worker thread so the event loop never blocks. Questions
keep being answered from the current snapshot meanwhile.

A reload that fails (a store error, a lock, the folder gone or empty) is logged
and retried on a timer with back-off; a folder that never stops changing is still
reloaded after `max_wait`. Polling, not inotify/`watchfiles`: events do not cross
many Docker bind mounts and network volumes, a listing every second does. The
watcher itself only stops when `stop_event` is set or its task is cancelled. Reloads that changed something are recorded in the audit
table with the actor "watch".

The Discord layer starts it from `setup_hook` when `Settings.watch` is true::

    self._watch_stop = asyncio.Event()
    self._watch_task = asyncio.create_task(watch_knowledge(engine, stop_event=self._watch_stop))
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from bot.ingest.files import ARTICLE_SUFFIXES

if TYPE_CHECKING:  # pragma: no cover
    from bot.build import BuildReport
    from bot.engine import Engine

log = logging.getLogger(__name__)

WATCH_ACTOR = "watch"
Fingerprint = frozenset[tuple[str, int, int, int]]


def folder_fingerprint(folder: Path) -> Fingerprint | None:
    """What a change looks like from outside: each article file's name, size,
    mtime and inode (an atomic replace changes the inode). None when the folder
    cannot be listed."""
    out = set()
    try:
        with os.scandir(folder) as it:
            for entry in it:
                name = entry.name
                if name.startswith(".") or os.path.splitext(name)[1].lower() not in ARTICLE_SUFFIXES:
                    continue
                try:
                    st = entry.stat(follow_symlinks=True)
                    out.add((name, st.st_size, st.st_mtime_ns, st.st_ino))
                except OSError:
                    out.add((name, -1, -1, -1))  # dangling link, vanished: still a change
    except OSError:
        return None
    return frozenset(out)


def _audit(engine: "Engine", result: str, detail: str) -> None:
    try:
        engine.journal.try_audit(WATCH_ACTOR, "reload", "", result, detail)
    except Exception:  # noqa: BLE001 - e.g. the database cannot even be opened
        log.exception("watch: could not record the reload")


async def watch_knowledge(
    engine: "Engine",
    interval: float = 1.0,
    debounce: float = 2.0,
    stop_event: asyncio.Event | None = None,
    *,
    on_reload: Callable[["BuildReport | None", BaseException | None], None] | None = None,
    max_wait: float | None = None,
    retry_first: float = 5.0,
    retry_max: float = 300.0,
) -> None:
    """Poll `engine.knowledge_dir` and reload after changes settle. Runs until
    `stop_event` is set (or the task is cancelled).

    - A change reloads once the folder has been quiet for `debounce` seconds, or at
      the latest `max_wait` seconds (default 10 × debounce) after the first change
      that was not loaded yet: a file appended to every second cannot starve it.
    - A failed reload (a lock, a disk error, an empty folder) is retried on a timer,
      `retry_first` seconds then doubling up to `retry_max`, with no new change needed.

    `on_reload(report, error)` is called after each reload it triggers (for logs,
    a mod-channel notice, or tests).
    """
    stop_event = stop_event or asyncio.Event()
    max_wait = 10 * debounce if max_wait is None else max_wait
    folder = Path(engine.knowledge_dir)
    loaded = await asyncio.to_thread(folder_fingerprint, folder)
    retry_at: float | None = None
    backoff = retry_first
    # Catch up once: files that changed between the engine's start and this first
    # look would otherwise count as the baseline and wait for the next change.
    try:
        await asyncio.to_thread(engine.reload)
    except Exception as exc:  # noqa: BLE001 - the watcher must outlive a bad reload
        log.warning("watch: first reload failed, the previous articles keep serving: %s", exc)
        retry_at, backoff = time.monotonic() + backoff, min(retry_max, backoff * 2)
    last_seen = loaded
    changed_at: float | None = None
    first_change_at: float | None = None
    log.info("watching %s for changes (every %.1fs, debounce %.1fs, max wait %.1fs)", folder, interval, debounce,
             max_wait)
    while not stop_event.is_set():
        try:
            await asyncio.wait_for(stop_event.wait(), timeout=interval)
            break
        except asyncio.TimeoutError:
            pass
        current = await asyncio.to_thread(folder_fingerprint, folder)
        now = time.monotonic()
        if current != last_seen:
            last_seen = current
            changed_at = now  # still moving: restart the quiet period
            if first_change_at is None:
                first_change_at = now
        settled = changed_at is not None and now - changed_at >= debounce
        overdue = first_change_at is not None and now - first_change_at >= max_wait
        retry_due = retry_at is not None and now >= retry_at
        if current == loaded and retry_at is None:
            changed_at = first_change_at = None  # changed and changed back: nothing to do
            continue
        if not (settled or overdue or retry_due):
            continue
        if overdue and not settled:
            log.info("watch: %s keeps changing; reloading anyway after %.1fs", folder, now - (first_change_at or now))
        changed_at = first_change_at = None
        report, error = None, None
        try:
            report = await asyncio.to_thread(engine.reload)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the watcher must outlive a bad reload
            error = exc
            retry_at = time.monotonic() + backoff
            log.warning("watch: reload failed, the previous articles keep serving; retrying in %.0fs: %s",
                        backoff, exc)
            backoff = min(retry_max, backoff * 2)
            await asyncio.to_thread(_audit, engine, "error", str(exc))
        else:
            loaded = current
            retry_at, backoff = None, retry_first
            if report.changed_anything or report.failed:
                log.info("watch: reloaded: %s", "; ".join(report.summary_lines()))
                await asyncio.to_thread(_audit, engine, "ok", "; ".join(report.summary_lines()))
        if on_reload is not None:
            try:
                on_reload(report, error)
            except Exception:  # noqa: BLE001
                log.exception("watch: on_reload callback failed")


__all__ = ["WATCH_ACTOR", "folder_fingerprint", "watch_knowledge"]
