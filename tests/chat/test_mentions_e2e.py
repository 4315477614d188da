"""Questions by mention, end to end: the real bot, started the way `python -m bot run`
starts it (`bot.chat.runner.serve` → `create_bot`), logged in to the fake Discord on
127.0.0.1, gets MESSAGE_CREATE over a real websocket and answers with
`POST /channels/{id}/messages` carrying a `message_reference`.

Why end to end: what matters here is exactly what unit tests cannot see — which
gateway intents the bot asks for (the message-content intent must stay off), which
messages Discord delivers with content, that the answer is a *reply*, pings nobody,
shows the typing indicator, and that the bot stays silent where it must.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any, AsyncIterator

import pytest
from aiohttp import web

from bot.chat.bot import StoryBot
from bot.chat.cogs.mention import COOLDOWN_EMOJI, MentionCog
from bot.engine import Engine
from bot.render.discord_embed import limit_problems

try:
    from tests.fake_discord import API_PREFIX, MESSAGE_CONTENT_INTENT, FakeDiscord, MessageRecord, _json_response, point_client_at
except ImportError:  # pytest run without the project root on sys.path
    from fake_discord import (  # type: ignore[no-redef]
        API_PREFIX, MESSAGE_CONTENT_INTENT, FakeDiscord, MessageRecord, _json_response, point_client_at,
    )

from livebot import START_TIMEOUT
from livebot import live_bot as start_live_bot

TOKEN = "mention-test-token"
pytestmark = pytest.mark.asyncio


class ThreadingFakeDiscord(FakeDiscord):
    """The fake plus `POST /channels/{cid}/messages/{mid}/threads` (start a thread from a
    message), which the shared fake lacks. Like Discord, the thread gets the starter
    message's id, and THREAD_CREATE tells the bot about it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.threads: list[dict[str, Any]] = []

    def _add_routes(self, app: web.Application) -> None:
        app.router.add_post(f"{API_PREFIX}/channels/{{cid}}/messages/{{mid}}/threads", self._start_thread)
        super()._add_routes(app)  # its catch-all route must come after ours

    async def _start_thread(self, request: web.Request) -> web.Response:
        cid = self._channel_or_refuse(request)
        starter = self._stored_message_or_refuse(request, cid)
        body, _ = await self._read_body(request)
        name = str(body.get("name") or "")
        if not 1 <= len(name) <= 100:
            raise self._refuse(request, 400, 50035, "Invalid Form Body", f"thread name of {len(name)} characters",
                               [("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")])
        gid = self._guild_of_channel(cid)
        tid = int(starter["id"])
        thread = {
            "id": str(tid), "type": 11, "guild_id": str(gid), "parent_id": str(cid), "name": name,
            "owner_id": str(self.bot_user_id), "last_message_id": None, "rate_limit_per_user": 0,
            "message_count": 0, "member_count": 1, "flags": 0,
            "thread_metadata": {"archived": False, "auto_archive_duration": int(body.get("auto_archive_duration") or 1440),
                                "archive_timestamp": starter["timestamp"], "locked": False},
        }
        self.channels[tid] = thread
        self.threads.append(thread)
        await self.dispatch("THREAD_CREATE", {**thread, "newly_created": True})
        return _json_response(thread)


@dataclass
class Live:
    fake: FakeDiscord
    bot: StoryBot

    @property
    def cog(self) -> MentionCog:
        # Not an isinstance check: `load_extension` executes the module afresh, so the
        # loaded class is not the one this file imported.
        cog = self.bot.get_cog("Mentions")
        assert type(cog).__name__ == "MentionCog"
        return cog  # type: ignore[return-value]

    def mention(self) -> str:
        return f"<@{self.fake.bot_user_id}>"

    async def ask(self, content: str, **kwargs: Any) -> dict[str, Any]:
        """A user message that mentions the bot (put the mention in `content` yourself)."""
        kwargs.setdefault("mentions", [self.fake.bot_user_id])
        return await self.fake.send_message_create(content, **kwargs)

    async def reply_to(self, msg: dict[str, Any], timeout: float = START_TIMEOUT) -> MessageRecord:
        """The bot's reply to user message `msg`; for an answer, once the bot has also
        remembered the exchange (the fake records the message as the bot's HTTP request
        arrives, a moment before the bot gets the response: a person cannot reply that fast)."""
        rec = await self.fake.wait_for_message(
            lambda m: m.kind == "channel" and str((m.message_reference or {}).get("message_id")) == msg["id"], timeout=timeout
        )
        if rec.embeds:
            await self.remembered(rec)
        return rec

    async def remembered(self, rec: MessageRecord, timeout: float = START_TIMEOUT) -> None:
        await self.fake.wait_until(lambda: rec.message_id in self.cog.conversations, timeout,
                                   "the answer to be remembered")

    async def settle(self) -> None:
        """Let already-delivered events be handled: a mention sent now and answered proves
        everything sent before it was seen (events are handled in order)."""
        control = await self.ask(f"{self.mention()} who is He Lifeng?")
        await self.reply_to(control)


