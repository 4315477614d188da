"""Issue 12, item 7: uploads are trusted too far.

A hostile "CDN" (a FakeDiscord whose attachment route misbehaves) serves: bytes far
beyond what the size metadata says, a gzip-encoded bomb, a download that breaks off.
The bot reads at most the limit plus one chunk, never inflates anything, answers
each with one ephemeral line and no traceback, and changes nothing on disk.
"""

from __future__ import annotations

import gzip
import logging
from pathlib import Path

import discord
import pytest
from aiohttp import web

import livebot as botlive
from bot.engine import Engine
from fake_discord import FakeDiscord
from livebot import final_body, is_ephemeral, live_bot, text_of
from hostile.support import COUNTS, attack

TOKEN = "TESTTOKEN.SECRET.abc123XYZ"
MANAGE_GUILD = discord.Permissions(manage_guild=True, send_messages=True, use_application_commands=True)
LIMIT = 5 * 1024 * 1024
ARTICLE = b"---\ntitle: Zebra Report\ndate: 2025-10-02\n---\nZebras were seen grazing near the courthouse.\n"


class HostileCDN(FakeDiscord):
    """Serves attachments as told by `behaviour[filename]`; counts the bytes it wrote."""

    behaviour: dict[str, str] = {}
    sent_bytes: dict[str, int] = {}

    async def _get_attachment(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["filename"]
        how = self.behaviour.get(name)
        if how is None:
            return await super()._get_attachment(request)
        self.sent_bytes[name] = 0
        if how == "lying-size":  # metadata says a few bytes; 40 MB come
            resp = web.StreamResponse(headers={"Content-Type": "text/markdown"})
            await resp.prepare(request)
            chunk = b"Zebras. " * 8192
            try:
                for _ in range(40 * 1024 * 1024 // len(chunk)):
                    await resp.write(chunk)
                    self.sent_bytes[name] += len(chunk)
            except (ConnectionResetError, RuntimeError, OSError):
                pass  # the client hung up: what it should do
            return resp
        if how == "gzip-bomb":  # 64 MB of text inflated from ~64 KB
            body = gzip.compress(ARTICLE + b"a" * (64 * 1024 * 1024), compresslevel=9)
            self.sent_bytes[name] = len(body)
            return web.Response(body=body, headers={"Content-Type": "text/markdown", "Content-Encoding": "gzip"})
        if how == "broken":  # promises 100 KB, sends 100 bytes, hangs up
            resp = web.StreamResponse(headers={"Content-Type": "text/markdown", "Content-Length": "100000"})
            await resp.prepare(request)
            await resp.write(ARTICLE[:100])
            self.sent_bytes[name] = 100
            request.transport.close()  # type: ignore[union-attr]
            return resp
        raise AssertionError(how)


@pytest.mark.asyncio
@pytest.mark.parametrize("how,words", [
    ("lying-size", "larger than the limit"),
    ("gzip-bomb", "came compressed (gzip)"),
    ("broken", "broke off"),
])
async def test_hostile_attachment(how: str, words: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(botlive, "FakeDiscord", HostileCDN)
    name = f"{how}.md"
    HostileCDN.behaviour = {name: how}
    with attack(f"/kb add: {how} attachment"):
        async with live_bot(tmp_path, token=TOKEN, STORYBOT_LOG_LEVEL="WARNING") as live:
            fake = live.fake
            before = sorted(p.name for p in live.knowledge.iterdir())
            att = fake.add_attachment(name, ARTICLE)  # the metadata: a small, honest-looking file
            caplog.set_level(logging.WARNING)
            inter = await fake.send_interaction(fake.slash_command("kb", {"file": att}, subcommand="add",
                                                                   permissions=MANAGE_GUILD))
            data = await final_body(fake, inter, 30)
            text = text_of(data)
            COUNTS["faults"] += 1
            assert is_ephemeral(data) and words in text, text
            assert "Something went wrong" not in text and "\n" not in text.strip()
            assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [r.getMessage() for r in caplog.records]
            assert sorted(p.name for p in live.knowledge.iterdir()) == before
            if how == "lying-size":
                # Stopped at the cap and hung up: it did not take the 40 MB (loopback socket
                # buffers let the server write a few MB past the cap before it notices).
                assert HostileCDN.sent_bytes[name] < 20 * 1024 * 1024, HostileCDN.sent_bytes
            fake.assert_clean(require_no_pings=True)


def test_control_characters_never_reach_an_id(kb: Path, tmp_path: Path) -> None:
    """`evil\\n.md` uploaded, or put in the folder: no id holds a control character, and
    whatever was loaded can be retired again."""
    with attack("upload named evil\\n.md gives an id that cannot be retired"):
        engine = Engine(kb, tmp_path / "storybot.db")
        engine.open()
        try:
            for name in ("evil\n.md", "bell\x07.md", "tab\there.md", "nul\x00x.md", "rtl\u202e.md"):
                result = engine.add_article(name, ARTICLE.replace(b"Zebra", name[:3].encode()), "mod (1)")
                if result.ok:
                    assert result.document and all(ch.isprintable() for ch in result.document), result.document
                    assert engine.remove_article(result.document, "mod (1)").ok
            (kb / "evil\n.md").write_bytes(ARTICLE)
            report = engine.reload()
            assert all(all(ch.isprintable() for ch in d.id) for d in engine.documents())
            assert any("evil" in n and "not a usable id" in why for n, why in report.failed), report.failed
        finally:
            engine.close()
