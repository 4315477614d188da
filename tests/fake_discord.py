"""A small, strict, in-process fake of Discord (REST API + gateway) for end-to-end tests.

Why this exists: there is no network in CI, dpytest cannot drive slash commands, and
calling command callbacks directly skips option parsing, checks, autocomplete, error
handlers and the HTTP layer. An unmodified ``discord.ext.commands.Bot`` can instead
log in to this aiohttp server on 127.0.0.1, sync its commands, receive
``INTERACTION_CREATE`` / ``MESSAGE_CREATE`` over a real websocket and post its answers
back over real HTTP. The fake is deliberately *strict*: it refuses what real Discord
refuses (length limits, late or double interaction responses, unknown routes, bad
tokens), records every refusal, and :meth:`FakeDiscord.assert_clean` turns them into a
test failure. That is the point: a bug that would only show up as a 400 in production
shows up as a red test here.

Pointing a client at it takes two class attributes (see
:func:`patched_discord_endpoints`)::

    async with FakeDiscord(token="t") as fake, point_client_at(fake):
        task = asyncio.create_task(bot.start("t"))
        await fake.wait_until_ready()
        inter = await fake.send_interaction(fake.slash_command("ping"))
        body = await fake.wait_for_response(inter)

Everything here was checked against discord.py 2.7.1 (see tests/test_fake_discord.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import (
    Any,
    Callable,
    Deque,
    Dict,
    Iterator,
    List,
    Mapping,
    NamedTuple,
    Optional,
    Sequence,
    Tuple,
    TypeVar,
    Union,
)

import discord
import discord.gateway
import discord.http
import yarl
from aiohttp import WSMsgType, web

__all__ = [
    "FakeDiscord",
    "FakeGuild",
    "FakeAttachment",
    "FakeInteraction",
    "MessageRecord",
    "Refusal",
    "UploadedFile",
    "GatewayConnection",
    "patched_discord_endpoints",
    "point_client_at",
    "MESSAGE_CONTENT_INTENT",
]

T = TypeVar("T")
JSON = Dict[str, Any]

API_PREFIX = "/api/v10"
DISCORD_EPOCH_MS = 1420070400000

# Gateway intents that change what the fake sends (values from the Discord docs).
GUILD_MEMBERS_INTENT = 1 << 1
GUILD_MESSAGES_INTENT = 1 << 9
GUILD_PRESENCES_INTENT = 1 << 8
DIRECT_MESSAGES_INTENT = 1 << 12
MESSAGE_CONTENT_INTENT = 1 << 15
PRIVILEGED_INTENTS = GUILD_MEMBERS_INTENT | GUILD_PRESENCES_INTENT | MESSAGE_CONTENT_INTENT

# Message flags.
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7
FLAG_IS_COMPONENTS_V2 = 1 << 15

# Interaction types (incoming) and callback types (outgoing).
PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5
CB_PONG, CB_MESSAGE, CB_DEFER, CB_DEFER_UPDATE, CB_UPDATE, CB_AUTOCOMPLETE, CB_MODAL = 1, 4, 5, 6, 7, 8, 9

# Application command option types.
OPT_SUB_COMMAND, OPT_SUB_COMMAND_GROUP = 1, 2
OPT_STRING, OPT_INTEGER, OPT_BOOLEAN, OPT_USER, OPT_CHANNEL, OPT_ROLE = 3, 4, 5, 6, 7, 8
OPT_MENTIONABLE, OPT_NUMBER, OPT_ATTACHMENT = 9, 10, 11

SELECT_TYPES = {3, 5, 6, 7, 8}

DEFAULT_MEMBER_PERMISSIONS: int = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    read_message_history=True,
    embed_links=True,
    attach_files=True,
    add_reactions=True,
    use_application_commands=True,
    use_external_emojis=True,
).value
BOT_PERMISSIONS: int = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    read_message_history=True,
    embed_links=True,
    attach_files=True,
    add_reactions=True,
    use_external_emojis=True,
).value

# Routes that authenticate with the token in the URL, not the Authorization header.
_NO_AUTH_RE = re.compile(r"^/api/v\d+/(interactions/\d+/[^/]+/callback|webhooks/\d+/[^/]+)")


# --------------------------------------------------------------------------- helpers


def _now_iso() -> str:
    """ISO-8601 timestamp in the format Discord uses (discord.py parses it)."""
    return datetime.now(timezone.utc).isoformat()


def _json_response(data: Any, status: int = 200) -> web.Response:
    """A JSON response whose Content-Type is exactly ``application/json``.

    Why: discord.py's ``json_or_text`` compares the header with ``==``; aiohttp's
    ``json_response`` appends ``; charset=utf-8`` and discord.py would then hand the
    body back as a *string*, breaking every caller.
    """
    return web.Response(
        body=json.dumps(data).encode("utf-8"),
        status=status,
        headers={"Content-Type": "application/json"},
    )


def _error_tree(problems: Sequence[Tuple[str, str, str]]) -> JSON:
    """Build Discord's nested ``errors`` object from ``(dotted.path, CODE, message)``.

    discord.py flattens this into the exception text, so failing tests read like the
    errors production would log.
    """
    root: JSON = {}
    for path, code, message in problems:
        node = root
        for part in [p for p in path.split(".") if p]:
            node = node.setdefault(part, {})
        node.setdefault("_errors", []).append({"code": code, "message": message})
    return root


def _as_perm_str(value: Union[int, str, discord.Permissions, None], default: int) -> str:
    """Permissions travel as decimal strings on the wire; accept the handy Python forms."""
    if value is None:
        return str(default)
    if isinstance(value, discord.Permissions):
        return str(value.value)
    return str(int(value))


class Refusal(NamedTuple):
    """One request the fake refused the way Discord would: ``(route, reason)``."""

    route: str
    reason: str


@dataclass
class UploadedFile:
    """A file the bot uploaded in a multipart request (``files[n]`` part)."""

    field_name: str
    filename: str
    content_type: Optional[str]
    data: bytes


@dataclass
class FakeAttachment:
    """A file a test "uploads" as a slash-command ATTACHMENT option.

    The bot downloads it from ``url``, which the fake serves, so attachment handling is
    exercised through the real ``Attachment.read()`` path.
    """

    id: int
    filename: str
    data: bytes
    content_type: Optional[str]
    url: str

    def payload(self) -> JSON:
        """The attachment object as it appears in ``data.resolved.attachments``."""
        out: JSON = {
            "id": str(self.id),
            "filename": self.filename,
            "size": len(self.data),
            "url": self.url,
            "proxy_url": self.url,
        }
        if self.content_type:
            out["content_type"] = self.content_type
        return out


@dataclass
class MessageRecord:
    """A message-like body the bot sent, and what the fake answered.

    ``kind`` is one of ``"callback"`` (interaction response of type 4 or 7),
    ``"followup"``, ``"edit"`` (webhook/interaction edit), ``"channel"``
    (``POST /channels/{id}/messages``) or ``"channel_edit"``.
    """

    kind: str
    method: str
    path: str
    body: JSON
    message: JSON
    channel_id: int
    interaction_id: Optional[int] = None
    files: List[UploadedFile] = field(default_factory=list)
    at: float = field(default_factory=time.monotonic)

    @property
    def route(self) -> str:
        """``"METHOD /path"`` for messages and assertion output."""
        return f"{self.method} {self.path}"

    @property
    def message_id(self) -> int:
        """Id of the message that was created or edited."""
        return int(self.message["id"])

    @property
    def content(self) -> Optional[str]:
        """Content as sent in this body (``None`` if the body did not set it)."""
        return self.body.get("content")

    @property
    def embeds(self) -> List[JSON]:
        return list(self.body.get("embeds") or [])

    @property
    def components(self) -> List[JSON]:
        return list(self.body.get("components") or [])

    @property
    def flags(self) -> int:
        return int(self.body.get("flags") or 0)

    @property
    def ephemeral(self) -> bool:
        """True if the resulting message is only visible to the invoking user."""
        return bool(int(self.message.get("flags") or 0) & FLAG_EPHEMERAL)

    @property
    def allowed_mentions_present(self) -> bool:
        return "allowed_mentions" in self.body

    @property
    def allowed_mentions(self) -> Optional[JSON]:
        """The ``allowed_mentions`` object sent, or ``None`` if the body had none."""
        return self.body.get("allowed_mentions")

    @property
    def message_reference(self) -> Optional[JSON]:
        return self.body.get("message_reference")

    def pings_nobody(self) -> bool:
        """True if ``allowed_mentions`` is present and cannot ping anyone."""
        am = self.allowed_mentions
        if am is None:
            return False
        return (
            not am.get("parse")
            and not am.get("users")
            and not am.get("roles")
            and not am.get("replied_user", False)
        )


@dataclass
class FakeInteraction:
    """One interaction dispatched to the bot and everything the bot did with it."""

    id: int
    token: str
    type: int
    payload: JSON
    sent_at: float
    channel_id: int
    callback_at: Optional[float] = None
    callback_type: Optional[int] = None
    callback: Optional[JSON] = None
    acknowledged: bool = False
    late: bool = False
    original_message: Optional[JSON] = None
    followups: List[MessageRecord] = field(default_factory=list)
    edits: List[MessageRecord] = field(default_factory=list)
    refused: List[str] = field(default_factory=list)

    @property
    def name(self) -> Optional[str]:
        """Command name (type 2/4) or custom_id (type 3/5)."""
        data = self.payload.get("data") or {}
        return data.get("name") or data.get("custom_id")

    @property
    def response_time(self) -> Optional[float]:
        """Seconds from dispatch to the first callback attempt."""
        if self.callback_at is None:
            return None
        return self.callback_at - self.sent_at

    @property
    def choices(self) -> Optional[List[JSON]]:
        """Autocomplete choices, if the bot answered with callback type 8."""
        if self.callback is None or self.callback.get("type") != CB_AUTOCOMPLETE:
            return None
        return list((self.callback.get("data") or {}).get("choices") or [])

    @property
    def response_content(self) -> Optional[str]:
        """Current content of the original response message (after edits)."""
        if self.original_message is None:
            return None
        return self.original_message.get("content")


@dataclass
class FakeGuild:
    """A guild the fake announces in GUILD_CREATE (channels, roles, members)."""

    id: int
    name: str
    owner_id: int
    channels: Dict[str, int] = field(default_factory=dict)
    roles: Dict[int, JSON] = field(default_factory=dict)
    members: Dict[int, JSON] = field(default_factory=dict)

    def channel(self, name: str) -> int:
        """Id of the channel called ``name``."""
        return self.channels[name]

    def role_id(self, name: str) -> int:
        """Id of the role called ``name``."""
        for rid, role in self.roles.items():
            if role["name"] == name:
                return rid
        raise KeyError(name)


@dataclass
class _Session:
    """Gateway session: the sequence counter and the events a RESUME can replay."""

    session_id: str
    intents: int
    shard: Optional[List[int]]
    seq: int = 0
    events: Deque[Tuple[int, JSON]] = field(default_factory=lambda: deque(maxlen=1000))
    invalidated: bool = False


@dataclass
class GatewayConnection:
    """One websocket connection from the client (kept for assertions)."""

    number: int
    ws: web.WebSocketResponse
    path: str
    query: Dict[str, str]
    opened_at: float = field(default_factory=time.monotonic)
    session: Optional[_Session] = None
    how: Optional[str] = None  # "identify" | "resume" | "invalid_session"
    live: bool = False  # events may be sent (set before READY / replay)
    ready: bool = False  # READY + GUILD_CREATEs, or RESUMED, were sent
    closed_at: Optional[float] = None
    close_code: Optional[int] = None
    closed_by_fake: bool = False
    heartbeats: int = 0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class _RefusedError(Exception):
    """Raised inside handlers to short-circuit with a Discord-style error response."""

    def __init__(self, response: web.Response) -> None:
        super().__init__("refused")
        self.response = response


# ------------------------------------------------------------------ endpoint patching


@contextlib.contextmanager
def patched_discord_endpoints(api_base: str, gateway_url: str) -> Iterator[None]:
    """Point discord.py's REST and gateway at other URLs, and restore them after.

    ``Route.BASE`` is read every time a ``Route`` is built (REST, interaction
    callbacks and webhooks all use it) and ``DiscordWebSocket.DEFAULT_GATEWAY`` is
    used for the first connection and after an INVALID_SESSION; a plain ``Bot`` never
    asks ``/gateway/bot``. Production code may set the same two attributes from
    ``DISCORD_API_BASE`` / ``DISCORD_GATEWAY_URL``; this only restores what was there.
    """
    old_base = discord.http.Route.BASE
    old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
    try:
        yield
    finally:
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway


def point_client_at(fake: "FakeDiscord") -> contextlib.AbstractContextManager[None]:
    """``patched_discord_endpoints`` for a started :class:`FakeDiscord`."""
    return patched_discord_endpoints(fake.api_base, fake.gateway_url)


# ------------------------------------------------------------------------ the fake


# Every wait in the fake is a hang guard (see `FakeDiscord.wait_until`): at least this long.
WAIT_FLOOR = 30.0


class FakeDiscord:
    """Fake Discord REST + gateway server. See the module docstring for usage.

    Public state for assertions (all plain lists/dicts, newest last):

    - ``refusals``: :class:`Refusal` for every request refused as Discord would.
    - ``unknown_routes``: ``"METHOD /path"`` of requests to routes the fake lacks.
    - ``auth_failures``: requests / IDENTIFYs with a wrong token.
    - ``messages``: :class:`MessageRecord` for every message-like body the bot sent.
    - ``interactions``: :class:`FakeInteraction` by id.
    - ``requests``: ``(method, path_qs, status)`` of every HTTP request.
    - ``command_syncs``: ``(scope, body)`` per command PUT; ``scope`` is ``"global"``
      or the guild id. ``global_commands`` / ``guild_commands[guild_id]`` hold the
      currently registered commands (with ids), as Discord would return them.
    - ``identifies`` / ``resumes``: the ``d`` of every IDENTIFY / RESUME.
    - ``identify_count``, ``resume_count``, ``connection_count``,
      ``invalid_session_count``, ``connections``.
    - ``log``: bounded deque of ``(monotonic_time, kind, text)``.
    """

    def __init__(
        self,
        token: str = "fake-bot-token",
        *,
        bot_name: str = "StoryBot",
        guild_name: str = "Test Guild",
        channel_names: Sequence[str] = ("general",),
        heartbeat_interval: int = 41250,
        callback_deadline: float = 3.0,
        emulate_message_content_intent: bool = True,
        echo_messages: bool = True,
        disallowed_intents: int = 0,
        log_size: int = 2000,
        host: str = "127.0.0.1",
    ) -> None:
        """Create the fake with one guild (``guild_id``), its channels and a human user.

        ``callback_deadline`` is Discord's 3 s window for the first interaction
        response; lower it in tests that prove late answers are caught.
        ``emulate_message_content_intent`` blanks content of guild messages that do
        not mention the bot when the client did not ask for the message-content
        intent, as Discord does. ``echo_messages`` dispatches MESSAGE_CREATE for the
        bot's own messages, as Discord does (so a bot that answers itself loops here
        too). ``disallowed_intents`` are privileged intents "not enabled in the
        developer portal": asking for them closes the gateway with 4014.
        """
        self.token = token
        self.host = host
        self.heartbeat_interval = heartbeat_interval
        self.callback_deadline = callback_deadline
        self.emulate_message_content_intent = emulate_message_content_intent
        self.echo_messages = echo_messages
        self.disallowed_intents = disallowed_intents
        self.ack_heartbeats = True

        self._ids: Iterator[int] = itertools.count(((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22) + 1)
        self._runner: Optional[web.AppRunner] = None
        self._port: Optional[int] = None
        self._changed: asyncio.Event = asyncio.Event()

        # Recorded state.
        self.log: Deque[Tuple[float, str, str]] = deque(maxlen=log_size)
        self.requests: Deque[Tuple[str, str, int]] = deque(maxlen=log_size)
        self.refusals: List[Refusal] = []
        self.unknown_routes: List[str] = []
        self.auth_failures: List[str] = []
        self.messages: List[MessageRecord] = []
        self.deleted_messages: List[Tuple[int, int]] = []
        self.reactions: List[Tuple[str, int, int, str]] = []
        self.typing: List[int] = []
        self.interactions: Dict[int, FakeInteraction] = {}
        self._interactions_by_token: Dict[str, FakeInteraction] = {}
        self.command_syncs: List[Tuple[Union[str, int], List[JSON]]] = []
        self.global_commands: List[JSON] = []
        self.guild_commands: Dict[int, List[JSON]] = {}
        self._command_ids: Dict[Tuple[Union[str, int], int, str], int] = {}
        self.identifies: List[JSON] = []
        self.resumes: List[JSON] = []
        self.identify_count = 0
        self.resume_count = 0
        self.invalid_session_count = 0
        self.connection_count = 0
        self.connections: List[GatewayConnection] = []
        self._current: Optional[GatewayConnection] = None
        self._sessions: Dict[str, _Session] = {}
        self._session: Optional[_Session] = None

        # Entities.
        self.application_id: int = self.next_id()
        self.bot_user_id: int = self.application_id  # like real bots: same id
        self.users: Dict[int, JSON] = {}
        self.add_user(bot_name, user_id=self.bot_user_id, bot=True)
        self.bot_user: JSON = self.users[self.bot_user_id]
        self.user_id: int = self.add_user("tester")
        self.owner_id: int = self.add_user("owner")  # the application's owner: not the tester
        self.guilds: Dict[int, FakeGuild] = {}
        self.channels: Dict[int, JSON] = {}
        self.attachments: Dict[int, FakeAttachment] = {}
        self._message_store: Dict[int, JSON] = {}
        self._modals: Dict[str, JSON] = {}
        guild = self.add_guild(guild_name, channel_names=channel_names)
        self.guild_id: int = guild.id
        self.channel_id: int = next(iter(guild.channels.values()))

    # ----------------------------------------------------------------- lifecycle

    def next_id(self) -> int:
        """A fresh snowflake (time-based, strictly increasing)."""
        return next(self._ids)

    async def start(self) -> "FakeDiscord":
        """Start the HTTP/websocket server on a free port of ``host``."""
        app = web.Application(middlewares=[self._middleware], client_max_size=64 * 1024 * 1024)
        self._add_routes(app)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self._port = int(self._runner.addresses[0][1])
        self._log("server", f"listening on {self.base_url}")
        return self

    async def stop(self) -> None:
        """Close live websockets (code 1001) and stop the server."""
        for conn in list(self.connections):
            if not conn.ws.closed:
                conn.closed_by_fake = True
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(conn.ws.close(code=1001, message=b"fake stopping"), 2.0)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> "FakeDiscord":
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeDiscord is not started")
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        """Value for ``discord.http.Route.BASE`` / ``DISCORD_API_BASE``."""
        return f"{self.base_url}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        """Value for ``DiscordWebSocket.DEFAULT_GATEWAY`` / ``DISCORD_GATEWAY_URL``."""
        return f"ws://{self.host}:{self.port}/gateway"

    @property
    def resume_gateway_url(self) -> str:
        """Sent in READY; a distinct path so tests can see the client used it."""
        return f"ws://{self.host}:{self.port}/gateway-resume"

    # --------------------------------------------------------------- bookkeeping

    def _log(self, kind: str, text: str) -> None:
        self.log.append((time.monotonic(), kind, text))

    def _bump(self) -> None:
        """Wake every ``wait_until`` so it re-checks its predicate."""
        ev, self._changed = self._changed, asyncio.Event()
        ev.set()

    def _refusal(self, route: str, reason: str) -> None:
        self.refusals.append(Refusal(route, reason))
        self._log("refusal", f"{route}: {reason}")
        self._bump()

    def _refuse(
        self,
        request: web.Request,
        status: int,
        code: int,
        message: str,
        reason: Optional[str] = None,
        problems: Sequence[Tuple[str, str, str]] = (),
        record: bool = True,
    ) -> _RefusedError:
        """Build (and record) a Discord-style error; ``raise`` the result."""
        route = f"{request.method} {request.path}"
        if record:
            self._refusal(route, f"{code}: {reason or message}")
        body: JSON = {"message": message, "code": code}
        if problems:
            body["errors"] = _error_tree(problems)
        return _RefusedError(_json_response(body, status))

    def assert_clean(self, *, require_no_pings: bool = False) -> None:
        """Fail the test if anything was refused or hit a route the fake lacks.

        With ``require_no_pings`` also fail for any message whose ``allowed_mentions``
        is missing or could ping someone.
        """
        problems: List[str] = [f"refused {r.route}: {r.reason}" for r in self.refusals]
        problems += [f"unknown route {r}" for r in self.unknown_routes]
        if require_no_pings:
            problems += [
                f"message without safe allowed_mentions: {m.route} {m.allowed_mentions!r}"
                for m in self.messages
                if not m.pings_nobody()
            ]
        if problems:
            raise AssertionError("fake Discord saw problems:\n  " + "\n  ".join(problems))

    async def wait_until(
        self, predicate: Callable[[], Optional[T]], timeout: float = 5.0, what: str = "", poll: float = 0.02
    ) -> T:
        """Wait until ``predicate()`` is truthy and return its value.

        Re-checked whenever the fake records something (no delay), and at least every
        ``poll`` seconds so predicates on the bot's own state (``bot.seen`` ...) work too.
        The timeout error lists recent log lines, which is usually the diagnosis.
        ``timeout`` is a hang guard, never a verdict on speed: it is raised to at least
        ``WAIT_FLOOR`` seconds so a busy CI machine makes a run slower, not red.
        """
        timeout = max(timeout, WAIT_FLOOR)
        deadline = time.monotonic() + timeout
        while True:
            ev = self._changed
            result = predicate()
            if result:
                return result
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                recent = "\n  ".join(f"{k}: {t}" for _, k, t in list(self.log)[-25:])
                raise TimeoutError(f"timed out after {timeout}s waiting for {what or predicate!r}; recent:\n  {recent}")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(ev.wait(), min(remaining, poll))

    # ------------------------------------------------------------------ entities

    def add_user(self, name: str, *, user_id: Optional[int] = None, bot: bool = False) -> int:
        """Register a user (payload in ``users[id]``); returns its id."""
        uid = user_id or self.next_id()
        user: JSON = {
            "id": str(uid),
            "username": name,
            "discriminator": "0",
            "global_name": name,
            "avatar": None,
            "bot": bot,
            "public_flags": 0,
        }
        self.users[uid] = user
        return uid

    def _user(self, user_id: int) -> JSON:
        """User payload; unknown ids get a generated user so tests can use any id."""
        if user_id not in self.users:
            self.add_user(f"user{user_id % 10000}", user_id=user_id)
        return dict(self.users[user_id])

    def add_guild(self, name: str = "Guild", *, channel_names: Sequence[str] = ("general",)) -> FakeGuild:
        """Register a guild with text channels, @everyone, a bot role, the bot and the tester.

        Guilds added before the client connects are sent in GUILD_CREATE after READY;
        for later ones call :meth:`dispatch_guild_create`.
        """
        gid = self.next_id()
        guild = FakeGuild(id=gid, name=name, owner_id=self.user_id)
        guild.roles[gid] = self._role_payload(gid, "@everyone", DEFAULT_MEMBER_PERMISSIONS, position=0)
        bot_role = self.next_id()
        guild.roles[bot_role] = self._role_payload(bot_role, self.users[self.bot_user_id]["username"], BOT_PERMISSIONS, position=1, managed=True)
        for position, cname in enumerate(channel_names):
            cid = self.next_id()
            guild.channels[cname] = cid
            self.channels[cid] = {
                "id": str(cid),
                "type": 0,
                "guild_id": str(gid),
                "name": cname,
                "position": position,
                "permission_overwrites": [],
                "nsfw": False,
                "parent_id": None,
                "topic": None,
                "last_message_id": None,
                "rate_limit_per_user": 0,
                "flags": 0,
            }
        self.guilds[gid] = guild
        self.add_member(gid, self.bot_user_id, roles=[bot_role])
        self.add_member(gid, self.user_id)
        return guild

    @staticmethod
    def _role_payload(rid: int, name: str, permissions: int, *, position: int, managed: bool = False) -> JSON:
        return {
            "id": str(rid),
            "name": name,
            "permissions": str(permissions),
            "position": position,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "managed": managed,
            "mentionable": False,
            "icon": None,
            "unicode_emoji": None,
            "flags": 0,
        }

    def add_role(self, guild_id: int, name: str, permissions: Union[int, str, discord.Permissions] = 0) -> int:
        """Add a role to a guild (before connecting, or re-send GUILD_CREATE); returns its id."""
        guild = self.guilds[guild_id]
        rid = self.next_id()
        guild.roles[rid] = self._role_payload(rid, name, int(_as_perm_str(permissions, 0)), position=len(guild.roles))
        return rid

    def add_member(self, guild_id: int, user_id: int, *, roles: Sequence[int] = ()) -> JSON:
        """Make ``user_id`` a member of the guild (registering the user if needed)."""
        self._user(user_id)
        member: JSON = {
            "roles": [str(r) for r in roles],
            "joined_at": _now_iso(),
            "flags": 0,
            "deaf": False,
            "mute": False,
            "nick": None,
            "avatar": None,
            "pending": False,
            "premium_since": None,
            "communication_disabled_until": None,
        }
        self.guilds[guild_id].members[user_id] = member
        return member

    def _member_payload(self, guild_id: int, user_id: int, *, with_user: bool = True, permissions: Optional[str] = None, roles: Optional[Sequence[int]] = None) -> JSON:
        guild = self.guilds.get(guild_id)
        base = (guild.members.get(user_id) if guild else None) or {
            "roles": [],
            "joined_at": _now_iso(),
            "flags": 0,
            "deaf": False,
            "mute": False,
            "nick": None,
            "avatar": None,
            "pending": False,
            "premium_since": None,
            "communication_disabled_until": None,
        }
        member = dict(base)
        if roles is not None:
            member["roles"] = [str(r) for r in roles]
        if permissions is not None:
            member["permissions"] = permissions
        if with_user:
            member["user"] = self._user(user_id)
        return member

    def dm_channel_id(self, user_id: int) -> int:
        """Id of the DM channel between the bot and ``user_id`` (created on first use)."""
        for cid, ch in self.channels.items():
            if ch["type"] == 1 and ch["recipients"][0]["id"] == str(user_id):
                return cid
        cid = self.next_id()
        self.channels[cid] = {
            "id": str(cid),
            "type": 1,
            "recipients": [self._user(user_id)],
            "last_message_id": None,
            "flags": 0,
        }
        return cid

    def _guild_of_channel(self, channel_id: int) -> Optional[int]:
        ch = self.channels.get(channel_id)
        if ch is None or "guild_id" not in ch:
            return None
        return int(ch["guild_id"])

    def add_attachment(self, filename: str, data: bytes, content_type: Optional[str] = None) -> FakeAttachment:
        """Register bytes the bot can download; use the result as an ATTACHMENT option value."""
        aid = self.next_id()
        att = FakeAttachment(aid, filename, data, content_type, f"{self.base_url}/attachments/{aid}/{filename}")
        self.attachments[aid] = att
        return att

    def guild_create_payload(self, guild_id: int) -> JSON:
        """Full GUILD_CREATE data discord.py needs to cache the guild, channels and roles."""
        guild = self.guilds[guild_id]
        channels = [
            {k: v for k, v in ch.items() if k != "guild_id"}
            for ch in self.channels.values()
            if ch.get("guild_id") == str(guild_id)
        ]
        return {
            "id": str(guild.id),
            "name": guild.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "owner_id": str(guild.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "roles": list(guild.roles.values()),
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "public_updates_channel_id": None,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "joined_at": _now_iso(),
            "large": False,
            "unavailable": False,
            "member_count": len(guild.members),
            "voice_states": [],
            "members": [self._member_payload(guild.id, uid) for uid in guild.members],
            "channels": channels,
            "threads": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }

    # ------------------------------------------------------------ message objects

    def _make_message(
        self,
        *,
        channel_id: int,
        author: JSON,
        body: JSON,
        msg_type: int = 0,
        files: Sequence[UploadedFile] = (),
        webhook_id: Optional[int] = None,
        interaction: Optional[FakeInteraction] = None,
        message_id: Optional[int] = None,
        member: Optional[JSON] = None,
        mentions: Sequence[JSON] = (),
    ) -> JSON:
        """A complete message object (what Discord returns and dispatches)."""
        mid = message_id or self.next_id()
        guild_id = self._guild_of_channel(channel_id)
        if interaction is not None and "guild_id" in interaction.payload:
            guild_id = int(interaction.payload["guild_id"])
        msg: JSON = {
            "id": str(mid),
            "channel_id": str(channel_id),
            "author": author,
            "content": body.get("content") or "",
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "tts": bool(body.get("tts", False)),
            "mention_everyone": False,
            "mentions": list(mentions),
            "mention_roles": [],
            "attachments": self._attachments_for(body, files),
            "embeds": list(body.get("embeds") or []),
            "components": list(body.get("components") or []),
            "reactions": [],
            "pinned": False,
            "type": msg_type,
            "flags": int(body.get("flags") or 0),
        }
        if guild_id is not None:
            msg["guild_id"] = str(guild_id)
            if member is not None:
                msg["member"] = member
        if webhook_id is not None:
            msg["webhook_id"] = str(webhook_id)
            msg["application_id"] = str(self.application_id)
        if interaction is not None:
            inter_user = (interaction.payload.get("member") or {}).get("user") or interaction.payload.get("user")
            msg["interaction_metadata"] = {
                "id": str(interaction.id),
                "type": interaction.type,
                "user": inter_user,
                "authorizing_integration_owners": interaction.payload.get("authorizing_integration_owners", {}),
            }
        ref = body.get("message_reference")
        if ref and ref.get("message_id"):
            msg["message_reference"] = {
                "type": ref.get("type", 0),
                "message_id": str(ref["message_id"]),
                "channel_id": str(ref.get("channel_id") or channel_id),
                **({"guild_id": str(ref["guild_id"])} if ref.get("guild_id") else {}),
            }
            referenced = self._message_store.get(int(ref["message_id"]))
            msg["referenced_message"] = referenced
        return msg

    def _attachments_for(self, body: JSON, files: Sequence[UploadedFile]) -> List[JSON]:
        """Turn uploaded files into attachment objects the fake can serve back."""
        out: List[JSON] = []
        declared = {str(a.get("id")): a for a in body.get("attachments") or []}
        for index, f in enumerate(files):
            aid = self.next_id()
            att = FakeAttachment(aid, f.filename, f.data, f.content_type, f"{self.base_url}/attachments/{aid}/{f.filename}")
            self.attachments[aid] = att
            payload = att.payload()
            meta = declared.get(str(index)) or {}
            if meta.get("description"):
                payload["description"] = meta["description"]
            out.append(payload)
        # Existing attachments kept on edit are passed back by id.
        for a in body.get("attachments") or []:
            try:
                existing = self.attachments.get(int(a.get("id")))
            except (TypeError, ValueError):
                existing = None
            if existing is not None and not files:
                out.append(existing.payload())
        return out

    def _apply_edit(self, message: JSON, body: JSON, files: Sequence[UploadedFile]) -> JSON:
        """Apply a PATCH body to a stored message, as Discord does (unset keys stay)."""
        for key in ("content", "embeds", "components"):
            if key in body:
                message[key] = body[key] if body[key] is not None else ("" if key == "content" else [])
        if "flags" in body and body["flags"] is not None:
            keep = int(message.get("flags") or 0) & FLAG_EPHEMERAL
            message["flags"] = (int(body["flags"]) & ~FLAG_LOADING) | keep
        else:
            message["flags"] = int(message.get("flags") or 0) & ~FLAG_LOADING
        if "attachments" in body or files:
            message["attachments"] = self._attachments_for(body, files)
        message["edited_timestamp"] = _now_iso()
        return message

    # --------------------------------------------------------------- validation

    def _validate_message(self, body: JSON, files: Sequence[UploadedFile], *, creating: bool) -> List[Tuple[str, str, str]]:
        """Discord's documented message limits; returns ``(path, CODE, message)`` problems."""
        problems: List[Tuple[str, str, str]] = []

        def add(path: str, code: str, message: str) -> None:
            problems.append((path, code, message))

        content = body.get("content")
        if content is not None and not isinstance(content, str):
            add("content", "BASE_TYPE_STRING", "content must be a string")
        elif content is not None and len(content) > 2000:
            add("content", "BASE_TYPE_MAX_LENGTH", f"content longer than 2000 characters ({len(content)})")

        flags = int(body.get("flags") or 0)
        v2 = bool(flags & FLAG_IS_COMPONENTS_V2)
        embeds = body.get("embeds") or []
        if len(embeds) > 10:
            add("embeds", "BASE_TYPE_MAX_LENGTH", f"more than 10 embeds ({len(embeds)})")
        total = 0
        for i, e in enumerate(embeds):
            p = f"embeds.{i}"
            title = e.get("title") or ""
            desc = e.get("description") or ""
            footer = (e.get("footer") or {}).get("text") or ""
            author = (e.get("author") or {}).get("name") or ""
            if len(title) > 256:
                add(f"{p}.title", "BASE_TYPE_MAX_LENGTH", f"embed title longer than 256 ({len(title)})")
            if len(desc) > 4096:
                add(f"{p}.description", "BASE_TYPE_MAX_LENGTH", f"embed description longer than 4096 ({len(desc)})")
            if len(footer) > 2048:
                add(f"{p}.footer.text", "BASE_TYPE_MAX_LENGTH", f"embed footer longer than 2048 ({len(footer)})")
            if len(author) > 256:
                add(f"{p}.author.name", "BASE_TYPE_MAX_LENGTH", f"embed author name longer than 256 ({len(author)})")
            fields = e.get("fields") or []
            if len(fields) > 25:
                add(f"{p}.fields", "BASE_TYPE_MAX_LENGTH", f"more than 25 embed fields ({len(fields)})")
            total += len(title) + len(desc) + len(footer) + len(author)
            for j, fld in enumerate(fields):
                name = fld.get("name")
                value = fld.get("value")
                if not name:
                    add(f"{p}.fields.{j}.name", "BASE_TYPE_REQUIRED", "embed field name is required (empty)")
                elif len(name) > 256:
                    add(f"{p}.fields.{j}.name", "BASE_TYPE_MAX_LENGTH", f"embed field name longer than 256 ({len(name)})")
                if not value:
                    add(f"{p}.fields.{j}.value", "BASE_TYPE_REQUIRED", "embed field value is required (empty)")
                elif len(value) > 1024:
                    add(f"{p}.fields.{j}.value", "BASE_TYPE_MAX_LENGTH", f"embed field value longer than 1024 ({len(value)})")
                total += len(name or "") + len(value or "")
        if total > 6000:
            add("embeds", "MAX_EMBED_SIZE_EXCEEDED", f"embeds total more than 6000 characters ({total})")

        components = body.get("components") or []
        custom_ids: List[str] = []
        if v2:
            if content or embeds:
                add("content", "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2", "content/embeds not allowed with IS_COMPONENTS_V2")
            count = sum(1 for _ in self._walk_components(components))
            if count > 40:
                add("components", "BASE_TYPE_MAX_LENGTH", f"more than 40 components ({count})")
        else:
            if len(components) > 5:
                add("components", "BASE_TYPE_MAX_LENGTH", f"more than 5 action rows ({len(components)})")
            for i, row in enumerate(components):
                if row.get("type") != 1:
                    add(f"components.{i}", "UNION_TYPE_CHOICES", f"top-level component {row.get('type')} needs IS_COMPONENTS_V2")
                    continue
                children = row.get("components") or []
                if not children:
                    add(f"components.{i}.components", "BASE_TYPE_MIN_LENGTH", "empty action row")
                if len(children) > 5:
                    add(f"components.{i}.components", "BASE_TYPE_MAX_LENGTH", f"more than 5 components in a row ({len(children)})")
                if any(c.get("type") in SELECT_TYPES for c in children) and len(children) > 1:
                    add(f"components.{i}.components", "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "a select menu must be alone in its row")
        for path, comp in self._walk_components(components, "components"):
            ctype = comp.get("type")
            cid = comp.get("custom_id")
            if cid is not None:
                custom_ids.append(cid)
                if len(cid) > 100:
                    add(f"{path}.custom_id", "BASE_TYPE_MAX_LENGTH", f"custom_id longer than 100 ({len(cid)})")
            if ctype == 2:
                label = comp.get("label")
                style = comp.get("style")
                if label is not None and len(label) > 80:
                    add(f"{path}.label", "BASE_TYPE_MAX_LENGTH", f"button label longer than 80 ({len(label)})")
                if style == 5:
                    if not comp.get("url"):
                        add(f"{path}.url", "BASE_TYPE_REQUIRED", "link button needs a url")
                    if cid is not None:
                        add(f"{path}.custom_id", "COMPONENT_CUSTOM_ID_NOT_ALLOWED", "link button cannot have a custom_id")
                elif style != 6 and not cid:
                    add(f"{path}.custom_id", "BASE_TYPE_REQUIRED", "button needs a custom_id")
                if style != 6 and not label and not comp.get("emoji"):
                    add(f"{path}", "BUTTON_LABEL_OR_EMOJI_REQUIRED", "button needs a label or emoji")
            elif ctype in SELECT_TYPES:
                if not cid:
                    add(f"{path}.custom_id", "BASE_TYPE_REQUIRED", "select needs a custom_id")
                placeholder = comp.get("placeholder") or ""
                if len(placeholder) > 150:
                    add(f"{path}.placeholder", "BASE_TYPE_MAX_LENGTH", f"placeholder longer than 150 ({len(placeholder)})")
                if ctype == 3:
                    options = comp.get("options") or []
                    if not 1 <= len(options) <= 25:
                        add(f"{path}.options", "BASE_TYPE_BAD_LENGTH", f"select needs 1-25 options ({len(options)})")
                    for k, opt in enumerate(options):
                        for key in ("label", "value", "description"):
                            val = opt.get(key) or ""
                            if len(val) > 100:
                                add(f"{path}.options.{k}.{key}", "BASE_TYPE_MAX_LENGTH", f"option {key} longer than 100 ({len(val)})")
                mx = comp.get("max_values", 1)
                mn = comp.get("min_values", 1)
                if not (0 <= mn <= 25 and 1 <= mx <= 25):
                    add(path, "BASE_TYPE_BAD_LENGTH", "min_values/max_values out of range")
        dupes = {c for c in custom_ids if custom_ids.count(c) > 1}
        if dupes:
            add("components", "COMPONENT_CUSTOM_ID_DUPLICATED", f"duplicate custom_id(s) {sorted(dupes)}")

        am = body.get("allowed_mentions")
        if am is not None:
            parse = am.get("parse") or []
            if "users" in parse and am.get("users"):
                add("allowed_mentions", "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE", "parse users and users are exclusive")
            if "roles" in parse and am.get("roles"):
                add("allowed_mentions", "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE", "parse roles and roles are exclusive")

        if creating and not (content or embeds or components or files or body.get("sticker_ids") or body.get("poll")):
            add("", "EMPTY_MESSAGE", "Cannot send an empty message")
        return problems

    def _walk_components(self, components: Sequence[JSON], prefix: str = "components") -> Iterator[Tuple[str, JSON]]:
        """Every component at any depth (rows, containers, sections, accessories)."""
        for i, comp in enumerate(components):
            path = f"{prefix}.{i}"
            yield path, comp
            if comp.get("components"):
                yield from self._walk_components(comp["components"], f"{path}.components")
            if comp.get("accessory"):
                yield f"{path}.accessory", comp["accessory"]
            if comp.get("component"):
                yield f"{path}.component", comp["component"]

    def _check_message(self, request: web.Request, body: JSON, files: Sequence[UploadedFile], *, creating: bool) -> None:
        problems = self._validate_message(body, files, creating=creating)
        if not problems:
            return
        if len(problems) == 1 and problems[0][1] == "EMPTY_MESSAGE":
            raise self._refuse(request, 400, 50006, "Cannot send an empty message")
        reason = "; ".join(f"{p or 'body'}: {m}" for p, _, m in problems)
        raise self._refuse(request, 400, 50035, "Invalid Form Body", reason, problems)

    # ------------------------------------------------------------------- routing

    def _add_routes(self, app: web.Application) -> None:
        a = API_PREFIX
        r = app.router
        r.add_get("/gateway", self._gateway_handler)
        r.add_get("/gateway-resume", self._gateway_handler)
        r.add_get("/attachments/{aid}/{filename}", self._get_attachment)
        r.add_get(f"{a}/users/@me", self._get_me)
        r.add_get(f"{a}/users/{{user_id}}", self._get_user)
        r.add_post(f"{a}/users/@me/channels", self._create_dm)
        r.add_get(f"{a}/oauth2/applications/@me", self._get_application)
        r.add_get(f"{a}/applications/@me", self._get_application)
        r.add_get(f"{a}/gateway", self._get_gateway)
        r.add_get(f"{a}/gateway/bot", self._get_gateway_bot)
        for base in (f"{a}/applications/{{app}}/commands", f"{a}/applications/{{app}}/guilds/{{guild}}/commands"):
            r.add_get(base, self._get_commands)
            r.add_put(base, self._put_commands)
            r.add_post(base, self._post_command)
            r.add_get(base + "/{cmd}", self._get_command)
            r.add_patch(base + "/{cmd}", self._patch_command)
            r.add_delete(base + "/{cmd}", self._delete_command)
        r.add_post(f"{a}/interactions/{{iid}}/{{itoken}}/callback", self._interaction_callback)
        r.add_post(f"{a}/webhooks/{{app}}/{{wtoken}}", self._webhook_execute)
        r.add_get(f"{a}/webhooks/{{app}}/{{wtoken}}/messages/{{mid}}", self._webhook_get_message)
        r.add_patch(f"{a}/webhooks/{{app}}/{{wtoken}}/messages/{{mid}}", self._webhook_edit_message)
        r.add_delete(f"{a}/webhooks/{{app}}/{{wtoken}}/messages/{{mid}}", self._webhook_delete_message)
        r.add_get(f"{a}/channels/{{cid}}", self._get_channel)
        r.add_post(f"{a}/channels/{{cid}}/typing", self._typing)
        r.add_get(f"{a}/channels/{{cid}}/messages", self._get_channel_messages)
        r.add_post(f"{a}/channels/{{cid}}/messages", self._create_channel_message)
        r.add_get(f"{a}/channels/{{cid}}/messages/{{mid}}", self._get_channel_message)
        r.add_patch(f"{a}/channels/{{cid}}/messages/{{mid}}", self._edit_channel_message)
        r.add_delete(f"{a}/channels/{{cid}}/messages/{{mid}}", self._delete_channel_message)
        r.add_put(f"{a}/channels/{{cid}}/messages/{{mid}}/reactions/{{emoji}}/@me", self._add_reaction)
        r.add_delete(f"{a}/channels/{{cid}}/messages/{{mid}}/reactions/{{emoji}}/@me", self._remove_reaction)
        r.add_get(f"{a}/guilds/{{gid}}", self._get_guild)
        r.add_get(f"{a}/guilds/{{gid}}/channels", self._get_guild_channels)
        r.add_get(f"{a}/guilds/{{gid}}/roles", self._get_guild_roles)
        r.add_get(f"{a}/guilds/{{gid}}/members/{{uid}}", self._get_guild_member)
        r.add_route("*", "/{tail:.*}", self._unknown_route)

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Callable[[web.Request], Any]) -> web.StreamResponse:
        """Token check for bot-authenticated routes, error short-circuit, request log."""
        path = request.path
        if path.startswith("/api/") and not _NO_AUTH_RE.match(path):
            auth = request.headers.get("Authorization")
            if auth != f"Bot {self.token}":
                self.auth_failures.append(f"{request.method} {path}")
                self._log("auth", f"401 {request.method} {path} (Authorization={'set' if auth else 'missing'})")
                self.requests.append((request.method, request.path_qs, 401))
                self._bump()
                return _json_response({"message": "401: Unauthorized", "code": 0}, 401)
        try:
            response: web.StreamResponse = await handler(request)
        except _RefusedError as exc:
            response = exc.response
        self.requests.append((request.method, request.path_qs, response.status))
        self._log("http", f"{request.method} {request.path_qs} -> {response.status}")
        return response

    async def _unknown_route(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() == "websocket":
            route = f"WEBSOCKET {request.path}"
        else:
            route = f"{request.method} {request.path}"
        self.unknown_routes.append(route)
        self._log("unknown", route)
        self._bump()
        return _json_response({"message": "404: Not Found", "code": 0}, 404)

    @staticmethod
    def _snowflake(request: web.Request, key: str) -> int:
        try:
            return int(request.match_info[key])
        except ValueError:
            raise _RefusedError(
                _json_response(
                    {"message": "Invalid Form Body", "code": 50035, "errors": _error_tree([(key, "NUMBER_TYPE_COERCE", "Value is not snowflake.")])},
                    400,
                )
            ) from None

    async def _read_body(self, request: web.Request) -> Tuple[JSON, List[UploadedFile]]:
        """JSON body, or multipart with ``payload_json`` + ``files[n]`` (attachments)."""
        files: List[UploadedFile] = []
        if request.content_type.startswith("multipart/"):
            body: JSON = {}
            reader = await request.multipart()
            while True:
                part = await reader.next()
                if part is None:
                    break
                name = part.name or ""  # type: ignore[union-attr]
                if name == "payload_json":
                    body = json.loads(await part.text())  # type: ignore[union-attr]
                else:
                    data = await part.read(decode=False)  # type: ignore[union-attr]
                    files.append(
                        UploadedFile(name, part.filename or name, part.headers.get("Content-Type"), bytes(data))  # type: ignore[union-attr]
                    )
            return body, files
        raw = await request.read()
        if not raw:
            return {}, files
        try:
            data = json.loads(raw)
        except ValueError:
            raise self._refuse(request, 400, 50109, "The request body contains invalid JSON.") from None
        return (data if isinstance(data, dict) else {"__list__": data}), files

    # ------------------------------------------------------------ simple REST

    async def _get_me(self, request: web.Request) -> web.Response:
        return _json_response(self.bot_user)

    async def _get_user(self, request: web.Request) -> web.Response:
        uid = self._snowflake(request, "user_id")
        if uid not in self.users:
            raise self._refuse(request, 404, 10013, "Unknown User")
        return _json_response(self.users[uid])

    async def _create_dm(self, request: web.Request) -> web.Response:
        body, _ = await self._read_body(request)
        uid = int(body.get("recipient_id", 0))
        return _json_response(self.channels[self.dm_channel_id(uid)])

    async def _get_application(self, request: web.Request) -> web.Response:
        owner = self._user(self.owner_id)
        return _json_response(
            {
                "id": str(self.application_id),
                "name": self.bot_user["username"],
                "icon": None,
                "description": "",
                "summary": "",
                "type": None,
                "bot_public": False,
                "bot_require_code_grant": False,
                "verify_key": "0" * 64,
                "flags": 0,
                "owner": owner,
                "team": None,
                "bot": self.bot_user,
                "interactions_endpoint_url": None,
                "install_params": None,
                "integration_types_config": {"0": {}},
                "redirect_uris": [],
                "approximate_guild_count": len(self.guilds),
            }
        )

    async def _get_gateway(self, request: web.Request) -> web.Response:
        return _json_response({"url": self.gateway_url})

    async def _get_gateway_bot(self, request: web.Request) -> web.Response:
        return _json_response(
            {
                "url": self.gateway_url,
                "shards": 1,
                "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1},
            }
        )

    async def _get_attachment(self, request: web.Request) -> web.Response:
        """The "CDN": serve registered bytes (no auth, like the real CDN)."""
        att = self.attachments.get(int(request.match_info["aid"]))
        if att is None or att.filename != request.match_info["filename"]:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=att.data, headers={"Content-Type": att.content_type or "application/octet-stream"})

    async def _get_channel(self, request: web.Request) -> web.Response:
        cid = self._snowflake(request, "cid")
        if cid not in self.channels:
            raise self._refuse(request, 404, 10003, "Unknown Channel")
        return _json_response(self.channels[cid])

    async def _typing(self, request: web.Request) -> web.Response:
        cid = self._snowflake(request, "cid")
        if cid not in self.channels:
            raise self._refuse(request, 404, 10003, "Unknown Channel")
        self.typing.append(cid)
        self._bump()
        return web.Response(status=204)

    async def _get_guild(self, request: web.Request) -> web.Response:
        gid = self._snowflake(request, "gid")
        if gid not in self.guilds:
            raise self._refuse(request, 404, 10004, "Unknown Guild")
        payload = self.guild_create_payload(gid)
        for key in ("members", "channels", "threads", "presences", "voice_states", "joined_at", "large", "member_count"):
            payload.pop(key, None)
        return _json_response(payload)

    async def _get_guild_channels(self, request: web.Request) -> web.Response:
        gid = self._snowflake(request, "gid")
        if gid not in self.guilds:
            raise self._refuse(request, 404, 10004, "Unknown Guild")
        return _json_response([c for c in self.channels.values() if c.get("guild_id") == str(gid)])

    async def _get_guild_roles(self, request: web.Request) -> web.Response:
        gid = self._snowflake(request, "gid")
        if gid not in self.guilds:
            raise self._refuse(request, 404, 10004, "Unknown Guild")
        return _json_response(list(self.guilds[gid].roles.values()))

    async def _get_guild_member(self, request: web.Request) -> web.Response:
        gid = self._snowflake(request, "gid")
        uid = self._snowflake(request, "uid")
        guild = self.guilds.get(gid)
        if guild is None:
            raise self._refuse(request, 404, 10004, "Unknown Guild")
        if uid not in guild.members:
            raise self._refuse(request, 404, 10007, "Unknown Member", record=False)
        return _json_response(self._member_payload(gid, uid))

    # ------------------------------------------------------------ app commands

    def _command_scope(self, request: web.Request) -> Union[str, int]:
        app = self._snowflake(request, "app")
        if app != self.application_id:
            raise self._refuse(request, 403, 50001, "Missing Access", f"application id {app} is not {self.application_id}")
        if "guild" in request.match_info:
            gid = self._snowflake(request, "guild")
            if gid not in self.guilds:
                raise self._refuse(request, 403, 50001, "Missing Access", f"bot is not in guild {gid}")
            return gid
        return "global"

    def _command_list(self, scope: Union[str, int]) -> List[JSON]:
        if scope == "global":
            return self.global_commands
        return self.guild_commands.setdefault(int(scope), [])

    def _validate_commands(self, commands: Sequence[JSON]) -> List[Tuple[str, str, str]]:
        """Registration rules Discord enforces on command sync."""
        problems: List[Tuple[str, str, str]] = []
        seen: Dict[Tuple[int, str], int] = {}
        counts: Dict[int, int] = {}
        name_re = re.compile(r"^[-_'\w]{1,32}$")

        def check_options(path: str, options: Sequence[JSON]) -> None:
            if len(options) > 25:
                problems.append((f"{path}.options", "BASE_TYPE_MAX_LENGTH", f"more than 25 options ({len(options)})"))
            optional_seen = False
            for j, opt in enumerate(options):
                p = f"{path}.options.{j}"
                oname = opt.get("name") or ""
                if not name_re.match(oname) or oname != oname.lower():
                    problems.append((f"{p}.name", "APPLICATION_COMMAND_INVALID_NAME", f"invalid option name {oname!r}"))
                if not 1 <= len(opt.get("description") or "") <= 100:
                    problems.append((f"{p}.description", "BASE_TYPE_BAD_LENGTH", "option description must be 1-100 characters"))
                choices = opt.get("choices") or []
                if len(choices) > 25:
                    problems.append((f"{p}.choices", "BASE_TYPE_MAX_LENGTH", f"more than 25 choices ({len(choices)})"))
                for k, ch in enumerate(choices):
                    if not 1 <= len(str(ch.get("name", ""))) <= 100:
                        problems.append((f"{p}.choices.{k}.name", "BASE_TYPE_BAD_LENGTH", "choice name must be 1-100 characters"))
                if opt.get("autocomplete") and choices:
                    problems.append((p, "AUTOCOMPLETE_AND_CHOICES", "autocomplete cannot be used with choices"))
                if opt.get("type") in (OPT_SUB_COMMAND, OPT_SUB_COMMAND_GROUP):
                    check_options(p, opt.get("options") or [])
                else:
                    if opt.get("required"):
                        if optional_seen:
                            problems.append((p, "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID", "required options must come before optional ones"))
                    else:
                        optional_seen = True

        for i, cmd in enumerate(commands):
            ctype = int(cmd.get("type", 1))
            name = cmd.get("name") or ""
            counts[ctype] = counts.get(ctype, 0) + 1
            if (ctype, name) in seen:
                problems.append((f"{i}.name", "APPLICATION_COMMANDS_DUPLICATE_NAME", f"duplicate command name {name!r}"))
            seen[(ctype, name)] = i
            if ctype == 1:
                if not name_re.match(name) or name != name.lower():
                    problems.append((f"{i}.name", "APPLICATION_COMMAND_INVALID_NAME", f"invalid command name {name!r}"))
                if not 1 <= len(cmd.get("description") or "") <= 100:
                    problems.append((f"{i}.description", "BASE_TYPE_BAD_LENGTH", "description must be 1-100 characters"))
                check_options(str(i), cmd.get("options") or [])
            elif not 1 <= len(name) <= 32:
                problems.append((f"{i}.name", "BASE_TYPE_BAD_LENGTH", "context menu name must be 1-32 characters"))
        if counts.get(1, 0) > 100:
            problems.append(("", "APPLICATION_COMMANDS_TOO_MANY", "more than 100 slash commands"))
        if counts.get(2, 0) > 5 or counts.get(3, 0) > 5:
            problems.append(("", "APPLICATION_COMMANDS_TOO_MANY", "more than 5 user or message context menus"))
        return problems

    def _store_command(self, scope: Union[str, int], cmd: JSON) -> JSON:
        """Echo a command as Discord would (stable id per scope/type/name, perms as str)."""
        ctype = int(cmd.get("type", 1))
        key = (scope, ctype, cmd["name"])
        cid = self._command_ids.get(key) or self.next_id()
        self._command_ids[key] = cid
        perms = cmd.get("default_member_permissions")
        out: JSON = {
            **cmd,
            "id": str(cid),
            "application_id": str(self.application_id),
            "version": str(self.next_id()),
            "type": ctype,
            "description": cmd.get("description", ""),
            "default_member_permissions": None if perms is None else str(perms),
            "nsfw": bool(cmd.get("nsfw", False)),
        }
        if scope != "global":
            out["guild_id"] = str(scope)
        return out

    def register_commands(self, scope: Union[str, int], commands: Sequence[JSON]) -> List[JSON]:
        """Replace the commands of ``scope`` ("global" or a guild id), as a bulk PUT does;
        tests that skip the REST sync call it with ``command.to_dict(tree)`` payloads."""
        stored = [self._store_command(scope, c) for c in commands]
        lst = self._command_list(scope)
        lst[:] = stored
        return stored

    async def _get_commands(self, request: web.Request) -> web.Response:
        return _json_response(self._command_list(self._command_scope(request)))

    async def _put_commands(self, request: web.Request) -> web.Response:
        scope = self._command_scope(request)
        body, _ = await self._read_body(request)
        commands = body.get("__list__", [])
        problems = self._validate_commands(commands)
        if problems:
            raise self._refuse(request, 400, 50035, "Invalid Form Body", "; ".join(f"{p}: {m}" for p, _, m in problems), problems)
        stored = self.register_commands(scope, commands)
        self.command_syncs.append((scope, commands))
        self._log("commands", f"synced {scope}: {[c['name'] for c in stored]}")
        self._bump()
        return _json_response(stored)

    async def _post_command(self, request: web.Request) -> web.Response:
        scope = self._command_scope(request)
        body, _ = await self._read_body(request)
        problems = self._validate_commands([body])
        if problems:
            raise self._refuse(request, 400, 50035, "Invalid Form Body", "; ".join(f"{p}: {m}" for p, _, m in problems), problems)
        stored = self._store_command(scope, body)
        lst = self._command_list(scope)
        lst[:] = [c for c in lst if not (c["name"] == stored["name"] and c["type"] == stored["type"])] + [stored]
        self._bump()
        return _json_response(stored)

    def _find_stored(self, request: web.Request) -> Tuple[List[JSON], JSON]:
        lst = self._command_list(self._command_scope(request))
        cid = request.match_info["cmd"]
        for c in lst:
            if c["id"] == cid:
                return lst, c
        raise self._refuse(request, 404, 10063, "Unknown application command")

    async def _get_command(self, request: web.Request) -> web.Response:
        return _json_response(self._find_stored(request)[1])

    async def _patch_command(self, request: web.Request) -> web.Response:
        _, cmd = self._find_stored(request)
        body, _ = await self._read_body(request)
        cmd.update(body)
        return _json_response(cmd)

    async def _delete_command(self, request: web.Request) -> web.Response:
        lst, cmd = self._find_stored(request)
        lst.remove(cmd)
        return web.Response(status=204)

    def command(self, name: str, *, guild_id: Optional[int] = None, type: int = 1) -> Optional[JSON]:
        """The registered command called ``name`` (guild commands win over global ones)."""
        pools: List[List[JSON]] = []
        if guild_id is not None:
            pools.append(self.guild_commands.get(guild_id, []))
        pools.append(self.global_commands)
        for pool in pools:
            for c in pool:
                if c["name"] == name and int(c.get("type", 1)) == type:
                    return c
        return None

    async def wait_for_commands(self, *names: str, guild_id: Optional[int] = None, timeout: float = 5.0) -> List[JSON]:
        """Wait until every named command is registered (for bots that sync in on_ready)."""

        def all_synced() -> Optional[List[JSON]]:
            found = [self.command(n, guild_id=guild_id) for n in names]
            return [c for c in found if c is not None] if all(found) else None

        return await self.wait_until(all_synced, timeout, f"commands {names} to be synced")

    # ------------------------------------------------------ interaction payloads

    def _user_context(
        self,
        *,
        user_id: Optional[int],
        guild_id: Optional[int],
        channel_id: Optional[int],
        permissions: Union[int, str, discord.Permissions, None],
        roles: Optional[Sequence[int]],
        in_dm: bool,
        locale: str,
    ) -> JSON:
        """The who/where part shared by every interaction payload."""
        uid = user_id or self.user_id
        user = self._user(uid)
        out: JSON = {
            "application_id": str(self.application_id),
            "token": f"itok-{uuid.uuid4().hex}",
            "version": 1,
            "locale": locale,
            "entitlements": [],
            "attachment_size_limit": 10 * 1024 * 1024,
            "app_permissions": str(BOT_PERMISSIONS),
        }
        if in_dm:
            cid = channel_id or self.dm_channel_id(uid)
            out.update(
                {
                    "user": user,
                    "channel_id": str(cid),
                    "channel": dict(self.channels.get(cid) or {"id": str(cid), "type": 1, "recipients": [user], "flags": 0}),
                    "context": 1,
                    "authorizing_integration_owners": {"0": "0"},
                }
            )
            return out
        gid = guild_id or (self._guild_of_channel(channel_id) if channel_id else None) or self.guild_id
        cid = channel_id or next(iter(self.guilds[gid].channels.values()))
        perms = _as_perm_str(permissions, DEFAULT_MEMBER_PERMISSIONS)
        channel = dict(self.channels.get(cid) or {"id": str(cid), "type": 0, "name": "unknown", "position": 0, "guild_id": str(gid)})
        channel["permissions"] = perms
        out.update(
            {
                "guild_id": str(gid),
                "guild": {"id": str(gid), "locale": "en-US", "features": []},
                "guild_locale": "en-US",
                "channel_id": str(cid),
                "channel": channel,
                "member": self._member_payload(gid, uid, permissions=perms, roles=roles),
                "context": 0,
                "authorizing_integration_owners": {"0": str(gid)},
            }
        )
        return out

    def _option_schema(self, command: Optional[JSON], path: Sequence[str]) -> Tuple[List[JSON], List[JSON]]:
        """(schema options at the leaf, chain of sub-command schemas) for ``path``."""
        options = list((command or {}).get("options") or [])
        chain: List[JSON] = []
        for part in path:
            found = next((o for o in options if o.get("name") == part), None)
            if found is None:
                chain.append({"name": part, "type": OPT_SUB_COMMAND if part == path[-1] else OPT_SUB_COMMAND_GROUP})
                options = []
            else:
                chain.append(found)
                options = list(found.get("options") or [])
        return options, chain

    def _build_option(self, name: str, value: Any, schema: Optional[JSON], resolved: JSON, guild_id: Optional[int]) -> JSON:
        """One option value, typed from the synced schema (or from the Python value)."""
        if isinstance(value, dict) and "type" in value:
            return {"name": name, **value}
        if schema is not None:
            otype = int(schema["type"])
        elif isinstance(value, FakeAttachment):
            otype = OPT_ATTACHMENT
        elif isinstance(value, bool):
            otype = OPT_BOOLEAN
        elif isinstance(value, int):
            otype = OPT_INTEGER
        elif isinstance(value, float):
            otype = OPT_NUMBER
        else:
            otype = OPT_STRING
        out: JSON = {"name": name, "type": otype}
        if otype == OPT_ATTACHMENT:
            att = value if isinstance(value, FakeAttachment) else self.attachments[int(value)]
            resolved.setdefault("attachments", {})[str(att.id)] = att.payload()
            out["value"] = str(att.id)
        elif otype in (OPT_USER, OPT_MENTIONABLE) and not (otype == OPT_MENTIONABLE and guild_id and int(value) in self.guilds[guild_id].roles):
            uid = int(value)
            resolved.setdefault("users", {})[str(uid)] = self._user(uid)
            if guild_id is not None and uid in self.guilds[guild_id].members:
                member = self._member_payload(guild_id, uid, with_user=False)
                member["permissions"] = str(DEFAULT_MEMBER_PERMISSIONS)
                resolved.setdefault("members", {})[str(uid)] = member
            out["value"] = str(uid)
        elif otype in (OPT_ROLE, OPT_MENTIONABLE):
            rid = int(value)
            role = (self.guilds[guild_id].roles.get(rid) if guild_id else None) or self._role_payload(rid, "role", 0, position=0)
            resolved.setdefault("roles", {})[str(rid)] = role
            out["value"] = str(rid)
        elif otype == OPT_CHANNEL:
            cid = int(value)
            ch = dict(self.channels.get(cid) or {"id": str(cid), "type": 0, "name": "unknown"})
            ch["permissions"] = str(DEFAULT_MEMBER_PERMISSIONS)
            resolved.setdefault("channels", {})[str(cid)] = ch
            out["value"] = str(cid)
        elif otype == OPT_INTEGER:
            out["value"] = int(value)
        elif otype == OPT_NUMBER:
            out["value"] = float(value)
        elif otype == OPT_BOOLEAN:
            out["value"] = bool(value)
        else:
            out["value"] = str(value)
        return out

    def _command_data(
        self,
        name: str,
        options: Union[Mapping[str, Any], Sequence[JSON], None],
        subcommand: Optional[str],
        guild_id: Optional[int],
        command_type: int,
        focused: Optional[Tuple[str, str]] = None,
    ) -> JSON:
        command = self.command(name, guild_id=guild_id, type=command_type)
        path = subcommand.split() if subcommand else []
        leaf_schema, chain = self._option_schema(command, path)
        resolved: JSON = {}
        built: List[JSON]
        if options is None:
            options = {}
        if isinstance(options, Mapping):
            built = []
            for oname, value in options.items():
                schema = next((o for o in leaf_schema if o.get("name") == oname), None)
                built.append(self._build_option(oname, value, schema, resolved, guild_id))
        else:
            built = [dict(o) for o in options]
        if focused is not None:
            fname, fvalue = focused
            schema = next((o for o in leaf_schema if o.get("name") == fname), None)
            built = [o for o in built if o["name"] != fname]
            built.append({"name": fname, "type": int(schema["type"]) if schema else OPT_STRING, "value": fvalue, "focused": True})
        for sub in reversed(chain):
            built = [{"name": sub["name"], "type": int(sub["type"]), "options": built}]
        data: JSON = {
            "id": command["id"] if command else str(self.next_id()),
            "name": name,
            "type": command_type,
            "options": built,
        }
        if resolved:
            data["resolved"] = resolved
        if command and command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        return data

    def slash_command(
        self,
        name: str,
        options: Union[Mapping[str, Any], Sequence[JSON], None] = None,
        *,
        subcommand: Optional[str] = None,
        user_id: Optional[int] = None,
        guild_id: Optional[int] = None,
        channel_id: Optional[int] = None,
        permissions: Union[int, str, discord.Permissions, None] = None,
        roles: Optional[Sequence[int]] = None,
        in_dm: bool = False,
        locale: str = "en-US",
    ) -> JSON:
        """An APPLICATION_COMMAND (type 2) payload for the synced command ``name``.

        ``options`` maps option name to value; types come from the synced schema, so
        ``{"who": user_id}`` becomes a USER option with ``resolved.users/members``,
        and a :class:`FakeAttachment` becomes an ATTACHMENT with ``resolved.attachments``.
        Raw option dicts (a list) are passed through. ``subcommand`` is ``"sub"`` or
        ``"group sub"``. ``permissions`` is the invoking member's computed permissions
        (what ``app_commands.checks.has_permissions`` reads).
        """
        ctx = self._user_context(user_id=user_id, guild_id=guild_id, channel_id=channel_id, permissions=permissions, roles=roles, in_dm=in_dm, locale=locale)
        gid = int(ctx["guild_id"]) if "guild_id" in ctx else None
        return {"id": str(self.next_id()), "type": APPLICATION_COMMAND, "data": self._command_data(name, options, subcommand, gid, 1), **ctx}

    def autocomplete(
        self,
        name: str,
        focused_option: str,
        value: str,
        options: Union[Mapping[str, Any], Sequence[JSON], None] = None,
        *,
        subcommand: Optional[str] = None,
        user_id: Optional[int] = None,
        guild_id: Optional[int] = None,
        channel_id: Optional[int] = None,
        permissions: Union[int, str, discord.Permissions, None] = None,
        roles: Optional[Sequence[int]] = None,
        in_dm: bool = False,
        locale: str = "en-US",
    ) -> JSON:
        """An APPLICATION_COMMAND_AUTOCOMPLETE (type 4) payload; ``value`` is what the user typed so far."""
        ctx = self._user_context(user_id=user_id, guild_id=guild_id, channel_id=channel_id, permissions=permissions, roles=roles, in_dm=in_dm, locale=locale)
        gid = int(ctx["guild_id"]) if "guild_id" in ctx else None
        data = self._command_data(name, options, subcommand, gid, 1, focused=(focused_option, value))
        data.pop("resolved", None)
        return {"id": str(self.next_id()), "type": AUTOCOMPLETE, "data": data, **ctx}

    def find_message_with_component(self, custom_id: str) -> Optional[JSON]:
        """The newest stored message carrying a component with ``custom_id``."""
        for msg in reversed(list(self._message_store.values())):
            for _, comp in self._walk_components(msg.get("components") or []):
                if comp.get("custom_id") == custom_id:
                    return msg
        return None

    def component(
        self,
        custom_id: str,
        message_id: Optional[int] = None,
        *,
        component_type: int = 2,
        values: Optional[Sequence[str]] = None,
        user_id: Optional[int] = None,
        guild_id: Optional[int] = None,
        channel_id: Optional[int] = None,
        permissions: Union[int, str, discord.Permissions, None] = None,
        roles: Optional[Sequence[int]] = None,
        in_dm: bool = False,
        locale: str = "en-US",
    ) -> JSON:
        """A MESSAGE_COMPONENT (type 3) payload: a click on ``custom_id``.

        The message defaults to the newest message the bot sent that has this
        ``custom_id`` (discord.py routes the click to the view stored for that
        message id), so tests rarely need ``message_id``.
        """
        msg = self._message_store.get(message_id) if message_id else self.find_message_with_component(custom_id)
        if channel_id is None and msg is not None:
            channel_id = int(msg["channel_id"])
            in_dm = in_dm or self.channels.get(channel_id, {}).get("type") == 1
        ctx = self._user_context(user_id=user_id, guild_id=guild_id, channel_id=channel_id, permissions=permissions, roles=roles, in_dm=in_dm, locale=locale)
        if msg is None:
            msg = self._make_message(channel_id=int(ctx["channel_id"]), author=self.bot_user_public, body={"content": "", "components": []}, message_id=message_id)
        data: JSON = {"custom_id": custom_id, "component_type": component_type}
        if values is not None or component_type in SELECT_TYPES:
            data["values"] = list(values or [])
        return {"id": str(self.next_id()), "type": MESSAGE_COMPONENT, "data": data, "message": dict(msg), **ctx}

    def modal_submit(
        self,
        custom_id: str,
        values: Mapping[str, str],
        *,
        user_id: Optional[int] = None,
        guild_id: Optional[int] = None,
        channel_id: Optional[int] = None,
        in_dm: bool = False,
    ) -> JSON:
        """A MODAL_SUBMIT (type 5) payload answering the modal the bot showed with ``custom_id``.

        ``values`` maps text-input custom_id to the text typed. The component layout
        mirrors the modal the bot sent (action rows or labels).
        """
        ctx = self._user_context(user_id=user_id, guild_id=guild_id, channel_id=channel_id, permissions=None, roles=None, in_dm=in_dm, locale="en-US")
        modal = self._modals.get(custom_id)
        components: List[JSON] = []
        if modal is not None:
            for top in modal.get("components") or []:
                if top.get("type") == 1:
                    inner = [{"type": c["type"], "custom_id": c["custom_id"], "value": values.get(c["custom_id"], "")} for c in top.get("components") or [] if c.get("custom_id")]
                    components.append({"type": 1, "components": inner})
                elif top.get("type") == 18 and top.get("component"):
                    c = top["component"]
                    components.append({"type": 18, "component": {"type": c["type"], "custom_id": c.get("custom_id"), "value": values.get(c.get("custom_id", ""), "")}})
        else:
            components = [{"type": 1, "components": [{"type": 4, "custom_id": k, "value": v}]} for k, v in values.items()]
        return {"id": str(self.next_id()), "type": MODAL_SUBMIT, "data": {"custom_id": custom_id, "components": components}, **ctx}

    @property
    def bot_user_public(self) -> JSON:
        """The bot's user object as it appears as a message author."""
        return {k: v for k, v in self.bot_user.items() if k in ("id", "username", "discriminator", "global_name", "avatar", "bot", "public_flags")}

    # --------------------------------------------------------------- dispatching

    async def send_interaction(self, payload: Optional[JSON] = None, **kwargs: Any) -> FakeInteraction:
        """Dispatch INTERACTION_CREATE; returns the record that collects the bot's answers.

        ``payload`` comes from :meth:`slash_command`, :meth:`autocomplete`,
        :meth:`component` or :meth:`modal_submit`; with no payload the keyword
        arguments go to :meth:`slash_command`. The 3 s callback clock starts now.
        """
        if payload is None:
            payload = self.slash_command(**kwargs)
        inter = FakeInteraction(
            id=int(payload["id"]),
            token=payload["token"],
            type=int(payload["type"]),
            payload=payload,
            sent_at=time.monotonic(),
            channel_id=int(payload["channel_id"]),
        )
        if inter.type == MESSAGE_COMPONENT and payload.get("message"):
            inter.original_message = self._message_store.get(int(payload["message"]["id"]))
        self.interactions[inter.id] = inter
        self._interactions_by_token[inter.token] = inter
        self._log("interaction", f"dispatch type={inter.type} name={inter.name} id={inter.id}")
        await self.dispatch("INTERACTION_CREATE", payload)
        return inter

    async def wait_for_response(self, interaction: FakeInteraction, timeout: float = 5.0) -> JSON:
        """Wait for the interaction's first callback and return its body (``{"type":..,"data":..}``)."""
        return await self.wait_until(lambda: interaction.callback, timeout, f"callback for interaction {interaction.name!r}")

    async def wait_for_followup(self, interaction: FakeInteraction, index: int = 0, timeout: float = 5.0) -> MessageRecord:
        """Wait for the ``index``-th followup message of the interaction."""
        return await self.wait_until(
            lambda: interaction.followups[index] if len(interaction.followups) > index else None,
            timeout,
            f"followup #{index} for {interaction.name!r}",
        )

    async def wait_for_edit(self, interaction: FakeInteraction, index: int = 0, timeout: float = 5.0) -> MessageRecord:
        """Wait for the ``index``-th edit of the interaction's messages (e.g. after a defer)."""
        return await self.wait_until(
            lambda: interaction.edits[index] if len(interaction.edits) > index else None,
            timeout,
            f"edit #{index} for {interaction.name!r}",
        )

    async def wait_for_message(
        self,
        predicate: Optional[Callable[[MessageRecord], bool]] = None,
        *,
        timeout: float = 5.0,
        start: int = 0,
    ) -> MessageRecord:
        """Wait for a message record (from ``messages[start:]``) matching ``predicate``."""

        def find() -> Optional[MessageRecord]:
            for m in self.messages[start:]:
                if predicate is None or predicate(m):
                    return m
            return None

        return await self.wait_until(find, timeout, "matching message")

    async def dispatch(self, event: str, data: JSON) -> int:
        """Send a DISPATCH (op 0) event on the current session; returns its sequence number.

        If the client is between connections the event is kept in the session and
        replayed on RESUME, as Discord does; after a new IDENTIFY it is lost.
        """
        session = self._session
        if session is None:
            raise RuntimeError("no gateway session: wait_until_ready() before dispatching events")
        session.seq += 1
        frame = {"op": 0, "t": event, "s": session.seq, "d": data}
        session.events.append((session.seq, frame))
        conn = self._current
        if conn is not None and conn.session is session and conn.live and not conn.ws.closed:
            await self._send(conn, frame)
        else:
            self._log("gateway", f"buffered {event} s={session.seq} (no live connection)")
        return session.seq

    async def dispatch_guild_create(self, guild_id: int) -> None:
        """Announce a guild added after READY (the bot sees ``on_guild_join``)."""
        await self.dispatch("GUILD_CREATE", self.guild_create_payload(guild_id))

    async def send_message_create(
        self,
        content: str,
        author_id: Optional[int] = None,
        channel_id: Optional[int] = None,
        guild_id: Optional[int] = None,
        *,
        mentions: Sequence[int] = (),
        author_bot: bool = False,
        webhook_id: Optional[int] = None,
        message_reference: Optional[JSON] = None,
        in_dm: bool = False,
        embeds: Sequence[JSON] = (),
    ) -> JSON:
        """Dispatch MESSAGE_CREATE from a user, as Discord would deliver it.

        Defaults: the tester in the default channel. ``in_dm=True`` uses the DM
        channel with the author. ``mentions`` are user ids (put ``<@id>`` in the
        content yourself). ``message_reference`` may be ``{"message_id": ...}``.
        Delivery follows the client's intents: no GUILD_MESSAGES / DIRECT_MESSAGES →
        nothing is sent; without MESSAGE_CONTENT the content,
        embeds and attachments are blanked unless the bot is mentioned or it is a DM.
        The stored (unblanked) message is returned either way.
        """
        uid = author_id or self.user_id
        if in_dm:
            channel_id = self.dm_channel_id(uid)
        cid = channel_id or self.channel_id
        gid = guild_id if guild_id is not None else self._guild_of_channel(cid)
        author = self._user(uid)
        if author_bot:
            author["bot"] = True
        body: JSON = {"content": content, "embeds": list(embeds)}
        if message_reference:
            body["message_reference"] = {"channel_id": str(cid), **{k: str(v) if k.endswith("_id") else v for k, v in message_reference.items()}}
        member = None
        if gid is not None and webhook_id is None:
            member = self._member_payload(gid, uid, with_user=False)
        mention_objs = []
        for m in mentions:
            obj = self._user(m)
            if gid is not None and gid in self.guilds and m in self.guilds[gid].members:
                obj["member"] = self._member_payload(gid, m, with_user=False)
            mention_objs.append(obj)
        msg = self._make_message(
            channel_id=cid,
            author=author,
            body=body,
            msg_type=19 if message_reference else 0,
            webhook_id=webhook_id,
            member=member,
            mentions=mention_objs,
        )
        if gid is not None:
            msg["guild_id"] = str(gid)
        else:
            msg.pop("guild_id", None)
        self._message_store[int(msg["id"])] = msg
        await self._deliver_message_create(msg, mentions_bot=self.bot_user_id in mentions)
        return msg

    async def _deliver_message_create(self, msg: JSON, *, mentions_bot: bool) -> bool:
        """Dispatch MESSAGE_CREATE honouring intents (see :meth:`send_message_create`)."""
        session = self._session
        if session is None:
            raise RuntimeError("no gateway session: wait_until_ready() before dispatching events")
        is_dm = "guild_id" not in msg
        needed = DIRECT_MESSAGES_INTENT if is_dm else GUILD_MESSAGES_INTENT
        if not session.intents & needed:
            self._log("gateway", f"MESSAGE_CREATE {msg['id']} not delivered: intent {needed} missing")
            return False
        data = json.loads(json.dumps(msg))
        own = msg["author"]["id"] == str(self.bot_user_id)
        if (
            self.emulate_message_content_intent
            and not session.intents & MESSAGE_CONTENT_INTENT
            and not is_dm
            and not own
            and not mentions_bot
        ):
            data.update({"content": "", "embeds": [], "attachments": [], "components": []})
            data.pop("poll", None)
        await self.dispatch("MESSAGE_CREATE", data)
        return True

    async def _echo_bot_message(self, msg: JSON) -> None:
        """Discord tells the bot about its own (non-ephemeral) messages too."""
        if not self.echo_messages or self._session is None:
            return
        if int(msg.get("flags") or 0) & FLAG_EPHEMERAL:
            return
        await self._deliver_message_create(msg, mentions_bot=False)

    # ------------------------------------------------------------- interactions

    def _interaction_for_token(self, request: web.Request, token: str, *, kind: str) -> FakeInteraction:
        inter = self._interactions_by_token.get(token)
        app = self._snowflake(request, "app")
        if inter is None or app != self.application_id:
            raise self._refuse(request, 404, 10015, "Unknown Webhook", f"{kind} for unknown interaction token")
        if not inter.acknowledged:
            inter.refused.append(f"{kind} before any accepted callback")
            raise self._refuse(request, 404, 10015, "Unknown Webhook", f"{kind} for interaction {inter.name!r} that has no accepted callback")
        return inter

    async def _interaction_callback(self, request: web.Request) -> web.Response:
        iid = self._snowflake(request, "iid")
        token = request.match_info["itoken"]
        body, files = await self._read_body(request)
        now = time.monotonic()
        inter = self.interactions.get(iid)
        if inter is None or inter.token != token:
            raise self._refuse(request, 404, 10062, "Unknown interaction", "callback for an interaction the fake never sent")
        if inter.callback_at is None:
            # First attempt: recorded even if refused, so wait_for_response never hangs.
            inter.callback_at = now
            inter.callback = body
            inter.callback_type = body.get("type")
            self._bump()
        if inter.acknowledged:
            inter.refused.append("second callback")
            raise self._refuse(request, 400, 40060, "Interaction has already been acknowledged.", f"second callback for {inter.name!r}")
        if inter.late or now - inter.sent_at > self.callback_deadline:
            inter.late = True
            inter.refused.append("late callback")
            raise self._refuse(
                request, 404, 10062, "Unknown interaction",
                f"callback for {inter.name!r} {now - inter.sent_at:.2f}s after dispatch (deadline {self.callback_deadline}s)",
            )

        ctype = body.get("type")
        data: JSON = body.get("data") or {}
        allowed = {
            APPLICATION_COMMAND: {CB_MESSAGE, CB_DEFER, CB_MODAL},
            MESSAGE_COMPONENT: {CB_MESSAGE, CB_DEFER, CB_DEFER_UPDATE, CB_UPDATE, CB_MODAL},
            MODAL_SUBMIT: {CB_MESSAGE, CB_DEFER, CB_DEFER_UPDATE, CB_UPDATE},
            AUTOCOMPLETE: {CB_AUTOCOMPLETE},
        }.get(inter.type, {CB_PONG})
        try:
            if ctype not in allowed:
                raise self._refuse(request, 400, 50035, "Invalid Form Body", f"callback type {ctype} not valid for interaction type {inter.type}", [("type", "INTERACTION_RESPONSE_TYPE_INVALID", "invalid callback type")])
            if ctype in (CB_MESSAGE, CB_UPDATE):
                self._check_message(request, data, files, creating=ctype == CB_MESSAGE)
            elif ctype == CB_AUTOCOMPLETE:
                self._check_choices(request, data)
            elif ctype == CB_MODAL:
                self._check_modal(request, data)
        except _RefusedError:
            inter.refused.append("invalid callback body")
            raise
        inter.acknowledged = True
        inter.callback = body
        inter.callback_type = ctype

        result: JSON = {"id": str(inter.id), "type": inter.type, "response_message_loading": False, "response_message_ephemeral": False}
        resource: Optional[JSON] = None
        if ctype in (CB_MESSAGE, CB_DEFER):
            flags = int(data.get("flags") or 0)
            msg_body = data if ctype == CB_MESSAGE else {"content": "", "flags": (flags & FLAG_EPHEMERAL) | FLAG_LOADING}
            msg = self._make_message(
                channel_id=inter.channel_id,
                author=self.bot_user_public,
                body=msg_body,
                msg_type=20 if inter.type == APPLICATION_COMMAND else 19,
                files=files,
                webhook_id=self.application_id,
                interaction=inter,
            )
            inter.original_message = msg
            self._message_store[int(msg["id"])] = msg
            result.update(
                response_message_id=msg["id"],
                response_message_loading=ctype == CB_DEFER,
                response_message_ephemeral=bool(flags & FLAG_EPHEMERAL),
            )
            resource = {"type": ctype, "message": msg}
            if ctype == CB_MESSAGE:
                self._record_message("callback", request, data, msg, inter.channel_id, inter, files)
                await self._echo_bot_message(msg)
        elif ctype == CB_UPDATE:
            target = inter.original_message
            if target is None:
                target = self._make_message(channel_id=inter.channel_id, author=self.bot_user_public, body={}, webhook_id=self.application_id)
                inter.original_message = target
                self._message_store[int(target["id"])] = target
            self._apply_edit(target, data, files)
            result["response_message_id"] = target["id"]
            resource = {"type": ctype, "message": target}
            self._record_message("callback", request, data, target, inter.channel_id, inter, files)
        elif ctype == CB_MODAL:
            self._modals[data.get("custom_id", "")] = data
        self._log("interaction", f"callback type={ctype} for {inter.name!r} after {now - inter.sent_at:.3f}s")
        self._bump()
        if request.query.get("with_response") not in ("1", "true", "True"):
            return web.Response(status=204)
        out: JSON = {"interaction": result}
        if resource is not None:
            out["resource"] = resource
        return _json_response(out)

    def _check_choices(self, request: web.Request, data: JSON) -> None:
        choices = data.get("choices") or []
        problems: List[Tuple[str, str, str]] = []
        if len(choices) > 25:
            problems.append(("data.choices", "BASE_TYPE_MAX_LENGTH", f"more than 25 choices ({len(choices)})"))
        for i, ch in enumerate(choices):
            name = str(ch.get("name", ""))
            if not 1 <= len(name) <= 100:
                problems.append((f"data.choices.{i}.name", "BASE_TYPE_BAD_LENGTH", f"choice name must be 1-100 characters ({len(name)})"))
            value = ch.get("value")
            if isinstance(value, str) and len(value) > 100:
                problems.append((f"data.choices.{i}.value", "BASE_TYPE_MAX_LENGTH", f"choice value longer than 100 ({len(value)})"))
        if problems:
            raise self._refuse(request, 400, 50035, "Invalid Form Body", "; ".join(m for _, _, m in problems), problems)

    def _check_modal(self, request: web.Request, data: JSON) -> None:
        problems: List[Tuple[str, str, str]] = []
        title = data.get("title") or ""
        if not 1 <= len(title) <= 45:
            problems.append(("data.title", "BASE_TYPE_BAD_LENGTH", f"modal title must be 1-45 characters ({len(title)})"))
        cid = data.get("custom_id") or ""
        if not 1 <= len(cid) <= 100:
            problems.append(("data.custom_id", "BASE_TYPE_BAD_LENGTH", "modal custom_id must be 1-100 characters"))
        comps = data.get("components") or []
        if not 1 <= len(comps) <= 5:
            problems.append(("data.components", "BASE_TYPE_BAD_LENGTH", f"modal needs 1-5 components ({len(comps)})"))
        if problems:
            raise self._refuse(request, 400, 50035, "Invalid Form Body", "; ".join(m for _, _, m in problems), problems)

    def _record_message(
        self,
        kind: str,
        request: web.Request,
        body: JSON,
        message: JSON,
        channel_id: int,
        inter: Optional[FakeInteraction],
        files: Sequence[UploadedFile],
    ) -> MessageRecord:
        rec = MessageRecord(
            kind=kind,
            method=request.method,
            path=request.path,
            body=body,
            message=message,
            channel_id=channel_id,
            interaction_id=inter.id if inter else None,
            files=list(files),
        )
        self.messages.append(rec)
        if not rec.allowed_mentions_present:
            self._log("mentions", f"{rec.route} has no allowed_mentions")
        self._bump()
        return rec

    async def _webhook_execute(self, request: web.Request) -> web.Response:
        """Followup message (``POST /webhooks/{app}/{token}``)."""
        body, files = await self._read_body(request)
        inter = self._interaction_for_token(request, request.match_info["wtoken"], kind="followup")
        self._check_message(request, body, files, creating=True)
        original = inter.original_message
        if (
            original is not None
            and int(original.get("flags") or 0) & FLAG_LOADING
            and not inter.followups
            and not inter.edits
        ):
            # Discord: the first followup after a "thinking" defer replaces the loading message.
            msg = self._apply_edit(original, {**body, "flags": None}, files)
        else:
            msg = self._make_message(
                channel_id=inter.channel_id,
                author=self.bot_user_public,
                body=body,
                msg_type=20 if inter.type == APPLICATION_COMMAND else 19,
                files=files,
                webhook_id=self.application_id,
                interaction=inter,
            )
            self._message_store[int(msg["id"])] = msg
            await self._echo_bot_message(msg)
        rec = self._record_message("followup", request, body, msg, inter.channel_id, inter, files)
        inter.followups.append(rec)
        if request.query.get("wait") in ("1", "true", "True"):
            return _json_response(msg)
        return web.Response(status=204)

    def _webhook_target(self, request: web.Request, inter: FakeInteraction) -> JSON:
        mid = request.match_info["mid"]
        if mid == "@original":
            if inter.original_message is None:
                raise self._refuse(request, 404, 10008, "Unknown Message", f"@original of {inter.name!r} does not exist (callback type {inter.callback_type})")
            return inter.original_message
        msg = self._message_store.get(int(mid)) if mid.isdigit() else None
        ids = {r.message_id for r in inter.followups}
        if inter.original_message is not None:
            ids.add(int(inter.original_message["id"]))
        if msg is None or int(msg["id"]) not in ids:
            raise self._refuse(request, 404, 10008, "Unknown Message", f"message {mid} does not belong to interaction {inter.name!r}")
        return msg

    async def _webhook_get_message(self, request: web.Request) -> web.Response:
        inter = self._interaction_for_token(request, request.match_info["wtoken"], kind="get message")
        return _json_response(self._webhook_target(request, inter))

    async def _webhook_edit_message(self, request: web.Request) -> web.Response:
        body, files = await self._read_body(request)
        inter = self._interaction_for_token(request, request.match_info["wtoken"], kind="edit")
        target = self._webhook_target(request, inter)
        self._check_message(request, body, files, creating=False)
        self._apply_edit(target, body, files)
        rec = self._record_message("edit", request, body, target, inter.channel_id, inter, files)
        inter.edits.append(rec)
        return _json_response(target)

    async def _webhook_delete_message(self, request: web.Request) -> web.Response:
        inter = self._interaction_for_token(request, request.match_info["wtoken"], kind="delete")
        target = self._webhook_target(request, inter)
        self._message_store.pop(int(target["id"]), None)
        self.deleted_messages.append((int(target["channel_id"]), int(target["id"])))
        self._bump()
        return web.Response(status=204)

    # --------------------------------------------------------- channel messages

    def _channel_or_refuse(self, request: web.Request) -> int:
        cid = self._snowflake(request, "cid")
        if cid not in self.channels:
            raise self._refuse(request, 404, 10003, "Unknown Channel", f"channel {cid} unknown")
        return cid

    def _stored_message_or_refuse(self, request: web.Request, cid: int) -> JSON:
        mid = self._snowflake(request, "mid")
        msg = self._message_store.get(mid)
        if msg is None or int(msg["channel_id"]) != cid:
            raise self._refuse(request, 404, 10008, "Unknown Message", f"message {mid} not in channel {cid}")
        return msg

    async def _create_channel_message(self, request: web.Request) -> web.Response:
        cid = self._channel_or_refuse(request)
        body, files = await self._read_body(request)
        self._check_message(request, body, files, creating=True)
        ref = body.get("message_reference")
        if ref and ref.get("message_id") and ref.get("type", 0) == 0:
            referenced = self._message_store.get(int(ref["message_id"]))
            if referenced is None and ref.get("fail_if_not_exists", True):
                raise self._refuse(
                    request, 400, 50035, "Invalid Form Body", f"message_reference to unknown message {ref['message_id']}",
                    [("message_reference", "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message")],
                )
        gid = self._guild_of_channel(cid)
        member = self._member_payload(gid, self.bot_user_id, with_user=False) if gid else None
        msg = self._make_message(
            channel_id=cid,
            author=self.bot_user_public,
            body=body,
            msg_type=19 if ref and ref.get("message_id") else 0,
            files=files,
            member=member,
        )
        self._message_store[int(msg["id"])] = msg
        self.channels[cid]["last_message_id"] = msg["id"]
        self._record_message("channel", request, body, msg, cid, None, files)
        await self._echo_bot_message(msg)
        return _json_response(msg)

    async def _get_channel_messages(self, request: web.Request) -> web.Response:
        cid = self._channel_or_refuse(request)
        limit = int(request.query.get("limit", "50"))
        msgs = [m for m in self._message_store.values() if int(m["channel_id"]) == cid]
        before = request.query.get("before")
        if before:
            msgs = [m for m in msgs if int(m["id"]) < int(before)]
        after = request.query.get("after")
        if after:
            msgs = [m for m in msgs if int(m["id"]) > int(after)]
        msgs.sort(key=lambda m: int(m["id"]), reverse=True)
        return _json_response(msgs[:limit])

    async def _get_channel_message(self, request: web.Request) -> web.Response:
        cid = self._channel_or_refuse(request)
        return _json_response(self._stored_message_or_refuse(request, cid))

    async def _edit_channel_message(self, request: web.Request) -> web.Response:
        cid = self._channel_or_refuse(request)
        msg = self._stored_message_or_refuse(request, cid)
        body, files = await self._read_body(request)
        if msg["author"]["id"] != str(self.bot_user_id) or "webhook_id" in msg:
            raise self._refuse(request, 403, 50005, "Cannot edit a message authored by another user")
        self._check_message(request, body, files, creating=False)
        self._apply_edit(msg, body, files)
        self._record_message("channel_edit", request, body, msg, cid, None, files)
        return _json_response(msg)

    async def _delete_channel_message(self, request: web.Request) -> web.Response:
        cid = self._channel_or_refuse(request)
        msg = self._stored_message_or_refuse(request, cid)
        self._message_store.pop(int(msg["id"]), None)
        self.deleted_messages.append((cid, int(msg["id"])))
        self._bump()
        return web.Response(status=204)

    async def _add_reaction(self, request: web.Request) -> web.Response:
        cid = self._channel_or_refuse(request)
        msg = self._stored_message_or_refuse(request, cid)
        self.reactions.append(("add", cid, int(msg["id"]), request.match_info["emoji"]))
        self._bump()
        return web.Response(status=204)

    async def _remove_reaction(self, request: web.Request) -> web.Response:
        cid = self._channel_or_refuse(request)
        msg = self._stored_message_or_refuse(request, cid)
        self.reactions.append(("remove", cid, int(msg["id"]), request.match_info["emoji"]))
        self._bump()
        return web.Response(status=204)

    # ------------------------------------------------------------------ gateway

    async def _send(self, conn: GatewayConnection, frame: JSON) -> None:
        """Plain-text JSON frame (discord.py accepts it although it asked for zlib)."""
        async with conn.lock:
            if conn.ws.closed:
                return
            with contextlib.suppress(ConnectionError, RuntimeError):
                await conn.ws.send_str(json.dumps(frame))
        self._log("gateway>", f"op={frame['op']} t={frame.get('t')} s={frame.get('s')}")

    async def _gateway_handler(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        self.connection_count += 1
        conn = GatewayConnection(number=self.connection_count, ws=ws, path=request.path, query=dict(request.query))
        self.connections.append(conn)
        self._current = conn
        self._log("gateway", f"connection #{conn.number} on {request.path_qs}")
        self._bump()
        await self._send(conn, {"op": 10, "s": None, "t": None, "d": {"heartbeat_interval": self.heartbeat_interval}})
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    try:
                        frame = json.loads(msg.data)
                    except ValueError:
                        await self._close_conn(conn, 4002, "decode error")
                        break
                    await self._on_frame(conn, frame)
                elif msg.type == WSMsgType.BINARY:
                    self._log("gateway", "binary frame from client (unsupported)")
                    await self._close_conn(conn, 4002, "decode error")
                    break
        finally:
            conn.live = False
            conn.closed_at = time.monotonic()
            if conn.close_code is None:
                conn.close_code = ws.close_code
            if self._current is conn:
                self._current = None
            # A client closing with 1000/1001 ends its session (Discord semantics).
            if not conn.closed_by_fake and conn.close_code in (1000, 1001) and conn.session is not None:
                conn.session.invalidated = True
            self._log("gateway", f"connection #{conn.number} closed code={conn.close_code} by_fake={conn.closed_by_fake}")
            self._bump()
        return ws

    async def _close_conn(self, conn: GatewayConnection, code: int, reason: str) -> None:
        conn.closed_by_fake = True
        conn.close_code = code
        conn.live = False
        if self._current is conn:
            self._current = None
        self._log("gateway", f"closing #{conn.number} with {code} ({reason})")
        self._bump()
        if not conn.ws.closed:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.ws.close(code=code, message=reason.encode()), 5.0)

    def _token_ok(self, token: Optional[str]) -> bool:
        return token in (self.token, f"Bot {self.token}")

    async def _on_frame(self, conn: GatewayConnection, frame: JSON) -> None:
        op = frame.get("op")
        d = frame.get("d")
        self._log("gateway<", f"op={op}")
        if op == 1:
            conn.heartbeats += 1
            if self.ack_heartbeats:
                await self._send(conn, {"op": 11, "s": None, "t": None, "d": None})
            return
        if op == 2:
            await self._on_identify(conn, d or {})
            return
        if op == 6:
            await self._on_resume(conn, d or {})
            return
        if conn.session is None:
            await self._close_conn(conn, 4003, "Not authenticated")
            return
        if op == 8:
            gid = int((d or {}).get("guild_id", 0))
            guild = self.guilds.get(gid)
            members = [self._member_payload(gid, uid) for uid in guild.members] if guild else []
            await self.dispatch(
                "GUILD_MEMBERS_CHUNK",
                {"guild_id": str(gid), "members": members, "chunk_index": 0, "chunk_count": 1, "not_found": [], "nonce": (d or {}).get("nonce")},
            )
            return
        if op in (3, 4):
            return  # presence / voice state updates: accepted, nothing to do
        await self._close_conn(conn, 4001, f"Unknown opcode {op}")

    async def _on_identify(self, conn: GatewayConnection, d: JSON) -> None:
        self.identifies.append(d)
        if conn.session is not None:
            await self._close_conn(conn, 4005, "Already authenticated")
            return
        if not self._token_ok(d.get("token")):
            self.auth_failures.append("IDENTIFY")
            await self._close_conn(conn, 4004, "Authentication failed")
            return
        intents = d.get("intents")
        if intents is None:
            await self._close_conn(conn, 4013, "Invalid intent(s)")
            return
        if int(intents) & self.disallowed_intents:
            await self._close_conn(conn, 4014, "Disallowed intent(s)")
            return
        self.identify_count += 1
        session = _Session(session_id=uuid.uuid4().hex, intents=int(intents), shard=d.get("shard"))
        self._sessions[session.session_id] = session
        if self._session is not None:
            self._session.invalidated = True
        self._session = session
        conn.session = session
        conn.how = "identify"
        conn.live = True
        ready: JSON = {
            "v": 10,
            "user": self.bot_user,
            "guilds": [{"id": str(gid), "unavailable": True} for gid in self.guilds],
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": self.resume_gateway_url,
            "application": {"id": str(self.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "user_settings": {},
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "auth": {},
        }
        if session.shard is not None:
            ready["shard"] = session.shard
        await self.dispatch("READY", ready)
        for gid in list(self.guilds):
            await self.dispatch("GUILD_CREATE", self.guild_create_payload(gid))
        conn.ready = True
        self._log("gateway", f"identified #{conn.number} session={session.session_id} intents={intents}")
        self._bump()

    async def _on_resume(self, conn: GatewayConnection, d: JSON) -> None:
        self.resumes.append(d)
        if not self._token_ok(d.get("token")):
            self.auth_failures.append("RESUME")
            await self._close_conn(conn, 4004, "Authentication failed")
            return
        session = self._sessions.get(str(d.get("session_id")))
        if session is None or session.invalidated or session is not self._session:
            self.invalid_session_count += 1
            conn.how = "invalid_session"
            self._log("gateway", f"RESUME of unknown/invalid session {d.get('session_id')} -> op 9")
            await self._send(conn, {"op": 9, "s": None, "t": None, "d": False})
            self._bump()
            return
        seq = int(d.get("seq") or 0)
        conn.session = session
        conn.how = "resume"
        conn.live = True
        missed = [frame for s, frame in session.events if s > seq]
        for frame in missed:
            await self._send(conn, frame)
        session.seq += 1
        resumed = {"op": 0, "t": "RESUMED", "s": session.seq, "d": {}}
        session.events.append((session.seq, resumed))
        await self._send(conn, resumed)
        conn.ready = True
        self.resume_count += 1
        self._log("gateway", f"resumed #{conn.number} from seq {seq}, replayed {len(missed)}")
        self._bump()

    # ---------------------------------------------------------- gateway control

    @property
    def ready(self) -> bool:
        """True while a client connection is identified or resumed."""
        conn = self._current
        return bool(conn is not None and conn.live and conn.ready and not conn.ws.closed)

    async def wait_until_ready(self, timeout: float = 10.0) -> None:
        """Wait until a client has a live session (READY + GUILD_CREATEs sent, or RESUMED).

        Note the bot's own ``on_ready`` fires ``guild_ready_timeout`` later.
        """
        await self.wait_until(lambda: self.ready, timeout, "a live gateway session")

    async def close_gateway(self, code: int = 4000, reason: str = "closed by test") -> None:
        """Drop the current websocket with ``code``.

        4000-4003, 4005, 4008 and most others are resumable: discord.py reconnects
        to ``resume_gateway_url`` and sends RESUME. 4007 (invalid seq) and 4009
        (session timed out) also invalidate the session, so the RESUME gets op 9 and
        the client IDENTIFYs again. 4004, 4010-4014 are fatal: ``bot.start`` raises.
        """
        conn = self._current
        if conn is None:
            raise RuntimeError("no live gateway connection to close")
        if code in (4007, 4009) and conn.session is not None:
            conn.session.invalidated = True
        await self._close_conn(conn, code, reason)

    async def send_invalid_session(self, resumable: bool = False) -> None:
        """Send op 9 on the live connection; ``resumable=False`` forces a new IDENTIFY."""
        conn = self._current
        if conn is None:
            raise RuntimeError("no live gateway connection")
        if not resumable and conn.session is not None:
            conn.session.invalidated = True
        self.invalid_session_count += 1
        conn.live = False
        self._current = None
        await self._send(conn, {"op": 9, "s": None, "t": None, "d": resumable})
        self._bump()

    async def send_reconnect(self) -> None:
        """Send op 7 RECONNECT; discord.py closes and RESUMEs."""
        conn = self._current
        if conn is None:
            raise RuntimeError("no live gateway connection")
        conn.live = False
        self._current = None
        await self._send(conn, {"op": 7, "s": None, "t": None, "d": None})
        self._bump()

    @property
    def last_identify(self) -> Optional[JSON]:
        """The ``d`` of the latest IDENTIFY (``intents``, ``shard``, ``properties``...)."""
        return self.identifies[-1] if self.identifies else None
