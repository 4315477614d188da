"""Proves tests/fake_discord.py can host an unmodified discord.py ``commands.Bot``.

Why: the fake is only worth something if a real client logs in to it, syncs commands,
gets interactions over a real websocket and posts real HTTP answers; and if it
refuses what Discord refuses. Each test starts a tiny bot defined here (not StoryBot,
so these tests stay valid whatever the bot grows into) against a fresh fake.
"""

from __future__ import annotations

import asyncio
from typing import AsyncIterator, List, Optional

import aiohttp
import discord
import pytest
import pytest_asyncio
from discord import app_commands
from discord.ext import commands

try:
    from tests.fake_discord import (
        MESSAGE_CONTENT_INTENT,
        FakeDiscord,
        FakeInteraction,
        patched_discord_endpoints,
        point_client_at,
    )
except ImportError:  # pytest run without the project root on sys.path
    from fake_discord import (  # type: ignore[no-redef]
        MESSAGE_CONTENT_INTENT,
        FakeDiscord,
        FakeInteraction,
        patched_discord_endpoints,
        point_client_at,
    )

TOKEN = "test-token-123"
FRUITS = ["apple", "apricot", "banana", "cherry", "grape"]


class PressView(discord.ui.View):
    """One button whose click edits the message (a callback of type 7)."""

    @discord.ui.button(label="Press", custom_id="press")
    async def press(self, interaction: discord.Interaction, button: discord.ui.Button["PressView"]) -> None:
        await interaction.response.edit_message(content="pressed", view=None)


class FeedbackModal(discord.ui.Modal, title="Feedback"):
    """A one-field modal; its submit answers with what was typed."""

    text: discord.ui.TextInput["FeedbackModal"] = discord.ui.TextInput(label="Your text", custom_id="text")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"got {self.text.value}")


