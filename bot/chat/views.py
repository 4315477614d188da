"""Buttons under an answer: "More" (the next quotes) and 👍/👎 (feedback).

Views live in memory for `VIEW_TIMEOUT` seconds (under the 15 min an interaction
token lives, so the bot can still grey the buttons out when time is up). The
answer the buttons act on is kept in the view, so a click never re-runs the
search and always extends exactly what was shown.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord

from bot.answers.model import Answer
from bot.chat.errors import describe_error, reply_error
from bot.chat.respond import NO_PINGS, to_discord
from bot.render.discord_embed import answer_embed
from bot.store import StoreError

log = logging.getLogger(__name__)

VIEW_TIMEOUT = 14 * 60.0


def passage_refs(answer: Answer, shown_more: bool) -> list[str]:
    """What was shown, as "document¶N" strings (the journal stores no user ids)."""
    quotes = list(answer.quotes) + (list(answer.more) if shown_more else [])
    return [f"{q.document}¶{q.paragraph}" for q in quotes]


class AnswerView(discord.ui.View):
    """More / 👍 / 👎 under one `/ask` answer."""

    def __init__(self, engine: Any, answer: Answer, *, timeout: float | None = None) -> None:
        super().__init__(timeout=VIEW_TIMEOUT if timeout is None else timeout)
        self.engine = engine
        self.answer = answer
        self.shown_more = False
        self.voters: set[int] = set()  # in memory only: one vote per person per answer
        self.message: discord.Message | discord.InteractionMessage | None = None
        if not answer.more:
            self.remove_item(self.more)
        if not hasattr(type(engine), "journal") and not hasattr(engine, "journal"):  # no DB access here
            self.remove_item(self.up)
            self.remove_item(self.down)

    @discord.ui.button(label="More", style=discord.ButtonStyle.secondary, custom_id="ask:more")
    async def more(self, interaction: discord.Interaction, button: discord.ui.Button["AnswerView"]) -> None:
        self.shown_more = True
        button.disabled = True
        embed = answer_embed(self.answer, extra=self.answer.more)
        await interaction.response.edit_message(embed=to_discord(embed), view=self, allowed_mentions=NO_PINGS)

    @discord.ui.button(emoji="👍", style=discord.ButtonStyle.secondary, custom_id="ask:up")
    async def up(self, interaction: discord.Interaction, button: discord.ui.Button["AnswerView"]) -> None:
        await self._vote(interaction, +1)

    @discord.ui.button(emoji="👎", style=discord.ButtonStyle.secondary, custom_id="ask:down")
    async def down(self, interaction: discord.Interaction, button: discord.ui.Button["AnswerView"]) -> None:
        await self._vote(interaction, -1)

    async def _vote(self, interaction: discord.Interaction, vote: int) -> None:
        if interaction.user.id in self.voters:
            await interaction.response.send_message("You already rated this answer. Thanks!", ephemeral=True, allowed_mentions=NO_PINGS)
            return
        self.voters.add(interaction.user.id)
        engine, answer, refs = self.engine, self.answer, passage_refs(self.answer, self.shown_more)
        try:
            # `engine.journal` may open the database: in the worker thread, with the write.
            await asyncio.to_thread(lambda: engine.journal.record_feedback(answer.query, answer.answered, vote, refs))
        except StoreError as exc:
            log.warning("feedback not recorded: %s", exc)
            self.voters.discard(interaction.user.id)
            await interaction.response.send_message("I couldn't record that just now; please try later.", ephemeral=True, allowed_mentions=NO_PINGS)
            return
        await interaction.response.send_message("Thanks for the feedback!", ephemeral=True, allowed_mentions=NO_PINGS)

    async def on_timeout(self) -> None:
        """Grey the buttons out so nobody clicks a button that can no longer answer."""
        if self.message is None:
            return
        for item in self.children:
            if isinstance(item, discord.ui.Button):
                item.disabled = True
        try:
            await self.message.edit(view=self, allowed_mentions=NO_PINGS)
        except discord.HTTPException:
            pass

    async def on_error(self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]) -> None:
        reply = describe_error(error)
        if reply.unexpected:
            log.error("unexpected error in button %s", getattr(item, "custom_id", item), exc_info=error)
        await reply_error(interaction, reply.message)
