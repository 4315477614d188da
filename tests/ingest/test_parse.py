"""Ingest of the seed article in both layouts, and the sentence splitter's hard cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.ingest.parse import ParseError, parse_document
from bot.ingest.sentences import split_sentences
from conftest import SEED_ID, SEED_MD

SEED_TXT = """TikTok Discussions Advance as Xi and Trump Speak by Phone

26 Sep 2025

By Guan Cong and Denise Jia

{body}

Contact reporter Denise Jia\u00a0(huijuanjia@caixin.com)

caixinglobal.com is the English-language online news portal of Chinese financial and business news media group Caixin. Global Neighbours is authorized to reprint this article.

Image: Kaspars Grinvalds –\u00a0stock.adobe.com"""


def _seed_body() -> str:
    text = SEED_MD.read_text(encoding="utf-8").split("---\n", 2)[2]
    return text.split("\nContact reporter")[0].strip()


@pytest.fixture(params=["md", "txt"])
def seed(request: pytest.FixtureRequest):
    if request.param == "md":
        return parse_document(SEED_ID, SEED_MD.read_text(encoding="utf-8"), ".md")
    return parse_document(SEED_ID, SEED_TXT.format(body=_seed_body()), ".txt")


def test_seed_paragraphs_and_metadata(seed) -> None:
    assert seed.id == SEED_ID
    assert seed.title == "TikTok Discussions Advance as Xi and Trump Speak by Phone"
    assert seed.date == "2025-09-26"
    assert seed.date_text == "26 Sep 2025"
    assert seed.authors == ("Guan Cong", "Denise Jia")
    assert len(seed.paragraphs) == 11
    assert seed.paragraphs[0].number == 1
    assert seed.paragraphs[0].text.startswith("Chinese President Xi Jinping")
    assert seed.paragraphs[-1].sentences[-1].startswith("Any transfer of TikTok")


def test_credit_lines_are_not_body(seed) -> None:
    body = " ".join(p.text for p in seed.paragraphs)
    assert "huijuanjia@caixin.com" not in body
    assert "authorized to reprint" not in body
    assert "stock.adobe.com" not in body
    assert len(seed.credits) == 3


def test_credit_lines_are_not_indexed(engine) -> None:
    rows = engine.store.conn.execute("SELECT text FROM passages").fetchall()
    texts = " ".join(r[0] for r in rows)
    assert "reprint" not in texts and "Kaspars" not in texts and "Contact reporter" not in texts
    assert engine.status().passages == 22  # 20 body sentences + byline + date line


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Mr. Smith met U.S. officials at 3 p.m. on Friday. He left.", 2),
        ("ByteDance Ltd., TikTok's parent, welcomed it. Then it ended.", 2),
        ("\u201cWe thank President Xi. We thank Mr. Trump,\u201d the company said. Next one.", 2),
        ("It cost $12.50 in the U.S. and No. 2 was second.", 1),
    ],
)
def test_sentence_splitter_hard_cases(text: str, expected: int) -> None:
    assert len(split_sentences(text)) == expected


def test_front_matter_errors_are_one_line() -> None:
    with pytest.raises(ParseError, match="not closed"):
        parse_document("x", "---\ntitle: A\n\nBody.", ".md")
    with pytest.raises(ParseError, match="not a date"):
        parse_document("x", "---\ntitle: A\ndate: yesterday-ish\n---\nBody text here.", ".md")
    with pytest.raises(ParseError, match="no title"):
        parse_document("x", "---\ndate: 2025-01-01\n---\nBody text here.", ".md")
    with pytest.raises(ParseError, match="empty"):
        parse_document("x", "  \n\n", ".md")


def test_markdown_heading_title_and_inline_markup() -> None:
    doc = parse_document("x", "# A Title\n\nSome **bold** and [a link](http://x).\n\n## Sub\n\nMore text.", ".md")
    assert doc.title == "A Title"
    assert [p.text for p in doc.paragraphs] == ["Some bold and a link.", "More text."]