class MiniBot(commands.Bot):
    """Smallest bot exercising replies, defers, autocomplete, files, views, modals, on_message."""

    def __init__(self) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=discord.Intents.default(),
            allowed_mentions=discord.AllowedMentions.none(),
            guild_ready_timeout=0.1,  # on_ready waits this long for more GUILD_CREATEs
            help_command=None,
        )
        self.seen: List[discord.Message] = []
        # Commands whose handler has returned. discord.py stores a view or modal only
        # after Discord answered the send; the fake records the send as it arrives,
        # a moment earlier. A click sent in between would find no view (a race a
        # person cannot win, but a test on a loaded machine can), so tests wait for this.
        self.handled: List[str] = []
        self._register()

    async def before_identify_hook(self, shard_id: Optional[int], *, initial: bool = False) -> None:
        """discord.py sleeps 5 s before every non-initial IDENTIFY; tests need not wait."""
        return None

    async def setup_hook(self) -> None:
        await self.tree.sync()

    async def on_message(self, message: discord.Message) -> None:
        if message.author.id == self.user.id:  # type: ignore[union-attr]
            return
        self.seen.append(message)
        if self.user in message.mentions:
            async with message.channel.typing():
                await message.reply(f"heard: {message.content}")

    def _register(self) -> None:
        tree = self.tree

        @tree.command(description="Answer pong")
        async def ping(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("pong")

        @tree.command(description="Defer, then edit the original response")
        async def slow(interaction: discord.Interaction) -> None:
            await interaction.response.defer(thinking=True)
            await asyncio.sleep(0.05)
            await interaction.edit_original_response(content="done")

        @tree.command(description="Reply, read it back, then an ephemeral followup that is edited")
        async def multi(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("one")
            original = await interaction.original_response()  # GET .../messages/@original
            followup = await interaction.followup.send(f"two after {original.content}", ephemeral=True, wait=True)
            await followup.edit(content="two edited")  # PATCH .../messages/{id}

        @tree.command(description="Followup without responding first (a bug)")
        async def rude(interaction: discord.Interaction) -> None:
            await interaction.followup.send("too early")

        story = app_commands.Group(name="story", description="Story commands")

        @story.command(name="start", description="Start a story")
        async def story_start(interaction: discord.Interaction, title: str, chapters: int = 1) -> None:
            await interaction.response.send_message(f"started {title} ({chapters})")

        tree.add_command(story)

        @tree.command(description="Pick a fruit")
        @app_commands.describe(name="The fruit")
        async def fruit(interaction: discord.Interaction, name: str) -> None:
            await interaction.response.send_message(f"you chose {name}")

        @fruit.autocomplete("name")
        async def fruit_autocomplete(interaction: discord.Interaction, current: str) -> List[app_commands.Choice[str]]:
            if current == "many":
                return [app_commands.Choice(name=f"fruit {i}", value=f"f{i}") for i in range(30)]
            return [app_commands.Choice(name=f, value=f) for f in FRUITS if f.startswith(current)]

        @tree.command(description="Break a Discord limit on purpose")
        async def toolong(interaction: discord.Interaction, kind: str) -> None:
            if kind == "content":
                await interaction.response.send_message("x" * 2001)
            else:
                embeds = [discord.Embed(description="y" * 4000), discord.Embed(description="z" * 4000)]
                await interaction.response.send_message(embeds=embeds)

        @tree.command(description="Answer after 0.5 s")
        async def sleepy(interaction: discord.Interaction) -> None:
            await asyncio.sleep(0.5)
            await interaction.response.send_message("finally")

        @tree.command(description="Read an uploaded file")
        async def upload(interaction: discord.Interaction, file: discord.Attachment) -> None:
            data = await file.read()
            await interaction.response.send_message(
                f"{file.filename}: {data.decode()}", file=discord.File(__import__("io").BytesIO(data[::-1]), "reversed.txt")
            )

        @tree.command(description="Show a button")
        async def button(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("click it", view=PressView())
            self.handled.append("button")

        @tree.command(description="Open a modal")
        async def feedback(interaction: discord.Interaction) -> None:
            await interaction.response.send_modal(FeedbackModal())
            self.handled.append("feedback")

        @tree.command(description="Moderators only")
        @app_commands.default_permissions(manage_guild=True)
        @app_commands.guild_only()
        async def admin(interaction: discord.Interaction, who: discord.Member) -> None:
            await interaction.response.send_message(f"admin on {who.display_name}")


# ----------------------------------------------------------------------- fixtures


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(token=TOKEN) as server:
        with point_client_at(server):
            yield server


async def _start(fake: FakeDiscord) -> "tuple[MiniBot, asyncio.Task[None]]":
    bot = MiniBot()
    task = asyncio.create_task(bot.start(TOKEN))
    await fake.wait_until_ready()
    await asyncio.wait_for(bot.wait_until_ready(), 5)
    return bot, task


@pytest_asyncio.fixture
async def bot(fake: FakeDiscord) -> AsyncIterator[MiniBot]:
    started, task = await _start(fake)
    try:
        yield started
    finally:
        await started.close()
        await asyncio.wait_for(task, 5)


async def _ask(fake: FakeDiscord, name: str, **kwargs: object) -> "tuple[FakeInteraction, dict]":
    inter = await fake.send_interaction(fake.slash_command(name, **kwargs))  # type: ignore[arg-type]
    body = await fake.wait_for_response(inter)
    return inter, body


# -------------------------------------------------------------------------- tests


@pytest.mark.asyncio
async def test_login_sync_and_identify(fake: FakeDiscord, bot: MiniBot) -> None:
    assert bot.user is not None and bot.user.id == fake.bot_user_id
    assert bot.get_guild(fake.guild_id) is not None
    assert bot.get_channel(fake.channel_id) is not None
    assert fake.identify_count == 1 and fake.connection_count == 1
    assert fake.last_identify is not None
    assert fake.last_identify["intents"] & MESSAGE_CONTENT_INTENT == 0
    names = {c["name"] for c in fake.global_commands}
    assert {"ping", "slow", "fruit", "upload", "admin"} <= names
    admin = fake.command("admin")
    assert admin is not None
    assert admin["default_member_permissions"] == str(discord.Permissions(manage_guild=True).value)
    assert admin["contexts"] == [0]
    assert fake.command_syncs[-1][0] == "global"
    fake.assert_clean()


@pytest.mark.asyncio
async def test_slash_command_reply(fake: FakeDiscord, bot: MiniBot) -> None:
    inter, body = await _ask(fake, "ping")
    assert body["type"] == 4 and body["data"]["content"] == "pong"
    assert inter.acknowledged and inter.response_time is not None  # recorded; its size is not a verdict
    assert inter.payload["data"]["id"] == fake.command("ping")["id"]  # type: ignore[index]
    record = await fake.wait_for_message(lambda m: m.interaction_id == inter.id)
    assert record.kind == "callback" and record.allowed_mentions == {"parse": []}
    fake.assert_clean(require_no_pings=True)


@pytest.mark.asyncio
async def test_defer_then_edit_original(fake: FakeDiscord, bot: MiniBot) -> None:
    inter, body = await _ask(fake, "slow")
    assert body["type"] == 5
    edit = await fake.wait_for_edit(inter)
    assert edit.content == "done" and edit.path.endswith("/messages/@original")
    assert inter.response_content == "done"
    assert not int(inter.original_message["flags"]) & 128  # type: ignore[index]  # no longer "thinking"
    fake.assert_clean(require_no_pings=True)


@pytest.mark.asyncio
async def test_followup_is_recorded(fake: FakeDiscord, bot: MiniBot) -> None:
    inter, _ = await _ask(fake, "multi")
    followup = await fake.wait_for_followup(inter)
    assert followup.content == "two after one" and followup.ephemeral
    edit = await fake.wait_for_edit(inter)
    assert edit.message_id == followup.message_id and edit.content == "two edited"
    assert any(m == "GET" and "/messages/@original" in p and st == 200 for m, p, st in fake.requests)
    fake.assert_clean(require_no_pings=True)


@pytest.mark.asyncio
async def test_followup_without_callback_is_refused(fake: FakeDiscord, bot: MiniBot) -> None:
    inter = await fake.send_interaction(fake.slash_command("rude"))
    await fake.wait_until(lambda: inter.refused)
    assert inter.callback is None and not inter.followups
    assert any(r.reason.startswith("10015") for r in fake.refusals)


@pytest.mark.asyncio
async def test_subcommand_and_dm(fake: FakeDiscord, bot: MiniBot) -> None:
    _, body = await _ask(fake, "story", options={"title": "Dune", "chapters": 3}, subcommand="start")
    assert body["data"]["content"] == "started Dune (3)"
    inter, body = await _ask(fake, "ping", in_dm=True)
    assert body["data"]["content"] == "pong"
    assert "user" in inter.payload and "member" not in inter.payload and inter.payload["context"] == 1
    await fake.send_message_create("secret", in_dm=True)
    await fake.wait_until(lambda: bot.seen)
    assert bot.seen[0].content == "secret" and bot.seen[0].guild is None  # DMs keep content
    fake.assert_clean(require_no_pings=True)


@pytest.mark.asyncio
async def test_guild_sync_uses_guild_command_ids(fake: FakeDiscord, bot: MiniBot) -> None:
    guild = discord.Object(id=fake.guild_id)
    bot.tree.copy_global_to(guild=guild)
    await bot.tree.sync(guild=guild)
    assert fake.command_syncs[-1][0] == fake.guild_id
    guild_ping = fake.command("ping", guild_id=fake.guild_id)
    assert guild_ping is not None and guild_ping["guild_id"] == str(fake.guild_id)
    assert guild_ping["id"] != fake.command("ping")["id"]  # type: ignore[index]
    inter, body = await _ask(fake, "ping")
    assert inter.payload["data"]["guild_id"] == str(fake.guild_id)
    assert inter.payload["data"]["id"] == guild_ping["id"]
    assert body["data"]["content"] == "pong"
    fake.assert_clean()


@pytest.mark.asyncio
async def test_autocomplete_answered_and_choice_limit(fake: FakeDiscord, bot: MiniBot) -> None:
    inter = await fake.send_interaction(fake.autocomplete("fruit", "name", "ap"))
    body = await fake.wait_for_response(inter)
    assert body["type"] == 8
    assert [c["value"] for c in inter.choices or []] == ["apple", "apricot"]
    fake.assert_clean()

    too_many = await fake.send_interaction(fake.autocomplete("fruit", "name", "many"))
    await fake.wait_for_response(too_many)
    assert not too_many.acknowledged
    assert any("more than 25 choices" in r.reason for r in fake.refusals)


@pytest.mark.asyncio
async def test_limits_are_refused(fake: FakeDiscord, bot: MiniBot) -> None:
    inter, _ = await _ask(fake, "toolong", options={"kind": "content"})
    assert not inter.acknowledged
    assert any("content longer than 2000" in r.reason and "/callback" in r.route for r in fake.refusals)

    inter2, _ = await _ask(fake, "toolong", options={"kind": "embeds"})
    assert not inter2.acknowledged
    assert any("more than 6000" in r.reason for r in fake.refusals)
    with pytest.raises(AssertionError, match="content longer than 2000"):
        fake.assert_clean()


@pytest.mark.asyncio
async def test_late_callback_is_refused(fake: FakeDiscord, bot: MiniBot) -> None:
    fake.callback_deadline = 0.3
    inter, _ = await _ask(fake, "sleepy")
    assert inter.late and not inter.acknowledged
    assert inter.response_time is not None and inter.response_time > 0.3
    assert any(r.reason.startswith("10062") for r in fake.refusals)


@pytest.mark.asyncio
async def test_double_callback_is_refused(fake: FakeDiscord, bot: MiniBot) -> None:
    @bot.tree.command(description="Answers twice")
    async def twice(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("a")
        # Bypass discord.py's own "already responded" guard to reach the server.
        interaction.response._response_type = None
        await interaction.response.send_message("b")

    await bot.tree.sync()
    inter, _ = await _ask(fake, "twice")
    await fake.wait_until(lambda: "second callback" in inter.refused)
    assert any(r.reason.startswith("40060") for r in fake.refusals)


@pytest.mark.asyncio
async def test_attachment_download_and_upload(fake: FakeDiscord, bot: MiniBot) -> None:
    att = fake.add_attachment("story.txt", b"once upon a time", "text/plain")
    inter, body = await _ask(fake, "upload", options={"file": att})
    assert body["data"]["content"] == "story.txt: once upon a time"
    record = await fake.wait_for_message(lambda m: m.interaction_id == inter.id)
    assert [(f.filename, f.data) for f in record.files] == [("reversed.txt", b"emit a nopu ecno")]
    assert record.message["attachments"][0]["filename"] == "reversed.txt"
    fake.assert_clean(require_no_pings=True)


@pytest.mark.asyncio
async def test_user_option_and_permissions(fake: FakeDiscord, bot: MiniBot) -> None:
    other = fake.add_user("alice")
    fake.add_member(fake.guild_id, other)
    _, body = await _ask(fake, "admin", options={"who": other}, permissions=discord.Permissions(manage_guild=True))
    assert body["data"]["content"] == "admin on alice"
    fake.assert_clean()


@pytest.mark.asyncio
async def test_button_click_edits_message(fake: FakeDiscord, bot: MiniBot) -> None:
    await _ask(fake, "button")
    await fake.wait_until(lambda: "button" in bot.handled, what="the view to be stored")
    click = await fake.send_interaction(fake.component("press"))
    body = await fake.wait_for_response(click)
    assert body["type"] == 7 and body["data"]["content"] == "pressed"
    assert click.original_message is not None and click.original_message["content"] == "pressed"
    fake.assert_clean(require_no_pings=True)


@pytest.mark.asyncio
async def test_modal_roundtrip(fake: FakeDiscord, bot: MiniBot) -> None:
    _, body = await _ask(fake, "feedback")
    assert body["type"] == 9 and body["data"]["custom_id"]
    await fake.wait_until(lambda: "feedback" in bot.handled, what="the modal to be stored")
    submit = await fake.send_interaction(fake.modal_submit(body["data"]["custom_id"], {"text": "great"}))
    answer = await fake.wait_for_response(submit)
    assert answer["data"]["content"] == "got great"
    fake.assert_clean()


@pytest.mark.asyncio
async def test_wrong_token_fails_login(fake: FakeDiscord) -> None:
    bot = MiniBot()
    try:
        with pytest.raises(discord.LoginFailure):
            await bot.start("not-the-token")
    finally:
        await bot.close()
    assert fake.auth_failures and fake.identify_count == 0


@pytest.mark.asyncio
async def test_resume_after_4000(fake: FakeDiscord, bot: MiniBot) -> None:
    await fake.close_gateway(4000)
    # Dispatched while the client is away: must be replayed on RESUME.
    buffered = await fake.send_interaction(fake.slash_command("ping"))
    await fake.wait_until_ready()
    assert fake.resume_count == 1 and fake.identify_count == 1
    assert fake.connections[-1].path == "/gateway-resume"
    assert (await fake.wait_for_response(buffered))["data"]["content"] == "pong"
    _, body = await _ask(fake, "ping")
    assert body["data"]["content"] == "pong"
    fake.assert_clean()


@pytest.mark.asyncio
@pytest.mark.parametrize("how", ["close_4009", "invalid_session"])
async def test_reidentify_after_invalid_session(fake: FakeDiscord, bot: MiniBot, how: str) -> None:
    if how == "close_4009":
        await fake.close_gateway(4009)
    else:
        await fake.send_invalid_session(resumable=False)
    await fake.wait_until(lambda: fake.identify_count == 2, what="a second IDENTIFY")
    await fake.wait_until_ready()
    assert fake.resume_count == 0 and fake.invalid_session_count == 1
    # After a 4009 discord.py still tries RESUME first; the fake answers op 9.
    assert len(fake.resumes) == (1 if how == "close_4009" else 0)
    _, body = await _ask(fake, "ping")
    assert body["data"]["content"] == "pong"
    fake.assert_clean()


@pytest.mark.asyncio
async def test_message_create_and_reply(fake: FakeDiscord, bot: MiniBot) -> None:
    await fake.send_message_create("just chatting")
    await fake.wait_until(lambda: len(bot.seen) == 1)
    assert bot.seen[0].content == ""  # no message-content intent, bot not mentioned

    sent = await fake.send_message_create(f"<@{fake.bot_user_id}> hello", mentions=[fake.bot_user_id])
    reply = await fake.wait_for_message(lambda m: m.kind == "channel")
    assert bot.seen[-1].content.endswith("hello")
    assert reply.message_reference is not None
    assert str(reply.message_reference["message_id"]) == sent["id"]
    assert reply.content == f"heard: <@{fake.bot_user_id}> hello"
    assert reply.pings_nobody()
    assert fake.typing == [fake.channel_id]
    fake.assert_clean(require_no_pings=True)


@pytest.mark.asyncio
async def test_unknown_route_and_unknown_message_reference(fake: FakeDiscord, bot: MiniBot) -> None:
    with pytest.raises(discord.NotFound):
        await bot.http.request(discord.http.Route("GET", "/stickers/{sid}", sid=1))
    assert fake.unknown_routes == ["GET /api/v10/stickers/1"]
    channel = bot.get_channel(fake.channel_id)
    assert isinstance(channel, discord.TextChannel)
    with pytest.raises(discord.HTTPException):
        await channel.send("hi", reference=discord.MessageReference(message_id=12345, channel_id=fake.channel_id))
    with pytest.raises(AssertionError, match="unknown route"):
        fake.assert_clean()


@pytest.mark.asyncio
async def test_identify_with_wrong_token_closes_4004(fake: FakeDiscord) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(fake.gateway_url + "?v=10&encoding=json") as ws:
            hello = await ws.receive_json()
            assert hello["op"] == 10 and hello["d"]["heartbeat_interval"] == 41250
            await ws.send_json({"op": 1, "d": None})
            assert (await ws.receive_json())["op"] == 11
            await ws.send_json({"op": 2, "d": {"token": "wrong", "intents": 1, "properties": {}}})
            msg = await ws.receive()
            assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 4004
    assert fake.identify_count == 0 and "IDENTIFY" in fake.auth_failures


@pytest.mark.asyncio
async def test_close_4004_stops_the_bot(fake: FakeDiscord) -> None:
    bot, task = await _start(fake)
    try:
        await fake.close_gateway(4004)
        with pytest.raises(discord.ConnectionClosed) as excinfo:
            await asyncio.wait_for(task, 5)
        assert excinfo.value.code == 4004
        assert fake.connection_count == 1  # no reconnect attempt
    finally:
        await bot.close()


@pytest.mark.asyncio
async def test_rest_content_type_is_exact(fake: FakeDiscord) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(fake.api_base + "/users/@me", headers={"Authorization": f"Bot {TOKEN}"}) as resp:
            assert resp.headers["Content-Type"] == "application/json"
            assert (await resp.json())["id"] == str(fake.bot_user_id)
        async with session.get(fake.api_base + "/users/@me", headers={"Authorization": "Bot nope"}) as resp:
            assert resp.status == 401 and await resp.json() == {"message": "401: Unauthorized", "code": 0}


@pytest.mark.asyncio
async def test_autosharded_bot(fake: FakeDiscord) -> None:
    bot = commands.AutoShardedBot(
        command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.1, help_command=None
    )

    @bot.tree.command(description="Answer pong")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong", allowed_mentions=discord.AllowedMentions.none())

    async def setup_hook() -> None:
        await bot.tree.sync()

    bot.setup_hook = setup_hook  # type: ignore[method-assign]
    task = asyncio.create_task(bot.start(TOKEN))
    try:
        await fake.wait_until_ready()
        await asyncio.wait_for(bot.wait_until_ready(), 5)
        assert fake.last_identify is not None and fake.last_identify["shard"] == [0, 1]
        assert any(p.startswith("/api/v10/gateway/bot") for _, p, _ in fake.requests)
        _, body = await _ask(fake, "ping")
        assert body["data"]["content"] == "pong"
        fake.assert_clean()
    finally:
        await bot.close()
        await asyncio.wait_for(task, 5)


def test_patched_endpoints_restore() -> None:
    old_base, old_gw = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    with patched_discord_endpoints("http://127.0.0.1:1/api/v10", "ws://127.0.0.1:1/gateway"):
        assert discord.http.Route("GET", "/users/@me").url == "http://127.0.0.1:1/api/v10/users/@me"
        assert str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY) == "ws://127.0.0.1:1/gateway"
    assert discord.http.Route.BASE == old_base
    assert discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY == old_gw
