"""Two CLI calls on a fresh folder at once: the first builds, the second waits and reads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bot.buildlock import build_lock, lock_path

REPO = Path(__file__).resolve().parents[2]


def test_build_lock_excludes_a_second_holder(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    with build_lock(db) as first:
        assert first
        with build_lock(db, wait=0) as second:
            assert not second
    with build_lock(db, wait=0) as again:
        assert again
    assert lock_path(db).exists()


def test_build_lock_without_a_place_for_the_file(tmp_path: Path) -> None:
    with build_lock(tmp_path / "missing" / "x.db", wait=0) as held:
        assert not held  # no lock file, and no error: the build goes ahead unlocked
    (tmp_path / "dir.db").mkdir()
    with build_lock(tmp_path / "dir.db", wait=0) as held:
        assert not held


def test_two_parallel_cli_calls_on_a_fresh_folder(tmp_path: Path) -> None:
    folder = tmp_path / "k"
    folder.mkdir()
    for i in range(60):
        (folder / f"story-{i:02d}.txt").write_text(
            f"Harbour report {i}\n\nThe harbour of town {i} handled {1000 + i} ships in the year, "
            f"said harbour master Anna Berg{i}. Ferries to island {i} run twice a day.\n\n"
            + " ".join(f"Filler sentence {j} about quay number {j} in town {i}." for j in range(30)) + "\n",
            encoding="utf-8")
    env = {**os.environ, "STORYBOT_KNOWLEDGE_DIR": str(folder), "STORYBOT_DB": str(tmp_path / "s.db"),
           "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "bot", "ask", "--json", "How many ships did the harbour of town 17 handle?"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
             for _ in range(2)]
    results = [p.communicate(timeout=600) for p in procs]
    for p, (out, err) in zip(procs, results):
        assert p.returncode == 0, err
        assert "locked" not in err and "Traceback" not in err
    answers = [json.loads(out) for out, _ in results]
    for a in answers:
        a.pop("elapsed_ms")
    assert answers[0] == answers[1]
    assert answers[0]["answered"] and answers[0]["quotes"][0]["document"] == "story-17"
