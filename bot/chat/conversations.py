"""Conversation state for follow-ups: a small, bounded, expiring map in memory.

Why it looks like this:
- A follow-up ("and what did he agree in Madrid?") only needs the previous exchange's
  `FollowUpContext` (its question, entities and article — a few hundred bytes). It is
  found by the id of the bot's answer the user replied to, or by the id of a thread
  the bot started. Both are snowflakes, so one map holds both kinds of key.
- Bounded (`max_entries`, the least recently stored evicted first) and expiring (`ttl`),
  because a bot in busy servers answers all day: unbounded history is a memory leak
  and, worse, keeps people's questions around for no reason. Nothing is written to
  disk; a restart forgets every conversation, which is acceptable for follow-ups.
- The clock is injectable so tests prove expiry without sleeping.
- No lock: discord.py runs every event handler on one event loop thread, and the
  engine (which does run in worker threads) never touches this map.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Iterator

from bot.answers.followup import FollowUpContext

DEFAULT_MAX_ENTRIES = 2000
DEFAULT_TTL_SECONDS = 60 * 60.0  # a follow-up an hour later is a new conversation


@dataclass(frozen=True)
class Exchange:
    """One remembered exchange: what a follow-up to it may refer to, and where it was."""

    context: FollowUpContext
    channel_id: int
    stored_at: float


class Conversations:
    """A bounded map of `key → Exchange` (key: a bot answer's message id, or a
    bot-started thread's id): at most `max_entries` entries, each forgotten `ttl`
    seconds after it was last stored. Kept in store order, so the oldest entry is both
    the first to expire and the first evicted when full (storing again under a key —
    a thread that keeps talking — makes it the newest)."""

    def __init__(
        self,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        ttl: float = DEFAULT_TTL_SECONDS,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        if ttl <= 0:
            raise ValueError("ttl must be positive")
        self.max_entries = max_entries
        self.ttl = ttl
        self._clock = clock
        self._items: OrderedDict[int, Exchange] = OrderedDict()

    def remember(self, key: int, context: FollowUpContext, channel_id: int) -> None:
        """Store (or refresh) the exchange under `key`, evicting the oldest when full."""
        now = self._clock()
        self._prune(now)
        self._items[key] = Exchange(context, channel_id, now)
        self._items.move_to_end(key)
        while len(self._items) > self.max_entries:
            self._items.popitem(last=False)

    def get(self, key: int | None) -> Exchange | None:
        """The live exchange under `key`, or None if unknown or expired. Reading does not
        extend its life: only a new answer (`remember`) does."""
        if key is None:
            return None
        item = self._items.get(key)
        if item is None:
            return None
        if self._expired(item, self._clock()):
            del self._items[key]
            return None
        return item

    def forget(self, key: int) -> None:
        """Drop `key` (e.g. the answer was deleted)."""
        self._items.pop(key, None)

    def clear(self) -> None:
        self._items.clear()

    def _expired(self, item: Exchange, now: float) -> bool:
        return now - item.stored_at > self.ttl

    def _prune(self, now: float) -> None:
        """Drop expired entries from the old end (entries are in store order, so the
        first live one ends the scan): amortised O(1) per store."""
        while self._items:
            key, item = next(iter(self._items.items()))
            if not self._expired(item, now):
                break
            del self._items[key]

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, int) and self.get(key) is not None

    def __iter__(self) -> Iterator[int]:
        return iter(list(self._items))
