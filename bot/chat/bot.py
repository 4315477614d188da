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
  sync` forces one. To one guild when STORYBOT_GUILD_ID is set (instant, for a
  single community or testing), otherwise globally (up to an hour to show).
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

from bot.chat.errors import StoryTree
from bot.config import Settings
from bot.health import HEARTBEAT_SECONDS, heartbeat_path, write_heartbeat

log = logging.getLogger(__name__)

EXTENSIONS: tuple[str, ...] = ("bot.chat.cogs.ask", "bot.chat.cogs.kb", "bot.chat.cogs.mention", "bot.chat.cogs.help")


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
        if self.settings.watch:
            from bot.watch import watch_knowledge

            self._watch_stop = asyncio.Event()
            self._watch_task = asyncio.create_task(
                watch_knowledge(self.engine, self.watch_interval, self.watch_debounce, self._watch_stop),
                name="storybot-watch",
            )
        if self.sync_on_start:
            await self.sync_if_changed()
            self.heartbeat.start()

    # -- command sync ------------------------------------------------------------------------
    def sync_scope(self) -> str:
        """Which registration a sync replaces: this application's guild or global commands."""
        where = f"guild:{self.settings.guild_id}" if self.settings.guild_id is not None else "global"
        return f"{self.application_id}:{where}"

    def tree_digest(self) -> str:
        """SHA-256 of the command payload a sync would send (names, options, permissions,
        descriptions): a changed command changes it, a restart does not."""
        payload = sorted((c.to_dict(self.tree) for c in self.tree.get_commands()), key=lambda c: (c.get("type", 1), c["name"]))
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

    def _remember_sync(self) -> None:
        state = self._sync_state()
        state[self.sync_scope()] = self.tree_digest()
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
            self._remember_sync()
        except discord.Forbidden:
            log.error(
                "Discord refused the command sync for guild %s: is the bot in that server, invited with the "
                "'applications.commands' scope?", guild_id,
            )
            raise
        return self.synced

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

    async def close(self) -> None:
        """Stop the folder watcher (if any) before the connection, so no reload starts
        while the process is shutting down."""
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
