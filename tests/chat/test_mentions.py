"""Questions by mention, piece by piece: which messages are questions, what the
question is, where the bot may speak, when it uses a thread, the shared cooldown.

The whole path (gateway → reply) is proved in test_mentions_e2e.py; these tests pin
the decisions cheaply, with stand-in message objects shaped like discord.py's.
"""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

import discord
import pytest

from bot.answers.followup import ContextEntity, FollowUpContext
from bot.chat.checks import AskCooldowns, ask_cooldowns
from bot.chat.cogs.mention import Incoming, MentionCog, extract_question, help_text
from bot.chat.where import (
    LONG_ANSWER_CHARS,
    THREAD_NAME_LIMIT,
    channel_place,
    place_refusal,
    should_use_thread,
    thread_name,
    where_to_ask,
)
from bot.config import Settings, load_settings
from bot.engine import Engine
from chat.harness import close_harness, make_harness, make_settings

BOT_ID = 900000000000000001
ROLE_ID = 900000000000000002
USER_ID = 900000000000000003
GUILD_CHANNEL = 900000000000000010
OTHER_CHANNEL = 900000000000000011
THREAD = 900000000000000012
DM_CHANNEL = 900000000000000013
GUILD_ID = 900000000000000014
OTHER_GUILD_ID = 900000000000000015
ANSWER_ID = 900000000000000020
PREVIOUS = FollowUpContext("who is He Lifeng?", (ContextEntity("He Lifeng", "person"),), "doc")


# --------------------------------------------------------------------------- the question


def test_extract_question_removes_the_bot_and_names_the_rest() -> None:
    q = extract_question(
        f"<@{BOT_ID}>, who did <@!{USER_ID}> say <@&{ROLE_ID}> and <@&7777777777777777777> met in <#{GUILD_CHANNEL}>? <:thinking:123456789012345678>",
        bot_id=BOT_ID,
        bot_role_id=ROLE_ID,
        users={USER_ID: "ana"},
        roles={7777777777777777777: "mods"},
        channels={GUILD_CHANNEL: "news"},
    )
    assert q == "who did @ana say and @mods met in #news? :thinking:"


@pytest.mark.parametrize(
    "content, expected",
    [
        (f"<@{BOT_ID}> who is He Lifeng?", "who is He Lifeng?"),
        (f"<@!{BOT_ID}>   who is\n He Lifeng?", "who is He Lifeng?"),
        (f"who is He Lifeng, <@{BOT_ID}>?", "who is He Lifeng?"),
        (f"so <@{BOT_ID}> , what did he agree ?", "so, what did he agree?"),
        (f"<@{BOT_ID}>", ""),
        (f"<@{BOT_ID}> : - ", ""),
        (f"<@{USER_ID}> hi", "@someone hi"),  # an unknown user is not shown as a raw id
        ("and what did he agree in Madrid?", "and what did he agree in Madrid?"),  # a reply that pings
    ],
)
def test_extract_question_cases(content: str, expected: str) -> None:
    assert extract_question(content, bot_id=BOT_ID) == expected


def test_help_text_says_how_to_ask() -> None:
    text = help_text("StoryBot")
    assert "@StoryBot who is He Lifeng?" in text and "/ask" in text and "Reply" in text


# --------------------------------------------------------------------------- where


def test_place_policy() -> None:
    anywhere = Settings()
    assert place_refusal(anywhere, in_dm=False, channel_id=OTHER_CHANNEL) is None
    assert place_refusal(anywhere, in_dm=True, channel_id=DM_CHANNEL) is None

    limited = Settings(channel_ids=(GUILD_CHANNEL,), allow_dms=False)
    assert place_refusal(limited, in_dm=False, channel_id=GUILD_CHANNEL) is None
    assert place_refusal(limited, in_dm=False, channel_id=THREAD, parent_id=GUILD_CHANNEL) is None  # its thread
    assert place_refusal(limited, in_dm=False, channel_id=OTHER_CHANNEL) == f"I answer in <#{GUILD_CHANNEL}> only."
    assert "direct messages" in (place_refusal(limited, in_dm=True, channel_id=DM_CHANNEL) or "")


def test_where_to_ask_lists_a_handful() -> None:
    settings = Settings(channel_ids=tuple(range(100000000000000000, 100000000000000007)))
    text = where_to_ask(settings)
    assert text.count("<#") == 5 and text.endswith("(and 2 more)")


