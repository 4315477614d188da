"""The one way the tests start a live StoryBot against the fake Discord.

Used by every end-to-end harness (tests/chat/test_chat_e2e.py,
tests/chat/test_mentions_e2e.py, tests/hostile/…): the bot is started exactly the
way `python -m bot run` starts it — settings read from an environment
(`load_settings`), the knowledge folder synced (`open_engine`), then
`bot.chat.runner.serve` — logged in to a `FakeDiscord` on 127.0.0.1 over a real
websocket. Only two waits discord.py would do are shortened (the 5 s before a
re-IDENTIFY, the 2 s guild-ready grace); nothing about what the bot sends changes.

    async with live_bot(tmp_path) as live:              # seed articles in tmp_path/knowledge
        inter = await live.fake.send_interaction(live.fake.slash_command("ask", {...}))

    async with live_bot(engine=engine, fake=MyFake(token=TOKEN), STORYBOT_ALLOW_DMS="0") as live: ...

Timeouts here are hang guards, not measurements: they are generous so a busy
CI machine only makes a run slower, never red.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, AsyncIterator

from bot.chat.bot import StoryBot
from bot.chat.runner import open_engine, serve
from bot.config import Settings, load_settings
from bot.engine import Engine

try:
    from tests.fake_discord import FakeDiscord, FakeInteraction, point_client_at
except ImportError:  # pytest run without the project root on sys.path
    from fake_discord import FakeDiscord, FakeInteraction, point_client_at  # type: ignore[no-redef]

REPO = Path(__file__).resolve().parent.parent
TOKEN = "MTIz.fake-live-token.XYZ"
COMMANDS = ("ask", "who", "summary", "sources", "kb", "help", "timeline", "said", "whatsnew")
ALL_NAMES = {*COMMANDS, "Ask StoryBot"}  # + the message context menu (bot/chat/cogs/story.py)
START_TIMEOUT = 30.0  # hang guard for log-in, sync and shutdown on a loaded machine
# Discord refuses a first response later than 3 s, and so does the fake by default. That
# is a wall-clock limit: on two shared CI cores a correct bot can miss it. Live tests
# therefore give the fake this hang guard instead; the 3 s rule is kept by design (engine
# work in worker threads, a defer after 1.5 s: bot/chat/respond.py) and checked by
# counting, and tests/test_fake_discord.py checks the fake's own deadline mechanism.
CALLBACK_DEADLINE = START_TIMEOUT


@dataclass
class Live:
    """A running bot and the fake it talks to."""

    fake: FakeDiscord
    bot: StoryBot
    engine: Engine
    settings: Settings
    completed: list[int]  # interaction ids whose command handler returned (on_app_command_completion)

    @property
    def knowledge(self) -> Path:
        return self.settings.knowledge_dir

    @property
    def db(self) -> Path:
        return self.settings.db_path


def seed_knowledge(folder: Path) -> Path:
    """`folder` holding a copy of the repository's articles (once)."""
    if not folder.exists():
        folder.mkdir(parents=True)
        for md in (REPO / "knowledge").glob("*.md"):
            shutil.copy(md, folder / md.name)
    return folder


def live_environment(fake: FakeDiscord, knowledge: Path, db: Path, token: str, **extra: str) -> dict[str, str]:
    """The environment `python -m bot run` would get, pointed at the fake."""
    env = {
        "DISCORD_TOKEN": token,
        "DISCORD_API_BASE": fake.api_base,
        "DISCORD_GATEWAY_URL": fake.gateway_url,
        "STORYBOT_GUILD_ID": str(fake.guild_id),
        "STORYBOT_KNOWLEDGE_DIR": str(knowledge),
        "STORYBOT_DB": str(db),
        "STORYBOT_COOLDOWN_SECONDS": "0",
        "STORYBOT_LOG_LEVEL": "WARNING",
    }
    env.update(extra)
    return env


async def _no_identify_wait(shard_id: Any, *, initial: bool = False) -> None:
    """discord.py sleeps 5 s before every non-initial IDENTIFY; tests need not wait."""
    return None


