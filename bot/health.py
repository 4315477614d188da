"""`python -m bot health`: is the running bot alive? (Docker's HEALTHCHECK runs it.)

Two things, both read from the data folder, so the probe is a separate short
process that never talks to Discord and never shares the bot's event loop:

- the database opens (read-only) and has its tables;
- the heartbeat file is fresh: the running bot rewrites `<db>.heartbeat` every
  `HEARTBEAT_SECONDS` while its gateway connection is up and heartbeating
  (discord.py's `Client.latency` is finite only then). A hung process, a lost
  connection that never comes back, or a bot that never logged in stops the
  file from being rewritten; after `max_age` seconds the probe says unhealthy.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

from bot.store import StoreError, count_documents_readonly

HEARTBEAT_SECONDS = 30.0
MAX_AGE_SECONDS = 3 * HEARTBEAT_SECONDS  # three missed beats


def heartbeat_path(db_path: Path | str) -> Path:
    """The heartbeat lives next to the database, on the same (data) volume."""
    p = Path(db_path)
    return p.with_name(p.name + ".heartbeat")


def write_heartbeat(path: Path, latency_s: float, now: float | None = None) -> None:
    """Atomically replace the heartbeat file with the current time and gateway latency."""
    record = {"at": time.time() if now is None else now, "latency_ms": round(latency_s * 1000, 1)}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(record), encoding="utf-8")
    os.replace(tmp, path)


@dataclass(frozen=True)
class Health:
    ok: bool
    lines: tuple[str, ...]


def check_health(db_path: Path | str, *, now: float | None = None, max_age: float = MAX_AGE_SECONDS) -> Health:
    """One line per check; ok only when the database reads and the heartbeat is fresh."""
    now = time.time() if now is None else now
    lines: list[str] = []
    ok = True
    try:
        n = count_documents_readonly(db_path)
        lines.append(f"database: ok ({n} articles)")
    except StoreError as exc:
        ok = False
        lines.append(f"database: {exc}")
    beat = heartbeat_path(db_path)
    try:
        record = json.loads(beat.read_text(encoding="utf-8"))
        age = now - float(record["at"])
    except FileNotFoundError:
        ok = False
        lines.append(f"gateway: no heartbeat at {beat} (the bot is not running, or has not connected yet)")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        ok = False
        lines.append(f"gateway: unreadable heartbeat {beat}: {type(exc).__name__}")
    else:
        if not math.isfinite(age) or age > max_age:
            ok = False
            lines.append(f"gateway: last heartbeat {age:.0f} s ago (more than {max_age:.0f} s)")
        else:
            lines.append(f"gateway: heartbeat {age:.0f} s ago, latency {record.get('latency_ms')} ms")
    return Health(ok, tuple(lines))
