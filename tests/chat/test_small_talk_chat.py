"""/ask with small talk: a friendly reply, no abstention title, no gap for moderators."""

from __future__ import annotations

import pytest

from bot.engine import Engine
from chat.harness import Harness


@pytest.mark.asyncio
async def test_ask_thanks_gets_a_friendly_reply_and_no_gap(harness: Harness, engine: Engine) -> None:
    calls = await harness.command("ask", {"question": "thanks!"})
    assert len(calls) == 1, calls
    embed = calls[0].embeds[0]
    assert embed.get("title", "") != "The articles don't say"
    assert "welcome" in embed["description"].lower() and "¶" not in embed["description"]
    assert engine.journal.top_gaps(5) == []
