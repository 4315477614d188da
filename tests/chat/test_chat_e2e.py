"""End to end: the real StoryBot, started by the runner `python -m bot run` uses,
logs in to the fake Discord on 127.0.0.1, syncs, and answers over a real
websocket and real HTTP. The fake refuses what Discord would refuse (limits, late
or double responses) and every test ends with `fake.assert_clean(...)`.

The subprocess tests run `python -m bot run` itself: a wrong token exits 2 with
one line and never shows the token; SIGTERM (what `docker stop` sends) exits 0.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import AsyncIterator

import discord
import pytest
import pytest_asyncio

try:
    from tests.fake_discord import FakeDiscord, FakeInteraction
except ImportError:  # pytest run without the project root on sys.path
    from fake_discord import FakeDiscord, FakeInteraction  # type: ignore[no-redef]
from livebot import ALL_NAMES, CALLBACK_DEADLINE, COMMANDS, Live, live_bot, live_environment, seed_knowledge, command_done

MANAGE_GUILD = discord.Permissions(manage_guild=True, send_messages=True, use_application_commands=True)
TOKEN = "MTIz.fake-e2e-token.XYZ"
PROCESS_TIMEOUT = 60.0  # hang guard for a whole `python -m bot …` process on a loaded machine


def env_for(fake: FakeDiscord, tmp_path: Path, token: str = TOKEN) -> dict[str, str]:
    """The environment of `python -m bot run` in a subprocess, pointed at the fake."""
    return live_environment(fake, seed_knowledge(tmp_path / "knowledge"), tmp_path / "storybot.db", token)


@pytest_asyncio.fixture
async def live(tmp_path: Path) -> AsyncIterator[Live]:
    async with live_bot(tmp_path, token=TOKEN) as running:
        yield running


async def answer_of(fake: FakeDiscord, inter: FakeInteraction) -> dict:
    """The message body the user sees: the callback's data, or the first followup after a defer."""
    body = await fake.wait_for_response(inter)
    if body.get("type") == 5:
        return (await fake.wait_for_followup(inter)).body
    return body.get("data") or {}


@pytest.mark.asyncio
async def test_logs_in_syncs_and_answers(live: Live) -> None:
    fake = live.fake
    # Synced to the guild (STORYBOT_GUILD_ID), with /kb for moderators by default.
    names = {c["name"] for c in fake.guild_commands[fake.guild_id]}
    assert names == ALL_NAMES
    kb = fake.command("kb", guild_id=fake.guild_id)
    assert kb is not None and kb["default_member_permissions"] == str(discord.Permissions(manage_guild=True).value)
    identify = fake.last_identify
    assert identify is not None and not int(identify["intents"]) & (1 << 15)  # no message-content intent

    inter = await fake.send_interaction(fake.slash_command("who", {"name": "ByteDance"}))
    data = await answer_of(fake, inter)
    embed = data["embeds"][0]
    assert embed["title"].startswith("ByteDance")
    assert "> " in embed["description"] and "¶" in embed["description"]
    assert "Caixin Global" in embed["description"]
    assert inter.acknowledged

    inter = await fake.send_interaction(fake.slash_command("ask", {"question": "What did ByteDance say about Chinese law?"}))
    data = await answer_of(fake, inter)
    await command_done(live, inter)
    ids = [c["custom_id"] for row in data["components"] for c in row["components"]]
    click = await fake.send_interaction(fake.component(ids[0]))
    body = await fake.wait_for_response(click)
    assert body["type"] == 7 and body["data"]["embeds"][0]["footer"]["text"].startswith("Page 2 of")
    ids = [c["custom_id"] for row in body["data"]["components"] for c in row["components"]]
    vote = await fake.send_interaction(fake.component([i for i in ids if i.startswith("sb:vote:")][0]))
    body = await fake.wait_for_response(vote)
    assert body["data"]["flags"] & 64 and "Thanks" in body["data"]["content"]
    assert live.engine.journal.feedback_counts().up == 1

    inter = await fake.send_interaction(fake.slash_command("ask", {"question": "Who won the football match last night?"}))
    data = await answer_of(fake, inter)
    assert data["embeds"][0]["title"] == "The articles don't say"

    inter = await fake.send_interaction(fake.autocomplete("who", "name", "Byte"))
    await fake.wait_for_response(inter)
    assert inter.choices and any("ByteDance" in c["name"] for c in inter.choices)

    inter = await fake.send_interaction(fake.slash_command("sources"))
    data = await answer_of(fake, inter)
    assert "26 Sep 2025" in data["embeds"][0]["description"]
    fake.assert_clean(require_no_pings=True)


