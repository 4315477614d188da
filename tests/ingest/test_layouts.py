"""Files as moderators write them: plain Markdown, odd bylines, real YAML, single line breaks."""

from __future__ import annotations

import pytest

from bot.ingest.parse import ParseError, byline_names, parse_document

BODY = [
    "Chinese President Xi Jinping and U.S. President Donald Trump spoke by phone Friday about trade.",
    "Xi reiterated China's position. He urged Washington to provide an open environment.",
    "Trump said the two leaders agreed to meet at the APEC summit in South Korea.",
]


def test_markdown_without_front_matter_loads_like_txt() -> None:
    text = "TikTok Talks Advance\n\n26 Sep 2025\n\nBy Guan Cong and Denise Jia\n\n" + "\n\n".join(BODY)
    md = parse_document("a", text, ".md")
    txt = parse_document("a", text, ".txt")
    assert md == txt
    assert md.title == "TikTok Talks Advance"
    assert md.date == "2025-09-26"
    assert md.authors == ("Guan Cong", "Denise Jia")
    assert [p.text for p in md.paragraphs] == BODY


def test_markdown_without_front_matter_strips_markup() -> None:
    text = "# Talks Advance\n\n26 Sep 2025\n\nThe **call** went [well](http://x.example).\n\n## Next\n\nMore text here."
    doc = parse_document("a", text, ".md")
    assert doc.title == "Talks Advance" and doc.date == "2025-09-26"
    assert [p.text for p in doc.paragraphs] == ["The call went well.", "More text here."]


@pytest.mark.parametrize(
    "line, names",
    [
        ("By Guan Cong and Denise Jia", ("Guan Cong", "Denise Jia")),
        ("By Ursula von der Leyen", ("Ursula von der Leyen",)),
        ("By Jane Doe in Beijing", ("Jane Doe",)),
        ("By the end of the year, the deal had closed.", None),
        ("By 2030 the market will double.", None),
        ("By Monday, Trump had agreed to the terms of the sale.", None),
    ],
)
def test_byline_needs_names(line: str, names: tuple[str, ...] | None) -> None:
    assert byline_names(line) == names


def test_by_sentence_after_the_title_is_body_text() -> None:
    text = "Deal Closes\n\nBy the end of the year, the deal had closed.\n\nBuyers were pleased with it."
    doc = parse_document("a", text, ".txt")
    assert doc.authors == () and doc.byline is None
    assert doc.paragraphs[0].text == "By the end of the year, the deal had closed."


def test_front_matter_is_yaml() -> None:
    text = (
        "---\n"
        "# a comment line\n"
        "title: >\n"
        "  Xi and Trump Speak:\n"
        "  the Call in Full\n"
        "date: 2025-09-26   # the day it ran\n"
        "authors:\n"
        "  - Cong, Guan\n"
        "  - \"Jia, Denise\"\n"
        "url: https://example.com/a#frag  # shown as a link\n"
        "source: 'Caixin: Global'\n"
        "---\n" + "\n\n".join(BODY)
    )
    doc = parse_document("a", text, ".md")
    assert doc.title == "Xi and Trump Speak: the Call in Full"
    assert doc.date == "2025-09-26"
    assert doc.authors == ("Cong, Guan", "Jia, Denise")  # list items keep their commas
    assert doc.url == "https://example.com/a#frag"
    assert doc.source == "Caixin: Global"


def test_front_matter_flow_list_and_string_of_names() -> None:
    head = "---\ntitle: T\nauthors: [Guan Cong, Denise Jia]\n---\n"
    assert parse_document("a", head + BODY[0], ".md").authors == ("Guan Cong", "Denise Jia")
    head = "---\ntitle: T\nauthor: Guan Cong and Denise Jia\n---\n"
    assert parse_document("a", head + BODY[0], ".md").authors == ("Guan Cong", "Denise Jia")


@pytest.mark.parametrize(
    "front, message",
    [
        ("title: Xi: the call\n", "front matter line 2"),
        ("title: T\nauthors: [a, b\n", "front matter line"),
        ("- just\n- a list\n", "not a set of 'key: value'"),
        ("title: T\ndate: next Tuesday\n", "not a date"),
        ("title: T\ndate: 2025-13-45\n", "cannot read"),
        ("title: !!python/object:os.system x\n", "front matter line 2"),
    ],
)
def test_bad_yaml_is_one_line(front: str, message: str) -> None:
    with pytest.raises(ParseError, match=message) as info:
        parse_document("a", "---\n" + front + "---\n" + BODY[0], ".md")
    assert "\n" not in str(info.value)


def test_single_line_breaks_one_paragraph_per_line() -> None:
    text = "TikTok Talks Advance\n26 Sep 2025\nBy Guan Cong and Denise Jia\n" + "\n".join(BODY) + "\n"
    doc = parse_document("a", text, ".txt")
    assert doc.title == "TikTok Talks Advance"
    assert doc.date == "2025-09-26" and doc.authors == ("Guan Cong", "Denise Jia")
    assert [p.text for p in doc.paragraphs] == BODY


def test_hard_wrapped_text_keeps_its_paragraphs() -> None:
    para1 = ("The talks in Madrid ended late on Monday with a basic framework that both sides said "
             "would resolve the dispute over the app and reduce barriers to investment in the coming "
             "months, officials said.")
    para2 = ("Negotiators will meet again next month to settle the remaining questions about data "
             "security and the licensing of the algorithm.")

    def wrap(p: str, width: int = 60) -> list[str]:
        lines, line = [], ""
        for word in p.split():
            if line and len(line) + 1 + len(word) > width:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}".strip()
        return lines + [line]

    text = "Talks End\n\n" + "\n".join(wrap(para1) + wrap(para2)) + "\n"
    doc = parse_document("a", text, ".txt")
    assert [p.text for p in doc.paragraphs] == [para1, para2]
