"""`python -m bot run` and `python -m bot sync`: start the bot, stop it cleanly.

Exit statuses: 0 after a clean stop (SIGINT, SIGTERM — what `docker stop` sends),
2 for what a person must fix (no token, a token Discord rejects, a missing
knowledge folder, an unusable database), 1 for anything else.

Output: logs go to stdout (discord.py's `setup_logging` format); a fatal problem
is one line on stderr. The token is a `Secret`, revealed only into `bot.start` /
`bot.login`, so no log line, message or traceback of ours can show it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import signal
import sys
from pathlib import Path
from typing import Any, Callable, Mapping

import aiohttp
import discord
import discord.gateway
import discord.http
import yarl

from bot.build import KnowledgeFolderError
from bot.chat import logsafe
from bot.chat.bot import StoryBot, create_bot
from bot.config import Settings, database_folder_problem, load_settings
from bot.engine import Engine, EngineError
from bot.store import StoreError

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

NO_TOKEN = "DISCORD_TOKEN is not set: put the bot's token from the Developer Portal (Bot → Reset Token) in .env or the environment"
BAD_TOKEN = "Discord rejected DISCORD_TOKEN: copy a fresh token from the Developer Portal (Bot → Reset Token)"


def fail(message: str) -> None:
    """One line on stderr, the way the CLI reports what a person must fix."""
    print(f"storybot: {message}", file=sys.stderr, flush=True)


PLAIN_FORMAT = logging.Formatter("[{asctime}] [{levelname:<8}] {name}: {message}", "%Y-%m-%d %H:%M:%S", style="{")


def configure_logging(settings: Settings) -> None:
    """discord.py's `setup_logging` on stdout (containers collect it), at STORYBOT_LOG_LEVEL.

    Colours only on a terminal: discord.py also colours inside Docker, which leaves
    escape codes in `docker logs` and log collectors.
    """
    level = logging.getLevelName(settings.log_level)
    if not isinstance(level, int):
        level = logging.INFO
    handler = logging.StreamHandler(sys.stdout)
    logsafe.install(handler)  # no interaction token in any record, discord.py's included
    formatter = discord.utils.MISSING if sys.stdout.isatty() else PLAIN_FORMAT
    discord.utils.setup_logging(handler=handler, formatter=formatter, level=level, root=True)  # type: ignore[arg-type]


def configure_endpoints(settings: Settings) -> None:
    """Point discord.py at DISCORD_API_BASE / DISCORD_GATEWAY_URL: a test double (the
    fake Discord in tests/) or an API-compatible gateway, never needed in production.

    These are discord.py's documented class attributes, read at request/connect time,
    and process-wide, so set before login. An ordinary HTTP(S) proxy is not this: it
    goes to `Client(proxy=…)` through STORYBOT_HTTP_PROXY (bot/chat/bot.py)."""
    if settings.api_base:
        discord.http.Route.BASE = settings.api_base.rstrip("/")
    if settings.gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.gateway_url)


def _paths(settings: Settings, knowledge: str | Path | None, db: str | Path | None) -> tuple[Path, Path]:
    return (Path(knowledge) if knowledge else settings.knowledge_dir, Path(db) if db else settings.db_path)


def open_engine(settings: Settings, knowledge: str | Path | None = None, db: str | Path | None = None) -> Engine:
    """The engine with the knowledge folder synced into the database (raises on failure)."""
    knowledge_dir, db_path = _paths(settings, knowledge, db)
    problem = database_folder_problem(db_path)
    if problem is not None:
        raise StoreError(problem)
    engine = Engine(knowledge_dir, db_path)
    report = engine.open(refresh=True)
    if report is not None:
        for line in report.summary_lines():
            log.info("knowledge base: %s", line)
    return engine


async def serve(
    settings: Settings,
    engine: Engine,
    *,
    install_signal_handlers: bool = True,
    started: Callable[[StoryBot], None] | None = None,
    options: Mapping[str, Any] | None = None,
) -> int:
    """Run the bot until it is closed (a signal, or `bot.close()`); return the exit status.

    `started` receives the bot before it logs in (tests use it to close the bot);
    `options` are extra `discord.Client` options (tests shorten `guild_ready_timeout`).
    """
    configure_endpoints(settings)
    bot = create_bot(settings, engine, **dict(options or {}))
    if started is not None:
        started(bot)
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []

    def on_signal(sig: signal.Signals) -> None:
        log.info("%s received: closing the connection to Discord", sig.name)
        stop = getattr(engine, "request_stop", None)
        if stop is not None:
            stop()  # a reload in progress ends between files; the last build stays
        loop.create_task(bot.close())

    if install_signal_handlers:
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, on_signal, sig)
                installed.append(sig)
            except (NotImplementedError, RuntimeError):  # not the main thread, or Windows
                pass
    try:
        async with bot:
            await bot.start(settings.token.reveal())
    except DISCORD_FAILURES as exc:
        return report_failure(exc)
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
        await asyncio.to_thread(engine.close)
    log.info("stopped")
    return EXIT_OK


DISCORD_FAILURES = (discord.LoginFailure, discord.PrivilegedIntentsRequired, discord.ConnectionClosed,
                    discord.HTTPException, aiohttp.ClientError, OSError)


def report_failure(exc: BaseException, doing: str = "the connection") -> int:
    """One line on stderr for a failure to log in, connect or sync; the exit status."""
    if isinstance(exc, discord.LoginFailure):
        fail(BAD_TOKEN)
        return EXIT_USAGE
    if isinstance(exc, discord.PrivilegedIntentsRequired):
        fail("Discord refused the gateway intents; this bot needs no privileged intent, so check DISCORD_GATEWAY_URL")
    elif isinstance(exc, discord.ConnectionClosed):
        fail(f"Discord closed the connection (code {exc.code}); see the log above")
    elif isinstance(exc, discord.HTTPException):
        fail(f"Discord refused {doing} ({exc.status}): {exc.text[:200]}")
    else:
        fail(f"cannot reach Discord ({type(exc).__name__}); check the network, STORYBOT_HTTP_PROXY, "
             "or DISCORD_API_BASE / DISCORD_GATEWAY_URL")
    return EXIT_FAILED


def _settings_or_exit() -> Settings | None:
    settings = load_settings()
    configure_logging(settings)
    if not settings.token:
        fail(NO_TOKEN)
        return None
    return settings


def run_bot(knowledge: str | Path | None = None, db: str | Path | None = None) -> int:
    """`python -m bot run`: sync the knowledge folder, log in, answer until stopped."""
    settings = _settings_or_exit()
    if settings is None:
        return EXIT_USAGE
    try:
        engine = open_engine(settings, knowledge, db)
    except (KnowledgeFolderError, StoreError, EngineError) as exc:
        fail(str(exc))
        return EXIT_USAGE
    try:
        return asyncio.run(serve(settings, engine))
    except KeyboardInterrupt:  # a second Ctrl-C while closing
        return 130


async def _sync(settings: Settings, knowledge_dir: Path, db_path: Path) -> int:
    configure_endpoints(settings)
    # The engine is not opened: syncing only needs the command definitions.
    bot = create_bot(dataclasses.replace(settings, watch=False), Engine(knowledge_dir, db_path), sync_on_start=False)
    try:
        async with bot:
            await bot.login(settings.token.reveal())
            synced = await bot.sync_commands()
    except DISCORD_FAILURES as exc:
        return report_failure(exc, doing="the command sync")
    where = (
        ", ".join(f"guild {g}" for g in settings.guilds) + (" and globally" if settings.any_guild else "")
        if settings.guilds else "all servers (global; may take up to an hour to appear)"
    )
    print(f"synced {len(synced)} command(s) to {where}: {', '.join('/' + c.name for c in synced)}")
    return EXIT_OK


def sync_commands(knowledge: str | Path | None = None, db: str | Path | None = None) -> int:
    """`python -m bot sync`: push the slash commands now and exit."""
    settings = _settings_or_exit()
    if settings is None:
        return EXIT_USAGE
    knowledge_dir, db_path = _paths(settings, knowledge, db)
    return asyncio.run(_sync(settings, knowledge_dir, db_path))
