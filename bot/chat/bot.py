"""The `commands.Bot` subclass: cogs loaded in `setup_hook`, commands synced at start.

Why these choices:
- `Intents.default()` only: slash commands need no message content, and asking
  for a privileged intent the portal has not enabled makes Discord close the
  gateway (4014) — one less way to fail at 3 a.m.
- `AllowedMentions.none()` as the client default *and* on every send (see
  `respond.send`): text quoted from articles or typed by users never pings.
- commands synced in `setup_hook` (after login, before the gateway connects): to
  the configured servers (STORYBOT_GUILD_IDS; instant), globally only when no
  server is listed or STORYBOT_ANY_GUILD=1; `/kb` only ever to the listed servers.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.chat.checks import MODERATOR_COMMANDS
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
        prepare = getattr(self.engine, "prepare_choices", None)
        if prepare is not None:  # autocomplete lists in memory from now on (built off the loop)
            await asyncio.to_thread(prepare)
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        self._scope_moderator_commands()
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
        """Push the slash commands to Discord and return them.

        Where they go follows the server list (`Settings.guilds`):
        - servers listed, `any_guild` off: every command to each listed server only;
        - `any_guild` on: the public commands globally, `/kb` to each listed server;
        - no server listed, `any_guild` off: the public commands globally (they work in
          DMs; servers are refused, which is said once in the log at start).
        `/kb` is never global (see `_scope_moderator_commands`).

        A guild sync that Discord refuses (the bot is not in that server, or was
        invited without the `applications.commands` scope) is explained in the log
        and raised; `setup_hook` carries on (commands synced earlier still work),
        `python -m bot sync` exits non-zero.
        """
        settings = self.settings
        synced: list[app_commands.AppCommand] = []
        if settings.any_guild or not settings.guilds:
            if not settings.guilds:
                log.warning(
                    "no server configured (STORYBOT_GUILD_IDS is empty): /kb is not available and servers are "
                    "refused%s", "" if not settings.any_guild else "; answering in every server (STORYBOT_ANY_GUILD=1)",
                )
            synced += await self.tree.sync()
            log.info("synced %d global command(s) (Discord may take up to an hour to show them)", len(synced))
        for guild_id in settings.guilds:
            guild = discord.Object(id=guild_id)
            if not settings.any_guild:
                self.tree.copy_global_to(guild=guild)
            try:
                here = await self.tree.sync(guild=guild)
            except discord.Forbidden:
                log.error(
                    "Discord refused the command sync for guild %s: is the bot in that server, invited with the "
                    "'applications.commands' scope?", guild_id,
                )
                raise
            log.info("synced %d command(s) to guild %s", len(here), guild_id)
            synced += here
        self.synced = synced
        return synced

    def _scope_moderator_commands(self) -> None:
        """Register `/kb` in the configured servers only, never globally.

        Why: a global `/kb` shows up in every server that invites the bot, and its
        Manage Server default means that server's admin could edit the owner's
        articles. The server-side check (`checks.moderator_only`) refuses them
        anyway; not registering the command there keeps it out of their menus too.
        """
        for name in MODERATOR_COMMANDS:
            command = self.tree.remove_command(name)
            if command is None:
                continue
            for guild_id in self.settings.guilds:
                self.tree.add_command(command, guild=discord.Object(id=guild_id), override=True)

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
