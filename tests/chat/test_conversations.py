"""The follow-up memory stays small and forgets: bounded size, expiry, store order."""

from __future__ import annotations

import pytest

from bot.answers.followup import ContextEntity, FollowUpContext
from bot.chat.conversations import Conversations


class Clock:
    """A hand-driven clock, so expiry is proved without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def ctx(name: str) -> FollowUpContext:
    return FollowUpContext(f"who is {name}?", (ContextEntity(name, "person"),), "doc")


def test_remember_and_get() -> None:
    conv = Conversations()
    conv.remember(11, ctx("He Lifeng"), channel_id=5)
    item = conv.get(11)
    assert item is not None and item.context.entities[0].name == "He Lifeng" and item.channel_id == 5
    assert conv.get(12) is None and conv.get(None) is None
    assert 11 in conv and 12 not in conv and "11" not in conv


def test_entries_expire_after_ttl_and_reading_does_not_extend_them() -> None:
    clock = Clock()
    conv = Conversations(ttl=60, clock=clock)
    conv.remember(1, ctx("A"), 5)
    clock.now += 59
    assert conv.get(1) is not None
    clock.now += 2  # 61 s after it was stored, although it was read 2 s ago
    assert conv.get(1) is None
    assert len(conv) == 0  # an expired entry is dropped when seen


def test_storing_again_refreshes_the_entry() -> None:
    clock = Clock()
    conv = Conversations(ttl=60, clock=clock)
    conv.remember(7, ctx("A"), 7)  # a thread the bot started
    clock.now += 50
    conv.remember(7, ctx("B"), 7)  # the thread kept talking
    clock.now += 50
    item = conv.get(7)
    assert item is not None and item.context.entities[0].name == "B"


def test_size_is_bounded_oldest_evicted_first() -> None:
    conv = Conversations(max_entries=3)
    for key in (1, 2, 3):
        conv.remember(key, ctx(str(key)), 5)
    conv.remember(1, ctx("1 again"), 5)  # 1 becomes the newest
    conv.remember(4, ctx("4"), 5)
    assert list(conv) == [3, 1, 4]
    assert conv.get(2) is None


def test_expired_entries_are_pruned_when_storing() -> None:
    clock = Clock()
    conv = Conversations(ttl=10, clock=clock)
    for key in range(100):
        conv.remember(key, ctx("x"), 5)
    clock.now += 11
    conv.remember(1000, ctx("y"), 5)
    assert list(conv) == [1000]  # memory is released without anyone reading the old ones


def test_a_busy_day_never_grows_past_the_bound() -> None:
    clock = Clock()
    conv = Conversations(max_entries=500, ttl=3600, clock=clock)
    for key in range(20_000):
        clock.now += 0.1
        conv.remember(key, ctx("x"), 5)
        assert len(conv) <= 500
    assert conv.get(19_999) is not None and conv.get(0) is None


def test_forget_and_clear() -> None:
    conv = Conversations()
    conv.remember(1, ctx("a"), 5)
    conv.remember(2, ctx("b"), 5)
    conv.forget(1)
    conv.forget(99)
    assert list(conv) == [2]
    conv.clear()
    assert len(conv) == 0


@pytest.mark.parametrize("kwargs", [{"max_entries": 0}, {"ttl": 0}, {"ttl": -1}])
def test_nonsense_bounds_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Conversations(**kwargs)  # type: ignore[arg-type]
