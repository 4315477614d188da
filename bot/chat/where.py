"""Where the bot speaks: the channel and DM policy, and when to answer in a thread.

Why a module of plain functions: the same rule must hold for `/ask` (refused
ephemerally, with where to ask instead) and for questions by mention (refused by
saying nothing — a bot that answers in the wrong channel is the top complaint about
Discord Q&A bots, and a public "not here" reply is the same noise). One pure
function decides for both, so the two paths cannot drift apart, and tests can pin
the rule without a client.

Settings used: `channel_ids` (STORYBOT_CHANNEL_IDS: empty means every channel the
bot can see), `allow_dms` (STORYBOT_ALLOW_DMS=0 turns DMs off), `answer_in_thread`
(STORYBOT_ANSWER_IN_THREAD=1: long answers to mentions go into a thread).
"""

from __future__ import annotations

import logging
from typing import Any

from bot.config import Settings

log = logging.getLogger(__name__)

# An answer longer than this (characters Discord counts in an embed) is "long": with
# STORYBOT_ANSWER_IN_THREAD it goes to a thread rather than filling the channel.
LONG_ANSWER_CHARS = 1200
# Thread names are limited to 100 characters by Discord.
THREAD_NAME_LIMIT = 100
MAX_CHANNELS_LISTED = 5


NOT_CONFIGURED = "StoryBot is not set up for this server, so it does not answer here."


def guild_refusal(settings: Settings, guild_id: int | None) -> str | None:
    """None if the bot answers in this server (or in a DM); otherwise why not.

    A public bot can be invited to any server; answering there spends the owner's
    resources and shows the owner's articles to strangers, so only the configured
    servers are served unless the owner opts in (STORYBOT_ANY_GUILD=1).
    """
    if guild_id is None or settings.serves_guild(guild_id):
        return None
    return NOT_CONFIGURED


_warned_guilds: set[int] = set()  # servers already named in the log


def note_unconfigured_guild(guild_id: int | None) -> None:
    """Say once per server (in the log) that the bot was used where it is not set up."""
    if guild_id is None or guild_id in _warned_guilds:
        return
    _warned_guilds.add(guild_id)
    log.warning(
        "used in server %s, which is not in STORYBOT_GUILD_IDS: refused there "
        "(set STORYBOT_ANY_GUILD=1 to answer in every server)", guild_id,
    )


def place_refusal(settings: Settings, *, in_dm: bool, channel_id: int | None, parent_id: int | None = None) -> str | None:
    """None if the bot answers in this channel; otherwise the sentence saying where to ask.

    The server itself is `guild_refusal`'s call, made first by both paths. A thread
    counts as its parent channel, so threads under an allowed channel (including the
    ones the bot starts) are allowed too.
    """
    if in_dm:
        if not settings.allow_dms:
            return "I only answer in the server, not in direct messages."
        return None
    if not settings.channel_ids:
        return None
    ids = {i for i in (channel_id, parent_id) if i}
    if ids & set(settings.channel_ids):
        return None
    return f"I answer in {where_to_ask(settings)} only."


def where_to_ask(settings: Settings) -> str:
    """The allowed channels as channel mentions (`<#id>`), which render as links and
    never ping; at most a handful, so the sentence stays short."""
    shown = [f"<#{cid}>" for cid in settings.channel_ids[:MAX_CHANNELS_LISTED]]
    more = len(settings.channel_ids) - len(shown)
    return ", ".join(shown) + (f" (and {more} more)" if more > 0 else "")


def channel_place(channel: Any) -> tuple[bool, int | None, int | None]:
    """`(in_dm, channel_id, parent_id)` of a discord.py channel (or anything shaped
    like one): a DM or group DM has no guild; a thread has a `parent_id`."""
    in_dm = getattr(channel, "guild", None) is None
    return in_dm, getattr(channel, "id", None), getattr(channel, "parent_id", None)


def should_use_thread(settings: Settings, *, in_dm: bool, in_thread: bool, answer_chars: int) -> bool:
    """Answer in a new thread? Only when configured, only for long answers, and only
    from a plain server channel: a DM has no threads and a thread cannot hold another."""
    return settings.answer_in_thread and not in_dm and not in_thread and answer_chars > LONG_ANSWER_CHARS


def thread_name(question: str) -> str:
    """A thread title from the question: one line, at most 100 characters, never empty."""
    text = " ".join(question.split()) or "Question"
    if len(text) > THREAD_NAME_LIMIT:
        text = text[: THREAD_NAME_LIMIT - 1].rstrip() + "…"
    return text
