"""Start the real StoryBot against the fake Discord the way `python -m bot run` does
(`open_engine` + `serve`), with the knobs the hostile tests need."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, AsyncIterator

from bot.chat.bot import StoryBot
from bot.chat.runner import open_engine, serve
from bot.config import load_settings
from bot.engine import Engine
from fake_discord import FakeDiscord, FakeInteraction, point_client_at

REPO = Path(__file__).resolve().parents[2]
COMMANDS = ("ask", "who", "summary", "sources", "kb")


@dataclass
class Live:
    fake: FakeDiscord
    bot: StoryBot
    engine: Engine
    knowledge: Path
    db: Path


def environment(fake: FakeDiscord, root: Path, token: str, **extra: str) -> dict[str, str]:
    knowledge = root / "knowledge"
    if not knowledge.exists():
        knowledge.mkdir(parents=True)
        for md in (REPO / "knowledge").glob("*.md"):
            shutil.copy(md, knowledge / md.name)
    env = {
        "DISCORD_TOKEN": token,
        "DISCORD_API_BASE": fake.api_base,
        "DISCORD_GATEWAY_URL": fake.gateway_url,
        "STORYBOT_GUILD_ID": str(fake.guild_id),
        "STORYBOT_KNOWLEDGE_DIR": str(knowledge),
        "STORYBOT_DB": str(root / "storybot.db"),
        "STORYBOT_COOLDOWN_SECONDS": "0",
        "STORYBOT_LOG_LEVEL": "DEBUG",
    }
    env.update(extra)
    return env


async def _no_identify_wait(shard_id: Any, *, initial: bool = False) -> None:
    """discord.py sleeps 5 s before every non-initial IDENTIFY; tests need not wait."""
    return None


@contextlib.asynccontextmanager
async def live_bot(root: Path, token: str, **extra: str) -> AsyncIterator[Live]:
    async with FakeDiscord(token=token) as fake:
        with point_client_at(fake):
            env = environment(fake, root, token, **extra)
            settings = load_settings(env_file=None, environ=env)
            engine = await asyncio.to_thread(open_engine, settings)
            bots: list[StoryBot] = []

            def started(bot: StoryBot) -> None:
                bot.before_identify_hook = _no_identify_wait  # type: ignore[method-assign]
                bots.append(bot)

            task = asyncio.create_task(serve(settings, engine, install_signal_handlers=False, started=started))
            try:
                await fake.wait_until_ready()
                await fake.wait_for_commands(*COMMANDS, guild_id=fake.guild_id)
                yield Live(fake, bots[0], engine, settings.knowledge_dir, settings.db_path)
            finally:
                if bots:
                    await bots[0].close()
                status = await asyncio.wait_for(task, 10)
                assert status == 0, f"serve() ended with {status}"


async def final_body(fake: FakeDiscord, inter: FakeInteraction, timeout: float = 5.0) -> dict[str, Any]:
    """The message the user finally sees: the callback's data, or after a defer the
    followup/edit that replaced "thinking…"."""
    body = await fake.wait_for_response(inter, timeout)
    if body.get("type") == 5:
        await fake.wait_until(lambda: inter.followups or inter.edits, timeout, f"answer after defer for {inter.name}")
        record = (inter.followups or inter.edits)[0]
        return record.body
    return body.get("data") or {}


def text_of(data: dict[str, Any]) -> str:
    parts = [data.get("content") or ""]
    for e in data.get("embeds") or []:
        parts += [e.get("title") or "", e.get("description") or "", (e.get("footer") or {}).get("text") or ""]
        for f in e.get("fields") or []:
            parts += [f.get("name") or "", f.get("value") or ""]
    return "\n".join(parts)


def is_ephemeral(data: dict[str, Any]) -> bool:
    return bool(int(data.get("flags") or 0) & 64)


class LoopMonitor:
    """Sleeps 10 ms in a loop on the bot's event loop and records the worst lateness:
    how long the loop was blocked by something that did not yield."""

    def __init__(self, period: float = 0.010) -> None:
        self.period = period
        self.max_late = 0.0
        self.samples = 0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            t0 = loop.time()
            await asyncio.sleep(self.period)
            late = loop.time() - t0 - self.period
            self.samples += 1
            self.max_late = max(self.max_late, late)

    def __enter__(self) -> "LoopMonitor":
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
