"""No article loaded: the reply says so, in every front end, instead of "the articles don't say"."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import pytest

from bot.answers.model import answer_from_dict, answer_to_dict
from bot.cli import main
from bot.engine import Engine
from bot.render.discord.answer import answer_embed
from bot.render.jsonout import answer_json
from bot.render.text import render_answer
from conftest import opened_engine


@pytest.fixture
def empty(tmp_path: Path) -> Iterator[Engine]:
    kb = tmp_path / "kb"
    kb.mkdir()
    yield from opened_engine(kb, tmp_path / "db.sqlite")


def test_empty_folder_says_no_articles(empty: Engine) -> None:
    answer = empty.ask("Who owns TikTok?")
    assert not answer.answered and answer.empty and not answer.quotes
    assert "No articles are loaded" in render_answer(answer)
    assert "don't say" not in render_answer(answer)
    embed = answer_embed(answer)
    assert "No articles are loaded" in embed["description"] and "title" not in embed
    assert answer_json(answer)["empty"] is True
    assert answer_from_dict(answer_to_dict(answer)).empty


def test_cli_json_on_an_empty_folder(tmp_path: Path, capsys) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    rc = main(["ask", "--json", "--knowledge", str(kb), "--db", str(tmp_path / "db.sqlite"), "Who owns TikTok?"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["answered"] is False and out["empty"] is True


def test_loaded_folder_is_not_empty(engine: Engine) -> None:
    unanswered = engine.ask("Who won the football match?")
    assert not unanswered.answered and not unanswered.empty
