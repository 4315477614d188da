"""The CLI's house rules: --version, one-line errors without stray log lines, no
folders made from a typo, and `health` (what Docker's HEALTHCHECK runs)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.health import check_health, heartbeat_path, write_heartbeat

REPO = Path(__file__).resolve().parents[2]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`python -m bot …` in a fresh process: what a person sees, logging set-up included."""
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)}, timeout=120)


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out.strip()
    assert out.startswith("storybot ") and out != "storybot unknown"


def test_help_opens_with_what_storybot_does(capsys: pytest.CaptureFixture[str]) -> None:
    from bot.render.help import INTRO

    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert INTRO[0] in out and INTRO[1] in out and "@StoryBot" in out
    for command in ("ask", "who", "summary", "index", "health"):
        assert command in out


@pytest.mark.slow
def test_missing_knowledge_folder_is_one_line_without_log_noise(tmp_path: Path) -> None:
    result = run("index", "--knowledge", "/nope", "--db", str(tmp_path / "x.db"), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["storybot: knowledge folder not found: /nope"]
    assert not (tmp_path / "x.db").exists()
    result = run("ask", "who?", "--knowledge", "/nope", "--db", str(tmp_path / "x.db"), cwd=tmp_path)
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1, result.stderr


def test_a_typo_in_db_makes_no_folders_but_index_creates_on_purpose(knowledge_dir: Path, tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    typo = tmp_path / "typo" / "dir" / "x.db"
    for command in (["ask", "Who is ByteDance?"], ["sources"], ["who", "Xi"]):
        assert main([*command, "--knowledge", str(knowledge_dir), "--db", str(typo)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "does not exist" in err and "storybot index" in err
    assert not (tmp_path / "typo").exists()
    assert main(["index", "--knowledge", str(knowledge_dir), "--db", str(typo)]) == 0
    assert typo.is_file()
    capsys.readouterr()
    assert main(["ask", "Who is ByteDance?", "--knowledge", str(knowledge_dir), "--db", str(typo)]) == 0


def test_health_reads_the_database_and_the_heartbeat_age(knowledge_dir: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "storybot.db"
    assert main(["health", "--db", str(db)]) == 1  # nothing there yet
    assert "no database" in capsys.readouterr().out
    assert main(["index", "--knowledge", str(knowledge_dir), "--db", str(db)]) == 0
    capsys.readouterr()
    health = check_health(db, now=5000.0)
    assert not health.ok and "no heartbeat" in health.lines[1]  # the bot never ran
    write_heartbeat(heartbeat_path(db), 0.042, now=5000.0)
    assert check_health(db, now=5060.0, max_age=90).ok  # the fake "now": no clock involved
    stale = check_health(db, now=5091.0, max_age=90)
    assert not stale.ok and "91 s ago" in stale.lines[1]
    write_heartbeat(heartbeat_path(db), 0.042)  # now
    assert main(["health", "--db", str(db), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True and report["checks"][0] == "database: ok (1 articles)"
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"not a database at all" * 100)
    write_heartbeat(heartbeat_path(bad), 0.042)
    assert main(["health", "--db", str(bad)]) == 1
    assert "cannot read the database" in capsys.readouterr().out


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root and setpriv to act as another uid")
def test_docker_entrypoint_explains_an_unwritable_volume() -> None:
    """docker/entrypoint.sh as the image's unprivileged user: a root-owned data folder
    gets one clear line and exit 2; a writable one is seeded once, then the command runs."""
    import tempfile

    # Not pytest's tmp_path: its parents are private to root, the other uid could not reach it.
    tmp_path = Path(tempfile.mkdtemp(prefix="storybot-entrypoint-", dir="/tmp"))
    try:
        _entrypoint_checks(tmp_path)
    finally:
        shutil.rmtree(tmp_path, ignore_errors=True)


def _entrypoint_checks(tmp_path: Path) -> None:
    data, seed = tmp_path / "data", tmp_path / "seed"
    data.mkdir()
    seed.mkdir()
    (seed / "a.md").write_text("an article")
    tmp_path.chmod(0o755)
    env = {"PATH": "/usr/bin:/bin", "STORYBOT_DB": str(data / "storybot.db"),
           "STORYBOT_KNOWLEDGE_DIR": str(data / "knowledge"), "STORYBOT_SEED_DIR": str(seed)}
    cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "sh", str(REPO / "docker" / "entrypoint.sh"), "echo", "started"]
    refused = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.splitlines() == [refused.stderr.strip()] and "is not writable by uid 65534" in refused.stderr
    assert "chown" in refused.stderr
    os.chown(data, 65534, 65534)
    started = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    assert started.returncode == 0 and started.stdout == "started\n", started.stderr
    assert (data / "knowledge" / "a.md").read_text() == "an article"
