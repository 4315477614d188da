"""Public commands: /ask, /who, /summary, /sources.

Every engine call runs in a worker thread (`run_engine`), every reply goes through
`send` (no pings, response or followup), every text is rendered by
`bot.render.discord` (limits, escaping). Errors go to the tree's handler.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.answers.model import Answer
from bot.chat.checks import ask_cooldown, check_place, per_user_cooldown
from bot.chat.errors import require_text
from bot.chat.respond import run_engine, send
from bot.chat.views import AnswerView, register, source_rows, sources_view
from bot.engine import EngineError
from bot.render.discord.answer import Suggestions, answer_embed
from bot.render.discord.markup import choice_name
from bot.render.discord.sources import sources_embed
from bot.render.discord.summary import summary_embed
from bot.render.discord.who import card_embed
from bot.store import StoreError
from bot.text.tokenize import tokenize

if TYPE_CHECKING:  # pragma: no cover
    from bot.chat.bot import StoryBot

log = logging.getLogger(__name__)

MAX_QUESTION = 6000  # Discord's own option limit: a pasted paragraph is judged by its key terms
MAX_NAME = 100


async def article_choices(bot: "StoryBot", current: str) -> list[app_commands.Choice[str]]:
    """Loaded articles matching what was typed (id or title), 25 at most.

    Autocomplete must answer within 3 s and can only answer with choices, so an
    unavailable knowledge base gives an empty list rather than an error. It is
    answered from the engine's in-memory lists on the event loop: no worker thread,
    so it never queues behind a burst of questions (bot/answers/choices.py).
    """
    engine = bot.engine
    try:
        if hasattr(engine, "article_choices"):
            docs = engine.article_choices(current, 25)
        else:  # an engine without in-memory lists (tests' fakes)
            docs = list(reversed(await asyncio.to_thread(engine.documents)))
    except (EngineError, StoreError) as exc:
        log.warning("article autocomplete: %s", exc)
        return []
    needle = current.casefold().strip()
    out: list[app_commands.Choice[str]] = []
    for d in docs:  # newest first
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
        # A "no" says what to try instead; looked up under the same 3 s guard as the answer.
        suggestions = (None if answer.answered or answer.small_talk or answer.empty
                       else await run_engine(interaction, nearest_topics, self.engine, question))
        view = AnswerView(self.engine, answer)
        message = await send(interaction, embed=answer_embed(answer, suggestions=suggestions), view=view)
        view.message = message
        if not answer.answered and not answer.small_talk and not answer.empty:
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
        engine = self.engine

        def card_and_statements():  # noqa: ANN202 - one worker-thread hop for both
            card = engine.who(name)
            said = engine.said(name) if card.answered and hasattr(engine, "said") else None
            return card, said

        card, said = await run_engine(interaction, card_and_statements)
        embed = card_embed(card)
        if said is not None:  # who said what (bot/chat/cogs/story.py, bot/render/story.py)
            from bot.render.story import with_statements

            embed = with_statements(embed, said)
        await send(interaction, embed=embed)

    @who.autocomplete("name")
    async def who_name(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        try:
            if hasattr(self.engine, "name_choices"):  # from memory, on the loop (see article_choices)
                names = self.engine.name_choices(current.strip(), 25)
            else:
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
        rows = source_rows(docs)
        await send(interaction, embed=sources_embed(rows, 0), view=sources_view(len(rows), 0))


def nearest_topics(engine: Any, question: str) -> Suggestions:
    """What the articles do cover, nearest to an unanswered question: names `/who`
    knows that share a word with it (else the most mentioned), and article titles
    sharing the most words with it (else the newest). Never raises: a "no" must go out."""
    try:
        words = list(dict.fromkeys(w for w in re.findall(r"[^\W\d_]{3,}", question) if tokenize(w)))
        names: list[str] = []
        for word in words[:4]:
            for name in engine.entity_names(word, 3):
                if name not in names:
                    names.append(name)
        names = names[:2] or list(engine.entity_names("", 2))
        docs = list(engine.documents())
        wanted = set(tokenize(question))
        ranked = sorted(reversed(docs), key=lambda d: -len(wanted & set(tokenize(d.title or ""))))
        titles = [d.title for d in ranked if d.title][:2]
        return Suggestions(tuple(names[:2]), tuple(titles))
    except (EngineError, StoreError) as exc:
        log.warning("no suggestions for an unanswered question: %s", exc)
        return Suggestions()


async def setup(bot: "StoryBot") -> None:
    register(bot)  # buttons on messages from before a restart still work
    await bot.add_cog(AskCog(bot))
