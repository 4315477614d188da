"""Drive the real command tree without a network (level 1 of testing-discord.md).

A `discord.Interaction` is built from a raw gateway payload (the fake's payload
builders, without starting its server) and run through `bot.tree._call`, so option
parsing, checks, cooldowns, autocomplete and the tree's error handler all run.
Interaction responses and followups go through discord.py's webhook adapter
ContextVar, replaced here by `RecordingAdapter`, which records each request and
answers like Discord would.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import discord
from discord import app_commands
from discord.webhook.async_ import AsyncWebhookAdapter, async_context

from bot.chat.bot import StoryBot, create_bot
from bot.config import Settings
from bot.render.discord_embed import limit_problems
try:
    from tests.fake_discord import FakeDiscord
except ImportError:  # pytest run without the project root on sys.path
    from fake_discord import FakeDiscord  # type: ignore[no-redef]

_ids = itertools.count(1_300_000_000_000_000_000)


@dataclass
class Call:
    method: str
    path: str  # the route template, e.g. /interactions/{interaction_id}/{interaction_token}/callback
    url: str
    body: dict[str, Any] | None

    @property
    def kind(self) -> str:
        if self.path.endswith("/callback"):
            return "callback"
        if self.method == "POST":
            return "followup"
        if self.method == "PATCH":
            return "edit"
        return self.method.lower()

    @property
    def data(self) -> dict[str, Any]:
        """The message part: callback `data`, or the whole body of a followup/edit."""
        if self.body is None:
            return {}
        if self.kind == "callback":
            return self.body.get("data") or {}
        return self.body

    @property
    def callback_type(self) -> int | None:
        return self.body.get("type") if self.kind == "callback" and self.body else None

    @property
    def ephemeral(self) -> bool:
        return bool(int(self.data.get("flags") or 0) & 64)

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return list(self.data.get("embeds") or [])

    @property
    def content(self) -> str:
        return self.data.get("content") or ""

    @property
    def text(self) -> str:
        """Content plus every embed string, for 'does it say X' assertions."""
        parts = [self.content]
        for e in self.embeds:
            parts += [e.get("title") or "", e.get("description") or "", (e.get("footer") or {}).get("text") or ""]
            for f in e.get("fields") or []:
                parts += [f.get("name") or "", f.get("value") or ""]
        return "\n".join(parts)


def message_payload(body: dict[str, Any] | None, channel_id: int, author: dict[str, Any]) -> dict[str, Any]:
    body = body or {}
    return {
        "id": str(next(_ids)),
        "channel_id": str(channel_id),
        "type": 0,
        "content": body.get("content") or "",
        "author": author,
        "embeds": body.get("embeds") or [],
        "components": body.get("components") or [],
        "attachments": [],
        "mentions": [],
        "mention_roles": [],
        "mention_everyone": False,
        "pinned": False,
        "tts": False,
        "timestamp": datetime.now(timezone.utc).isoformat(),
        "edited_timestamp": None,
        "flags": int(body.get("flags") or 0),
    }


class RecordingAdapter(AsyncWebhookAdapter):
    """Records every interaction/webhook request and answers as Discord would."""

    def __init__(self, author: dict[str, Any], channel_id: int) -> None:
        super().__init__()
        self.calls: list[Call] = []
        self.author = author
        self.channel_id = channel_id
        self.changed = asyncio.Event()

    async def request(self, route: Any, session: Any, *, payload: Any = None, multipart: Any = None, files: Any = None, **kwargs: Any) -> Any:
        body = payload
        if multipart:
            body = json.loads(multipart[0]["value"])
        call = Call(route.method, route.path, route.url, body)
        self.calls.append(call)
        self.changed.set()
        if call.kind == "callback":
            out: dict[str, Any] = {"interaction": {"id": str(next(_ids)), "type": 2}}
            if body and body.get("type") in (4, 7):
                message = message_payload(body.get("data"), self.channel_id, self.author)
                out["interaction"]["response_message_id"] = message["id"]
                out["resource"] = {"type": body["type"], "message": message}
            return out
        if route.method in ("POST", "PATCH", "GET"):
            return message_payload(body, self.channel_id, self.author)
        return None

    async def wait_for(self, count: int, timeout: float = 30.0) -> list[Call]:
        """Wait until at least `count` calls were recorded (for work run in tasks, e.g. button
        clicks). The timeout is a hang guard, generous so a busy machine is only slower."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.calls) < count:
            self.changed.clear()
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"expected {count} calls, got {self.calls!r}")
            try:
                await asyncio.wait_for(self.changed.wait(), remaining)
            except asyncio.TimeoutError:
                pass
        return self.calls


