"""End to end through the real bot and the fake Discord (tests/fake_discord.py):
/timeline, /said, /who's "Said" field, /whatsnew, the "Ask StoryBot" message menu,
/kb add url: (a page served from 127.0.0.1, allowed in these settings; a refused
private address) and the updates channel (posted once per new article)."""

from __future__ import annotations

import asyncio
import shutil
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import AsyncIterator, Iterator

import discord
import pytest
import pytest_asyncio

from bot.chat.bot import StoryBot
from bot.chat.runner import open_engine, serve
from bot.config import load_settings
from bot.engine import Engine

try:
    from tests.fake_discord import FakeDiscord, FakeInteraction, point_client_at
except ImportError:  # pragma: no cover
    from fake_discord import FakeDiscord, FakeInteraction, point_client_at  # type: ignore[no-redef]
from chat.harness import message_payload

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"
TOKEN = "MTIz.fake-story-token.XYZ"
COMMANDS = ("ask", "who", "kb", "timeline", "said", "whatsnew")
MOD = discord.Permissions(manage_guild=True, send_messages=True, use_application_commands=True)

PAGE = """<!doctype html><html><head><title>Oracle Named Security Partner | Test Gazette</title>
<meta property="og:title" content="Oracle Named TikTok Security Partner as Talks Continue">
<meta property="og:site_name" content="Test Gazette">
<meta name="author" content="Rosa Quint">
<meta property="article:published_time" content="2025-10-09T08:00:00Z">
</head><body><nav><a href="/">Home</a> | <a href="/world">World</a></nav>
<article><h1>Oracle Named TikTok Security Partner as Talks Continue</h1>
<p>Oracle was named the security partner for TikTok's American operations on Wednesday, according to a filing seen by the Test Gazette.</p>
<p>The filing says Oracle engineers will review every update to the recommendation algorithm before it reaches American phones.</p>
<p>“We will hold ourselves to the highest standard of review,” Oracle spokesperson Lena Marsh said in an interview.</p>
<p>Lawmakers have asked to see the full agreement before a vote planned for next month.</p>
</article><footer>Copyright Test Gazette. Subscribe now.</footer></body></html>"""


