"""Abstention kinds on a small made-up corpus: answered, off-topic, near-miss, long questions.

The corpus is written here (not the shared sets): two short local-news articles.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.engine import Engine
from bot.search.question import analyse, negated
from bot.search.retrieve import retrieve

BAKERY = """Riverside bakery changes hands

12 March 2024

By Ann Clerk

The Riverside bakery on Mill Street has a new owner. Maria Lopez bought the business from the Hart family for 250,000 pounds in February.

Lopez said she would keep the sourdough recipe that made the shop famous. The bakery employs nine people and opens at six every morning.

The Hart family founded the bakery in 1962. Tom Hart, its founder, retired to the coast last year.

The town council extended the shop's lease until 2030. The extension lets the bakery keep its riverside terrace.
"""

FERRY = """Ferry service resumes after storm

14 March 2024

By Ben Quay

The island ferry resumed sailing on Tuesday after a storm closed the harbour for three days. The operator said two sailings were cancelled on Wednesday because of high winds.

Passengers queued at the terminal from dawn. The operator added an extra evening sailing to clear the backlog.

Repairs to the damaged pier will cost about 40,000 pounds, the harbour master said.
"""


@pytest.fixture
def mini(tmp_path: Path):
    folder = tmp_path / "knowledge"
    folder.mkdir()
    (folder / "bakery.txt").write_text(BAKERY, encoding="utf-8")
    (folder / "ferry.txt").write_text(FERRY, encoding="utf-8")
    eng = Engine(folder, tmp_path / "mini.db")
    eng.open()
    yield eng
    eng.close()


def _retrieve(engine: Engine, q: str):
    return engine._with_snapshot(lambda snap: retrieve(snap, analyse(q)))


@pytest.mark.parametrize(
    "question, expect",
    [
        ("Who owns the bakery?", "new owner"),  # owns / owner
        ("Who was the bakery's founder?", "founded the bakery"),  # founder / founded
        ("How long was the lease extended?", "extended the shop's lease"),
        ("What did the Hart family sell?", "bought the business"),  # sell / sale family; "bought" text
    ],
)
def test_word_families_answer(mini: Engine, question: str, expect: str) -> None:
    answer = mini.ask(question)
    assert answer.answered, answer.message
    assert any(expect in q.text for q in answer.quotes[:3]), [q.text for q in answer.quotes]


def test_article_evidence_picks_the_right_article(mini: Engine) -> None:
    answer = mini.ask("When did the ferry resume sailing?")
    assert answer.answered
    assert answer.quotes[0].citation.document == "ferry"


def test_off_topic_question(mini: Engine) -> None:
    result = _retrieve(mini, "What is the melting point of tungsten in a vacuum furnace?")
    assert not result.answered
    assert result.kind == "off-topic"
    assert not mini.ask("What is the melting point of tungsten in a vacuum furnace?").answered


def test_off_topic_unknown_name(mini: Engine) -> None:
    result = _retrieve(mini, "What did Gertrude Vanderbilt paint?")
    assert not result.answered
    assert result.kind in ("unknown-name", "off-topic")


def test_near_miss_negation(mini: Engine) -> None:
    # The topic is there (the bakery, its recipe); nothing says what it did *not* keep.
    result = _retrieve(mini, "Which recipe did Lopez not keep at the bakery?")
    assert not result.answered
    assert result.kind == "near-miss"
    # The same question without the negation is answered.
    assert _retrieve(mini, "Which recipe did Lopez keep at the bakery?").answered


def test_near_miss_low_coverage(mini: Engine) -> None:
    # Every word is in the articles, but in different places: no sentence answers it.
    result = _retrieve(mini, "Did the sourdough terrace delay the pier backlog?")
    assert not result.answered
    assert result.kind == "near-miss"
    assert result.signals["doc_coverage"] >= result.signals["coverage"]


def test_vague_question(mini: Engine) -> None:
    result = _retrieve(mini, "What happened?")
    assert not result.answered and result.kind == "vague"


def test_negation_rules() -> None:
    assert negated("What did Lopez not keep?")
    assert negated("Why isn't the ferry sailing?")
    assert not negated("Whether or not the ferry sails")
    assert negated("What would happen if it did not divest?")
    assert not negated("What would happen if it did not divest?", asserted_only=True)


def test_long_question_on_a_covered_topic_is_answered(mini: Engine) -> None:
    # A pasted paragraph, well past the old 1,000-character cut.
    pasted = ("I read that the Riverside bakery on Mill Street has a new owner, Maria Lopez, who bought the business "
              "from the Hart family, and that she will keep the sourdough recipe. ") * 8
    assert len(pasted) > 1000
    answer = mini.ask(pasted + " Who is the new owner of the bakery?")
    assert answer.answered, answer.message
    assert any("Maria Lopez" in q.text for q in answer.quotes)


def test_long_question_off_topic_is_refused(mini: Engine) -> None:
    pasted = ("The orchestra's new conductor rehearsed Mahler's ninth symphony with the violinists and cellists "
              "while the choir practised a cantata by Bach in the cathedral crypt. ") * 10
    answer = mini.ask(pasted)
    assert not answer.answered


def test_eval_reports_abstention_per_tag(mini: Engine) -> None:
    from bot.evaluate import evaluate

    items = [
        {"id": "a", "kind": "ask", "q": "Who owns the bakery?", "expect": ["NEW OWNER"]},  # folded case
        {"id": "b", "kind": "ask", "q": "What happened?", "expect": ["x"]},  # vague: a false abstention
        {"id": "c", "kind": "unanswerable", "q": "What is the melting point of tungsten?", "tag": "offtopic"},
        {"id": "d", "kind": "unanswerable", "q": "Who owns the bakery?", "tag": "adversarial"},
    ]
    result = evaluate(mini, items)
    assert (result.hit1, result.answerable, result.abstained_wrong) == (1, 2, 1)
    assert result.abstention_by_tag() == {"adversarial": 0.0, "offtopic": 1.0}
    assert result.false_abstention_rate == 0.5


def test_near_miss_opposite(mini: Engine) -> None:
    # The text says "high winds"; a question about *low* winds asks about something it does not say.
    result = _retrieve(mini, "Which sailings were cancelled because of low winds?")
    assert not result.answered
    assert result.kind == "near-miss"
    assert result.signals["opposite"] == 1.0
    assert _retrieve(mini, "Which sailings were cancelled because of high winds?").answered
    # A question naming both sides is a choice, not a swap.
    assert _retrieve(mini, "Were sailings cancelled because of high or low winds?").signals["opposite"] == 0.0
