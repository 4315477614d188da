"""The real bot against the fake Discord: load, gateway faults, storage faults seen
through the commands, and forged or unauthorised commands.

Every test ends with `fake.assert_clean(require_no_pings=True)`: nothing the bot
sent was refused as Discord would refuse it, and nothing could ping anyone.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import threading
from pathlib import Path

import discord
import pytest

from livebot import final_body, is_ephemeral, live_bot, text_of
from hostile.support import COUNTS, WORST, content_problems, embed_problems

TOKEN = "TESTTOKEN.SECRET.abc123XYZ"
MANAGE_GUILD = discord.Permissions(manage_guild=True, send_messages=True, use_application_commands=True)
QUESTIONS = [
    "How many days did the 2024 law give TikTok to divest?",
    "Who is ByteDance?",
    "@everyone what did Xi and Trump discuss?",
    "**What** `is` the <@&456> deal?",
    "Who won the football match last night?",
]


def valid_for_discord(data: dict) -> list[str]:
    problems = content_problems(data.get("content"))
    for embed in data.get("embeds") or []:
        problems += embed_problems(embed)
    return problems


class LoopThreadWatch:
    """Counts engine calls and those made on the event loop's own thread.

    Why this instead of timing the loop: a call on the loop thread blocks every
    other user (the 3 s window is shared), however fast this machine is; a call
    in a worker thread never does. A count is the same on a busy CI machine."""

    METHODS = ("ask", "who", "summary", "documents", "entity_names", "follow_up_context", "status")

    def __init__(self, engine: object) -> None:
        self.engine = engine
        self.calls = 0
        self.on_loop: list[str] = []
        self.loop_thread = threading.get_ident()
        self._saved: dict[str, object] = {}

    def __enter__(self) -> "LoopThreadWatch":
        for name in self.METHODS:
            real = getattr(self.engine, name)
            self._saved[name] = real

            def counted(*args: object, _real=real, _name=name, **kwargs: object) -> object:
                self.calls += 1
                if threading.get_ident() == self.loop_thread:
                    self.on_loop.append(_name)
                return _real(*args, **kwargs)

            setattr(self.engine, name, counted)
        return self

    def __exit__(self, *exc: object) -> None:
        for name in self._saved:
            delattr(self.engine, name)  # the instance attribute; the class's method shows again


@pytest.mark.slow
@pytest.mark.asyncio
async def test_load_200_interactions_50_users(tmp_path: Path) -> None:
    """200 interactions from 50 users sent as one burst, cooldown on: every one
    acknowledged and answered, the second /ask of each user gets the cooldown reply
    (and only that), nothing lost, and no engine work ran on the event loop thread
    (what would make answers late under load; counted, not timed). The first
    responses' times are reported in the hostile summary, not asserted."""
    async with live_bot(tmp_path, token=TOKEN, STORYBOT_COOLDOWN_SECONDS="60") as live:
        fake = live.fake
        users = [fake.add_user(f"user{i}") for i in range(50)]
        plan: list[tuple[int, str, dict]] = []
        rng = random.Random(6)
        for i, uid in enumerate(users):
            plan += [
                (uid, "ask", {"question": QUESTIONS[i % len(QUESTIONS)]}),
                (uid, "who", {"name": rng.choice(["ByteDance", "Xi Jinping", "@here", "Oracle"])}),
                (uid, "summary", {}),
                (uid, "ask", {"question": "And when was that?"}),  # second /ask: cooldown
            ]
        # Interleave users, but keep each user's own order (the second /ask comes after the first).
        order = sorted(range(len(plan)), key=lambda k: (k % 4, k // 4))
        with LoopThreadWatch(live.engine) as watch:
            sent = []
            for k in order:
                uid, name, options = plan[k]
                sent.append((k, await fake.send_interaction(fake.slash_command(name, options or None, user_id=uid))))
                await asyncio.sleep(0)  # a burst: let the bot read, but do not pace
            COUNTS["interactions"] += len(sent)
            results = await asyncio.gather(*(final_body(fake, inter) for _, inter in sent), return_exceptions=True)
        lost = [inter.name for (_, inter), r in zip(sent, results) if isinstance(r, BaseException) or not inter.acknowledged]
        COUNTS["lost"] += len(lost)
        assert not lost, f"{len(lost)} interactions lost: {lost[:5]}"
        for (k, inter), data in zip(sent, results):
            assert isinstance(data, dict)
            assert not valid_for_discord(data), valid_for_discord(data)
            second_ask = k % 4 == 3
            text = text_of(data)
            if second_ask:
                assert "Slow down" in text and is_ephemeral(data), text
            else:
                assert "Slow down" not in text, f"user {plan[k][0]} was cooled down on {plan[k][1]}: {text}"
        WORST["slowest_response_s"] = max(WORST["slowest_response_s"], *(inter.response_time or 0 for _, inter in sent))
        assert watch.calls >= 150, watch.calls  # the engine answered (ask, who, summary of 50 users)
        assert watch.on_loop == [], f"engine work on the event loop thread: {sorted(set(watch.on_loop))}"
        fake.assert_clean(require_no_pings=True)


async def _ask_ok(fake, question: str = QUESTIONS[0]) -> str:
    inter = await fake.send_interaction(fake.slash_command("ask", {"question": question}))
    COUNTS["interactions"] += 1
    data = await final_body(fake, inter)
    text = text_of(data)
    if "270" not in text:
        COUNTS["lost"] += 1
    return text


@pytest.mark.asyncio
async def test_gateway_resume_and_reidentify(tmp_path: Path) -> None:
    async with live_bot(tmp_path, token=TOKEN) as live:
        fake = live.fake
        assert "270" in await _ask_ok(fake)

        COUNTS["faults"] += 1
        await fake.close_gateway(4000)  # resumable
        await fake.wait_until(lambda: fake.resume_count == 1, 10, "a RESUME after 4000")
        await fake.wait_until_ready()
        assert fake.identify_count == 1
        assert "270" in await _ask_ok(fake)

        COUNTS["faults"] += 1
        await fake.close_gateway(4007)  # invalid seq: the session is gone
        await fake.wait_until(lambda: fake.identify_count == 2, 10, "a new IDENTIFY after 4007")
        await fake.wait_until_ready()
        assert "270" in await _ask_ok(fake)

        COUNTS["faults"] += 1
        await fake.send_invalid_session(resumable=False)  # op 9, d=false
        await fake.wait_until(lambda: fake.identify_count == 3, 10, "a new IDENTIFY after op 9")
        await fake.wait_until_ready()
        assert "270" in await _ask_ok(fake)

        COUNTS["faults"] += 1
        await fake.send_reconnect()  # op 7
        await fake.wait_until(lambda: fake.resume_count == 2, 10, "a RESUME after op 7")
        await fake.wait_until_ready()
        assert "270" in await _ask_ok(fake)
        assert not live.bot.is_closed()
        fake.assert_clean(require_no_pings=True)


@pytest.mark.asyncio
async def test_storage_faults_through_the_bot(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The database replaced by garbage while the bot runs: /ask keeps answering from
    the last good snapshot, and /kb reload sets the garbage aside (kept) and rebuilds,
    with one log line; answers keep coming."""
    caplog.set_level(logging.WARNING)
    async with live_bot(tmp_path, token=TOKEN) as live:
        fake = live.fake
        db = live.db
        COUNTS["faults"] += 1
        tmp = db.with_suffix(".tmp")
        tmp.write_bytes(os.urandom(32 * 1024))
        os.replace(tmp, db)
        assert "270" in await _ask_ok(fake)

        inter = await fake.send_interaction(fake.slash_command("kb", subcommand="reload", permissions=MANAGE_GUILD))
        COUNTS["interactions"] += 1
        data = await final_body(fake, inter)
        text = text_of(data)
        assert is_ephemeral(data) and "reloaded" in text.lower(), text
        assert "Traceback" not in text
        assert any("corrupt" in r.getMessage() and "rebuilt" in r.getMessage() for r in caplog.records)
        assert list(db.parent.glob(db.name + ".corrupt-*"))
        assert "270" in await _ask_ok(fake)

        # The engine itself failing mid-question: an ephemeral "unavailable", not a stack trace.
        COUNTS["faults"] += 1
        from bot.store import StoreError

        def broken(*a: object, **k: object) -> object:
            raise StoreError("knowledge base unavailable: disk I/O error")

        real_ask = live.engine.ask
        live.engine.ask = broken  # type: ignore[method-assign]
        try:
            inter = await fake.send_interaction(fake.slash_command("ask", {"question": QUESTIONS[1]}))
            COUNTS["interactions"] += 1
            data = await final_body(fake, inter)
            assert is_ephemeral(data) and "unavailable" in text_of(data), text_of(data)
        finally:
            live.engine.ask = real_ask  # type: ignore[method-assign]
        assert "270" in await _ask_ok(fake)
        fake.assert_clean(require_no_pings=True)


@pytest.mark.asyncio
async def test_moderator_commands_refuse_dms_non_moderators_and_forgeries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    uploads: dict[str, bytes] = {}

    async def read(self: discord.Attachment, **kwargs: object) -> bytes:
        return uploads[self.filename]  # the "CDN": forged names need no URL of their own

    monkeypatch.setattr(discord.Attachment, "read", read)
    async with live_bot(tmp_path, token=TOKEN) as live:
        fake = live.fake
        knowledge = live.knowledge
        before = sorted(p.name for p in knowledge.iterdir())

        async def run(payload: dict) -> tuple[dict, str]:
            inter = await fake.send_interaction(payload)
            COUNTS["interactions"] += 1
            data = await final_body(fake, inter)
            assert not valid_for_discord(data), valid_for_discord(data)
            return data, text_of(data)

        for sub in ("reload", "status", "log", "gaps"):
            data, text = await run(fake.slash_command("kb", subcommand=sub))  # no Manage Server
            assert is_ephemeral(data) and "moderators" in text.lower(), (sub, text)
            data, text = await run(fake.slash_command("kb", subcommand=sub, in_dm=True, permissions=MANAGE_GUILD))
            assert is_ephemeral(data) and "server" in text.lower(), (sub, text)

        # Forged option values: not a loaded id, path tricks, a value autocomplete never offered.
        for forged in ["../../etc/passwd", "..", "/etc/passwd", "nope", "caixin\x00", "<@&456>", "@everyone"]:
            data, text = await run(fake.slash_command("kb", {"article": forged}, subcommand="remove", permissions=MANAGE_GUILD))
            assert is_ephemeral(data) and "Done:" not in text, (forged, text)
            data, text = await run(fake.slash_command("ask", {"question": "Who is ByteDance?", "article": forged}))
            assert is_ephemeral(data) and "no article with that id" in text, (forged, text)
            data, text = await run(fake.slash_command("summary", {"article": forged}))
            assert is_ephemeral(data) and "no article with that id" in text, (forged, text)
        assert sorted(p.name for p in knowledge.iterdir()) == before
        assert live.engine.status().documents == 1

        # /kb add with file names that try to leave knowledge/.
        outside = tmp_path / "evil.md"
        for name in ["../evil.md", "../../evil.md", "/tmp/evil.md", "..\\evil.md", "sub/../../evil.md"]:
            uploads[name] = b"---\ntitle: Evil\n---\nEvil text here about zebras.\n"
            att = fake.add_attachment(name, uploads[name])
            data, text = await run(fake.slash_command("kb", {"file": att}, subcommand="add", permissions=MANAGE_GUILD))
            assert is_ephemeral(data), text
            assert not outside.exists() and not Path("/tmp/evil.md").exists(), name
        escaped = [p for p in tmp_path.rglob("*evil*") if knowledge not in p.parents]
        assert not escaped, escaped
        # The bot downloads each attachment URL exactly as given (bot/chat/cogs/kb.py); the
        # fake's CDN route cannot serve a file name holding "/" (Discord's CDN never gives
        # one), so those downloads are 404s the bot answered with one line: not a bot fault.
        fake.unknown_routes[:] = [r for r in fake.unknown_routes if not r.startswith("GET /attachments/")]
        fake.assert_clean(require_no_pings=True)


HOSTILE_OPTIONS = [
    "", " ", "\u200b", "@everyone", "@here please", "<@123> <@&456> <#789>", "```py\nimport os\n```",
    "**bold** __under__ ~~strike~~ ||spoiler|| `code", "> quote\n# heading\n-# small", "[click](https://evil.example)",
    "\u202eevil\u202c", "👩\u200d👩\u200d👧" * 50, "e\u0301" * 500, "\x00\x01\x1b[31m", "Who is ByteDance? @everyone",
    "How many days did the 2024 law give TikTok to divest? **" + "`" * 7, "a" * 1000, "b " * 3000, "Xi" * 3000,
]


@pytest.mark.asyncio
async def test_hostile_options_through_the_bot(tmp_path: Path) -> None:
    """Hostile text in every free-text option, including forged values past Discord's
    own length limits and empty ones, and in every autocomplete: each gets a reply
    Discord accepts (public answer or an ephemeral explanation) that pings nobody."""
    async with live_bot(tmp_path, token=TOKEN) as live:
        fake = live.fake
        sent = []
        for text in HOSTILE_OPTIONS:
            for payload in (
                fake.slash_command("ask", {"question": text}),
                fake.slash_command("who", {"name": text}),
                fake.autocomplete("who", "name", text),
                fake.autocomplete("ask", "article", text, {"question": "x"}),
                fake.autocomplete("summary", "article", text),
            ):
                sent.append(await fake.send_interaction(payload))
        COUNTS["interactions"] += len(sent)
        COUNTS["inputs"] += len(HOSTILE_OPTIONS)
        for inter in sent:
            if inter.type == 4:
                await fake.wait_for_response(inter)
                choices = inter.choices
                assert choices is not None and len(choices) <= 25, inter.callback
                continue
            try:
                data = await final_body(fake, inter)
            except TimeoutError:
                COUNTS["lost"] += 1
                raise
            assert not valid_for_discord(data), valid_for_discord(data)
            text = text_of(data)
            assert "Something went wrong" not in text, text
            assert inter.acknowledged
        fake.assert_clean(require_no_pings=True)
