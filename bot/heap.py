"""Keep the garbage collector's full passes off a loaded knowledge base (`gc.freeze`).

At 1M sentences a snapshot holds a few hundred thousand Python objects that live
until the next reload. CPython's full (generation-2) collection walks every one of
them; in a pass of 300 questions at 1M it ran once and cost ~70-110 ms of one
question. Frozen objects (`gc.freeze`) are left out of every collection, so that
pass costs next to nothing.

Frozen objects are still freed by reference counting, but a frozen cycle is never
collected: freezing garbage would leak it. So:

- the process's first loaded snapshot is frozen at once (what is garbage then is
  start-up's, a fixed amount, and it is unfrozen at the next swap);
- every later swap (a reload, another engine, a close) unfreezes everything, so a
  retired snapshot is collected as before, and freezes again only at the end of the
  next full collection, which has just freed every unreachable cycle: what is frozen
  then is live. Reloading any number of times does not grow what is kept.
"""

from __future__ import annotations

import gc
import threading

_lock = threading.Lock()
_state = {"started": False, "armed": False, "installed": False}
counts = {"frozen": 0, "unfrozen": 0}  # (for tests)


def _after_collection(phase: str, info: dict) -> None:
    if phase != "stop" or info.get("generation") != 2 or not _state["armed"]:
        return
    _state["armed"] = False
    gc.freeze()  # the survivors of a full collection: live objects only
    counts["frozen"] += 1


def _install() -> None:
    if not _state["installed"]:
        gc.callbacks.append(_after_collection)
        _state["installed"] = True


def snapshot_swapped() -> None:
    """Call after a snapshot is swapped in (and any old one retired) or an engine closes."""
    with _lock:
        _install()
        if not _state["started"]:  # the process's first knowledge base: freeze it now
            _state["started"] = True
            gc.freeze()
            counts["frozen"] += 1
            return
        if gc.get_freeze_count():
            gc.unfreeze()  # the retired snapshot (and all else) can be collected again
            counts["unfrozen"] += 1
        _state["armed"] = True  # freeze the survivors of the next full collection