@pytest.mark.asyncio
async def test_markdown_everyone_question_pings_nobody(live: Live) -> None:
    fake = live.fake
    noise = "@everyone **ByteDance** __law__ ~~x~~ ||s|| `c` # h > q [l](https://e.example) <@&123456789012345678> @here "
    question = ("What did ByteDance say about Chinese law? " + noise * 20)[:1000]
    assert len(question) == 1000
    inter = await fake.send_interaction(fake.slash_command("ask", {"question": question}))
    data = await answer_of(fake, inter)
    assert data["embeds"] and data["allowed_mentions"] == {"parse": []}
    for record in fake.messages:
        assert record.pings_nobody()
        text = str(record.body)
        assert "@everyone" not in text and "@here" not in text
    # The More button extends the same answer in place.
    more = [c["custom_id"] for row in data.get("components") or [] for c in row["components"] if c.get("label") == "More"]
    if more:
        await command_done(live, inter)
        click = await fake.send_interaction(fake.component(more[0]))
        body = await fake.wait_for_response(click)
        assert body["type"] == 7
    fake.assert_clean(require_no_pings=True)


@pytest.mark.asyncio
async def test_kb_reload_is_for_moderators_only(live: Live) -> None:
    fake = live.fake
    inter = await fake.send_interaction(fake.slash_command("kb", subcommand="reload"))
    body = await fake.wait_for_response(inter)
    assert body["type"] == 4 and body["data"]["flags"] & 64
    assert "Only moderators" in body["data"]["content"]

    (live.knowledge / "extra.md").write_text("---\ntitle: An extra article\ndate: 2025-10-02\n---\nThe extra article mentions ByteDance once more.\n", encoding="utf-8")
    inter = await fake.send_interaction(fake.slash_command("kb", subcommand="reload", permissions=MANAGE_GUILD))
    body = await fake.wait_for_response(inter)
    assert body["type"] == 5  # deferred first: a reload may take longer than 3 s
    followup = await fake.wait_for_followup(inter)
    assert followup.ephemeral
    embed = followup.embeds[0]
    assert embed["title"] == "Knowledge base reloaded"
    assert any(f["name"].startswith("Added") and "extra" in f["value"] for f in embed["fields"])

    dm = await fake.send_interaction(fake.slash_command("kb", subcommand="reload", in_dm=True, permissions=MANAGE_GUILD))
    body = await fake.wait_for_response(dm)
    assert body["data"]["flags"] & 64 and "only work in the server" in body["data"]["content"]

    inter = await fake.send_interaction(fake.slash_command("kb", subcommand="status", permissions=MANAGE_GUILD))
    body = await fake.wait_for_response(inter)
    fields = {f["name"]: f["value"] for f in body["data"]["embeds"][0]["fields"]}
    assert fields["Articles"] == "2"
    fake.assert_clean(require_no_pings=True)


@pytest.mark.asyncio
async def test_kb_add_checks_type_before_download(live: Live) -> None:
    fake = live.fake
    bad = fake.add_attachment("virus.exe", b"MZ" * 10)
    inter = await fake.send_interaction(fake.slash_command("kb", {"file": bad}, subcommand="add", permissions=MANAGE_GUILD))
    body = await fake.wait_for_response(inter)
    assert "Only .md and .txt" in body["data"]["content"]
    assert not any("virus" in path for _, path, _ in fake.requests)

    good = fake.add_attachment("uploaded-story.md", b"---\ntitle: Uploaded story\ndate: 2025-10-03\n---\nAn uploaded article about TikTok.\n")
    inter = await fake.send_interaction(fake.slash_command("kb", {"file": good}, subcommand="add", permissions=MANAGE_GUILD))
    followup = await fake.wait_for_followup(inter)
    assert "Done" in str(followup.body) and "uploaded-story" in str(followup.body)
    assert "uploaded-story" in {d.id for d in live.engine.documents()}
    fake.assert_clean(require_no_pings=True)


# --------------------------------------------------------------------------- the real process


