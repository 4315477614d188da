"""Watch mode: the folder is polled, changes are debounced, a reload follows."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from bot.engine import Engine
from bot.store import Store
from bot.watch import folder_fingerprint, watch_knowledge
from kb.kb_helpers import article, write_file


def _note(n: int) -> bytes:
    return article(f"Ferry note {n}", "2025-10-05", f"The ferry note number {n} says boats leave at {n} o'clock.")


async def _until(cond, timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


def test_fingerprint_sees_article_files_only(tmp_path: Path) -> None:
    folder = tmp_path / "k"
    folder.mkdir()
    empty = folder_fingerprint(folder)
    (folder / ".hidden.md").write_text("x")
    (folder / "notes.docx").write_text("x")
    (folder / ".retired").mkdir()
    assert folder_fingerprint(folder) == empty == frozenset()
    (folder / "a.md").write_text("x")
    assert {name for name, *_ in folder_fingerprint(folder)} == {"a.md"}
    assert folder_fingerprint(tmp_path / "missing") is None


@pytest.mark.asyncio
async def test_watch_reloads_after_changes_settle(engine: Engine) -> None:
    reloads: list[object] = []
    stop = asyncio.Event()
    task = asyncio.create_task(watch_knowledge(engine, interval=0.05, debounce=0.4, stop_event=stop,
                                               on_reload=lambda r, e: reloads.append(r if e is None else e)))
    try:
        await asyncio.sleep(0.1)
        # A burst of writes inside the debounce window gives one reload, of the final state.
        gaps = []
        for n in range(5):
            t = time.monotonic()
            write_file(engine.knowledge_dir / "ferry.md", _note(n))
            await asyncio.sleep(0.05)
            gaps.append(time.monotonic() - t)
        await _until(lambda: engine.is_loaded("ferry"))
        await asyncio.sleep(0.6)
        assert reloads and reloads[0].added == ["ferry"]
        if max(gaps) < 0.3:  # a loaded machine may stall a sleep past the debounce window
            assert len(reloads) == 1, reloads
        answer = await asyncio.to_thread(engine.ask, "When do the boats leave according to the ferry note?")
        assert "4 o'clock" in answer.quotes[0].text
        # Removal is picked up too, and audited as "watch".
        (engine.knowledge_dir / "ferry.md").unlink()
        await _until(lambda: not engine.is_loaded("ferry"))
        # The watcher audits after the reload returns: wait for that entry, not just the swap.
        await _until(lambda: len(engine.journal.recent_audit(5)) >= 2)
        entries = engine.journal.recent_audit(5)
        assert [(e.actor, e.action, e.result) for e in entries[:2]] == [("watch", "reload", "ok")] * 2
        assert "removed: ferry" in entries[0].detail
    finally:
        stop.set()
        await asyncio.wait_for(task, 2)
    assert task.done() and task.exception() is None


@pytest.mark.asyncio
async def test_watch_survives_a_failed_reload(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlite3

    outcomes: list[tuple[object, object]] = []
    stop = asyncio.Event()

    def full(self, *a, **k):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(Store, "write_changes", full)
    task = asyncio.create_task(watch_knowledge(engine, interval=0.05, debounce=0.1, stop_event=stop,
                                               on_reload=lambda r, e: outcomes.append((r, e))))
    try:
        await asyncio.sleep(0.1)
        write_file(engine.knowledge_dir / "ferry.md", _note(1))
        await _until(lambda: len(outcomes) >= 1)
        assert outcomes[0][0] is None and "disk is full" in str(outcomes[0][1])
        assert engine.loaded and not engine.is_loaded("ferry")
        assert (await asyncio.to_thread(engine.ask, "Where will Xi and Trump meet?")).answered
        monkeypatch.undo()
        write_file(engine.knowledge_dir / "ferry.md", _note(2))  # the next change retries
        await _until(lambda: engine.is_loaded("ferry"))
        assert not task.done()
    finally:
        stop.set()
        await asyncio.wait_for(task, 2)


@pytest.mark.asyncio
async def test_watch_stops_on_cancel(engine: Engine) -> None:
    task = asyncio.create_task(watch_knowledge(engine, interval=0.05, debounce=0.1))
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
