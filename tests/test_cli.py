"""The CLI contract: JSON shapes, human output, and one-line errors with status 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main


def run_cli(args: list[str], knowledge: Path, db: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main([*args, "--knowledge", str(knowledge), "--db", str(db)])
    out, err = capsys.readouterr()
    return code, out, err


def test_ask_json_contract(knowledge_dir: Path, tmp_path: Path, capsys) -> None:
    code, out, _ = run_cli(["ask", "Where will Xi and Trump meet?", "--json"], knowledge_dir, tmp_path / "a.db", capsys)
    assert code == 0
    data = json.loads(out)
    assert set(data) >= {"query", "answered", "quotes", "elapsed_ms"}
    assert data["answered"] is True and isinstance(data["elapsed_ms"], float)
    q = data["quotes"][0]
    assert set(q) >= {"text", "document", "title", "paragraph", "score"}
    assert isinstance(q["paragraph"], int) and isinstance(q["score"], float)
    assert "APEC summit in South Korea" in q["text"]


def test_who_and_summary_json(knowledge_dir: Path, tmp_path: Path, capsys) -> None:
    db = tmp_path / "b.db"
    code, out, _ = run_cli(["who", "ByteDance", "--json"], knowledge_dir, db, capsys)
    assert code == 0
    data = json.loads(out)
    assert data["answered"] and data["quotes"] and set(data) >= {"query", "answered", "quotes", "elapsed_ms"}
    code, out, _ = run_cli(["summary", "--json"], knowledge_dir, db, capsys)
    data = json.loads(out)
    assert code == 0 and set(data) >= {"document", "quotes"} and 3 <= len(data["quotes"]) <= 5


def test_unanswerable_json(knowledge_dir: Path, tmp_path: Path, capsys) -> None:
    code, out, _ = run_cli(["ask", "Who won the football match last night?", "--json"], knowledge_dir, tmp_path / "c.db", capsys)
    data = json.loads(out)
    assert code == 0 and data["answered"] is False and data["quotes"] == []


def test_human_output_cites(knowledge_dir: Path, tmp_path: Path, capsys) -> None:
    code, out, _ = run_cli(["ask", "How many days did the law give TikTok to divest?"], knowledge_dir, tmp_path / "d.db", capsys)
    assert code == 0
    assert "within 270 days" in out
    assert "Source: TikTok Discussions Advance as Xi and Trump Speak by Phone · Caixin Global" in out and "¶9" in out
    assert "\x1b[" not in out  # piped: plain text


@pytest.mark.parametrize(
    "args, message",
    [
        (["ask", "   "], "empty question"),
        (["ask", ""], "empty question"),
        (["ask", "hello", "--document", "nope"], "unknown document"),
        (["summary", "nope"], "unknown document"),
        (["who", " "], "empty name"),
    ],
)
def test_bad_input_one_line_exit_2(args: list[str], message: str, knowledge_dir: Path, tmp_path: Path, capsys) -> None:
    code, out, err = run_cli(args, knowledge_dir, tmp_path / "e.db", capsys)
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_missing_knowledge_folder(tmp_path: Path, capsys) -> None:
    code, _, err = run_cli(["ask", "anything"], tmp_path / "missing", tmp_path / "f.db", capsys)
    assert code == 2 and "knowledge folder not found" in err and len(err.strip().splitlines()) == 1


def test_environment_variables_choose_paths(knowledge_dir: Path, tmp_path: Path) -> None:
    env = {**os.environ, "STORYBOT_KNOWLEDGE_DIR": str(knowledge_dir), "STORYBOT_DB": str(tmp_path / "env.db")}
    proc = subprocess.run([sys.executable, "-m", "bot", "index", "--json"], env=env, capture_output=True, text=True,
                          cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["documents"] == 1
    assert (tmp_path / "env.db").exists()
    again = subprocess.run([sys.executable, "-m", "bot", "index"], env=env, capture_output=True, text=True,
                           cwd=tmp_path, timeout=120)
    assert "nothing changed" in again.stdout


def test_eval_command(knowledge_dir: Path, tmp_path: Path, capsys) -> None:
    from conftest import DATA

    code, out, _ = run_cli(["eval", str(DATA / "questions.jsonl")], knowledge_dir, tmp_path / "g.db", capsys)
    assert code == 0 and "Recall@1" in out and "Recall@3" in out and "Abstention accuracy" in out


def test_human_output_for_no_answer_and_sources(knowledge_dir: Path, tmp_path: Path, capsys) -> None:
    code, out, _ = run_cli(["ask", "Who won the football match last night? " + "and the referee " * 20], knowledge_dir, tmp_path / "n.db", capsys)
    assert code == 0 and out.count("don't say") == 1 and "referee" not in out and "storybot sources" in out
    code, out, _ = run_cli(["sources"], knowledge_dir, tmp_path / "n.db", capsys)
    assert "Caixin Global · 26 Sep 2025 · Guan Cong, Denise Jia" in out and "\x1b[" not in out
