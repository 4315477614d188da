"""Settings from the environment and a `.env` file (python-dotenv), checked once.

The token is kept in a `Secret` so that printing the settings, logging them or
a traceback showing them never reveals it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


class ConfigError(ValueError):
    """A setting is missing or malformed; the message is one line for people."""


class Secret:
    """A string that never shows itself in repr/str/format."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('********')" if self._value else "Secret('')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)


def _int_list(name: str, raw: str) -> tuple[int, ...]:
    out = []
    for part in raw.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit():
            raise ConfigError(f"{name} must be a comma-separated list of numeric ids, got {part[:30]!r}")
        out.append(int(part))
    return tuple(out)


def _optional_int(name: str, raw: str | None) -> int | None:
    if raw is None or not raw.strip():
        return None
    if not raw.strip().isdigit():
        raise ConfigError(f"{name} must be a numeric id, got {raw.strip()[:30]!r}")
    return int(raw.strip())


def _float(name: str, raw: str | None, default: float) -> float:
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {raw.strip()[:30]!r}") from None
    if value < 0 or value != value:
        raise ConfigError(f"{name} must be zero or more")
    return value


def _networks(name: str, raw: str) -> tuple[str, ...]:
    """IP networks ("127.0.0.1, 10.0.0.0/8"), checked here so a typo fails at start."""
    import ipaddress

    out = []
    for part in raw.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            out.append(str(ipaddress.ip_network(part, strict=False)))
        except ValueError:
            raise ConfigError(f"{name} must list IP addresses or networks, got {part[:40]!r}") from None
    return tuple(out)


def _flag(raw: str | None, default: bool) -> bool:
    if raw is None or not raw.strip():
        return default
    return raw.strip().lower() not in ("0", "false", "no", "off")


@dataclass(frozen=True)
class Settings:
    knowledge_dir: Path = Path("knowledge")
    db_path: Path = Path("storybot.db")
    token: Secret = field(default_factory=lambda: Secret(""))
    guild_id: int | None = None  # STORYBOT_GUILD_ID: one server (kept for existing .env files)
    guild_ids: tuple[int, ...] = ()  # STORYBOT_GUILD_IDS: the servers the owner configured
    any_guild: bool = False  # STORYBOT_ANY_GUILD=1: answer questions in every server (never /kb)
    mod_role_ids: tuple[int, ...] = ()
    cooldown_seconds: float = 5.0
    api_base: str | None = None
    gateway_url: str | None = None
    channel_ids: tuple[int, ...] = ()
    allow_dms: bool = True
    watch: bool = False
    answer_in_thread: bool = False
    log_level: str = "INFO"
    # Story tools (README "Story tools").
    allow_fetch: bool = True  # STORYBOT_ALLOW_FETCH=0: no /kb add url:, no `add URL`
    fetch_allow_networks: tuple[str, ...] = ()  # networks a fetch may reach although private/loopback
    updates_channel_id: int | None = None  # where new articles' "what's new" is posted
    ask_message_public: bool = False  # "Ask StoryBot" on a message answers for everyone to see

    http_proxy: str | None = None  # STORYBOT_HTTP_PROXY: discord.py's Client(proxy=…)
    sync_commands: str = "auto"  # STORYBOT_SYNC_COMMANDS: auto (when the tree changed), always, never

    @property
    def guilds(self) -> tuple[int, ...]:
        """The servers the owner configured (STORYBOT_GUILD_IDS plus STORYBOT_GUILD_ID), in order.

        Why one list decides so much: a public bot can be invited anywhere, and a
        "Manage Server" permission means nothing outside the server it was granted
        in. Only these servers get `/kb`, and only these get answers at all unless
        `any_guild` is on.
        """
        ids = self.guild_ids + ((self.guild_id,) if self.guild_id is not None else ())
        return tuple(dict.fromkeys(ids))

    def serves_guild(self, guild_id: int) -> bool:
        """Whether the bot answers questions in this server."""
        return self.any_guild or guild_id in self.guilds

    def moderates_guild(self, guild_id: int) -> bool:
        """Whether `/kb` may run in this server: only the configured ones, never via `any_guild`."""
        return guild_id in self.guilds


def load_settings(env_file: str | os.PathLike[str] | None = ".env", environ: dict[str, str] | None = None) -> Settings:
    """Read settings. Real environment variables win over the `.env` file."""
    if environ is None:
        if env_file is not None and Path(env_file).is_file():
            from dotenv import load_dotenv  # here: most runs have no .env file to read

            load_dotenv(env_file, override=False)
        environ = dict(os.environ)
    get = environ.get
    return Settings(
        knowledge_dir=Path(get("STORYBOT_KNOWLEDGE_DIR") or "knowledge"),
        db_path=Path(get("STORYBOT_DB") or "storybot.db"),
        token=Secret((get("DISCORD_TOKEN") or "").strip()),
        guild_id=_optional_int("STORYBOT_GUILD_ID", get("STORYBOT_GUILD_ID")),
        guild_ids=_int_list("STORYBOT_GUILD_IDS", get("STORYBOT_GUILD_IDS") or ""),
        any_guild=_flag(get("STORYBOT_ANY_GUILD"), False),
        mod_role_ids=_int_list("STORYBOT_MOD_ROLE_IDS", get("STORYBOT_MOD_ROLE_IDS") or ""),
        cooldown_seconds=_float("STORYBOT_COOLDOWN_SECONDS", get("STORYBOT_COOLDOWN_SECONDS"), 5.0),
        api_base=(get("DISCORD_API_BASE") or "").strip() or None,
        gateway_url=(get("DISCORD_GATEWAY_URL") or "").strip() or None,
        channel_ids=_int_list("STORYBOT_CHANNEL_IDS", get("STORYBOT_CHANNEL_IDS") or ""),
        allow_dms=_flag(get("STORYBOT_ALLOW_DMS"), True),
        watch=_flag(get("STORYBOT_WATCH"), False),
        answer_in_thread=_flag(get("STORYBOT_ANSWER_IN_THREAD"), False),
        log_level=(get("STORYBOT_LOG_LEVEL") or "INFO").upper(),
        allow_fetch=_flag(get("STORYBOT_ALLOW_FETCH"), True),
        fetch_allow_networks=_networks("STORYBOT_FETCH_ALLOW_NETWORKS", get("STORYBOT_FETCH_ALLOW_NETWORKS") or ""),
        updates_channel_id=_optional_int("STORYBOT_UPDATES_CHANNEL_ID", get("STORYBOT_UPDATES_CHANNEL_ID")),
        ask_message_public=_flag(get("STORYBOT_ASK_MESSAGE_PUBLIC"), False),
        http_proxy=(get("STORYBOT_HTTP_PROXY") or "").strip() or None,
        sync_commands=_choice("STORYBOT_SYNC_COMMANDS", get("STORYBOT_SYNC_COMMANDS"), ("auto", "always", "never")),
    )


def _choice(name: str, raw: str | None, allowed: tuple[str, ...]) -> str:
    """One of `allowed` (the first is the default); anything else is a ConfigError."""
    value = (raw or "").strip().lower() or allowed[0]
    if value not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {value[:30]!r}")
    return value


def database_folder_problem(db_path: Path) -> str | None:
    """Why the database cannot be created where asked, or None.

    Only `index` creates a missing folder on purpose; anything else would
    silently make folders from a typo (`--db /typo/dir/x.db`).
    """
    folder = Path(db_path).parent
    if folder.is_dir():
        return None
    if folder.exists():
        return f"the database folder {folder} is not a folder"
    return f"the database folder {folder} does not exist (create it, or run `storybot index --db {db_path}` to create it)"
