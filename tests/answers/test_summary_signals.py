"""`summary`: what makes a sentence a summary sentence, and where its SQL lives."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answers import summary as summary_module
from bot.engine import Engine

ARTICLE = """Port Strike Ends After Pay Deal

By Jane Doe

"We will not go back for less," one docker shouted outside the gates on Monday morning.
It was the third week of the stoppage at the harbour, and queues of lorries stretched for miles.
But the mood changed by the afternoon as news spread through the crowd.
The port strike ended on Tuesday after unions accepted a pay deal worth six percent, the port authority said.
Dockers will return to work on Wednesday and the backlog of ships should clear within a week, officials said.
He said: "This is a good day for everyone who works here and for the town."
Traders said the strike had cost the region's exporters millions of pounds in lost orders.
The weather at the harbour was grey and cold for most of the week.
Some of the lorry drivers slept in their cabs while they waited for the gates to open.
A few cafes near the port stayed open late to serve the waiting drivers.
"""


@pytest.fixture
def port(tmp_path: Path):
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "port.txt").write_text(ARTICLE, encoding="utf-8")
    eng = Engine(kb, tmp_path / "db.sqlite")
    eng.open()
    yield eng
    eng.close()


def test_summary_picks_the_news_not_the_opening_colour(port: Engine) -> None:
    s = port.summary("port")
    texts = [q.text for q in s.quotes]
    assert 3 <= len(texts) <= 5
    # The sentence that says what the headline says is in; so is the reported outcome.
    assert any(t.startswith("The port strike ended on Tuesday") for t in texts)
    assert any(t.startswith("Dockers will return to work") for t in texts)
    # Quotations and a sentence that opens with a pronoun or "But" read badly out of context.
    assert not any(t.startswith(('"', "\u201c", "He said", "But ")) for t in texts)
    # Reading order.
    paragraphs = [q.citation.paragraph for q in s.quotes]
    assert paragraphs == sorted(paragraphs)


def test_sentence_score_signals() -> None:
    base = dict(tokens=["w"] * 12, index=3, title_sim=0.2, centrality=0.2)
    plain = summary_module.sentence_score("The council approved the plan on Monday.", **base)
    assert summary_module.sentence_score("The council approved the plan, the mayor said.", **base) > plain
    assert summary_module.sentence_score("\u201cIt is approved,\u201d she shouted.", **base) < plain
    assert summary_module.sentence_score("But the council approved the plan.", **base) < plain
    assert summary_module.sentence_score("The council approved the plan on Monday.",
                                         **{**base, "title_sim": 0.6}) > plain
    assert summary_module.sentence_score("The council approved the plan on Monday.", **{**base, "index": 0}) > plain


def test_summary_module_has_no_sql() -> None:
    source = Path(summary_module.__file__).read_text(encoding="utf-8")
    assert "SELECT" not in source.upper().replace("SELECTED", "")