@contextlib.asynccontextmanager
async def live_bot(
    root: Path | None = None,
    *,
    token: str = TOKEN,
    engine: Engine | None = None,
    fake: FakeDiscord | None = None,
    wait_for_commands: bool = True,
    **env: str,
) -> AsyncIterator[Live]:
    """Start StoryBot through `serve` against `fake` (a new `FakeDiscord` by default).

    Without `engine`, the seed articles are copied to `root/knowledge` and the engine
    is opened by `open_engine` on `root/storybot.db`, as `python -m bot run` does.
    `env` adds or overrides environment variables (`STORYBOT_COOLDOWN_SECONDS="60"`).
    On exit the bot is closed and `serve` must have returned 0.
    """
    if engine is None and root is None:
        raise TypeError("live_bot needs a root folder or an engine")
    fake = fake if fake is not None else FakeDiscord(token=token)
    fake.callback_deadline = max(fake.callback_deadline, CALLBACK_DEADLINE)
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(fake)
        stack.enter_context(point_client_at(fake))  # restores discord.py's endpoints afterwards
        if engine is not None:
            knowledge, db = Path(engine.knowledge_dir), Path(engine.db_path)
        else:
            assert root is not None
            knowledge, db = seed_knowledge(root / "knowledge"), root / "storybot.db"
        settings = load_settings(env_file=None, environ=live_environment(fake, knowledge, db, token, **env))
        if engine is None:
            engine = await asyncio.to_thread(open_engine, settings)
        bots: list[StoryBot] = []
        completed: list[int] = []

        async def on_completion(interaction: Any, command: Any) -> None:
            completed.append(interaction.id)

        def started(bot: StoryBot) -> None:
            bot.before_identify_hook = _no_identify_wait  # type: ignore[method-assign]
            bot.add_listener(on_completion, "on_app_command_completion")
            bots.append(bot)

        task = asyncio.create_task(serve(settings, engine, install_signal_handlers=False, started=started,
                                      options={"guild_ready_timeout": 0.1}))
        try:
            await fake.wait_until_ready(START_TIMEOUT)
            await asyncio.wait_for(bots[0].wait_until_ready(), START_TIMEOUT)
            if wait_for_commands:
                await fake.wait_for_commands(*COMMANDS, guild_id=fake.guild_id, timeout=START_TIMEOUT)
            yield Live(fake, bots[0], engine, settings, completed)
        finally:
            if bots:
                await bots[0].close()
            status = await asyncio.wait_for(task, START_TIMEOUT)
        assert status == 0, f"serve() ended with {status}"


async def final_body(fake: FakeDiscord, inter: FakeInteraction, timeout: float = START_TIMEOUT) -> dict[str, Any]:
    """The message the user finally sees: the callback's data, or after a defer the
    followup/edit that replaced "thinking…"."""
    body = await fake.wait_for_response(inter, timeout)
    if body.get("type") == 5:
        await fake.wait_until(lambda: inter.followups or inter.edits, timeout, f"answer after defer for {inter.name}")
        record = (inter.followups or inter.edits)[0]
        return record.body
    return body.get("data") or {}


async def command_done(live: Live, inter: FakeInteraction) -> None:
    """Wait until the bot's handler for `inter` has returned (discord.py's public
    `on_app_command_completion` event), e.g. before clicking the answer's buttons.

    discord.py stores a view only once Discord has answered the send; the fake records
    the send as it arrives, a moment earlier. A click in between finds no view: a race
    a person cannot win, but a test on a loaded machine can."""
    await live.fake.wait_until(lambda: int(inter.id) in live.completed, START_TIMEOUT,
                               f"the /{inter.name} handler to finish")


def text_of(data: dict[str, Any]) -> str:
    """Content plus every embed string, for 'does it say X' assertions."""
    parts = [data.get("content") or ""]
    for e in data.get("embeds") or []:
        parts += [e.get("title") or "", e.get("description") or "", (e.get("footer") or {}).get("text") or ""]
        for f in e.get("fields") or []:
            parts += [f.get("name") or "", f.get("value") or ""]
    return "\n".join(parts)


def is_ephemeral(data: dict[str, Any]) -> bool:
    return bool(int(data.get("flags") or 0) & 64)
