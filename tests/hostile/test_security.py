"""The token never shows, and the container does not run as root.

A recognisable token is used everywhere (`TESTTOKEN.SECRET.abc123XYZ`) and every
place the bot writes is searched for it: log records at DEBUG, the stdout/stderr
of a real `python -m bot run` subprocess, and every body the fake Discord recorded.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import re
import signal
import sys
import traceback
from pathlib import Path

import discord
import pytest

from bot.config import Secret, Settings, load_settings
from livebot import CALLBACK_DEADLINE, final_body, live_bot, live_environment, seed_knowledge, text_of
from hostile.support import COUNTS
from fake_discord import FakeDiscord

TOKEN = "TESTTOKEN.SECRET.abc123XYZ"
FRAGMENTS = (TOKEN, "abc123XYZ", "TESTTOKEN.SECRET")
MANAGE_GUILD = discord.Permissions(manage_guild=True, send_messages=True, use_application_commands=True)
REPO = Path(__file__).resolve().parents[2]


def leaks(text: str) -> list[str]:
    return [f for f in FRAGMENTS if f in text]


def recorded_by_fake(fake: FakeDiscord) -> str:
    """Everything the bot sent the fake that is not authentication itself."""
    parts = [json.dumps(m.body, default=str) for m in fake.messages]
    parts += [path for _, path, _ in fake.requests]
    parts += [f"{kind} {text}" for _, kind, text in fake.log]
    parts += [json.dumps(c, default=str) for _, c in fake.command_syncs]
    return "\n".join(parts)


def test_secret_never_shows() -> None:
    settings = load_settings(env_file=None, environ={"DISCORD_TOKEN": f"  {TOKEN}\n"})
    assert settings.token.reveal() == TOKEN
    shown = [
        repr(settings), str(settings), f"{settings}", f"{settings.token}", f"{settings.token!r}", f"{settings.token:>40}",
        "%s %r" % (settings.token, settings.token), str(dataclasses.asdict(settings)),
        json.dumps(dataclasses.asdict(settings), default=str), repr(dataclasses.replace(settings)),
    ]
    for text in shown:
        assert not leaks(text), text
    try:
        raise RuntimeError(f"boom with {settings}")
    except RuntimeError:
        assert not leaks(traceback.format_exc())
    assert not Secret("")  # an empty token is falsy: the runner refuses to start
    assert Settings().token.reveal() == ""


@pytest.mark.asyncio
async def test_token_absent_from_logs_and_replies(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A whole session at DEBUG: login, commands, an unexpected error with its traceback,
    /kb status, a gateway drop and re-identify. The token appears nowhere."""
    caplog.set_level(logging.DEBUG)
    async with live_bot(tmp_path, token=TOKEN, STORYBOT_LOG_LEVEL="DEBUG") as live:
        fake = live.fake
        commands = [
            fake.slash_command("ask", {"question": "Who is ByteDance?"}),
            fake.slash_command("kb", subcommand="status", permissions=MANAGE_GUILD),
            fake.slash_command("kb", subcommand="reload", permissions=MANAGE_GUILD),
            fake.slash_command("kb", subcommand="log", permissions=MANAGE_GUILD),
            fake.slash_command("kb", subcommand="status"),  # refused: not a moderator
        ]

        def explode(*a: object, **k: object) -> object:
            raise RuntimeError("unexpected failure deep in the engine")

        texts = []
        for payload in commands:
            inter = await fake.send_interaction(payload)
            COUNTS["interactions"] += 1
            texts.append(text_of(await final_body(fake, inter)))
        real_who = live.engine.who
        live.engine.who = explode  # type: ignore[method-assign]
        try:
            inter = await fake.send_interaction(fake.slash_command("who", {"name": "Xi"}))
            COUNTS["interactions"] += 1
            reply = text_of(await final_body(fake, inter))
            assert "Something went wrong" in reply and "RuntimeError" not in reply
            texts.append(reply)
        finally:
            live.engine.who = real_who  # type: ignore[method-assign]
        COUNTS["faults"] += 1
        await fake.close_gateway(4009)
        await fake.wait_until(lambda: fake.identify_count == 2, 10, "re-identify")
        await fake.wait_until_ready()
        assert any("Traceback" in r.getMessage() or r.exc_info for r in caplog.records), "the unexpected error was logged"
        everything = "\n".join(texts) + "\n" + caplog.text + "\n" + recorded_by_fake(fake)
        everything += "\n".join(logging.Formatter().format(r) for r in caplog.records)  # with tracebacks
        assert not leaks(everything), leaks(everything)
        assert fake.identifies and all(i.get("token") == TOKEN for i in fake.identifies)  # it did log in with it
        fake.assert_clean(require_no_pings=True)


