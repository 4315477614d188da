"""/help: what StoryBot does, the commands (from the command tree itself), how to ask
by mention or reply, and where the articles come from. Ephemeral: only the asker sees it.

Why from the tree: a command added by any cog appears here with its own
description and no edit to this file. A command may carry an example in
`extras={"example": "/ask question: …"}`; otherwise one is made from its
parameters. Commands whose default permissions need Manage Server (`/kb …`) are
shown to moderators only, judged by the same check the commands use.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Iterable

import discord
from discord import app_commands
from discord.ext import commands

from bot.chat.checks import is_moderator_interaction
from bot.chat.respond import send
from bot.render.discord_embed import escape
from bot.render.help import ArticlesInfo, HelpCommand, help_text

if TYPE_CHECKING:  # pragma: no cover
    from bot.chat.bot import StoryBot

log = logging.getLogger(__name__)


def _example(command: app_commands.Command) -> str:  # type: ignore[type-arg]
    given = command.extras.get("example")
    if isinstance(given, str) and given:
        return given
    required = [p for p in command.parameters if p.required] or list(command.parameters)[:1]
    args = " ".join(f"{p.display_name}: …" for p in required)
    return f"/{command.qualified_name}" + (f" {args}" if args else "")


def _moderators_only(command: app_commands.Command | app_commands.Group) -> bool:  # type: ignore[type-arg]
    node: app_commands.Command | app_commands.Group | None = command  # type: ignore[type-arg]
    while node is not None:
        perms = getattr(node, "default_permissions", None)
        if perms is not None and perms.value:
            return True
        node = node.parent
    return False


def tree_commands(tree: app_commands.CommandTree,  # type: ignore[type-arg]
                  guild: discord.abc.Snowflake | None = None) -> list[HelpCommand]:
    """Every slash command (group members one by one), in the tree's order: the global
    ones, then those registered for `guild` only (`/kb` lives in the configured servers)."""
    out: list[HelpCommand] = []

    def add(items: Iterable[app_commands.Command | app_commands.Group]) -> None:  # type: ignore[type-arg]
        for item in items:
            if isinstance(item, app_commands.Group):
                add(item.commands)
            elif isinstance(item, app_commands.Command):
                out.append(HelpCommand(item.qualified_name, item.description, _example(item), _moderators_only(item)))

    add(tree.get_commands(type=discord.AppCommandType.chat_input))  # type: ignore[arg-type]
    if guild is not None:
        seen = {c.name for c in out}
        add(c for c in tree.get_commands(guild=guild, type=discord.AppCommandType.chat_input)  # type: ignore[misc]
            if c.qualified_name.split()[0] not in {n.split()[0] for n in seen})
    return out


def articles_info(engine: object) -> ArticlesInfo | None:
    """Loaded count and the latest article (by date, then by id); None if unavailable."""
    try:
        docs = list(engine.documents())  # type: ignore[attr-defined]
    except Exception as exc:  # noqa: BLE001 - help must answer even without a knowledge base
        log.warning("/help: articles unavailable: %s", exc)
        return None
    if not docs:
        return ArticlesInfo(0)
    latest = max(docs, key=lambda d: (str(getattr(d, "date", "") or ""), d.id))
    # Titles come from files: escaped so they cannot format, link or ping.
    return ArticlesInfo(len(docs), escape(latest.title or latest.id), getattr(latest, "date_text", None))


class HelpCog(commands.Cog, name="Help"):
    def __init__(self, bot: "StoryBot") -> None:
        self.bot = bot

    @app_commands.command(name="help", description="What StoryBot does and how to ask it",
                          extras={"example": "/help"})
    async def help(self, interaction: discord.Interaction) -> None:
        info = await asyncio.to_thread(articles_info, self.bot.engine)
        moderator = is_moderator_interaction(interaction, self.bot.settings)
        text = help_text(tree_commands(self.bot.tree, interaction.guild), info, moderator=moderator)
        await send(interaction, embed={"title": "StoryBot: help", "description": text}, ephemeral=True)


async def setup(bot: "StoryBot") -> None:
    await bot.add_cog(HelpCog(bot))
