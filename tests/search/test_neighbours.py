"""A quote carries the next sentence of its paragraph when that sentence completes
the match (bot/search/neighbours.py, retrieve._carry_next): the question's words in
one sentence, the answer in the next."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from bot.engine import Engine
from bot.evaluate import fold
from bot.search import retrieve as R
from bot.search.neighbours import completes, next_sentences

SETUP = "Northern Widgets sold several Gizmo clones to foreign carriers, including Ruritania Post."
ANSWER = "The X.99 standard allowed the interconnection of national networks."
PLAN = "The council approved the harbour bridge plan after a long debate."
DATE = "Work started in March 1984."

FILES = {
    "gizmo.txt": f"Gizmo networks abroad\n\n{SETUP} {ANSWER}\n\nThe clones were cheap to run. Engineers liked them.\n",
    "harbour.txt": f"Harbour bridge\n\n{PLAN} {DATE}\n\nA second paragraph says traders welcomed the bridge.\n",
    "market.txt": "Market moves\n\nThe weekly market moves to the square. Traders welcomed the plan.\n",
}


@pytest.fixture
def eng(tmp_path: Path) -> Iterator[Engine]:
    folder = tmp_path / "knowledge"
    folder.mkdir()
    for name, text in FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
    engine = Engine(folder, tmp_path / "db.sqlite")
    engine.open()
    yield engine
    engine.close()


def test_next_sentence_that_holds_the_missing_word_is_carried(eng: Engine) -> None:
    answer = eng.ask("What did foreign clones of Gizmo allow?")
    assert answer.answered
    top = answer.quotes[0]
    assert top.text == f"{SETUP} {ANSWER}"  # real text: two consecutive sentences, one paragraph
    assert (top.citation.document, top.citation.paragraph) == ("gizmo", 1)
    # The carried sentence is not quoted a second time on its own.
    assert all(ANSWER not in q.text for q in answer.quotes[1:])


def test_no_carry_when_the_next_sentence_adds_no_question_word(eng: Engine) -> None:
    answer = eng.ask("Who sold Gizmo clones to foreign carriers?")
    assert answer.answered
    assert answer.quotes[0].text == SETUP  # the setup sentence answers it; the next adds nothing asked


def test_typed_question_carries_the_sentence_with_the_wanted_kind(eng: Engine, monkeypatch) -> None:
    q = "When did the council approve the harbour bridge plan?"
    answer = eng.ask(q)
    assert answer.answered and answer.quotes[0].text == f"{PLAN} {DATE}"
    monkeypatch.setattr(R, "CARRY_KIND", False)
    assert eng.ask(q).quotes[0].text == PLAN  # the rule, not chance, carried the date


def test_pair_stays_within_its_limit(eng: Engine, monkeypatch) -> None:
    monkeypatch.setattr(R, "PAIR_CHARS", len(SETUP) + len(ANSWER))  # one character short
    answer = eng.ask("What did foreign clones of Gizmo allow?")
    assert answer.answered
    assert all(len(q.text) <= R.PAIR_CHARS for q in answer.quotes)
    assert fold(f"{SETUP} {ANSWER}") not in [fold(q.text) for q in answer.quotes]


def test_switched_off_quotes_single_sentences(eng: Engine, monkeypatch) -> None:
    monkeypatch.setattr(R, "CARRY", False)
    answer = eng.ask("What did foreign clones of Gizmo allow?")
    assert answer.answered and answer.quotes[0].text in (SETUP, ANSWER)


def test_next_sentences_stay_inside_the_paragraph(eng: Engine) -> None:
    def run(snap):
        rows = snap.reader.passages(int(i) for i in snap.passage_ids)
        positions = {int(pid): pos for pos, pid in enumerate(snap.passage_ids)}
        return rows, next_sentences(snap, positions, rows.values())

    rows, following = eng._with_snapshot(run)
    by_text = {r.text: r for r in rows.values()}
    assert following[by_text[SETUP].id][1].text == ANSWER
    assert following[by_text[PLAN].id][1].text == DATE
    assert by_text[ANSWER].id not in following  # the paragraph's last sentence: nothing after it
    assert by_text[DATE].id not in following  # the next paragraph is not "the next sentence"


def test_completes_counts_only_new_question_terms() -> None:
    terms = {"clone", "allow", "foreign"}
    assert completes(terms, {"clone", "foreign"}, {"allow", "network"}) == {"allow"}
    assert completes(terms, {"clone", "foreign", "allow"}, {"allow"}) == set()
    assert completes(terms, set(), {"network"}) == set()