def test_settings_from_the_environment() -> None:
    s = load_settings(environ={"STORYBOT_CHANNEL_IDS": f"{GUILD_CHANNEL}, {OTHER_CHANNEL}", "STORYBOT_ALLOW_DMS": "0",
                               "STORYBOT_ANSWER_IN_THREAD": "1"})
    assert s.channel_ids == (GUILD_CHANNEL, OTHER_CHANNEL) and not s.allow_dms and s.answer_in_thread
    assert load_settings(environ={}).allow_dms and not load_settings(environ={}).answer_in_thread


def test_threads_only_for_long_answers_in_plain_channels() -> None:
    on, off = Settings(answer_in_thread=True), Settings()
    long = LONG_ANSWER_CHARS + 1
    assert should_use_thread(on, in_dm=False, in_thread=False, answer_chars=long)
    assert not should_use_thread(off, in_dm=False, in_thread=False, answer_chars=long)
    assert not should_use_thread(on, in_dm=False, in_thread=False, answer_chars=LONG_ANSWER_CHARS)
    assert not should_use_thread(on, in_dm=True, in_thread=False, answer_chars=long)
    assert not should_use_thread(on, in_dm=False, in_thread=True, answer_chars=long)


def test_thread_names_fit() -> None:
    assert thread_name("  who is\nHe Lifeng? ") == "who is He Lifeng?"
    assert thread_name("") == "Question"
    long = thread_name("why " * 100)
    assert len(long) == THREAD_NAME_LIMIT and long.endswith("…")


def test_channel_place_reads_discord_channels() -> None:
    assert channel_place(SimpleNamespace(guild=None, id=DM_CHANNEL)) == (True, DM_CHANNEL, None)
    assert channel_place(SimpleNamespace(guild=object(), id=THREAD, parent_id=GUILD_CHANNEL)) == (False, THREAD, GUILD_CHANNEL)


# --------------------------------------------------------------------------- which messages are questions


def make_cog(**settings: Any) -> MentionCog:
    settings.setdefault("guild_ids", (GUILD_ID,))
    bot = SimpleNamespace(user=SimpleNamespace(id=BOT_ID, display_name="StoryBot"), settings=Settings(**settings))
    return MentionCog(bot)  # type: ignore[arg-type]


def message(
    content: str = f"<@{BOT_ID}> who is He Lifeng?",
    *,
    mentioned: bool = True,
    author_id: int = USER_ID,
    author_bot: bool = False,
    webhook_id: int | None = None,
    channel: Any = None,
    reply_to: int | None = None,
    kind: discord.MessageType = discord.MessageType.default,
    role_mentioned: bool = False,
) -> Any:
    guild = SimpleNamespace(id=GUILD_ID, self_role=SimpleNamespace(id=ROLE_ID, name="StoryBot"))
    if channel is None:
        channel = SimpleNamespace(guild=guild, id=GUILD_CHANNEL)
    in_guild = getattr(channel, "guild", None) is not None
    return SimpleNamespace(
        content=content,
        author=SimpleNamespace(id=author_id, bot=author_bot),
        webhook_id=webhook_id,
        type=kind,
        channel=channel,
        guild=guild if in_guild else None,
        mentions=[SimpleNamespace(id=BOT_ID, name="StoryBot", display_name="StoryBot")] if mentioned else [],
        role_mentions=[guild.self_role] if role_mentioned else [],
        channel_mentions=[],
        reference=SimpleNamespace(message_id=reply_to) if reply_to else None,
    )


def test_a_mention_is_a_question() -> None:
    assert make_cog().incoming(message()) == Incoming("who is He Lifeng?", None, None)


def test_the_bots_managed_role_counts_as_a_mention() -> None:
    msg = message(f"<@&{ROLE_ID}> who is He Lifeng?", mentioned=False, role_mentioned=True)
    assert make_cog().incoming(msg) == Incoming("who is He Lifeng?", None, None)


@pytest.mark.parametrize(
    "msg",
    [
        message(mentioned=False, content=""),  # no mention: Discord blanks it
        message(mentioned=False, content="who is He Lifeng?"),  # even when the content is there
        message(author_bot=True),
        message(webhook_id=42),
        message(author_id=BOT_ID),  # its own message, echoed back
        message(kind=discord.MessageType.pins_add),
        message(channel=SimpleNamespace(guild=object(), id=OTHER_CHANNEL)),  # not an allowed channel
    ],
)
def test_not_a_question(msg: Any) -> None:
    assert make_cog(channel_ids=(GUILD_CHANNEL,)).incoming(msg) is None


def test_a_server_the_owner_did_not_configure_gets_silence() -> None:
    msg = message()
    msg.guild = SimpleNamespace(id=OTHER_GUILD_ID, self_role=None)
    assert make_cog().incoming(msg) is None
    assert make_cog(guild_ids=()).incoming(msg) is None  # nothing configured: no server is served
    assert make_cog(any_guild=True).incoming(msg) == Incoming("who is He Lifeng?", None, None)


