"""Issue 10's abstention rules, each with a question it must change.

- unseen words weigh by their English specificity (bot/text/specificity.py):
  a common predicate ("held") no longer refuses, a specific word ("vetoed") still does;
- "when" / "where" questions need a date / place in the top sentences;
- a "why" question whose top sentences state a cause lets its unseen wording count half.
The seed article is the repo's own copy (tests/conftest.py), never /work/shared.
"""

from __future__ import annotations

import pytest

from bot.engine import Engine
from bot.search import retrieve as R
from bot.search.question import analyse, names_a_place
from bot.text import specificity as S


def _retrieve(engine: Engine, q: str):
    return engine._with_snapshot(lambda snap: R.retrieve(snap, analyse(q)))


def test_specificity_orders_words_by_english_frequency() -> None:
    assert S.specificity("soybean") == 1.0  # rare in English
    assert S.specificity("hold") < 0.3  # "held": one of the commonest verbs
    assert S.specificity("hold") < S.specificity("deleg") < S.specificity("soybean")
    assert S.specificity("zzqxv") == 1.0  # not in the table: as specific as it gets


def test_a_common_unseen_word_does_not_refuse(engine: Engine) -> None:
    assert _retrieve(engine, "Where were the talks held?").answered


def test_without_specificity_the_same_question_was_refused(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(S, "RARE_ZIPF", 99.0)
    monkeypatch.setattr(S, "COMMON_ZIPF", 100.0)
    res = _retrieve(engine, "Where were the talks held?")
    assert not res.answered and res.kind == "off-topic"


def test_a_specific_unseen_word_still_refuses(engine: Engine) -> None:
    res = _retrieve(engine, "Where were the talks vetoed?")
    assert not res.answered and res.kind in ("off-topic", "near-miss")


def test_when_question_needs_a_date(engine: Engine) -> None:
    res = _retrieve(engine, "When was ByteDance founded?")
    assert not res.answered and res.kind == "near-miss" and res.signals["when_unmet"]
    assert _retrieve(engine, "When did TikTok shut down?").answered  # "in January"


def test_when_inside_a_question_asks_for_no_date(engine: Engine) -> None:
    res = _retrieve(engine, "What happens to apps when they fail to divest?")
    assert not res.signals.get("when_unmet")


def test_where_question_needs_a_place(engine: Engine) -> None:
    res = _retrieve(engine, "Where is ByteDance headquartered?")
    assert not res.answered and res.kind == "near-miss" and res.signals["where_unmet"]


@pytest.mark.parametrize("text, place", [
    ("The talks were held in Madrid on Monday.", True),
    ("Specialised cells (located in the thymus and bone marrow) present antigens.", True),
    ("The company welcomed the remarks.", False),
])
def test_names_a_place(text: str, place: bool) -> None:
    assert names_a_place(text) is place


def test_why_with_a_stated_cause_is_answered(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    res = _retrieve(engine, "Why is TikTok in trouble?")
    assert res.answered and res.signals["answer_type"]
    assert any("stems from" in h.passage.text for h in res.hits)
    monkeypatch.setattr(R, "ANSWER_TYPE_SHARE", 1.0)  # without the answer-type rule: refused
    assert not _retrieve(engine, "Why is TikTok in trouble?").answered