@pytest.mark.slow
@pytest.mark.asyncio
async def test_bot_run_subprocess_never_prints_the_token(tmp_path: Path) -> None:
    async with FakeDiscord(token=TOKEN, callback_deadline=CALLBACK_DEADLINE) as fake:
        env = {**os.environ, **live_environment(fake, seed_knowledge(tmp_path / "knowledge"), tmp_path / "storybot.db", TOKEN)}
        env["STORYBOT_LOG_LEVEL"] = "DEBUG"
        env.pop("PYTHONWARNINGS", None)
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        try:
            await fake.wait_until_ready(timeout=30)
            await fake.wait_for_commands("ask", "kb", guild_id=fake.guild_id, timeout=10)
            for payload in (
                fake.slash_command("ask", {"question": "Who is ByteDance?"}),
                fake.slash_command("kb", subcommand="status", permissions=MANAGE_GUILD),
            ):
                inter = await fake.send_interaction(payload)
                COUNTS["interactions"] += 1
                await final_body(fake, inter)
            proc.send_signal(signal.SIGTERM)
            out, err = await asyncio.wait_for(proc.communicate(), 20)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        stdout, stderr = out.decode(errors="replace"), err.decode(errors="replace")
        assert proc.returncode == 0, stderr[-2000:]
        assert "DEBUG" in stdout  # it really logged at DEBUG
        assert not leaks(stdout + stderr + recorded_by_fake(fake))
        fake.assert_clean(require_no_pings=True)

    # A token Discord rejects: one line on stderr, exit 2, and still no token.
    async with FakeDiscord(token="a-different-token") as fake:
        env = {**os.environ, **live_environment(fake, seed_knowledge(tmp_path / "knowledge"), tmp_path / "storybot.db", TOKEN)}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode == 2
        assert not leaks(out.decode(errors="replace") + err.decode(errors="replace"))


# ----------------------------------------------------------------------------- container


def _dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\r?\n", " ", text)
    out = []
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def test_dockerfile_runs_as_non_root() -> None:
    dockerfile = REPO / "Dockerfile"
    if not dockerfile.exists():
        pytest.skip("no Dockerfile yet")
    instructions = _dockerfile_instructions(dockerfile.read_text(encoding="utf-8"))
    # The last stage is what runs.
    last_from = max(i for i, (w, _) in enumerate(instructions) if w == "FROM")
    stage = instructions[last_from:]
    users = [(i, rest) for i, (w, rest) in enumerate(stage) if w == "USER"]
    cmds = [i for i, (w, _) in enumerate(stage) if w in ("CMD", "ENTRYPOINT")]
    assert users, "the final stage has no USER line: the bot would run as root"
    assert cmds, "no CMD/ENTRYPOINT"
    before_cmd = [rest for i, rest in users if i < min(cmds)]
    assert before_cmd, "USER must come before CMD/ENTRYPOINT"
    user = before_cmd[-1].split(":")[0].strip()
    assert user not in ("root", "0"), f"runs as {user}"
    assert not any(w == "ENV" and "DISCORD_TOKEN" in rest and "=" in rest and not rest.rstrip().endswith("=")
                   for w, rest in instructions), "a token baked into the image"


def test_dockerignore_excludes_env() -> None:
    ignore = REPO / ".dockerignore"
    if not ignore.exists():
        pytest.skip("no .dockerignore yet")
    patterns = [p.strip() for p in ignore.read_text(encoding="utf-8").splitlines() if p.strip() and not p.startswith("#")]
    assert any(p in (".env", "/.env", "**/.env", ".env*", "*.env", "**/.env*") for p in patterns), patterns
    assert not any(p in ("!.env", "!/.env") for p in patterns)