@contextlib.asynccontextmanager
async def live_bot(engine: Engine, fake: FakeDiscord | None = None, **env: str) -> AsyncIterator[Live]:
    """The bot started by the shared live-bot fixture (tests/livebot.py) over `engine`."""
    async with start_live_bot(engine=engine, fake=fake or FakeDiscord(token=TOKEN), token=TOKEN,
                              wait_for_commands=False, **env) as running:
        yield Live(running.fake, running.bot)


def first_quote(rec: MessageRecord) -> str:
    """The first quote of an answer embed, without the bold marks on matched words."""
    return (rec.embeds[0].get("description") or "").split("\n")[0].replace("**", "")


def assert_valid_reply(rec: MessageRecord) -> None:
    """What Discord would refuse, and the no-pings rule (the asker included)."""
    assert rec.pings_nobody(), rec.allowed_mentions
    assert rec.allowed_mentions.get("replied_user") is False
    for embed in rec.embeds:
        assert limit_problems(embed) == []


async def test_mention_gets_a_cited_reply_and_he_follows_up(engine: Engine) -> None:
    async with live_bot(engine) as live:
        fake = live.fake
        assert not fake.last_identify["intents"] & MESSAGE_CONTENT_INTENT  # bit 1<<15 off

        question = await live.ask(f"{live.mention()} who is He Lifeng?")
        answer = await live.reply_to(question)
        assert answer.route == f"POST /api/v10/channels/{fake.channel_id}/messages"
        assert str(answer.message_reference["message_id"]) == question["id"]
        assert_valid_reply(answer)
        embed = answer.embeds[0]
        assert embed["title"] == "Q: who is He Lifeng?"  # the mention is not part of the question
        assert embed["description"].startswith("> ") and "Lifeng" in embed["description"]
        assert "Caixin Global · 26 Sep 2025" in embed["description"]  # the citation
        assert fake.typing == [fake.channel_id]  # typing shown while answering
        ids = [c["custom_id"] for row in answer.components for c in row["components"]]
        assert any(i.startswith("sb:vote:") for i in ids)  # the same buttons as /ask

        # A reply to the answer (Discord's reply keeps "@ON", so the bot is mentioned).
        follow = await live.ask("and what did he agree in Madrid?", message_reference={"message_id": answer.message_id})
        second = await live.reply_to(follow)
        assert_valid_reply(second)
        assert "press briefing in Madrid" in first_quote(second)
        assert second.embeds[0]["title"] == "Q: and what did he agree in Madrid?"

        # A follow-up to the follow-up keeps the subject; without the exchange, "he" is
        # not guessed and the bot says the articles don't say.
        chained = await live.ask("what did he do?", message_reference={"message_id": second.message_id})
        third = await live.reply_to(chained)
        assert "He Lifeng led the fourth round" in first_quote(third)
        fresh = await live.ask(f"{live.mention()} what did he do?")
        fourth = await live.reply_to(fresh)
        assert fourth.embeds[0]["title"] == "The articles don't say"
        fake.assert_clean()


async def test_silence_without_mention_from_bots_webhooks_and_disallowed_channels(engine: Engine) -> None:
    fake = FakeDiscord(token=TOKEN, channel_names=("questions", "random"))
    guild = fake.guilds[fake.guild_id]
    allowed, other = guild.channel("questions"), guild.channel("random")
    async with live_bot(engine, fake, STORYBOT_CHANNEL_IDS=str(allowed)) as live:
        other_bot = fake.add_user("OtherBot", bot=True)
        m = live.mention()
        await fake.send_message_create("who is He Lifeng?", channel_id=allowed)  # no mention: content arrives blank
        await live.ask(f"{m} who is He Lifeng?", author_id=other_bot, author_bot=True, channel_id=allowed)
        await live.ask(f"{m} who is He Lifeng?", webhook_id=fake.next_id(), channel_id=allowed)
        await live.ask(f"{m} who is He Lifeng?", channel_id=other)  # not an allowed channel
        await fake.send_message_create("@everyone who is He Lifeng?", channel_id=allowed)

        control = await live.ask(f"{m} who is He Lifeng?", channel_id=allowed)
        reply = await live.reply_to(control)
        await asyncio.sleep(0.2)
        assert [r.message_id for r in fake.messages] == [reply.message_id]  # only the control was answered
        assert other not in fake.typing
        fake.assert_clean()


