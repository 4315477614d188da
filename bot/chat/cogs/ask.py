"""Public commands: /ask, /who, /summary, /sources.

Every engine call runs in a worker thread (`run_engine`), every reply goes through
`send` (no pings, response or followup), every text is rendered by
`bot.render.discord_embed` (limits, escaping). Errors go to the tree's handler.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.answers.model import Answer
from bot.chat.checks import ask_cooldown, check_place, per_user_cooldown
from bot.chat.errors import require_text
from bot.chat.respond import run_engine, send
from bot.chat.views import AnswerView
from bot.engine import EngineError
from bot.render.discord_embed import (
    SourceRow,
    answer_embed,
    card_embed,
    choice_name,
    sources_embed,
    summary_embed,
)
from bot.store import StoreError

if TYPE_CHECKING:  # pragma: no cover
    from bot.chat.bot import StoryBot

log = logging.getLogger(__name__)

MAX_QUESTION = 1000
MAX_NAME = 100


async def article_choices(bot: "StoryBot", current: str) -> list[app_commands.Choice[str]]:
    """Loaded articles matching what was typed (id or title), 25 at most.

    Autocomplete must answer within 3 s and can only answer with choices, so an
    unavailable knowledge base gives an empty list rather than an error.
    """
    try:
        docs = await asyncio.to_thread(bot.engine.documents)
    except (EngineError, StoreError) as exc:
        log.warning("article autocomplete: %s", exc)
        return []
    needle = current.casefold().strip()
    out: list[app_commands.Choice[str]] = []
    for d in reversed(docs):  # newest first
        if needle and needle not in d.id.casefold() and needle not in (d.title or "").casefold():
            continue
        if len(d.id) > 100:
            continue  # a choice value over 100 characters would be refused
        label = f"{d.title} ({d.date_text})" if d.date_text else d.title or d.id
        out.append(app_commands.Choice(name=choice_name(label), value=d.id))
        if len(out) == 25:
            break
    return out


class AskCog(commands.Cog, name="Ask"):
    """Questions about the story, answered with quotes."""

    def __init__(self, bot: "StoryBot") -> None:
        self.bot = bot

    async def interaction_check(self, interaction: discord.Interaction) -> bool:  # type: ignore[override]
        check_place(interaction, self.bot.settings)
        return True

    @property
    def engine(self):  # noqa: ANN201 - the Engine, typed loosely to keep tests' fakes simple
        return self.bot.engine

    # -- /ask ----------------------------------------------------------------------------------------
    @app_commands.command(name="ask", description="Answer a question about the story with quotes from the articles",
                          extras={"example": "/ask question: What did Xi and Trump discuss?"})
    @app_commands.describe(question="What you want to know", article="Only search this article")
    @ask_cooldown()  # shared with questions asked by mention (cogs/mention.py)
    async def ask(
        self,
        interaction: discord.Interaction,
        question: app_commands.Range[str, 1, MAX_QUESTION],
        article: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        question = require_text(question, "question", MAX_QUESTION)
        answer = await run_engine(interaction, self.engine.ask, question, document=article)
        view = AnswerView(self.engine, answer)
        message = await send(interaction, embed=answer_embed(answer), view=view)
        view.message = message
        if not answer.answered:
            await self._record_gap(question)
        elif message is not None and article is None:
            await self._remember_exchange(question, answer, message)

    async def _remember_exchange(self, question: str, answer: Answer, message: discord.abc.Snowflake) -> None:
        """A reply to this answer is a follow-up, as for answers to mentions: hand the
        exchange to the mention cog's bounded conversation store (one store for both)."""
        cog = self.bot.get_cog("Mentions")
        conversations = getattr(cog, "conversations", None)
        if conversations is None:
            return
        try:
            context = await asyncio.to_thread(self.engine.follow_up_context, question, answer)
        except (StoreError, EngineError) as exc:
            log.warning("exchange not remembered: %s", exc)
            return
        channel = getattr(message, "channel", None)
        conversations.remember(message.id, context, getattr(channel, "id", 0) or 0)

    async def _record_gap(self, question: str) -> None:
        """Unanswered questions show moderators what the articles lack (no user ids kept)."""
        engine = self.engine
        if not hasattr(type(engine), "journal") and not hasattr(engine, "journal"):
            return

        def record() -> None:
            journal = engine.journal  # may open the database: in the worker thread
            if hasattr(journal, "record_gap"):
                journal.record_gap(question, engine.status().documents)

        try:
            await asyncio.to_thread(record)
        except (StoreError, EngineError) as exc:
            log.warning("gap not recorded: %s", exc)

    @ask.autocomplete("article")
    async def ask_article(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await article_choices(self.bot, current)

    # -- /who ----------------------------------------------------------------------------------------
    @app_commands.command(name="who", description="What the articles say about a person or organisation",
                          extras={"example": "/who name: ByteDance"})
    @app_commands.describe(name="A person or organisation named in the articles")
    @per_user_cooldown()
    async def who(self, interaction: discord.Interaction, name: app_commands.Range[str, 1, MAX_NAME]) -> None:
        name = require_text(name, "name", MAX_NAME)
        card = await run_engine(interaction, self.engine.who, name)
        await send(interaction, embed=card_embed(card))

    @who.autocomplete("name")
    async def who_name(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        try:
            names = await asyncio.to_thread(self.engine.entity_names, current.strip(), 25)
        except (EngineError, StoreError) as exc:
            log.warning("/who autocomplete: %s", exc)
            return []
        return [app_commands.Choice(name=choice_name(n), value=n[:100]) for n in names[:25] if n.strip()]

    # -- /summary ------------------------------------------------------------------------------------
    @app_commands.command(name="summary", description="A short summary of one article or of the whole story",
                          extras={"example": "/summary"})
    @app_commands.describe(article="Summarise only this article")
    @per_user_cooldown()
    async def summary(self, interaction: discord.Interaction, article: app_commands.Range[str, 1, 100] | None = None) -> None:
        result = await run_engine(interaction, self.engine.summary, article)
        await send(interaction, embed=summary_embed(result))

    @summary.autocomplete("article")
    async def summary_article(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await article_choices(self.bot, current)

    # -- /sources ------------------------------------------------------------------------------------
    @app_commands.command(name="sources", description="The articles the answers come from, with dates and links",
                          extras={"example": "/sources"})
    @per_user_cooldown()
    async def sources(self, interaction: discord.Interaction) -> None:
        docs = await run_engine(interaction, self.engine.documents)
        rows = [SourceRow(d.id, d.title, d.date_text, d.url, d.passages) for d in docs]
        await send(interaction, embed=sources_embed(rows))


async def setup(bot: "StoryBot") -> None:
    await bot.add_cog(AskCog(bot))
