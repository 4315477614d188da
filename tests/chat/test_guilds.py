"""One server's admin cannot touch another's articles (issue 12, item 1).

The real bot logs in to the fake Discord, which holds the owner's server (the
one in STORYBOT_GUILD_ID) and a second server whose admin invited the bot too.
Each test fails on the code before the server gate: there, `/kb` was global and
Manage Server in *any* server was enough to retire the owner's articles.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from pathlib import Path
from typing import AsyncIterator

import discord
import pytest

try:
    from tests.fake_discord import FakeDiscord
except ImportError:  # pytest run without the project root on sys.path
    from fake_discord import FakeDiscord  # type: ignore[no-redef]

from chat.test_chat_e2e import TOKEN, answer_of
from livebot import ALL_NAMES, Live, live_bot

ADMIN = discord.Permissions.all()


@contextlib.asynccontextmanager
async def two_servers(tmp_path: Path, **env: str) -> AsyncIterator[tuple[Live, int]]:
    """The bot configured for the fake's first server; a second server it was invited to."""
    fake = FakeDiscord(token=TOKEN)
    other = fake.add_guild("Stranger's server").id
    async with live_bot(tmp_path, token=TOKEN, fake=fake, **env) as live:
        yield live, other


def articles(live: Live) -> list[str]:
    return sorted(p.name for p in live.knowledge.glob("*.md"))


@pytest.mark.asyncio
async def test_another_servers_admin_cannot_retire_articles(tmp_path: Path) -> None:
    async with two_servers(tmp_path) as (live, other):
        fake, before = live.fake, articles(live)
        doc = live.engine.documents()[0].id
        # /kb exists only in the configured server: not global, not in the stranger's server.
        assert not fake.global_commands and other not in fake.guild_commands
        for sub, options in (("remove", {"article": doc}), ("reload", None), ("status", None)):
            inter = await fake.send_interaction(
                fake.slash_command("kb", options, subcommand=sub, guild_id=other, permissions=ADMIN)
            )
            data = await answer_of(fake, inter)
            assert data["flags"] & 64, data
            assert "Done" not in data["content"] and "not set up for this server" in data["content"], data
        # Even the application's owner cannot moderate from there.
        inter = await fake.send_interaction(
            fake.slash_command("kb", {"article": doc}, subcommand="remove", guild_id=other, user_id=fake.owner_id, permissions=ADMIN)
        )
        assert "not set up for this server" in (await answer_of(fake, inter))["content"]
        # Questions there are refused too (the owner did not allow other servers).
        inter = await fake.send_interaction(fake.slash_command("ask", {"question": "Who is ByteDance?"}, guild_id=other))
        data = await answer_of(fake, inter)
        assert data["flags"] & 64 and "not set up for this server" in data["content"], data
        assert articles(live) == before and live.engine.status().documents == 1
        fake.assert_clean(require_no_pings=True)


@pytest.mark.asyncio
async def test_any_guild_answers_everywhere_but_kb_stays_home(tmp_path: Path) -> None:
    async with two_servers(tmp_path, STORYBOT_ANY_GUILD="1") as (live, other):
        fake, before = live.fake, articles(live)
        assert {c["name"] for c in fake.global_commands} == ALL_NAMES - {"kb"}
        inter = await fake.send_interaction(fake.slash_command("ask", {"question": "Who is ByteDance?"}, guild_id=other))
        data = await answer_of(fake, inter)
        assert "ByteDance" in str(data.get("embeds")), data
        doc = live.engine.documents()[0].id
        inter = await fake.send_interaction(
            fake.slash_command("kb", {"article": doc}, subcommand="remove", guild_id=other, permissions=ADMIN)
        )
        assert "only work in the server" in (await answer_of(fake, inter))["content"]
        assert articles(live) == before
        fake.assert_clean(require_no_pings=True)


@pytest.mark.asyncio
async def test_moderator_roles_count_only_in_their_own_server(tmp_path: Path) -> None:
    async with two_servers(tmp_path) as (live, other):
        fake = live.fake
        home_role = fake.add_role(fake.guild_id, "Mods")
        foreign_role = fake.add_role(other, "Mods elsewhere")
        await fake.dispatch_guild_create(fake.guild_id)
        await fake.dispatch_guild_create(other)
        for _ in range(100):  # wait until the client cached the new roles
            guild = live.bot.get_guild(fake.guild_id)
            if guild is not None and guild.get_role(home_role) is not None:
                break
            await asyncio.sleep(0.02)
        settings = live.bot.settings

        # A role of another server, the @everyone role (id = server id), a real moderator role.
        for role, allowed in ((foreign_role, False), (fake.guild_id, False), (home_role, True)):
            live.bot.settings = dataclasses.replace(settings, mod_role_ids=(role,))
            inter = await fake.send_interaction(fake.slash_command("kb", subcommand="status", roles=[role]))
            data = await answer_of(fake, inter)
            refused = "Only moderators" in (data.get("content") or "")
            assert refused != allowed, (role, data)
        # The application's owner moderates the configured server without Manage Server.
        live.bot.settings = settings
        inter = await fake.send_interaction(fake.slash_command("kb", subcommand="status", user_id=fake.owner_id))
        data = await answer_of(fake, inter)
        assert "Only moderators" not in (data.get("content") or "") and data.get("embeds"), data
        fake.assert_clean(require_no_pings=True)
