"""A CLI call that cannot load anything says so in exactly one line, status 2."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SEED = next((REPO / "knowledge").glob("*.md"))


def _cli(tmp_path: Path, knowledge: Path, db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "STORYBOT_KNOWLEDGE_DIR": str(knowledge), "STORYBOT_DB": str(db), "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=300)


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "k"
    folder.mkdir()
    shutil.copy(SEED, folder / SEED.name)
    return folder


@pytest.mark.parametrize("command", [["ask", "--json", "Who is ByteDance?"], ["who", "ByteDance"], ["summary"]])
def test_database_path_is_a_folder(tmp_path: Path, command: list[str]) -> None:
    db = tmp_path / "s.db"
    db.mkdir()
    done = _cli(tmp_path, _folder(tmp_path), db, *command)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2 and done.stdout == ""
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert str(db) in lines[0]


def test_missing_knowledge_folder_is_one_line(tmp_path: Path) -> None:
    done = _cli(tmp_path, tmp_path / "nowhere", tmp_path / "s.db", "ask", "Who is ByteDance?")
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2 and len(lines) == 1, done.stderr
