"""`who`: titles are roles, not names; a short form joins a name only when it is a name."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from bot.engine import Engine
from bot.ingest.entities import entity_kind, extract_mentions
from conftest import opened_engine

HARVEST = """---
title: Farm Output Rises
date: 2025-10-02
---
Agriculture Minister Adamu Bello said on Monday that grain output rose by a tenth this year.

Agriculture accounts for a quarter of the economy, and Agriculture exports doubled since 2020.

Bello added that fertiliser subsidies would continue until the next harvest.

Adamu Bello is a former banker who joined the cabinet in 2023.

Finance Minister Wale Edun said the budget would fund new storage.

Investors such as General Atlantic and Carlyle have backed farm start-ups.
"""


def one_article(tmp_path: Path, name: str, text: str) -> Path:
    """A knowledge folder holding one article."""
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / name).write_text(text, encoding="utf-8")
    return kb


@pytest.fixture
def farm(tmp_path: Path) -> Iterator[Engine]:
    yield from opened_engine(one_article(tmp_path, "farm.md", HARVEST), tmp_path / "db.sqlite")


@pytest.mark.parametrize(
    "sentence, name, role",
    [
        ("Agriculture Minister Adamu Bello said so.", "Adamu Bello", "Agriculture Minister"),
        ("It came after Secretary of State Colin Powell spoke.", "Colin Powell", "Secretary of State"),
        ("Then Chancellor of the Exchequer Gordon Brown replied.", "Gordon Brown", "Chancellor of the Exchequer"),
        ("The Bank of England Governor Mervyn King spoke.", "Mervyn King", "Bank of England Governor"),
        ("Chinese Vice Premier He Lifeng led the talks.", "He Lifeng", "Chinese Vice Premier"),
        ("It was Mr Blair who spoke.", "Blair", "Mr"),
        ("Labour MP Louise Ellman said the image was insensitive.", "Louise Ellman", "Labour MP"),
    ],
)
def test_title_is_the_role_not_the_name(sentence: str, name: str, role: str) -> None:
    mentions = {m.name: m.role for m in extract_mentions(sentence)}
    assert mentions.get(name) == role, mentions


def test_an_organisation_keeps_its_title_like_words() -> None:
    names = [m.name for m in extract_mentions("The Justice Department and the Foreign Ministry replied.")]
    assert names == ["Justice Department", "Foreign Ministry"]
    assert [m.name for m in extract_mentions("Martin Luther King Jr spoke.")] == ["Martin Luther King Jr"]


@pytest.mark.parametrize(
    "name, kind",
    [("General Atlantic", "org"), ("Truth Social", "org"), ("HongShan Capital Group", "org"),
     ("South Korea", "other"), ("Adamu Bello", "person"), ("Zhang Yiming", "person"),
     ("BBC One", "org"), ("Universities UK", "org"), ("J.K. Rowling", "person")],
)
def test_entity_kind(name: str, kind: str) -> None:
    assert entity_kind(name) == kind


def test_who_person_with_a_portfolio_title(farm: Engine) -> None:
    card = farm.who("Adamu Bello")
    assert card.answered
    assert card.name == "Adamu Bello"
    assert card.role == "Agriculture Minister"
    texts = [q.text for q in card.quotes]
    # The sentence about agriculture that never names him is not on his card...
    assert not any(t.startswith("Agriculture accounts") for t in texts)
    # ...his surname alone joins, and the defining sentence comes first.
    assert any(t.startswith("Bello added") for t in texts)
    assert texts[0].startswith("Adamu Bello is a former banker")
    assert "Agriculture" not in card.aliases and "Agriculture Minister Adamu Bello" not in card.aliases


def test_who_title_word_is_not_a_person(farm: Engine) -> None:
    # "Minister" is a title: it names no one, and the two ministers stay apart.
    edun = farm.who("Wale Edun")
    assert edun.answered and edun.role == "Finance Minister"
    assert all("Bello" not in q.text for q in edun.quotes)
    assert not farm.who("Minister").answered  # no recorded name holds the title word


def test_who_surname_finds_the_full_name(farm: Engine) -> None:
    card = farm.who("Bello")
    assert card.name == "Adamu Bello" and card.role == "Agriculture Minister"


def test_sentence_initial_word_is_not_part_of_a_name() -> None:
    known = frozenset({"Charles", "Kennedy", "Blair"})
    assert [m.name for m in extract_mentions("If Charles Kennedy wins, the party gains.", known)] == ["Charles Kennedy"]
    assert [m.name for m in extract_mentions("Vote Blair, the posters said.", known)] == ["Blair"]
    # A name written capitalised elsewhere keeps its first word at the start of a sentence.
    assert [m.name for m in extract_mentions("Charles Kennedy said so.", known)] == ["Charles Kennedy"]


_VERBS = ["opened its conference", "set out its plans", "promised new schools", "defended its record",
          "named its candidates", "debated the budget", "cheered its leader", "heard from members",
          "closed the session", "published its pledges", "thanked its volunteers", "met the unions"]
PARTY = (
    "---\ntitle: Party Conference Opens\ndate: 2005-02-01\n---\n"
    + "\n\n".join(f"Labour {verb} on day {i}." for i, verb in enumerate(_VERBS, 1))
    + "\n\nOne official in Whitehall Labour circles called it a triumph.\n\n"
    "BBC One showed the speech live, and the BBC said viewing figures were high.\n\n"
    "The BBC interviewed delegates after the speech.\n"
)


@pytest.fixture
def party(tmp_path: Path) -> Iterator[Engine]:
    yield from opened_engine(one_article(tmp_path, "party.md", PARTY), tmp_path / "db.sqlite")


def test_who_common_short_name_is_not_swallowed_by_a_one_off_longer_span(party: Engine) -> None:
    card = party.who("Labour")
    assert card.answered and card.name == "Labour"
    assert "Whitehall Labour" not in card.quotes[0].text
    bbc = party.who("BBC")
    assert bbc.name == "BBC"  # "BBC One" is a channel of it, not its full name


def test_who_on_a_topic_word_points_to_a_question(farm: Engine) -> None:
    topic = farm.who("fertiliser subsidies")
    assert not topic.answered and "ask a question" in topic.message and "don't mention" not in topic.message
    absent = farm.who("Zebra Holdings")
    assert not absent.answered and "don't mention" in absent.message