class _Pages(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.path == "/article":
            body = PAGE.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
        elif self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/article")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        else:
            body = b"not here"
            self.send_response(404)
            self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def pages() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Live:
    fake: FakeDiscord
    bot: StoryBot
    engine: Engine
    knowledge: Path


@pytest_asyncio.fixture
async def live(tmp_path: Path) -> AsyncIterator[Live]:
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    for md in (REPO / "knowledge").glob("*.md"):
        shutil.copy(md, knowledge / md.name)
    async with FakeDiscord(token=TOKEN) as fake:
        with point_client_at(fake):
            env = {
                "DISCORD_TOKEN": TOKEN, "DISCORD_API_BASE": fake.api_base, "DISCORD_GATEWAY_URL": fake.gateway_url,
                "STORYBOT_GUILD_ID": str(fake.guild_id), "STORYBOT_KNOWLEDGE_DIR": str(knowledge),
                "STORYBOT_DB": str(tmp_path / "storybot.db"), "STORYBOT_COOLDOWN_SECONDS": "0",
                "STORYBOT_LOG_LEVEL": "WARNING",
                # This test's own pages are served from 127.0.0.1: allowed here, and only here.
                "STORYBOT_FETCH_ALLOW_NETWORKS": "127.0.0.1/32",
                "STORYBOT_UPDATES_CHANNEL_ID": str(fake.channel_id),
            }
            settings = load_settings(env_file=None, environ=env)
            engine = await asyncio.to_thread(open_engine, settings)
            bots: list[StoryBot] = []
            task = asyncio.create_task(serve(settings, engine, install_signal_handlers=False, started=bots.append))
            try:
                await fake.wait_until_ready()
                await fake.wait_for_commands(*COMMANDS, guild_id=fake.guild_id)
                yield Live(fake, bots[0], engine, knowledge)
            finally:
                if bots:
                    await bots[0].close()
                status = await asyncio.wait_for(task, 10)
            assert status == 0


async def answer_of(fake: FakeDiscord, inter: FakeInteraction, timeout: float = 10.0) -> dict:
    body = await fake.wait_for_response(inter, timeout)
    if body.get("type") == 5:
        return (await fake.wait_for_followup(inter, timeout=timeout)).body
    return body.get("data") or {}


def text_of(data: dict) -> str:
    parts = [data.get("content") or ""]
    for e in data.get("embeds") or []:
        parts += [e.get("title") or "", e.get("description") or ""]
        parts += [f"{f.get('name')}\n{f.get('value')}" for f in e.get("fields") or []]
    return "\n".join(parts)


def context_menu(fake: FakeDiscord, content: str) -> dict:
    """A message-context-menu interaction ("Ask StoryBot" on a message), as Discord sends it."""
    cmd = fake.command("Ask StoryBot", guild_id=fake.guild_id, type=3)
    assert cmd is not None, "the message menu was not synced"
    author = {"id": str(fake.user_id), "username": "someone", "discriminator": "0", "global_name": None, "avatar": None}
    message = message_payload({"content": content}, fake.channel_id, author)
    ctx = fake._user_context(user_id=None, guild_id=None, channel_id=None, permissions=None, roles=None,
                             in_dm=False, locale="en-US")
    data = {"id": cmd["id"], "name": cmd["name"], "type": 3, "target_id": message["id"],
            "resolved": {"messages": {message["id"]: message}}, "guild_id": str(fake.guild_id)}
    return {"id": str(fake.next_id()), "type": 2, "data": data, **ctx}


@pytest.mark.asyncio
async def test_timeline_said_who_whatsnew(live: Live) -> None:
    fake = live.fake
    menu = fake.command("Ask StoryBot", guild_id=fake.guild_id, type=3)
    assert menu is not None and menu["type"] == 3

    data = await answer_of(fake, await fake.send_interaction(fake.slash_command("timeline")))
    desc = data["embeds"][0]["description"]
    at = [desc.index(s) for s in ("**2025-01**", "**2025-09-26**", "**2026**")]
    assert at == sorted(at), desc
    assert "early next year" in desc and "relative" in desc and "¶" in desc

    data = await answer_of(fake, await fake.send_interaction(fake.slash_command("timeline", {"topic": "shut down"})))
    desc = data["embeds"][0]["description"]
    assert "January" in desc and "2026" not in desc

    data = await answer_of(fake, await fake.send_interaction(fake.slash_command("said", {"name": "ByteDance"})))
    text = text_of(data)
    assert "We thank President Xi" in text and "**ByteDance** (direct)" in text

    data = await answer_of(fake, await fake.send_interaction(fake.slash_command("said", {"name": "Trump"})))
    assert "Truth Social" in text_of(data)

    data = await answer_of(fake, await fake.send_interaction(fake.slash_command("said", {"name": "Nobody Atall"})))
    assert data["embeds"][0]["title"] == "The articles don't say"

    data = await answer_of(fake, await fake.send_interaction(fake.slash_command("who", {"name": "Xi"})))
    fields = data["embeds"][0].get("fields") or []
    said = [f for f in fields if f["name"].startswith("Said")]
    assert said and "reiterated" in said[0]["value"]

    data = await answer_of(fake, await fake.send_interaction(fake.slash_command("whatsnew")))
    assert "What's new" in data["embeds"][0]["title"] and "> " in data["embeds"][0]["description"]
    fake.assert_clean(require_no_pings=True)


@pytest.mark.asyncio
async def test_ask_storybot_on_a_message(live: Live) -> None:
    fake = live.fake
    inter = await fake.send_interaction(context_menu(fake, "What did Xi say? @everyone"))
    body = await fake.wait_for_response(inter)
    data = body.get("data") or (await fake.wait_for_followup(inter)).body
    assert int(data.get("flags") or 0) & 64  # ephemeral by default
    desc = data["embeds"][0]["description"]
    assert desc.startswith("> ") and desc.index("reiterated") < desc.index("¶")

    # A claim the articles do not support: they say so.
    inter = await fake.send_interaction(context_menu(fake, "TikTok was sold to Oracle"))
    data = await answer_of(fake, inter)
    assert data["embeds"][0]["title"] == "The articles don't say"

    # A long message (over 1,000 characters) is still answered.
    long = "ByteDance said it will proceed in accordance with Chinese law. " + "Honestly I think this is all noise " * 60
    data = await answer_of(fake, await fake.send_interaction(context_menu(fake, long)))
    assert "ByteDance" in text_of(data)
    fake.assert_clean(require_no_pings=True)


@pytest.mark.asyncio
async def test_kb_add_url_and_updates_channel(live: Live, pages: str) -> None:
    fake = live.fake
    start = len(fake.messages)
    refused = await fake.send_interaction(fake.slash_command("kb", {"url": "http://10.20.30.40/story"},
                                                             subcommand="add", permissions=MOD))
    data = await answer_of(fake, refused)
    assert "Not added" in data["embeds"][0]["title"] and "private" in data["embeds"][0]["title"]
    assert len(live.engine.documents()) == 1

    inter = await fake.send_interaction(fake.slash_command("kb", {"url": f"{pages}/moved"}, subcommand="add", permissions=MOD))
    data = await answer_of(fake, inter)
    embed = data["embeds"][0]
    assert embed["title"].startswith("Added"), embed
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert "Oracle Named TikTok Security Partner" in fields["Title"]
    assert fields["Date"] == "2025-10-09" and "Rosa Quint" in fields["Authors"]
    assert "Test Gazette" in fields["Outlet"]
    saved = [p for p in live.knowledge.glob("*.md") if "oracle" in p.name]
    assert len(saved) == 1 and "url: http://127.0.0.1" in saved[0].read_text(encoding="utf-8")
    assert len(live.engine.documents()) == 2

    # The updates channel gets the new article's "what's new", once.
    post = await fake.wait_for_message(lambda m: "New article" in (m.content or ""), start=start, timeout=10)
    assert "Oracle" in str(post.body)
    cog = live.bot.get_cog("Story")
    assert await cog.announce_new_articles() == 0  # type: ignore[union-attr]
    await asyncio.to_thread(live.engine.reload, force=True)
    await asyncio.sleep(0.2)
    assert sum("New article" in (m.content or "") for m in fake.messages[start:]) == 1

    # The answer now comes from the new article, and a non-moderator cannot add.
    data = await answer_of(fake, await fake.send_interaction(fake.slash_command("said", {"name": "Lena Marsh"})))
    assert "highest standard" in text_of(data)
    denied = await fake.send_interaction(fake.slash_command("kb", {"url": f"{pages}/article"}, subcommand="add"))
    data = await answer_of(fake, denied)
    assert "Added" not in text_of(data)
    fake.assert_clean(require_no_pings=True)
