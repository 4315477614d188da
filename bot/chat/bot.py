"""The `commands.Bot` subclass: cogs loaded in `setup_hook`, commands synced at start.

Why these choices:
- `Intents.default()` only: slash commands need no message content, and asking
  for a privileged intent the portal has not enabled makes Discord close the
  gateway (4014) — one less way to fail at 3 a.m.
- `AllowedMentions.none()` as the client default *and* on every send (see
  `respond.send`): text quoted from articles or typed by users never pings.
- commands synced in `setup_hook` (after login, before the gateway connects): to
  one guild when STORYBOT_GUILD_ID is set (instant, for a single community or
  testing), otherwise globally (can take up to an hour to show everywhere).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.chat.errors import StoryTree
from bot.config import Settings

log = logging.getLogger(__name__)

EXTENSIONS: tuple[str, ...] = ("bot.chat.cogs.ask", "bot.chat.cogs.kb", "bot.chat.cogs.mention", "bot.chat.cogs.story")


class StoryBot(commands.Bot):
    """StoryBot on Discord. `engine` answers; `settings` configure."""

    def __init__(self, settings: Settings, engine: Any, *, sync_on_start: bool = True, **options: Any) -> None:
        # A text-only bot: the "voice will NOT be supported" warnings are noise in its log.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        super().__init__(
            command_prefix=commands.when_mentioned,  # no prefix commands: slash commands only
            help_command=None,
            intents=discord.Intents.default(),
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=StoryTree,
            **options,
        )
        self.settings = settings
        self.engine = engine
        self.sync_on_start = sync_on_start
        self.synced: list[app_commands.AppCommand] = []
        self._watch_stop: asyncio.Event | None = None
        self._watch_task: asyncio.Task[None] | None = None

    # STORYBOT_WATCH: how often the folder is polled and how long it must be quiet.
    watch_interval: float = 1.0
    watch_debounce: float = 2.0

    async def setup_hook(self) -> None:
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        if self.settings.watch:
            from bot.watch import watch_knowledge

            self._watch_stop = asyncio.Event()
            self._watch_task = asyncio.create_task(
                watch_knowledge(self.engine, self.watch_interval, self.watch_debounce, self._watch_stop),
                name="storybot-watch",
            )
        if self.sync_on_start:
            try:
                await self.sync_commands()
            except discord.HTTPException as exc:
                # Not fatal at start: commands synced earlier keep working.
                log.error("command sync failed (%s %s); commands synced earlier keep working", exc.status, exc.text[:200])

    async def sync_commands(self) -> list[app_commands.AppCommand]:
        """Push the slash commands to Discord (guild or global) and return them.

        A guild sync that Discord refuses (the bot is not in that server, or was
        invited without the `applications.commands` scope) is explained in the log
        and raised; `setup_hook` carries on (commands synced earlier still work),
        `python -m bot sync` exits non-zero.
        """
        guild_id = self.settings.guild_id
        try:
            if guild_id is not None:
                guild = discord.Object(id=guild_id)
                self.tree.copy_global_to(guild=guild)
                self.synced = await self.tree.sync(guild=guild)
                log.info("synced %d command(s) to guild %s", len(self.synced), guild_id)
            else:
                self.synced = await self.tree.sync()
                log.info("synced %d global command(s) (Discord may take up to an hour to show them)", len(self.synced))
        except discord.Forbidden:
            log.error(
                "Discord refused the command sync for guild %s: is the bot in that server, invited with the "
                "'applications.commands' scope?", guild_id,
            )
            raise
        return self.synced

    async def close(self) -> None:
        """Stop the folder watcher (if any) before the connection, so no reload starts
        while the process is shutting down."""
        if self._watch_stop is not None:
            self._watch_stop.set()
        if self._watch_task is not None:
            try:
                await asyncio.wait_for(self._watch_task, 10)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                self._watch_task.cancel()
            except Exception:  # noqa: BLE001 - shutting down: log, don't block the exit
                log.exception("folder watcher failed")
            self._watch_task = None
        await super().close()

    async def on_ready(self) -> None:
        log.info("logged in as %s (%s) in %d server(s)", self.user, getattr(self.user, "id", "?"), len(self.guilds))

    async def on_message(self, message: discord.Message) -> None:
        """No prefix commands: questions by mention are answered by cogs/mention.py.
        (The default would parse "@StoryBot who is …" as a command `who` and log a
        CommandNotFound error for every mention.)"""
        return None


def create_bot(settings: Settings, engine: Any, *, sync_on_start: bool = True, **options: Any) -> StoryBot:
    """The one factory `python -m bot run`, `python -m bot sync` and the tests use."""
    return StoryBot(settings, engine, sync_on_start=sync_on_start, **options)
