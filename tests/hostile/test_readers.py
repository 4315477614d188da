"""Issue 12, item 5: readers must not write.

Query-only CLI calls open the database read-only (`mode=ro`) when it is up to date,
so they never wait for the writer's lock ("database is locked") and work on a file
they cannot write.
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.engine import Engine
from hostile.support import attack

REPO = Path(__file__).resolve().parents[2]
QUESTION = "How many days did the 2024 law give TikTok to divest?"

# A reload in the middle of its write transaction: the write lock is held (with rows
# written) until the test closes stdin.
WRITER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
conn.execute("BEGIN IMMEDIATE")
conn.execute("INSERT INTO audit (at, actor, action, target, result, detail) VALUES (0, 'w', 'reload', '', 'ok', '')")
print("locked", flush=True)
sys.stdin.read()
conn.execute("ROLLBACK")
"""


def _cli(args: list[str], *, drop_root_powers: bool = False) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "bot", *args]
    if drop_root_powers:  # tests run as root, whom file modes do not stop: drop that power
        cmd = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner", *cmd]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)


def _built(kb: Path, db: Path) -> None:
    engine = Engine(kb, db)
    engine.open()
    engine.close()


def test_eight_parallel_asks_while_a_reload_writes(kb: Path, tmp_path: Path) -> None:
    with attack("parallel CLI readers against a writer: database is locked"):
        db = tmp_path / "storybot.db"
        _built(kb, db)
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db)], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        try:
            assert writer.stdout is not None and writer.stdout.readline().strip() == "locked"
            args = ["ask", QUESTION, "--json", "--knowledge", str(kb), "--db", str(db)]
            with ThreadPoolExecutor(8) as pool:
                results = list(pool.map(lambda _: _cli(args), range(8)))
        finally:
            writer.communicate("", timeout=30)
        bad = [(r.returncode, r.stderr.strip()[-200:]) for r in results if r.returncode != 0]
        assert not bad, bad
        assert all('"answered": true' in r.stdout for r in results)


@pytest.mark.skipif(not Path("/usr/bin/setpriv").exists() and not Path("/bin/setpriv").exists(),
                    reason="needs setpriv to drop root's power over file modes")
@pytest.mark.parametrize("how", ["file-read-only", "folder-read-only"])
def test_ask_on_a_read_only_database(how: str, kb: Path, tmp_path: Path) -> None:
    with attack(f"ask on a read-only database ({how})"):
        folder = tmp_path / "data"
        folder.mkdir()
        db = folder / "storybot.db"
        _built(kb, db)
        db.chmod(0o444)
        if how == "folder-read-only":
            folder.chmod(0o555)
        try:
            r = _cli(["ask", QUESTION, "--knowledge", str(kb), "--db", str(db)], drop_root_powers=True)
            assert r.returncode == 0, r.stderr
            assert "270 days" in r.stdout
            assert "Traceback" not in r.stderr
        finally:
            folder.chmod(0o755)
            db.chmod(0o644)


def test_read_only_path_writes_nothing(kb: Path, tmp_path: Path) -> None:
    """The fresh path neither writes the file nor takes a write lock (its bytes stay)."""
    db = tmp_path / "storybot.db"
    _built(kb, db)
    before = db.read_bytes()
    engine = Engine(kb, db)
    assert engine.open_for_queries() is None
    assert engine.ask(QUESTION).answered
    engine.close()
    assert db.read_bytes() == before
    # A changed folder is synced (the writing path), then answered.
    (kb / "extra.md").write_text("---\ntitle: Zebra News\ndate: 2025-10-02\n---\nZebras grazed near the courthouse.\n")
    engine = Engine(kb, db)
    report = engine.open_for_queries()
    assert report is not None and report.added == ["extra"]
    engine.close()
