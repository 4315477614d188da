"""One build of a database at a time, across processes.

Two CLI calls on a fresh folder (or a CLI call while the bot reloads) would
otherwise both build the same database: twice the work on a shared machine, and
the second writer meets "database is locked" once the first holds the write
lock longer than SQLite's busy timeout. SQLite's own locks cannot say "someone
is building, wait and then read what they built", so a build holds an advisory
`flock` on a small file beside the database (`<db>.lock`); the waiter then finds
the database fresh and reads it without writing.

A lock file, not the database itself: closing any descriptor of the database
file would drop SQLite's POSIX locks held by the same process. The lock is
advisory and best-effort: when the file cannot be made (a read-only folder, the
database path is a folder) the build goes ahead unlocked, as before.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import Iterator

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows
    fcntl = None  # type: ignore[assignment]

# How long a caller waits for another process's build before building anyway.
WAIT_SECONDS = 300.0
_POLL_SECONDS = 0.05


def lock_path(db_path: Path | str) -> Path:
    return Path(f"{db_path}.lock")


@contextlib.contextmanager
def build_lock(db_path: Path | str, *, wait: float = WAIT_SECONDS) -> Iterator[bool]:
    """Hold the build lock of `db_path` for the block; yields whether it is held."""
    if fcntl is None:
        yield False
        return
    path = lock_path(db_path)
    try:
        if not path.parent.is_dir() or Path(db_path).is_dir():
            raise OSError("no place for a lock file")
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        try:
            fd = os.open(path, os.O_RDONLY)  # a read-only folder with a lock file in it
        except OSError:
            yield False
            return
    try:
        held = False
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                held = True
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    break
                time.sleep(_POLL_SECONDS)
            except OSError:
                break
        try:
            yield held
        finally:
            if held:
                with contextlib.suppress(OSError):
                    fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
