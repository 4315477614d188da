"""Settings from the environment and a `.env` file (python-dotenv), checked once.

The token is kept in a `Secret` so that printing the settings, logging them or
a traceback showing them never reveals it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import load_dotenv


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


def _flag(raw: str | None, default: bool) -> bool:
    if raw is None or not raw.strip():
        return default
    return raw.strip().lower() not in ("0", "false", "no", "off")


@dataclass(frozen=True)
class Settings:
    knowledge_dir: Path = Path("knowledge")
    db_path: Path = Path("storybot.db")
    token: Secret = field(default_factory=lambda: Secret(""))
    guild_id: int | None = None
    mod_role_ids: tuple[int, ...] = ()
    cooldown_seconds: float = 5.0
    api_base: str | None = None
    gateway_url: str | None = None
    channel_ids: tuple[int, ...] = ()
    allow_dms: bool = True
    watch: bool = False
    answer_in_thread: bool = False
    log_level: str = "INFO"
    http_proxy: str | None = None  # STORYBOT_HTTP_PROXY: discord.py's Client(proxy=…)
    sync_commands: str = "auto"  # STORYBOT_SYNC_COMMANDS: auto (when the tree changed), always, never


def load_settings(env_file: str | os.PathLike[str] | None = ".env", environ: dict[str, str] | None = None) -> Settings:
    """Read settings. Real environment variables win over the `.env` file."""
    if environ is None:
        if env_file is not None and Path(env_file).is_file():
            load_dotenv(env_file, override=False)
        environ = dict(os.environ)
    get = environ.get
    return Settings(
        knowledge_dir=Path(get("STORYBOT_KNOWLEDGE_DIR") or "knowledge"),
        db_path=Path(get("STORYBOT_DB") or "storybot.db"),
        token=Secret((get("DISCORD_TOKEN") or "").strip()),
        guild_id=_optional_int("STORYBOT_GUILD_ID", get("STORYBOT_GUILD_ID")),
        mod_role_ids=_int_list("STORYBOT_MOD_ROLE_IDS", get("STORYBOT_MOD_ROLE_IDS") or ""),
        cooldown_seconds=_float("STORYBOT_COOLDOWN_SECONDS", get("STORYBOT_COOLDOWN_SECONDS"), 5.0),
        api_base=(get("DISCORD_API_BASE") or "").strip() or None,
        gateway_url=(get("DISCORD_GATEWAY_URL") or "").strip() or None,
        channel_ids=_int_list("STORYBOT_CHANNEL_IDS", get("STORYBOT_CHANNEL_IDS") or ""),
        allow_dms=_flag(get("STORYBOT_ALLOW_DMS"), True),
        watch=_flag(get("STORYBOT_WATCH"), False),
        answer_in_thread=_flag(get("STORYBOT_ANSWER_IN_THREAD"), False),
        log_level=(get("STORYBOT_LOG_LEVEL") or "INFO").upper(),
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
