"""Story tools on Discord: /timeline, /said, /whatsnew, the "Ask StoryBot" message menu,
adding an article by link (`/kb add url:` calls `add_by_url` here), and the updates
channel (what's new in each article a reload added, posted once per article).

Thin like the other cogs: parse, check, call the engine in a worker thread, render
with bot/render/story.py, send through `respond.send` (no pings).
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.chat.checks import ask_cooldowns, check_place, per_user_cooldown
from bot.chat.cogs.ask import MAX_NAME, article_choices
from bot.chat.errors import require_text
from bot.chat.respond import actor_name, run_engine, send, to_discord
from bot.engine import EngineError
from bot.render.discord_embed import answer_embed, choice_name, escape
from bot.render.story import add_url_embed, said_embed, timeline_embed, whatsnew_embed
from bot.store import StoreError

if TYPE_CHECKING:  # pragma: no cover
    from bot.chat.bot import StoryBot

log = logging.getLogger(__name__)

MAX_TOPIC = 200
MAX_MESSAGE_QUESTION = 1000  # a message longer than this is cut at a sentence or word boundary
CONTEXT_MENU_NAME = "Ask StoryBot"


def message_question(message: discord.Message) -> str:
    """The text of a message as a question: its content (or, for a bot's message, its
    embeds' text), without mentions, links and markdown, cut to `MAX_MESSAGE_QUESTION`
    at a sentence or word boundary. Empty when nothing is left."""
    text = message.content or ""
    if not text.strip():
        parts = []
        for e in message.embeds:
            parts += [e.title or "", e.description or ""]
        text = "\n".join(parts)
    text = re.sub(r"<a?:\w+:\d+>|<[@#][!&]?\d+>|@(?:everyone|here)\b|https?://\S+", " ", text)
    text = re.sub(r"[*_~`|>#]+", " ", text)
    text = " ".join(text.split())
    if len(text) <= MAX_MESSAGE_QUESTION:
        return text
    cut = text[:MAX_MESSAGE_QUESTION]
    for sep in (". ", "? ", "! ", "; ", ", ", " "):
        i = cut.rfind(sep)
        if i >= MAX_MESSAGE_QUESTION // 2:
            return cut[: i + 1].strip()
    return cut


class StoryCog(commands.Cog, name="Story"):
    """Timeline, who said what, what's new, and asking about a message."""

    # How often the updates poster looks for new articles when no reload told it (seconds).
    poll_seconds: float = 30.0

    def __init__(self, bot: "StoryBot") -> None:
        self.bot = bot
        self.menu = app_commands.ContextMenu(name=CONTEXT_MENU_NAME, callback=self.ask_about_message)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._announcing = asyncio.Lock()  # one announcer at a time: each article is posted once

    @property
    def engine(self) -> Any:
        return self.bot.engine

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.menu)
        if self.bot.settings.updates_channel_id is not None and hasattr(self.engine, "add_reload_listener"):
            self._loop = asyncio.get_running_loop()
            self.engine.add_reload_listener(self._on_reload)
            self._task = asyncio.create_task(self._announce_loop(), name="storybot-updates")

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)
        if hasattr(self.engine, "remove_reload_listener"):
            self.engine.remove_reload_listener(self._on_reload)
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def interaction_check(self, interaction: discord.Interaction) -> bool:  # type: ignore[override]
        check_place(interaction, self.bot.settings)
        return True

    async def _titles(self) -> dict[str, str]:
        try:
            return {d.id: d.title for d in await asyncio.to_thread(self.engine.documents)}
        except (EngineError, StoreError):
            return {}

    # -- /timeline ------------------------------------------------------------------------------
    @app_commands.command(name="timeline", description="What happened when: dated events from the articles, oldest first")
    @app_commands.describe(topic="Only events about this (optional)")
    @per_user_cooldown()
    async def timeline(self, interaction: discord.Interaction, topic: app_commands.Range[str, 1, MAX_TOPIC] | None = None) -> None:
        topic_text = require_text(topic, "topic", MAX_TOPIC) if topic is not None else ""
        result = await run_engine(interaction, self.engine.timeline, topic_text)
        await send(interaction, embed=timeline_embed(result))

    # -- /said ----------------------------------------------------------------------------------
    @app_commands.command(name="said", description="What the articles report a person or organisation said")
    @app_commands.describe(name="A person or organisation named in the articles")
    @per_user_cooldown()
    async def said(self, interaction: discord.Interaction, name: app_commands.Range[str, 1, MAX_NAME]) -> None:
        name = require_text(name, "name", MAX_NAME)
        result = await run_engine(interaction, self.engine.said, name)
        await send(interaction, embed=said_embed(result, await self._titles()))

    @said.autocomplete("name")
    async def said_name(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        try:
            names = await asyncio.to_thread(self.engine.entity_names, current.strip(), 25)
        except (EngineError, StoreError) as exc:
            log.warning("/said autocomplete: %s", exc)
            return []
        return [app_commands.Choice(name=choice_name(n), value=n[:100]) for n in names[:25] if n.strip()]

    # -- /whatsnew ------------------------------------------------------------------------------
    @app_commands.command(name="whatsnew", description="What an article says that earlier articles did not (default: the newest)")
    @app_commands.describe(article="The article (default: the newest)")
    @per_user_cooldown()
    async def whatsnew(self, interaction: discord.Interaction, article: app_commands.Range[str, 1, 100] | None = None) -> None:
        result = await run_engine(interaction, self.engine.whatsnew, article)
        await send(interaction, embed=whatsnew_embed(result))

    @whatsnew.autocomplete("article")
    async def whatsnew_article(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await article_choices(self.bot, current)

    # -- "Ask StoryBot" on a message ---------------------------------------------------------------
    async def ask_about_message(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """The message's text is the question; a claim ("TikTok was sold to Oracle") gets
        what the articles say about it, or that they don't. Ephemeral unless the owner
        set STORYBOT_ASK_MESSAGE_PUBLIC."""
        check_place(interaction, self.bot.settings)
        ephemeral = not self.bot.settings.ask_message_public
        question = message_question(message)
        if not any(ch.isalnum() for ch in question):
            await send(interaction, content="That message has no words to ask about.", ephemeral=True)
            return
        seconds = self.bot.settings.cooldown_seconds
        retry = ask_cooldowns(self.bot).retry_after(interaction.user.id, seconds, interaction.created_at.timestamp())
        if retry is not None:
            await send(interaction, content=f"Please wait {retry:.0f} s before asking again.", ephemeral=True)
            return
        answer = await run_engine(interaction, self.engine.ask, question, ephemeral=ephemeral)
        await send(interaction, embed=answer_embed(answer), ephemeral=ephemeral)

    # -- adding an article by link (called by /kb add url:) ----------------------------------------
    async def add_by_url(self, interaction: discord.Interaction, url: str, replace: bool) -> None:
        from bot.ingest.fetch import policy_from

        policy = policy_from(self.bot.settings)
        if not policy.enabled:
            await send(interaction, content="Adding articles by link is turned off here (STORYBOT_ALLOW_FETCH=0).", ephemeral=True)
            return
        if not interaction.response.is_done():
            await interaction.response.defer(ephemeral=True, thinking=True)
        result = await asyncio.to_thread(self.engine.add_article_from_url, url, actor_name(interaction.user), policy,
                                         replace=replace)
        log.info("/kb add url by %s: %s", actor_name(interaction.user), result.message)
        await send(interaction, embed=add_url_embed(result), ephemeral=True)

    # -- the updates channel -----------------------------------------------------------------------
    def _on_reload(self, report: Any) -> None:
        """Called in the reloading thread: wake the poster on the event loop."""
        if self._loop is not None and getattr(report, "added", None):
            self._loop.call_soon_threadsafe(self._wake.set)

    async def _announce_loop(self) -> None:
        try:  # the articles loaded at start are known, before any reload can add one
            await self.announce_new_articles(post=False)
        except (StoreError, EngineError) as exc:
            log.warning("updates channel: %s", exc)
        await self.bot.wait_until_ready()
        while not self.bot.is_closed():
            self._wake.clear()
            try:
                await self.announce_new_articles()
            except (StoreError, EngineError) as exc:
                log.warning("updates channel: %s", exc)
            except discord.HTTPException as exc:
                log.warning("updates channel: Discord refused the post (%s)", exc.status)
            except Exception:  # noqa: BLE001 - the poster must keep running
                log.exception("updates channel failed")
            try:
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
            except asyncio.TimeoutError:
                pass

    async def announce_new_articles(self, *, post: bool = True) -> int:
        """Post "what's new" for each loaded article not announced yet (once each, remembered
        in the database). The first time, the articles already loaded are recorded as known."""
        if self.bot.settings.updates_channel_id is None:
            return 0
        async with self._announcing:
            return await self._announce(post)

    async def _announce(self, post: bool) -> int:
        channel_id = self.bot.settings.updates_channel_id
        assert channel_id is not None
        store = self.engine.store
        docs = await asyncio.to_thread(self.engine.documents)
        known = await asyncio.to_thread(store.announced_documents)
        if known is None:
            await asyncio.to_thread(store.mark_announced, [d.id for d in docs], 0)
            return 0
        if not post:
            return 0
        posted = 0
        for doc in docs:
            if doc.id in known:
                continue
            result = await asyncio.to_thread(self.engine.whatsnew, doc.id)
            channel = self.bot.get_channel(channel_id) or await self.bot.fetch_channel(channel_id)
            await channel.send(  # type: ignore[union-attr]
                content=f"New article: **{escape(doc.title)}**",
                embed=to_discord(whatsnew_embed(result)),
                allowed_mentions=discord.AllowedMentions.none(),
            )
            await asyncio.to_thread(store.mark_announced, [doc.id], channel_id)
            posted += 1
        return posted


async def setup(bot: "StoryBot") -> None:
    await bot.add_cog(StoryCog(bot))


__all__ = ["StoryCog", "message_question"]