def test_dms_need_no_mention_unless_turned_off() -> None:
    dm = SimpleNamespace(guild=None, id=DM_CHANNEL)
    msg = message("who is He Lifeng?", mentioned=False, channel=dm)
    assert make_cog().incoming(msg) == Incoming("who is He Lifeng?", None, None)
    assert make_cog(allow_dms=False).incoming(msg) is None


def test_a_reply_to_an_answer_follows_it_up() -> None:
    cog = make_cog()
    cog.conversations.remember(ANSWER_ID, PREVIOUS, GUILD_CHANNEL)
    msg = message("and what did he agree in Madrid?", reply_to=ANSWER_ID, kind=discord.MessageType.reply)
    assert cog.incoming(msg) == Incoming("and what did he agree in Madrid?", PREVIOUS, None)
    # A reply to something else is a fresh question.
    other = message(f"<@{BOT_ID}> and what did he agree in Madrid?", reply_to=ANSWER_ID + 1, kind=discord.MessageType.reply)
    assert cog.incoming(other) == Incoming("and what did he agree in Madrid?", None, None)


def test_a_follow_up_that_cannot_be_read_gets_nothing() -> None:
    """A reply with "@OFF" arrives without content (no message-content intent): there
    is nothing to answer, and a public "I can't read that" would be noise."""
    cog = make_cog()
    cog.conversations.remember(ANSWER_ID, PREVIOUS, GUILD_CHANNEL)
    assert cog.incoming(message("", mentioned=False, reply_to=ANSWER_ID, kind=discord.MessageType.reply)) is None


def test_in_a_thread_the_bot_started_the_thread_is_the_context() -> None:
    cog = make_cog(channel_ids=(GUILD_CHANNEL,))
    cog.conversations.remember(THREAD, PREVIOUS, THREAD)
    thread = SimpleNamespace(guild=object(), id=THREAD, parent_id=GUILD_CHANNEL)
    assert cog.incoming(message(f"<@{BOT_ID}> what did he do?", channel=thread)) == Incoming("what did he do?", PREVIOUS, THREAD)
    # discord.py may not have cached the new thread yet (no parent_id): still ours, still allowed.
    uncached = SimpleNamespace(guild=object(), id=THREAD)
    assert cog.incoming(message(f"<@{BOT_ID}> what did he do?", channel=uncached)) == Incoming("what did he do?", PREVIOUS, THREAD)
    # Without a mention the content is blank: nothing.
    assert cog.incoming(message("", mentioned=False, channel=thread)) is None


# --------------------------------------------------------------------------- one cooldown for both ways of asking


def test_ask_cooldowns_are_per_user_and_forget_idle_users() -> None:
    buckets = AskCooldowns()
    assert buckets.retry_after(1, 0, 100.0) is None  # 0 turns it off
    assert buckets.retry_after(1, 10, 100.0) is None
    assert buckets.retry_after(1, 10, 101.0) == pytest.approx(9.0)
    assert buckets.retry_after(2, 10, 101.0) is None  # someone else
    assert buckets.retry_after(3, 10, 200.0) is None
    assert buckets.retry_after(1, 10, 200.0) is None  # idle for longer than the cooldown: a fresh bucket
    assert buckets.retry_after(1, 10, 201.0) == pytest.approx(9.0)


@pytest.mark.asyncio
async def test_a_mention_puts_slash_ask_on_cooldown(engine: Engine) -> None:
    h = await make_harness(engine, make_settings(cooldown_seconds=30))
    try:
        # What the mention path does for a question by `tester` just now.
        assert ask_cooldowns(h.bot).retry_after(h.fake.user_id, 30, time.time()) is None
        calls = await h.command("ask", {"question": "Who is He Lifeng?"})
        assert len(calls) == 1 and calls[0].ephemeral and "Slow down" in calls[0].content
        assert ask_cooldowns(h.bot) is ask_cooldowns(h.bot)  # one bucket store per bot
    finally:
        await close_harness(h)


@pytest.mark.asyncio
async def test_a_refused_typing_indicator_does_not_cost_the_answer() -> None:
    from bot.chat.cogs.mention import typing_indicator

    class Refusing:
        async def __aenter__(self) -> None:
            raise discord.Forbidden(SimpleNamespace(status=403, reason="Forbidden"), {"code": 50013, "message": "Missing Permissions"})

    ran = []
    async with typing_indicator(SimpleNamespace(typing=Refusing)):  # type: ignore[arg-type]
        ran.append(True)
    assert ran == [True]
