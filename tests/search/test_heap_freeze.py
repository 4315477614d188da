"""bot/heap.py: a loaded snapshot is kept out of the garbage collector's full passes
(`gc.freeze`), and reloading many times never keeps a retired snapshot alive, even
one held only by a reference cycle (which a frozen heap would never collect)."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

import pytest

from bot import heap
from bot.engine import Engine


def _write(kb: Path, i: int, extra: str = "") -> None:
    (kb / f"harbour-{i:02d}.md").write_text(
        f"---\ntitle: \"Harbour story {i}\"\n---\nThe council met about the harbour on day {i}.{extra}\n\n"
        f"Repairs to pier {i} were delayed, the mayor said.\n", encoding="utf-8")


@pytest.fixture()
def fresh_process(monkeypatch):
    """The heap as a process that has loaded nothing yet sees it; unfrozen afterwards."""
    monkeypatch.setitem(heap._state, "started", False)
    monkeypatch.setitem(heap._state, "armed", False)
    gc.collect()
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_the_first_snapshot_is_frozen_and_reloads_keep_no_retired_snapshot(tmp_path: Path, fresh_process) -> None:
    kb = tmp_path / "knowledge"
    kb.mkdir()
    for i in range(3):
        _write(kb, i)
    engine = Engine(kb, tmp_path / "kb.db")
    engine.open()
    try:
        assert gc.get_freeze_count() > 0  # the process's first knowledge base, frozen at once
        question = "Why were the pier repairs delayed?"
        first = engine.ask(question)
        retired = []
        for round_ in range(6):
            snap = engine._snapshot
            snap.__dict__["_cycle"] = [snap]  # only the cycle collector can free it now
            retired.append(weakref.ref(snap))
            del snap
            _write(kb, round_ % 3, f" Round {round_}.")
            engine.reload()
            assert gc.get_freeze_count() == 0  # unfrozen at the swap: the retired one is collectable
            frozen = heap.counts["frozen"]
            gc.collect()
            assert heap.counts["frozen"] == frozen + 1  # the survivors of that full collection
            assert gc.get_freeze_count() > 0
            assert all(r() is None for r in retired)
        engine.reload()
        assert [(q.text, q.citation) for q in engine.ask(question).quotes] == [(q.text, q.citation) for q in first.quotes]
    finally:
        engine.close()
    assert gc.get_freeze_count() == 0  # closing unfreezes too


def test_a_full_collection_between_swaps_freezes_once(tmp_path: Path, fresh_process) -> None:
    kb = tmp_path / "knowledge"
    kb.mkdir()
    _write(kb, 0)
    one, two = Engine(kb, tmp_path / "a.db"), Engine(kb, tmp_path / "b.db")
    one.open()
    two.open()  # a second engine: a swap like a reload, not a second "first" freeze
    try:
        assert gc.get_freeze_count() == 0 and heap._state["armed"]
        frozen = heap.counts["frozen"]
        gc.collect()
        gc.collect()
        assert heap.counts["frozen"] == frozen + 1 and not heap._state["armed"]
        assert gc.callbacks.count(heap._after_collection) == 1
    finally:
        one.close()
        two.close()
