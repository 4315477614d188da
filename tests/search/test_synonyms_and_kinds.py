"""WordNet synonyms in ranking and coverage, answer-type novelty, negation wording.

The corpus is written here: one made-up local-news article whose sentences
share the question's words except for one said with a synonym.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.engine import Engine
from bot.search import retrieve as R
from bot.search.question import analyse, denies, kind_evidence, negated, question_kind

BRIDGE = """Council opens the river bridge

3 May 2024

By Dee Writer

The council discussed the new river bridge at length on Monday, and the council members praised the river bridge.

Weeks later the council named the new bridge after a local poet.

The bridge cost 2 million pounds. Engineers said the river bridge would carry 9,000 cars a day.

The reconstruction of the old pier begins in June. The pier was closed last winter.
"""


@pytest.fixture
def bridge(tmp_path: Path):
    folder = tmp_path / "knowledge"
    folder.mkdir()
    (folder / "bridge.txt").write_text(BRIDGE, encoding="utf-8")
    eng = Engine(folder, tmp_path / "bridge.db")
    eng.open()
    yield eng
    eng.close()


def _top(engine: Engine, q: str):
    return engine._with_snapshot(lambda snap: R.retrieve(snap, analyse(q), abstain=False))


def test_synonym_lifts_the_sentence_that_says_it_another_way(bridge, monkeypatch) -> None:
    q = "What did the council call the new bridge?"
    with_syn = _top(bridge, q)
    assert "named" in with_syn.hits[0].passage.text
    named = next(h for h in with_syn.hits if "named" in h.passage.text)
    monkeypatch.setattr(R, "SYN_WEIGHT", 0.0)
    monkeypatch.setattr(R, "SYN_RANK_WEIGHT", 0.0)
    without = _top(bridge, q)
    named_without = next(h for h in without.hits if "named" in h.passage.text)
    assert named.coverage > named_without.coverage  # "call" is held through "named"
    assert named.score > named_without.score


def test_synonym_counts_less_than_the_word_itself(bridge) -> None:
    said = _top(bridge, "What did the council name the new bridge?")
    synonym = _top(bridge, "What did the council call the new bridge?")
    assert said.hits[0].passage.id == synonym.hits[0].passage.id
    assert said.hits[0].coverage > synonym.hits[0].coverage


def test_kind_evidence_wants_something_the_question_lacks() -> None:
    assert kind_evidence("when", "It opened in 2015.")
    assert not kind_evidence("when", "It opened in 2015.", "When in 2015 did it open?")
    assert kind_evidence("when", "It opened in 2015 on 3 May.", "When in 2015 did it open?")
    assert not kind_evidence("who", "Ruth Gale opened it.", "Who did Ruth Gale thank?")
    assert kind_evidence("who", "Ruth Gale thanked Peter Olsen.", "Who did Ruth Gale thank?")
    assert not kind_evidence("quantity", "It took 3 years.", "How much did it cost over 3 years?")
    assert kind_evidence("quantity", "It cost 2 million over 3 years.", "How much did it cost over 3 years?")
    assert not kind_evidence("where", "They met in Paris.", "Where in Paris did they meet?")


def test_kind_bonus_goes_to_the_new_number(bridge) -> None:
    res = _top(bridge, "How many cars would the river bridge carry a day, engineers said?")
    assert "9,000" in res.hits[0].passage.text


def test_or_not_disjunctions_are_not_negations() -> None:
    assert not negated("How powerful may or may not a machine be?", asserted_only=True)
    assert not negated("Whether or not it opened?", asserted_only=True)
    assert negated("What did the council not approve?", asserted_only=True)


def test_denial_in_words() -> None:
    assert denies("The system fails to distinguish self from non-self.")
    assert denies("The town lacks a second bridge.")
    assert denies("It did not open.")
    assert not denies("The council named the bridge.")


def test_first_year_is_a_when_question() -> None:
    assert question_kind("What was the first year the bridge carried cars?") == "when"
    assert question_kind("What was the first bridge the council named?") == "other"


def test_a_typing_slip_is_read_as_the_word_the_articles_use(bridge, monkeypatch) -> None:
    q = "When does the reconstrution of the pier begin?"  # "reconstruction", one slip away
    fixed = _top(bridge, q)
    assert "reconstruct" in fixed.question.terms and "reconstrut" not in fixed.question.terms
    assert "June" in fixed.hits[0].passage.text
    monkeypatch.setattr(R, "SPELLING", False)
    raw = _top(bridge, q)
    assert "reconstrut" in raw.question.terms
    assert fixed.hits[0].coverage > raw.hits[0].coverage


def test_names_and_short_words_are_not_respelt(bridge) -> None:
    res = _top(bridge, "What did the council say about Reconstrution?")  # a name: left as written
    assert "reconstrut" in res.question.terms
    res = _top(bridge, "What did the brigde say?")  # a short stem: too many neighbours to guess
    assert "brigd" in res.question.terms


def test_respelling_long_words_stays_within_sqlite_limits(bridge) -> None:
    # Each candidate word has hundreds of one-slip neighbours; they are looked up in batches.
    words = ["abcdefghijklmnopqrst", "reconstrution", "zyxwvutsrqponmlkjihg", "qwertyuiopasdfg"]
    res = _top(bridge, "What about " + " ".join(words) + "?")
    assert "reconstruct" in res.question.terms
    assert "abcdefghijklmnopqrst" in res.question.terms  # nothing one slip away: kept as written
