"""Watch mode: the folder is polled, changes are debounced, a reload follows."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.engine import Engine
from bot.store import Store
from bot.watch import folder_fingerprint, watch_knowledge
from kb.kb_helpers import article, write_file


def _note(n: int) -> bytes:
    return article(f"Ferry note {n}", "2025-10-05", f"The ferry note number {n} says boats leave at {n} o'clock.")


async def _until(cond, what: str = "condition", timeout: float = 30.0) -> None:
    """Poll `cond` (a hang guard: generous, never a measurement)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond():
        if loop.time() > end:
            raise AssertionError(f"{what} not reached")
        await asyncio.sleep(0.02)


class FakeClock:
    """Stands in for the `time` module inside bot.watch: the debounce reads this clock,
    so "the folder stayed quiet for `debounce` seconds" is decided by the test, not
    by how busy the machine is."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


class CountingScans:
    """Wraps bot.watch.folder_fingerprint to count the watcher's looks at the folder."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, folder: Path):
        self.calls += 1
        return folder_fingerprint(folder)

    async def two_more(self) -> None:
        """Wait until the watcher has looked twice more: it has seen the current state."""
        target = self.calls + 2
        await _until(lambda: self.calls >= target, "two more folder scans")


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
async def test_watch_reloads_after_changes_settle(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.watch

    clock, scans = FakeClock(), CountingScans()
    monkeypatch.setattr(bot.watch, "time", clock)
    monkeypatch.setattr(bot.watch, "folder_fingerprint", scans)
    reloads: list[object] = []
    stop = asyncio.Event()
    task = asyncio.create_task(watch_knowledge(engine, interval=0.02, debounce=2.0, stop_event=stop,
                                               on_reload=lambda r, e: reloads.append(r if e is None else e)))
    try:
        await scans.two_more()
        # A burst of writes, each seen by the watcher, while the clock stands still
        # (inside the debounce window): no reload yet, however long the writes take.
        for n in range(5):
            write_file(engine.knowledge_dir / "ferry.md", _note(n))
            await scans.two_more()
        assert reloads == [] and not engine.is_loaded("ferry")
        clock.now += 1.9  # still inside the window
        await scans.two_more()
        assert reloads == []
        clock.now += 0.2  # quiet for 2.1 s: exactly one reload, of the final state
        await _until(lambda: engine.is_loaded("ferry"), "the reload")
        await scans.two_more()
        assert len(reloads) == 1 and reloads[0].added == ["ferry"], reloads
        answer = await asyncio.to_thread(engine.ask, "When do the boats leave according to the ferry note?")
        assert "4 o'clock" in answer.quotes[0].text
        # Removal is picked up too, and audited as "watch".
        (engine.knowledge_dir / "ferry.md").unlink()
        await scans.two_more()
        clock.now += 2.1
        await _until(lambda: not engine.is_loaded("ferry"), "the removal")
        # The watcher audits after the reload returns: wait for that entry, not just the swap.
        await _until(lambda: len(engine.journal.recent_audit(5)) >= 2, "the audit entry")
        entries = engine.journal.recent_audit(5)
        assert [(e.actor, e.action, e.result) for e in entries[:2]] == [("watch", "reload", "ok")] * 2
        assert "removed: ferry" in entries[0].detail
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
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


# ------------------------------------------------------------------ issue 12, item 6: retries and starvation

@pytest.mark.asyncio
async def test_watch_retries_a_failed_reload_without_a_new_change(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """A reload that fails (here: "database is locked" twice) is retried on a timer; the
    change lands without anyone touching the folder again."""
    from bot.store import StoreError
    from hostile.support import attack

    with attack("watch: reload failed on a lock, never retried"):
        real = engine.reload
        failures = {"left": 0}

        def flaky(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            if failures["left"] > 0:
                failures["left"] -= 1
                raise StoreError("the database refused the reload (database is locked)")
            return real(*args, **kwargs)

        monkeypatch.setattr(engine, "reload", flaky)
        outcomes: list[str] = []
        stop = asyncio.Event()
        task = asyncio.create_task(watch_knowledge(
            engine, interval=0.02, debounce=0.05, stop_event=stop, retry_first=0.05, retry_max=0.2,
            on_reload=lambda r, e: outcomes.append("ok" if e is None else "error")))
        try:
            await asyncio.sleep(0.1)
            failures["left"] = 2
            write_file(engine.knowledge_dir / "ferry.md", _note(1))
            await _until(lambda: engine.is_loaded("ferry") and len(outcomes) >= 3, 20)
            assert outcomes[:3] == ["error", "error", "ok"], outcomes
        finally:
            stop.set()
            await task


@pytest.mark.asyncio
async def test_watch_reloads_a_file_that_never_stops_changing(engine: Engine) -> None:
    """A file appended to faster than the debounce: the watcher still reloads it within
    `max_wait`, while the writes go on (counted in writes, not seconds)."""
    from hostile.support import attack

    with attack("watch: a file appended to every 0.8 s starves reloads"):
        reloads: list[object] = []
        stop = asyncio.Event()
        task = asyncio.create_task(watch_knowledge(
            engine, interval=0.02, debounce=0.3, max_wait=0.5, stop_event=stop,
            on_reload=lambda r, e: reloads.append(r if e is None else e)))
        writes = 0
        try:
            await asyncio.sleep(0.1)
            path = engine.knowledge_dir / "ferry.md"
            # Every write comes before the debounce can pass: today's watcher never reloads.
            while not engine.is_loaded("ferry") and writes < 200:
                write_file(path, _note(writes) + b"\nMore news arrives.\n" * writes)
                writes += 1
                await asyncio.sleep(0.1)
            assert engine.is_loaded("ferry"), f"no reload in {writes} writes"
            assert writes < 200
        finally:
            stop.set()
            await task
