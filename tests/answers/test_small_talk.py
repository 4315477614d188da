"""Small talk and noise get a short friendly reply, never a quote and never
"the articles don't say" (bot/text/smalltalk.py, checked in bot/answers/ask.py),
so the CLI and Discord behave the same."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.engine import Engine
from bot.render.discord.answer import answer_embed
from bot.render.text import render_answer
from bot.text.smalltalk import small_talk_kind

SMALL_TALK = ["thanks!", "Thank you so much!!", "hello", "hey there", "good morning", "@everyone what?",
              "lol", "hahaha", "?", "??", "👍", "ok cool", "<@123456789> hi", "bye!", "lmao what", "what's up"]
QUESTIONS = ["thanks, who owns TikTok?", "hello, where were the talks held?", "What happened?",
             "Is it true?", "What did he say?", "what did he do?", "Who?", "Who is ByteDance?", "lol why did TikTok shut down in January?"]


@pytest.mark.parametrize("text", SMALL_TALK)
def test_small_talk_is_recognised(text: str) -> None:
    assert small_talk_kind(text) is not None


@pytest.mark.parametrize("text", QUESTIONS)
def test_a_question_word_makes_it_a_question(text: str) -> None:
    assert small_talk_kind(text) is None


def test_kinds_pick_the_reply() -> None:
    assert small_talk_kind("thanks!") == "thanks"
    assert small_talk_kind("hello") == "greeting"
    assert small_talk_kind("bye") == "farewell"
    assert small_talk_kind("@everyone what?") == "noise"


@pytest.mark.parametrize("text", ["thanks!", "hello", "@everyone what?", "lol", "?"])
def test_engine_replies_without_quote_or_abstention(engine: Engine, text: str) -> None:
    answer = engine.ask(text)
    assert answer.small_talk and not answer.answered and not answer.quotes
    assert answer.message and "don't say" not in answer.message
    shown = render_answer(answer)
    assert shown == answer.message and "don't say" not in shown
    embed = answer_embed(answer)
    assert embed.get("title", "") != "The articles don't say" and answer.message in embed["description"]


def test_a_question_after_thanks_is_still_answered(engine: Engine) -> None:
    answer = engine.ask("thanks, who founded ByteDance?")
    assert answer.answered and not answer.small_talk
    assert "Zhang Yiming" in answer.quotes[0].text


def test_cli_json_marks_small_talk(knowledge_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["ask", "thanks!", "--json", "--knowledge", str(knowledge_dir), "--db", str(tmp_path / "s.db")])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["answered"] is False and data["small_talk"] is True and data["quotes"] == []
    assert "don't say" not in data["message"]


def test_a_number_makes_it_a_question() -> None:
    from bot.text.smalltalk import small_talk_kind

    assert small_talk_kind("What is 270?") is None
    assert small_talk_kind("20%?") is None
    assert small_talk_kind("thanks!!! 👍") == "thanks"
