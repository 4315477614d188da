"""A small built knowledge base of harbour reports, for the cold-start tests (they import `built` and `harbour_articles`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

from bot.engine import Engine

REPO = Path(__file__).resolve().parents[2]


def harbour_articles(folder: Path, n: int) -> None:
    """Write `n` short articles (title, date, two paragraphs) into `folder`."""
    for i in range(n):
        (folder / f"harbour-{i:03d}.md").write_text(
            f"---\ntitle: Harbour report {i}\ndate: 2025-10-{i % 27 + 1:02d}\n---\n"
            f"Inspectors reviewed pier {i} on Monday. The council said repairs to pier {i} "
            f"would cost {i + 3} thousand dollars.\n\nResidents asked whether the ferry timetable would change.\n",
            encoding="utf-8")


def build_once(tmp_path: Path, write: Callable[[Path, int], None], n: int,
               db_name: str = "storybot.db") -> tuple[Path, Path]:
    """(knowledge folder, database) after `write(folder, n)` and one full build."""
    kb = tmp_path / "knowledge"
    kb.mkdir()
    write(kb, n)
    db = tmp_path / db_name
    engine = Engine(kb, db)
    engine.open()
    engine.close()
    return kb, db


@pytest.fixture()
def built(tmp_path: Path) -> tuple[Path, Path]:
    """(knowledge folder, database) after one full build of 12 harbour reports."""
    return build_once(tmp_path, harbour_articles, 12)


def cli_in_fresh_process(kb: Path, db: Path, cwd: Path, watched: tuple[str, ...],
                         *args: str) -> tuple[dict, int, list[str]]:
    """Run `python -m bot <args> --json` in a new interpreter: (its JSON answer, main's
    exit code, which of the `watched` modules it imported)."""
    probe = (
        "import json, sys\n"
        "from bot.cli import main\n"
        f"code = main({list(args)!r} + ['--json', '--knowledge', {str(kb)!r}, '--db', {str(db)!r}])\n"
        f"print(json.dumps({{'code': code, 'loaded': [m for m in {list(watched)!r} if m in sys.modules]}}))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORYBOT_")}
    env["PYTHONPATH"] = str(REPO)
    proc = subprocess.run([sys.executable, "-c", probe], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.strip().splitlines()
    out = json.loads(lines[-1])
    return json.loads("\n".join(lines[:-1])), out["code"], out["loaded"]