@dataclass
class Harness:
    """A bot with cogs loaded, a payload factory and the recorded requests."""

    bot: StoryBot
    fake: FakeDiscord
    adapter: RecordingAdapter
    token: Any = field(default=None)

    async def run(self, payload: dict[str, Any]) -> list[Call]:
        """Run one command/autocomplete through the tree; return the calls it made."""
        start = len(self.adapter.calls)
        interaction = discord.Interaction(data=payload, state=self.bot._connection)
        try:
            await self.bot.tree._call(interaction)
        except app_commands.AppCommandError as error:  # what discord.py's dispatch does with it
            await self.bot.tree.on_error(interaction, error)
        return self.adapter.calls[start:]

    def cache_guild(self) -> None:
        """(Re)send the fake's guild to the client, as GUILD_CREATE does: its roles and
        channels become known (e.g. after `fake.add_role`)."""
        self.bot._connection.parse_guild_create(self.fake.guild_create_payload(self.fake.guild_id))

    async def command(self, name: str, options: dict[str, Any] | None = None, **kwargs: Any) -> list[Call]:
        return await self.run(self.fake.slash_command(name, options, **kwargs))

    async def autocomplete(self, name: str, option: str, value: str, **kwargs: Any) -> list[dict[str, Any]]:
        calls = await self.run(self.fake.autocomplete(name, option, value, **kwargs))
        assert len(calls) == 1 and calls[0].callback_type == 8, calls
        return calls[0].body["data"]["choices"]

    async def click(self, custom_id: str, message: dict[str, Any], **kwargs: Any) -> list[Call]:
        """A button click on `message` (a message payload the bot sent), the way the
        gateway would deliver it, then wait for the view's answer."""
        start = len(self.adapter.calls)
        ctx = self.fake._user_context(
            user_id=kwargs.get("user_id"), guild_id=None, channel_id=None, permissions=None,
            roles=None, in_dm=False, locale="en-US",
        )
        payload = {
            "id": str(next(_ids)), "type": 3,
            "data": {"custom_id": custom_id, "component_type": 2},
            "message": message, **ctx,
        }
        self.bot._connection.parse_interaction_create(payload)
        await self.adapter.wait_for(start + 1)
        return self.adapter.calls[start:]


def make_settings(**overrides: Any) -> Settings:
    base: dict[str, Any] = {"cooldown_seconds": 0.0}
    base.update(overrides)
    return Settings(**base)


async def make_harness(engine: Any, settings: Settings | None = None) -> Harness:
    """A bot configured for the fake's server (unless `settings` name servers of their own)."""
    fake = FakeDiscord()
    settings = settings or make_settings()
    if not settings.guilds:
        settings = dataclasses.replace(settings, guild_ids=(fake.guild_id,))
    bot = create_bot(settings, engine, sync_on_start=False)
    state = bot._connection
    state.user = discord.ClientUser(state=state, data=fake.bot_user)
    state.application_id = fake.application_id
    await bot.setup_hook()
    adapter = RecordingAdapter(fake.bot_user_public, fake.channel_id)
    token = async_context.set(adapter)
    harness = Harness(bot, fake, adapter, token)
    harness.cache_guild()
    # What a sync would tell Discord: the global commands, and /kb in the configured servers.
    fake.register_commands("global", [c.to_dict(bot.tree) for c in bot.tree.get_commands()])
    for guild_id in settings.guilds:
        fake.register_commands(guild_id, [c.to_dict(bot.tree) for c in bot.tree.get_commands(guild=discord.Object(guild_id))])
    return harness


async def close_harness(h: Harness) -> None:
    async_context.reset(h.token)
    for view in list(h.bot._connection._view_store.persistent_views):
        view.stop()
    await h.bot.close()


def assert_valid_message(call: Call) -> None:
    """What real Discord would refuse, and the no-pings rule."""
    data = call.data
    assert len(data.get("content") or "") <= 2000
    embeds = data.get("embeds") or []
    assert len(embeds) <= 10
    for e in embeds:
        assert limit_problems(e) == [], limit_problems(e)
    assert sum(len(e.get("title") or "") + len(e.get("description") or "") for e in embeds) <= 6000
    if call.kind in ("callback", "followup") and data:
        assert data.get("allowed_mentions") == {"parse": []}, data.get("allowed_mentions")