async def test_dms_are_answered_unless_turned_off(engine: Engine) -> None:
    async with live_bot(engine) as live:
        dm = await live.fake.send_message_create("who is He Lifeng?", in_dm=True)  # no mention needed in a DM
        reply = await live.reply_to(dm)
        assert reply.channel_id == live.fake.dm_channel_id(live.fake.user_id)
        assert "Lifeng" in reply.embeds[0]["description"]
        assert_valid_reply(reply)

    async with live_bot(engine, STORYBOT_ALLOW_DMS="0") as live:
        await live.fake.send_message_create("who is He Lifeng?", in_dm=True)
        await live.settle()
        assert len(live.fake.messages) == 1  # the settle control only
        live.fake.assert_clean()


async def test_a_bare_mention_gets_help_and_a_slash_user_is_on_the_same_cooldown(engine: Engine) -> None:
    async with live_bot(engine, STORYBOT_COOLDOWN_SECONDS="60") as live:
        fake = live.fake
        bare = await live.ask(live.mention())
        help_reply = await live.reply_to(bare)
        assert "mention me with a question" in help_reply.content and "/ask" in help_reply.content
        assert_valid_reply(help_reply)

        inter = await fake.send_interaction(fake.slash_command("ask", {"question": "Who is He Lifeng?"}))
        body = await fake.wait_for_response(inter)
        assert body["type"] == 4 and body["data"]["embeds"]  # /ask answered

        before = len(fake.messages)
        too_soon = await live.ask(f"{live.mention()} and what about Madrid?")
        await fake.wait_until(lambda: fake.reactions or None, 5.0, "a reaction")
        assert fake.reactions == [("add", fake.channel_id, int(too_soon["id"]), COOLDOWN_EMOJI)]
        await asyncio.sleep(0.2)
        assert len(fake.messages) == before  # no public "slow down" message
        fake.assert_clean()


async def test_long_answers_go_to_a_thread_where_follow_ups_continue(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.chat.where as where

    monkeypatch.setattr(where, "LONG_ANSWER_CHARS", 100)  # every answer counts as long here
    fake = ThreadingFakeDiscord(token=TOKEN)
    async with live_bot(engine, fake, STORYBOT_ANSWER_IN_THREAD="1", STORYBOT_CHANNEL_IDS=str(fake.channel_id)) as live:
        question = await live.ask(f"{live.mention()} who is He Lifeng?")
        thread_answer = await fake.wait_for_message(lambda r: r.kind == "channel")
        await live.remembered(thread_answer)
        thread = fake.threads[0]
        assert thread["name"] == "who is He Lifeng?" and thread["id"] == question["id"]
        assert thread_answer.channel_id == int(thread["id"])
        assert thread_answer.message_reference is None and thread_answer.pings_nobody()
        assert "Lifeng" in thread_answer.embeds[0]["description"]

        # In the thread, a mention that is not a reply still follows up the thread's exchange,
        # and it is answered in the thread (no thread inside a thread).
        follow = await live.ask(f"{live.mention()} and what did he agree in Madrid?", channel_id=int(thread["id"]))
        second = await live.reply_to(follow)
        assert second.channel_id == int(thread["id"])
        assert "press briefing in Madrid" in first_quote(second)
        assert len(fake.threads) == 1
        fake.assert_clean()


async def test_engine_failure_gets_the_slash_sentence(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.chat.errors import UNAVAILABLE
    from bot.engine import EngineError

    async with live_bot(engine) as live:
        def broken(*args: Any, **kwargs: Any) -> Any:
            raise EngineError("the knowledge base is not loaded")

        monkeypatch.setattr(engine, "ask", broken)
        question = await live.ask(f"{live.mention()} who is He Lifeng?")
        reply = await live.reply_to(question)
        assert reply.content == UNAVAILABLE
        assert_valid_reply(reply)
        monkeypatch.undo()


async def test_a_reply_to_a_slash_ask_answer_is_a_follow_up(engine: Engine) -> None:
    """`/ask` answers start conversations too: replying to one resolves "he"."""
    async with live_bot(engine) as live:
        fake = live.fake
        inter = await fake.send_interaction(fake.slash_command("ask", {"question": "Who is He Lifeng?"}))
        await fake.wait_for_response(inter)
        answer_id = int(inter.original_message["id"])
        await fake.wait_until(lambda: answer_id in live.cog.conversations, START_TIMEOUT,
                              "the /ask exchange to be remembered")
        follow = await live.ask("and what did he agree in Madrid?", message_reference={"message_id": str(answer_id)})
        reply = await live.reply_to(follow)
        assert_valid_reply(reply)
        assert "press briefing in Madrid" in first_quote(reply)
        fake.assert_clean()
