"""/help, and when the bot syncs its commands (only when the tree changed)."""

from __future__ import annotations

import json
from pathlib import Path

import discord
import pytest
from discord import app_commands

from bot.chat.bot import create_bot
from bot.config import Settings
from bot.engine import Engine
from bot.health import heartbeat_path
from chat.harness import Harness, close_harness, make_harness, make_settings
from livebot import TOKEN, live_bot

try:
    from tests.fake_discord import FakeDiscord
except ImportError:  # pytest run without the project root on sys.path
    from fake_discord import FakeDiscord  # type: ignore[no-redef]

MANAGE_GUILD = discord.Permissions(manage_guild=True, send_messages=True, use_application_commands=True)


async def help_text(h: Harness, **kwargs: object) -> str:
    calls = await h.command("help", **kwargs)
    assert len(calls) == 1 and calls[0].ephemeral, calls
    return calls[0].text


@pytest.mark.asyncio
async def test_help_lists_the_trees_commands_with_examples(harness: Harness) -> None:
    text = await help_text(harness)
    assert "cited" in text and "never writes" in text  # what it does, two lines
    for name, example in (("ask", "/ask question:"), ("who", "/who name:"), ("summary", "/summary"), ("sources", "/sources")):
        assert f"`/{name}` — " in text and example in text
    assert "@StoryBot" in text and "Reply" in text  # asking by mention or reply
    assert "1 article chosen by the moderators" in text
    assert "TikTok Discussions Advance as Xi and Trump Speak by Phone" in text  # the latest title
    assert "/kb" not in text  # not a moderator
    moderator = await help_text(harness, permissions=MANAGE_GUILD)
    for sub in ("reload", "status", "add", "remove", "restore", "log", "gaps"):
        assert f"`/kb {sub}`" in moderator


@pytest.mark.asyncio
async def test_a_new_command_appears_in_help_by_itself(engine: Engine) -> None:
    h = await make_harness(engine, make_settings())
    try:
        @app_commands.command(name="brandnew", description="A command help has never heard of")
        async def brandnew(interaction: discord.Interaction, topic: str) -> None:
            return None

        h.bot.tree.add_command(brandnew)
        text = await help_text(h)
        assert "`/brandnew` — A command help has never heard of · e.g. `/brandnew topic: …`" in text
    finally:
        await close_harness(h)


@pytest.mark.asyncio
async def test_help_without_a_knowledge_base_still_answers(harness: Harness) -> None:
    harness.bot.engine = None  # documents() fails
    text = await help_text(harness)
    assert "not available right now" in text and "`/ask`" in text


def test_a_user_proxy_goes_to_discord_py_and_not_to_the_api_base(engine: Engine) -> None:
    bot = create_bot(Settings(http_proxy="http://proxy.example:3128"), engine, sync_on_start=False)
    assert bot.http.proxy == "http://proxy.example:3128"
    assert discord.http.Route.BASE == "https://discord.com/api/v10"
    assert create_bot(Settings(), engine, sync_on_start=False).http.proxy is None


@pytest.mark.asyncio
async def test_sync_at_start_only_when_the_tree_changed(tmp_path: Path) -> None:
    fake = FakeDiscord(token=TOKEN)  # one Discord (same application, same server) across restarts

    def syncs() -> int:
        return len(fake.command_syncs)

    async with live_bot(tmp_path, fake=fake) as live:
        assert [scope for scope, _ in fake.command_syncs] == [fake.guild_id]  # first start: synced
        state_file = live.db.with_name(live.db.name + ".sync.json")
        state = json.loads(state_file.read_text())
        assert state == {f"{fake.application_id}:guilds={fake.guild_id}:any=0": live.bot.tree_digest()}
        # The heartbeat `python -m bot health` reads: written once the gateway is up.
        await fake.wait_until(heartbeat_path(live.db).exists, 30, "the heartbeat file")
        assert live.bot.gateway_up
        await fake.close_gateway(4000)  # a drop: no heartbeat is written until it resumes
        await fake.wait_until(lambda: fake.resume_count == 1 and live.bot.gateway_up, 30, "a RESUME")

    async with live_bot(tmp_path, fake=fake, wait_for_commands=False):
        assert syncs() == 1  # restarted, same tree: no sync
    async with live_bot(tmp_path, fake=fake, wait_for_commands=False, STORYBOT_SYNC_COMMANDS="always"):
        assert syncs() == 2
    state_file.write_text(json.dumps({key: "the digest of an older tree" for key in state}))  # a command changed
    async with live_bot(tmp_path, fake=fake, wait_for_commands=False):
        assert syncs() == 3
    async with live_bot(tmp_path, fake=fake, wait_for_commands=False):
        assert syncs() == 3
    state_file.unlink()
    async with live_bot(tmp_path, fake=fake, wait_for_commands=False, STORYBOT_SYNC_COMMANDS="never"):
        assert syncs() == 3
