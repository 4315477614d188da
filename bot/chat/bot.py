"""The `commands.Bot` subclass: cogs loaded in `setup_hook`, commands synced when they changed.

Why these choices:
- `Intents.default()` only: slash commands need no message content, and asking
  for a privileged intent the portal has not enabled makes Discord close the
  gateway (4014) — one less way to fail at 3 a.m.
- `AllowedMentions.none()` as the client default *and* on every send (see
  `respond.send`): text quoted from articles or typed by users never pings.
- commands synced in `setup_hook` (after login, before the gateway connects)
  only when the command tree changed since the last sync (discord.py's
  maintainers advise against syncing at every start: it is rate limited and
  usually a no-op). The tree's payload is hashed; the hash of the last
  successful sync is kept per application and scope in `<db>.sync.json` in the
  data folder. `STORYBOT_SYNC_COMMANDS=always|never` overrides; `python -m bot
  sync` forces one. To the configured servers (STORYBOT_GUILD_IDS; instant),
  globally only when no server is listed or STORYBOT_ANY_GUILD=1 (up to an hour
  to show); `/kb` only ever to the listed servers.
- a heartbeat file (`bot/health.py`) rewritten while the gateway is up, for
  `python -m bot health` (Docker's HEALTHCHECK).
- STORYBOT_HTTP_PROXY goes to `Client(proxy=…)`, discord.py's own proxy option.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import math
import os
from pathlib import Path
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.chat.checks import MODERATOR_COMMANDS
from bot.chat.errors import StoryTree
from bot.config import Settings
from bot.health import HEARTBEAT_SECONDS, heartbeat_path, write_heartbeat

log = logging.getLogger(__name__)

EXTENSIONS: tuple[str, ...] = ("bot.chat.cogs.ask", "bot.chat.cogs.kb", "bot.chat.cogs.mention", "bot.chat.cogs.story",
                               "bot.chat.cogs.help")


class StoryBot(commands.Bot):
    """StoryBot on Discord. `engine` answers; `settings` configure.

    `sync_on_start`: this bot is the served one (`python -m bot run`): at start it
    syncs per STORYBOT_SYNC_COMMANDS and keeps the heartbeat file. False for
    `python -m bot sync` (which syncs by itself) and for the tests' tree harness.
    """

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
            **({"proxy": settings.http_proxy} if settings.http_proxy else {}),
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
        prepare = getattr(self.engine, "prepare_choices", None)
        if prepare is not None:  # autocomplete lists in memory from now on (built off the loop)
            await asyncio.to_thread(prepare)
        self._scope_moderator_commands()
        if self.settings.watch:
            from bot.watch import watch_knowledge

            self._watch_stop = asyncio.Event()
            self._watch_task = asyncio.create_task(
                watch_knowledge(self.engine, self.watch_interval, self.watch_debounce, self._watch_stop),
                name="storybot-watch",
            )
        if self.sync_on_start:
            if not self.settings.guilds:  # said once, at start
                log.warning(
                    "no server configured (STORYBOT_GUILD_IDS is empty): /kb is not available and %s",
                    "answering in every server (STORYBOT_ANY_GUILD=1)" if self.settings.any_guild
                    else "servers are refused (only DMs are answered)",
                )
            await self.sync_if_changed()
            self.heartbeat.start()

    # -- command sync ------------------------------------------------------------------------
    def sync_scope(self) -> str:
        """Which registrations a sync replaces: this application's, for this server list."""
        guilds = ",".join(str(g) for g in self.settings.guilds) or "-"
        return f"{self.application_id}:guilds={guilds}:any={int(self.settings.any_guild)}"

    def tree_digest(self) -> str:
        """SHA-256 of the command payloads a sync would send (names, options, permissions,
        descriptions): the global commands and the server-only ones (`/kb`). A changed
        command changes it, a restart does not, and neither does `sync_commands` copying
        the global commands into the servers (the server list is in `sync_scope`)."""
        first = discord.Object(id=self.settings.guilds[0]) if self.settings.guilds else None
        server_only = [c for c in self.tree.get_commands(guild=first) if c.name in MODERATOR_COMMANDS] if first else []
        payload = [
            sorted((c.to_dict(self.tree) for c in commands_), key=lambda c: (c.get("type", 1), c["name"]))
            for commands_ in (self.tree.get_commands(), server_only)
        ]
        return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()

    @property
    def sync_state_path(self) -> Path:
        db = Path(self.settings.db_path)
        return db.with_name(db.name + ".sync.json")

    def _sync_state(self) -> dict[str, str]:
        try:
            state = json.loads(self.sync_state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return state if isinstance(state, dict) else {}

    def _remember_sync(self, digest: str) -> None:
        state = self._sync_state()
        state[self.sync_scope()] = digest
        path = self.sync_state_path
        try:
            tmp = path.with_name(f".{path.name}.tmp")
            tmp.write_text(json.dumps(state, indent=1, sort_keys=True), encoding="utf-8")
            os.replace(tmp, path)
        except OSError as exc:  # the next start syncs again: harmless
            log.warning("could not record the command sync in %s: %s", path, exc)

    async def sync_if_changed(self) -> bool:
        """Sync at start per STORYBOT_SYNC_COMMANDS (auto: only when the tree changed).
        Returns whether a sync ran. A refused sync is logged, not fatal: commands
        synced earlier keep working."""
        mode = self.settings.sync_commands
        if mode == "never":
            log.info("command sync at start is off (STORYBOT_SYNC_COMMANDS=never); `python -m bot sync` pushes them")
            return False
        if mode == "auto" and self._sync_state().get(self.sync_scope()) == self.tree_digest():
            log.info("slash commands unchanged since the last sync: not syncing (`python -m bot sync` forces one)")
            return False
        try:
            await self.sync_commands()
        except discord.HTTPException as exc:
            log.error("command sync failed (%s %s); commands synced earlier keep working", exc.status, exc.text[:200])
            return False
        return True

    async def sync_commands(self) -> list[app_commands.AppCommand]:
        """Push the slash commands to Discord and return them.

        Where they go follows the server list (`Settings.guilds`):
        - servers listed, `any_guild` off: every command to each listed server only;
        - `any_guild` on: the public commands globally, `/kb` to each listed server;
        - no server listed, `any_guild` off: the public commands globally (they work in
          DMs; servers are refused, which the log says once at start).
        `/kb` is never global (see `_scope_moderator_commands`).

        A guild sync that Discord refuses (the bot is not in that server, or was
        invited without the `applications.commands` scope) is explained in the log
        and raised; `setup_hook` carries on (commands synced earlier still work),
        `python -m bot sync` exits non-zero.
        """
        settings = self.settings
        digest = self.tree_digest()  # before global commands are copied into servers
        synced: list[app_commands.AppCommand] = []
        if settings.any_guild or not settings.guilds:
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
        self._remember_sync(digest)
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

    # -- heartbeat for `python -m bot health` ----------------------------------------------------
    @tasks.loop(seconds=HEARTBEAT_SECONDS)
    async def heartbeat(self) -> None:
        """Rewrite the heartbeat file while the gateway is connected (between on_connect /
        on_resumed and on_disconnect) and heartbeating (finite latency). A long outage
        or a hung process stops the rewrites; `python -m bot health` sees the age."""
        latency = self.latency
        if self.is_closed() or not self.gateway_up or not math.isfinite(latency):
            return
        try:
            await asyncio.to_thread(write_heartbeat, heartbeat_path(self.settings.db_path), latency)
        except OSError as exc:
            log.warning("could not write the heartbeat file: %s", exc)

    @heartbeat.before_loop
    async def _heartbeat_after_ready(self) -> None:
        await self.wait_until_ready()

    # At close, commands and mentions still being answered get this long to finish (their
    # answers are delivered) before the connection closes under them.
    drain_seconds: float = 5.0

    async def close(self) -> None:
        """Let the answers in flight finish (`_drain`), then stop the folder watcher (if
        any) before the connection, so no reload starts while the process is shutting down."""
        await self._drain()
        if self.heartbeat.is_running():
            self.heartbeat.cancel()
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

    async def _drain(self) -> None:
        """Wait (at most `drain_seconds`) for the command invocations and event handlers
        running now: discord.py runs each in a task of its own ("CommandTree-invoker",
        "discord.py: on_…"). Closed under them, an answer would be lost, and a command that
        finishes after the close fails in discord.py itself when it dispatches its
        completion (the client's loop is gone: an ERROR "Task exception was never retrieved")."""
        if self.is_closed():
            return
        me = asyncio.current_task()
        running = [t for t in asyncio.all_tasks() if t is not me and not t.done()
                   and (t.get_name() == "CommandTree-invoker" or t.get_name().startswith("discord.py: on_"))]
        if running:
            done, pending = await asyncio.wait(running, timeout=self.drain_seconds)
            if pending:
                log.warning("closing with %d answer(s) still running after %.0f s", len(pending), self.drain_seconds)

    # The gateway's state from discord.py's public events (the heartbeat file follows it).
    gateway_up: bool = False

    async def on_connect(self) -> None:
        self.gateway_up = True

    async def on_resumed(self) -> None:
        self.gateway_up = True

    async def on_disconnect(self) -> None:
        self.gateway_up = False

    async def on_ready(self) -> None:
        self.gateway_up = True
        log.info("logged in as %s (%s) in %d server(s)", self.user, getattr(self.user, "id", "?"), len(self.guilds))

    async def on_message(self, message: discord.Message) -> None:
        """No prefix commands: questions by mention are answered by cogs/mention.py.
        (The default would parse "@StoryBot who is …" as a command `who` and log a
        CommandNotFound error for every mention.)"""
        return None


def create_bot(settings: Settings, engine: Any, *, sync_on_start: bool = True, **options: Any) -> StoryBot:
    """The one factory `python -m bot run`, `python -m bot sync` and the tests use."""
    return StoryBot(settings, engine, sync_on_start=sync_on_start, **options)
