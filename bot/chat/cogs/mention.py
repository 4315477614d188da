"""Questions asked by mention ("@StoryBot who is He Lifeng?") and their follow-ups.

Why a listener next to `/ask`: people in a conversation do not all reach for slash
commands. A message that mentions the bot is a question; the bot answers with a
*reply* to it (so the answer sits under the question) carrying the same cited embed
and buttons as `/ask`. A reply to one of those answers — or a mention inside a
thread the bot started — is a follow-up: "he", "she", "it", "the company" are
resolved against the previous exchange and its article is preferred
(`Engine.follow_up_context` / `Engine.ask(context=...)`), with the state kept in a
bounded, expiring map (`bot.chat.conversations`).

What it deliberately does *not* do:
- ask for the privileged message-content intent. Discord delivers the content of
  messages that mention the bot (a reply that pings the bot counts) and of DMs
  without it; everything else arrives blank and is ignored here.
- answer bots, webhooks or itself (Discord echoes the bot's own messages back).
- speak where it may not: outside STORYBOT_CHANNEL_IDS, or in DMs with
  STORYBOT_ALLOW_DMS=0, a mention gets nothing at all (`bot.chat.where`).
- ping anyone: `AllowedMentions.none()` and `replied_user=False` on every reply.
- copy `/ask`: the engine, the renderer (`answer_embed`), the view (`AnswerView`),
  the cooldown bucket (`ask_cooldowns`) and the error sentences (`describe_error`)
  are the ones `/ask` uses.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, AsyncIterator, Mapping

import discord
from discord.ext import commands

from bot.answers.followup import FollowUpContext, rewrite
from bot.answers.model import Answer
from bot.chat.checks import ask_cooldowns
from bot.chat.conversations import Conversations
from bot.chat.errors import describe_error
from bot.chat.respond import NO_PINGS, to_discord
from bot.chat.views import AnswerView
from bot.chat.where import channel_place, guild_refusal, note_unconfigured_guild, place_refusal, should_use_thread, thread_name
from bot.render.discord_embed import answer_embed, embed_length, fit_content

if TYPE_CHECKING:  # pragma: no cover
    from bot.chat.bot import StoryBot

log = logging.getLogger(__name__)

MAX_QUESTION = 6000  # the same bound /ask puts on its `question` option (a pasted paragraph is judged by its key terms)
COOLDOWN_EMOJI = "⏳"  # a reaction, not a message: a rate-limited user gets no public noise
ANSWERED_TYPES = (discord.MessageType.default, discord.MessageType.reply)

_USER_MENTION = re.compile(r"<@!?(\d{15,21})>")
_ROLE_MENTION = re.compile(r"<@&(\d{15,21})>")
_CHANNEL_MENTION = re.compile(r"<#(\d{15,21})>")
_CUSTOM_EMOJI = re.compile(r"<a?:(\w{1,32}):\d{15,21}>")
_LEADING_PUNCT = re.compile(r"^[\s,.:;!\-–—]+")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([?.!,;:])(?=\s|$)")
_DANGLING_COMMA = re.compile(r",+(?=[?.!]|$)")


def extract_question(
    content: str,
    *,
    bot_id: int,
    bot_role_id: int | None = None,
    users: Mapping[int, str] | None = None,
    roles: Mapping[int, str] | None = None,
    channels: Mapping[int, str] | None = None,
) -> str:
    """The question in a message: the bot's own mentions removed, other mentions turned
    into plain names (`@name`, `#channel`), custom emoji into `:name:`, whitespace
    collapsed. Raw `<@id>` tokens would only add noise words to the search; the
    renderer escapes whatever is left, so nothing here can ping."""
    users = users or {}
    roles = roles or {}
    channels = channels or {}

    def user(m: re.Match[str]) -> str:
        uid = int(m.group(1))
        return " " if uid == bot_id else "@" + users.get(uid, "someone")

    def role(m: re.Match[str]) -> str:
        rid = int(m.group(1))
        return " " if rid == bot_role_id else "@" + roles.get(rid, "role")

    text = _USER_MENTION.sub(user, content)
    text = _ROLE_MENTION.sub(role, text)
    text = _CHANNEL_MENTION.sub(lambda m: "#" + channels.get(int(m.group(1)), "channel"), text)
    text = _CUSTOM_EMOJI.sub(lambda m: f":{m.group(1)}:", text)
    text = " ".join(text.split())
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)  # "He Lifeng , ?" where a mention stood
    text = _DANGLING_COMMA.sub("", text)
    return _LEADING_PUNCT.sub("", text).strip()


def help_text(bot_name: str) -> str:
    """What a bare "@StoryBot" gets: how to ask (no question, nothing to search)."""
    return (
        f"Ask me about the story: mention me with a question, e.g. “@{bot_name} who is He Lifeng?”, "
        "or use /ask. Reply to my answer to ask a follow-up."
    )


@contextlib.asynccontextmanager
async def typing_indicator(channel: discord.abc.Messageable) -> AsyncIterator[None]:
    """"StoryBot is typing…" while the answer is prepared. Cosmetic: if Discord refuses
    it (a missing permission, a hiccup), the question is still answered."""
    typing = channel.typing()
    try:
        await typing.__aenter__()
    except discord.HTTPException as exc:
        log.info("typing indicator refused (%s); answering anyway", exc.status)
        yield
        return
    try:
        yield
    finally:
        await typing.__aexit__(None, None, None)


@dataclass(frozen=True)
class Incoming:
    """A message the bot should answer, and the exchange it follows up (if any)."""

    question: str
    previous: FollowUpContext | None
    thread_key: int | None  # a thread the bot started, where this message was posted


class MentionCog(commands.Cog, name="Mentions"):
    """Answers mentions, replies to its answers and DMs; remembers exchanges briefly."""

    def __init__(self, bot: "StoryBot", conversations: Conversations | None = None, *, mention_author: bool = False) -> None:
        self.bot = bot
        self.conversations = conversations if conversations is not None else Conversations()
        # Whether a reply pings the asker (Discord's "@ON" on replies). Off: an answer
        # arriving a second later needs no notification, and nobody likes pings.
        self.mention_author = mention_author

    @property
    def engine(self) -> Any:
        return self.bot.engine

    # -- deciding -----------------------------------------------------------------------------
    def _mentions_me(self, message: discord.Message) -> bool:
        """The bot's user is in the message's mentions (typed, or a reply that pings it),
        or its managed role was mentioned (Discord's autocomplete sometimes picks it)."""
        me = self.bot.user
        if me is None:
            return False
        if any(u.id == me.id for u in message.mentions):
            return True
        role = message.guild.self_role if message.guild is not None else None
        return role is not None and role in message.role_mentions

    def incoming(self, message: discord.Message) -> Incoming | None:
        """The question to answer, or None when this message is not for the bot here.

        Not for the bot: its own messages, other bots', webhooks', system messages; in a
        server, messages that neither mention it nor follow up one of its answers (those
        arrive with blank content anyway); anything where `where.place_refusal` says no.
        """
        me = self.bot.user
        if me is None or message.author.id == me.id or message.author.bot or message.webhook_id is not None:
            return None
        if message.type not in ANSWERED_TYPES:
            return None
        in_dm, channel_id, parent_id = channel_place(message.channel)
        ref_id = message.reference.message_id if message.reference is not None else None
        exchange = self.conversations.get(ref_id)
        # Channel ids in the store are threads the bot started (one that discord.py has
        # not cached yet arrives as a PartialMessageable without `parent_id`).
        thread_key = channel_id if channel_id is not None and channel_id in self.conversations else None
        if exchange is None and thread_key is not None:
            exchange = self.conversations.get(thread_key)
        addressed = in_dm or self._mentions_me(message) or exchange is not None
        if not addressed:
            return None
        guild_id = message.guild.id if message.guild is not None else None
        if guild_refusal(self.bot.settings, guild_id) is not None:
            note_unconfigured_guild(guild_id)
            return None  # a server the owner did not configure: silent, whatever the thread
        refusal = place_refusal(self.bot.settings, in_dm=in_dm, channel_id=channel_id, parent_id=parent_id)
        if refusal is not None and thread_key is None:  # a thread the bot started is in an allowed place
            log.debug("mention in channel %s ignored: not an allowed place", channel_id)
            return None
        question = self._question(message)
        if not question and not (in_dm or self._mentions_me(message)):
            return None  # a follow-up we cannot read (blank without the intent): stay quiet
        return Incoming(question, exchange.context if exchange else None, thread_key)

    def _question(self, message: discord.Message) -> str:
        me = self.bot.user
        guild = message.guild
        role = guild.self_role if guild is not None else None
        return extract_question(
            message.content or "",
            bot_id=me.id if me else 0,
            bot_role_id=role.id if role else None,
            users={u.id: getattr(u, "display_name", u.name) for u in message.mentions},
            roles={r.id: r.name for r in message.role_mentions},
            channels={c.id: getattr(c, "name", "channel") for c in message.channel_mentions},
        )

    # -- answering ----------------------------------------------------------------------------
    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        incoming = self.incoming(message)
        if incoming is None:
            return
        if not incoming.question:
            name = self.bot.user.display_name if self.bot.user else "StoryBot"
            await self._reply_text(message, help_text(name))
            return
        if len(incoming.question) > MAX_QUESTION:
            await self._reply_text(message, f"That question is too long: please keep it under {MAX_QUESTION} characters.")
            return
        if await self._on_cooldown(message):
            return
        try:
            async with typing_indicator(message.channel):
                answer, context = await asyncio.to_thread(self._ask, incoming.question, incoming.previous)
        except Exception as exc:  # noqa: BLE001 - every failure gets the sentence /ask would give
            await self._report_error(message, exc)
            return
        await self._send_answer(message, incoming, answer, context)
        if not answer.answered and not answer.small_talk and not answer.empty:
            await self._record_gap(incoming.question)

    def _ask(self, question: str, previous: FollowUpContext | None) -> tuple[Answer, FollowUpContext]:
        """Worker thread: the answer, and what a follow-up to it may refer to.

        The context for the *next* follow-up is built from the question with its
        pronouns already resolved ("what did He Lifeng agree…"), so a chain of
        follow-ups keeps its subject; an abstention keeps the previous context, so
        the conversation survives one question the articles cannot answer.
        """
        answer = self.engine.ask(question, context=previous)
        if previous is not None and not answer.answered:
            return answer, previous
        resolved = rewrite(question, previous) if previous is not None else question
        return answer, self.engine.follow_up_context(resolved, answer)

    async def _on_cooldown(self, message: discord.Message) -> bool:
        """The `/ask` bucket of this user (one bucket for both ways of asking). On
        cooldown the question gets a ⏳ reaction rather than a public message."""
        retry = ask_cooldowns(self.bot).retry_after(
            message.author.id, self.bot.settings.cooldown_seconds, message.created_at.timestamp()
        )
        if retry is None:
            return False
        log.info("mention from a user on cooldown (%.1f s left)", retry)
        await self._react(message, COOLDOWN_EMOJI)
        return True

    async def _react(self, message: discord.Message, emoji: str) -> None:
        try:
            await message.add_reaction(emoji)
        except discord.HTTPException as exc:
            log.info("could not react (%s)", exc.status)

    async def _send_answer(self, message: discord.Message, incoming: Incoming, answer: Answer, context: FollowUpContext) -> None:
        embed = answer_embed(answer)
        view = AnswerView(self.engine, answer)
        in_dm, channel_id, parent_id = channel_place(message.channel)
        sent: discord.Message | None = None
        thread: discord.Thread | None = None
        in_thread = bool(parent_id) or incoming.thread_key is not None
        if should_use_thread(self.bot.settings, in_dm=in_dm, in_thread=in_thread, answer_chars=embed_length(embed)):
            try:
                thread = await message.create_thread(name=thread_name(incoming.question), auto_archive_duration=60)
                sent = await thread.send(embed=to_discord(embed), view=view, allowed_mentions=NO_PINGS)
            except discord.HTTPException as exc:  # no Create Public Threads permission, a forum…
                log.info("could not answer in a thread (%s %s); replying in the channel", exc.status, exc.text[:100])
                thread = None
        if sent is None:
            try:
                sent = await message.channel.send(
                    embed=to_discord(embed),
                    view=view,
                    reference=message.to_reference(fail_if_not_exists=False),
                    allowed_mentions=NO_PINGS,
                    mention_author=self.mention_author,
                )
            except discord.HTTPException as exc:  # no Send Messages here: nothing else to say it with
                view.stop()
                log.warning("could not reply to a mention in channel %s (%s %s)", channel_id, exc.status, exc.text[:100])
                return
        view.message = sent
        self.conversations.remember(sent.id, context, sent.channel.id)
        for key in (thread.id if thread is not None else None, incoming.thread_key):
            if key is not None:
                self.conversations.remember(key, context, key)

    async def _reply_text(self, message: discord.Message, text: str) -> None:
        """A short reply (help, refusal, error) under the message, pinging nobody."""
        try:
            await message.channel.send(
                fit_content(text),
                reference=message.to_reference(fail_if_not_exists=False),
                allowed_mentions=NO_PINGS,
                mention_author=self.mention_author,
            )
        except discord.HTTPException as exc:
            log.warning("could not reply in channel %s (%s)", message.channel.id, exc.status)

    async def _report_error(self, message: discord.Message, exc: BaseException) -> None:
        """The sentence `/ask` would give for this error (`describe_error`), and a
        traceback in the log for what nobody expected."""
        reply = describe_error(exc)
        if reply.unexpected:
            log.error("unexpected error answering a mention in channel %s", message.channel.id,
                      exc_info=(type(exc), exc, exc.__traceback__))
        else:
            log.warning("mention not answered: %s", exc)
        await self._reply_text(message, reply.message)

    async def _record_gap(self, question: str) -> None:
        """Unanswered questions feed the moderators' gap list exactly as `/ask`'s do."""
        ask_cog = self.bot.get_cog("Ask")
        record = getattr(ask_cog, "_record_gap", None)
        if record is not None:
            await record(question)


async def setup(bot: "StoryBot") -> None:
    await bot.add_cog(MentionCog(bot))
