"""Issue 12, item 9: logs never hold interaction tokens; a reset connection on the
interaction callback neither loses the answer silently nor raises in the error handler."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest
from aiohttp import web

import livebot as botlive
from bot.chat.logsafe import RedactTokens, redact
from bot.chat.runner import configure_logging
from bot.config import load_settings
from fake_discord import FakeDiscord
from livebot import final_body, live_bot, text_of
from hostile.support import COUNTS, attack

TOKEN = "TESTTOKEN.SECRET.abc123XYZ"
QUESTION = "How many days did the 2024 law give TikTok to divest?"


def test_redact_patterns() -> None:
    line = ("POST https://discord.com/api/v10/interactions/123/aW50ZXJhY3Rpb246MTIz.tok-EN_x/callback "
            "and /webhooks/42/aW50ZXJhY3Rpb24.6Zz_-k/messages/@original {'token': 'aW50ZXJhY3Rpb24.6Zz'} "
            '"token":"zzz.yyy"')
    out = redact(line)
    assert "aW50ZXJhY3Rpb24" not in out and "tok-EN" not in out and "zzz.yyy" not in out
    assert out.count("<redacted>") == 4 and "/interactions/123/<redacted>/callback" in out


@pytest.mark.asyncio
@pytest.mark.parametrize("level", ["DEBUG", "INFO"])
async def test_no_interaction_token_in_any_log_line(level: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The bot's own log handler (as `python -m bot run` sets it up) at DEBUG, where
    discord.py logs every route and raw payload: no interaction token survives; user
    content appears only at DEBUG."""
    root = logging.getLogger()
    before_handlers, before_level = list(root.handlers), root.level
    with attack(f"interaction tokens in the log at {level}"):
        configure_logging(load_settings(env_file=None, environ={"STORYBOT_LOG_LEVEL": level}))
        added = [h for h in root.handlers if h not in before_handlers]
        assert added and all(any(isinstance(f, RedactTokens) for f in h.filters) for h in added)
        try:
            async with live_bot(tmp_path, token=TOKEN, STORYBOT_LOG_LEVEL=level) as live:
                fake = live.fake
                sent = [await fake.send_interaction(fake.slash_command("ask", {"question": QUESTION + " zebra42"})),
                        await fake.send_interaction(fake.autocomplete("summary", "article", "tik")),
                        await fake.send_interaction(fake.slash_command("summary"))]
                for inter in sent:
                    if inter.type == 4:
                        await fake.wait_for_response(inter)
                    else:
                        await final_body(fake, inter)
                COUNTS["interactions"] += len(sent)
                tokens = [i.token for i in fake.interactions.values()]
        finally:
            for h in root.handlers[:]:
                if h not in before_handlers:
                    root.removeHandler(h)
            root.setLevel(before_level)
        out = capsys.readouterr().out
        assert tokens and out
        leaked = [t for t in tokens if t in out]
        assert not leaked, f"{len(leaked)} interaction token(s) in the log"
        assert TOKEN not in out
        if level == "DEBUG":
            assert "/interactions/" in out and "<redacted>" in out  # the routes were logged, redacted
        else:
            assert "zebra42" not in out  # no user content above DEBUG


class ResettingDiscord(FakeDiscord):
    """Drops the connection on the first callback of every interaction (before reading it)."""

    resets = 0

    async def _interaction_callback(self, request: web.Request) -> web.Response:
        iid = self._snowflake(request, "iid")
        seen = getattr(self, "_reset_seen", set())
        self._reset_seen = seen
        if iid not in seen:
            seen.add(iid)
            ResettingDiscord.resets += 1
            request.transport.close()  # type: ignore[union-attr]
            raise web.HTTPInternalServerError()
        return await super()._interaction_callback(request)


@pytest.mark.asyncio
async def test_reset_connection_on_the_callback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               caplog: pytest.LogCaptureFixture) -> None:
    """The answer still arrives; one warning line per reset; nothing raised inside the
    tree's error handler (no ERROR record, no "Ignoring exception")."""
    monkeypatch.setattr(botlive, "FakeDiscord", ResettingDiscord)
    with attack("connection reset on the interaction callback"):
        caplog.set_level(logging.WARNING)
        async with live_bot(tmp_path, token=TOKEN, STORYBOT_LOG_LEVEL="WARNING") as live:
            fake = live.fake
            inter = await fake.send_interaction(fake.slash_command("ask", {"question": QUESTION}))
            data = await final_body(fake, inter)
            COUNTS["faults"] += 1
            assert "crisis stems from" in text_of(data) and "¶9" in text_of(data)
            bad = await fake.send_interaction(fake.slash_command("ask", {"question": "   "}))  # an error reply
            data = await final_body(fake, bad)
            assert "Please give a question" in text_of(data)
            fake.assert_clean(require_no_pings=True)
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert not errors, [r.getMessage() for r in errors]
        warnings = [r.getMessage() for r in caplog.records if "interaction callback failed" in r.getMessage()]
        assert len(warnings) == 2 and all("\n" not in w for w in warnings), warnings


@pytest.mark.asyncio
async def test_closing_lets_the_answers_in_flight_finish(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    """The bot closed while a question is being answered: the close waits for it (within
    `drain_seconds`), the answer is delivered, and nothing fails in discord.py after the
    close (a command finishing on a closed client dispatched its completion on no loop:
    "Task exception was never retrieved")."""
    import asyncio
    import threading

    caplog.set_level(logging.WARNING)
    async with live_bot(tmp_path, token=TOKEN, STORYBOT_LOG_LEVEL="WARNING") as live:
        fake = live.fake
        entered = threading.Event()
        real_ask = live.engine.ask

        def slow_ask(*args, **kwargs):  # type: ignore[no-untyped-def]
            entered.set()
            import time

            time.sleep(1.0)
            return real_ask(*args, **kwargs)

        monkeypatch.setattr(live.engine, "ask", slow_ask)
        inter = await fake.send_interaction(fake.slash_command("ask", {"question": QUESTION}))
        assert await asyncio.to_thread(entered.wait, 10)  # the answer is being computed
        await live.bot.close()
        assert live.bot.is_closed()
        assert inter.id in live.completed  # the command finished before the connection closed
        data = await final_body(fake, inter)
        assert "crisis stems from" in text_of(data) and "270" in text_of(data)
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, errors