async def run_process(env: dict[str, str], cwd: Path, *, until=None, timeout: float = PROCESS_TIMEOUT, command: str = "run") -> tuple[int, str, str]:
    """`python -m bot COMMAND` with exactly `env` (plus PATH); `until` may act on the live process."""
    full = {"PATH": os.environ.get("PATH", ""), "PYTHONUNBUFFERED": "1", **env}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", command, cwd=str(cwd), env=full,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        if until is not None:
            await until(proc)
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    return proc.returncode or 0, out.decode(errors="replace"), err.decode(errors="replace")


@pytest.mark.slow
@pytest.mark.asyncio
async def test_wrong_token_exits_2_with_one_line_and_no_token(tmp_path: Path) -> None:
    wrong = "WRONG-token-4f1d9c.sekrit-Zq"
    async with FakeDiscord(token=TOKEN) as fake:
        env = env_for(fake, tmp_path, token=wrong)
        env["STORYBOT_LOG_LEVEL"] = "DEBUG"  # even the chattiest log must not show it
        code, out, err = await run_process(env, tmp_path)
    assert code == 2, (out, err)
    assert len(err.strip().splitlines()) == 1, err
    assert "token" in err.lower()
    assert wrong not in out and wrong not in err


@pytest.mark.slow
@pytest.mark.asyncio
async def test_missing_token_exits_2(tmp_path: Path) -> None:
    async with FakeDiscord(token=TOKEN) as fake:
        env = env_for(fake, tmp_path, token="")
        code, out, err = await run_process(env, tmp_path)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "DISCORD_TOKEN" in err


@pytest.mark.slow
@pytest.mark.asyncio
async def test_sigterm_stops_cleanly_with_status_0(tmp_path: Path) -> None:
    async with FakeDiscord(token=TOKEN, callback_deadline=CALLBACK_DEADLINE) as fake:
        env = env_for(fake, tmp_path)
        env["STORYBOT_LOG_LEVEL"] = "DEBUG"  # the chattiest log, still without the token

        async def answer_then_stop(proc: asyncio.subprocess.Process) -> None:
            await fake.wait_until_ready(timeout=PROCESS_TIMEOUT)
            await fake.wait_for_commands(*COMMANDS, guild_id=fake.guild_id, timeout=PROCESS_TIMEOUT)
            inter = await fake.send_interaction(fake.slash_command("who", {"name": "ByteDance"}))
            await fake.wait_for_response(inter)
            proc.send_signal(signal.SIGTERM)

        code, out, err = await run_process(env, tmp_path, until=answer_then_stop)
        fake.assert_clean(require_no_pings=True)
    assert code == 0, (out, err)
    assert TOKEN not in out and TOKEN not in err
    assert "SIGTERM received" in out


@pytest.mark.slow
@pytest.mark.asyncio
async def test_sync_command_pushes_to_the_guild_or_globally(tmp_path: Path) -> None:
    async with FakeDiscord(token=TOKEN) as fake:
        env = env_for(fake, tmp_path)
        code, out, err = await run_process(env, tmp_path, command="sync")
        assert code == 0, (out, err)
        assert {c["name"] for c in fake.guild_commands[fake.guild_id]} == ALL_NAMES
        assert f"synced {len(ALL_NAMES)} command(s) to guild {fake.guild_id}" in out
        assert not fake.global_commands

        kb = fake.command("kb", guild_id=fake.guild_id)
        assert kb is not None and kb.get("contexts") in (None, [0]) and kb.get("dm_permission") in (None, False)

        # Every server may ask, but /kb stays in the configured one: never global.
        env["STORYBOT_ANY_GUILD"] = "1"
        code, out, err = await run_process(env, tmp_path, command="sync")
        assert code == 0, (out, err)
        assert {c["name"] for c in fake.global_commands} == ALL_NAMES - {"kb"}
        assert [c["name"] for c in fake.guild_commands[fake.guild_id]] == ["kb"]

        # No server configured: public commands globally (DMs), /kb nowhere.
        env["STORYBOT_GUILD_ID"] = ""
        env["STORYBOT_ANY_GUILD"] = "0"
        code, out, err = await run_process(env, tmp_path, command="sync")
        assert code == 0, (out, err)
        assert {c["name"] for c in fake.global_commands} == ALL_NAMES - {"kb"}
        fake.assert_clean()
    assert TOKEN not in out and TOKEN not in err
