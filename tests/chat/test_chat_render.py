"""The Discord renderer: limits, cuts, escaping, bold that cannot leak.

Why property tests here: the inputs are articles and questions nobody controls,
and one body over a limit is a 400 from Discord (a lost answer). Hypothesis
throws markdown, mentions and huge strings at the functions that guard that.
"""

from __future__ import annotations

import re

import pytest

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.answers.model import Answer, Citation, EntityCard, Quote, Summary
from bot.render.discord_embed import (
    DESCRIPTION_LIMIT,
    ELLIPSIS,
    EMBED_TOTAL_LIMIT,
    SourceRow,
    ZWSP,
    answer_embed,
    card_embed,
    choice_name,
    cut_markdown,
    cut_plain,
    escape,
    escape_markdown,
    fit_embed,
    highlight,
    limit_problems,
    lines_embed,
    render_quote,
    report_embed,
    sources_embed,
    summary_embed,
)
from bot.text.tokenize import tokenize

MARKDOWN_NOISE = st.lists(
    st.sampled_from(list("ab cd*_~`|>#-[]()\\@!.:<") + ["everyone", "here", "\n", " ByteDance", "**", "@everyone"]),
    max_size=120,
).map("".join)


def cite(title: str = "A title", paragraph: int = 3, url: str | None = "https://example.com/a") -> Citation:
    return Citation("doc", title, paragraph, "26 Sep 2025", url)


def quote(text: str, **kw: object) -> Quote:
    return Quote(text, cite(**kw), 1.0)  # type: ignore[arg-type]


def scan(rendered: str) -> tuple[str, int, bool]:
    """Read rendered markdown the way Discord does for our purposes: `\\x` is a literal
    x, `**` toggles bold. Returns (literal text, number of bold markers, whether a
    lone backslash dangles at the end)."""
    out: list[str] = []
    markers = 0
    i = 0
    while i < len(rendered):
        ch = rendered[i]
        if ch == "\\":
            if i + 1 == len(rendered):
                return "".join(out), markers, True
            out.append(rendered[i + 1])
            i += 2
        elif rendered.startswith("**", i):
            markers += 1
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out), markers, False


def defused(text: str) -> str:
    text = re.sub(r"@(everyone|here|[!&]?\d{15,21})", lambda m: "@" + ZWSP + m.group(1), text, flags=re.I)
    return re.sub(r"<([@#][!&]?\d+>)", lambda m: "<" + ZWSP + m.group(1), text)


# --------------------------------------------------------------------------- cutting


def test_cut_plain_prefers_a_sentence_end_and_never_cuts_a_word() -> None:
    text = "The first sentence is here. The second sentence goes on and on without end"
    assert cut_plain(text, 50) == "The first sentence is here. " + ELLIPSIS
    words = "alpha beta gamma delta epsilon " * 20
    out = cut_plain(words, 47)
    assert len(out) <= 47 and out.endswith(ELLIPSIS)
    assert words.startswith(out[:-1]) and words[len(out) - 1] == " "  # cut at a word boundary


@given(st.text(max_size=3000), st.integers(min_value=1, max_value=2100))
def test_cut_plain_respects_the_limit(text: str, limit: int) -> None:
    out = cut_plain(text, limit)
    assert len(out) <= limit
    if len(text) <= limit:
        assert out == text
    else:
        assert out.endswith(ELLIPSIS)


@given(MARKDOWN_NOISE, st.lists(st.sampled_from(["byted", "everyon", "ab", "cd"]), max_size=3), st.integers(min_value=5, max_value=400))
@settings(max_examples=300, deadline=None)
def test_cut_markdown_never_leaves_open_bold_or_a_dangling_backslash(text: str, terms: list[str], limit: int) -> None:
    rendered = highlight(text, terms)
    out = cut_markdown(rendered, limit)
    assert len(out) <= limit
    _, markers, dangling = scan(out)
    assert markers % 2 == 0 and not dangling, out


# --------------------------------------------------------------------------- escaping and bold


@given(MARKDOWN_NOISE, st.lists(st.sampled_from(["byted", "everyon", "ab", "cd", "here"]), max_size=4))
@settings(max_examples=300, deadline=None)
def test_highlight_only_adds_bold_and_escapes(text: str, terms: list[str]) -> None:
    """Removing our `**` markers and unescaping gives back the text (mentions defused):
    so nothing from the source survives as markdown, and bold can't leak."""
    out = highlight(text, terms)
    literal, markers, dangling = scan(out)
    assert literal == defused(text)
    assert markers % 2 == 0 and not dangling
    # Outside escapes, the only markdown characters left are our bold markers.
    stripped = re.sub(r"\\.", "", out, flags=re.S).replace("**", "")
    assert not re.search(r"[*_~`|\[\]()<>\\]", stripped), out


def test_highlight_bolds_stem_matches_and_merges_runs() -> None:
    terms = tokenize("What does Chinese law say about ByteDance?")
    out = highlight("“ByteDance will proceed in accordance with Chinese law.” *not bold*", terms)
    assert "**ByteDance**" in out and "**Chinese law**" in out
    assert "\\*not bold\\*" in out


def test_mentions_are_defused() -> None:
    for text in ("@everyone look", "hi @here", "<@123456789012345678>", "<@&123456789012345678>", "@EVERYONE"):
        out = escape(text)
        assert "@everyone" not in out.lower().replace(ZWSP, "|") or ZWSP in out
        assert re.search(r"@(everyone|here|&?\d{15,})", out, re.I) is None


def test_line_start_markdown_is_escaped_inside_block_quotes() -> None:
    block = render_quote(quote("# Not a heading - really"))
    assert block.startswith("> \\# Not a heading")
    assert escape_markdown("> quoted\n- item\n1. one").splitlines() == ["\\> quoted", "\\- item", "\\1. one"]


def test_quotes_cannot_leak_bold_into_each_other() -> None:
    nasty = [quote("**unclosed ByteDance " + "x" * 2000), quote("__under ByteDance"), quote("ByteDance** close")]
    answer = Answer("ByteDance?", True, tuple(nasty), 1.0, terms=("byted",))
    desc = answer_embed(answer)["description"]
    for block in desc.split("\n\n"):
        assert scan(block)[1] % 2 == 0, block
    assert limit_problems(answer_embed(answer)) == []


# --------------------------------------------------------------------------- limits with huge inputs


def test_huge_answer_stays_within_every_limit() -> None:
    long_title = "T" * 500
    quotes = tuple(quote("Sentence " * 400 + "end.", title=long_title, url="https://x.example/" + "p" * 600) for _ in range(40))
    answer = Answer("Why " * 400, True, quotes, 12.0, terms=("sentenc",), more=quotes)
    for embed in (answer_embed(answer), answer_embed(answer, extra=answer.more)):
        assert limit_problems(embed) == []
        assert embed["description"].rstrip().endswith(("more not shown.", ELLIPSIS, ")"))
        assert len(embed["title"]) <= 256


@pytest.mark.slow
def test_huge_abstention_card_summary_sources_report() -> None:
    big = "@everyone **x** " * 2000
    embeds = [
        answer_embed(Answer(big, False, (), 1.0, message="The articles don't say. Nothing in them answers “" + big + "”.")),
        card_embed(EntityCard(big, True, big, big, tuple(quote(big) for _ in range(30)), 1.0, aliases=(big,) * 5)),
        card_embed(EntityCard(big, False, "", "", (), 1.0, message=big)),
        summary_embed(Summary(None, big, tuple(quote(big) for _ in range(30)))),
        sources_embed([SourceRow("id" * 80, big, big, "https://e.example/" + "a" * 3000, 3) for _ in range(200)]),
        lines_embed(big, [escape(big)] * 100),
    ]

    class Report:
        added = [big] * 50
        changed = ["c"] * 500
        removed = [big[:100]] * 30
        failed = [(big, big)] * 40
        unchanged = 0
        documents = 10
        passages = 9999
        duration_ms = 12.5

    embeds.append(report_embed(big, Report()))
    for e in embeds:
        assert limit_problems(e) == [], limit_problems(e)
        text = str(e)
        assert "@everyone" not in text


@given(
    st.text(max_size=400),
    st.text(max_size=6000),
    st.lists(st.tuples(st.text(max_size=400), st.text(max_size=2000)), max_size=40),
    st.text(max_size=3000),
)
@settings(max_examples=100, deadline=None)
def test_fit_embed_always_produces_a_valid_embed(title: str, description: str, fields: list[tuple[str, str]], footer: str) -> None:
    embed = {"title": title, "description": description, "fields": [{"name": n, "value": v} for n, v in fields], "footer": {"text": footer}}
    out = fit_embed(embed)
    problems = [p for p in limit_problems(out) if "empty" not in p]
    assert problems == []


def test_choice_names_fit() -> None:
    assert len(choice_name("word " * 100)) <= 100
    assert choice_name("a\nb") == "a b"


def test_total_limit_shrinks_the_description() -> None:
    embed = {"title": "t" * 256, "description": "word " * 1000, "fields": [{"name": "n" * 256, "value": "v " * 512} for _ in range(3)]}
    out = fit_embed(embed)
    assert limit_problems(out) == []
    assert sum(len(x) for x in (out["title"], out["description"])) + sum(len(f["name"]) + len(f["value"]) for f in out["fields"]) <= EMBED_TOTAL_LIMIT
    assert len(out["description"]) < DESCRIPTION_LIMIT


# --------------------------------------------------------------------------- the answering span


@given(MARKDOWN_NOISE, st.lists(st.tuples(st.integers(0, 130), st.integers(0, 130)), max_size=3),
       st.integers(min_value=60, max_value=900))
@settings(max_examples=300, deadline=None)
def test_marks_bold_only_their_span_and_never_leak(text: str, spans: list[tuple[int, int]], budget: int) -> None:
    """Any spans on any text: the rendered quote is within budget, its bold is closed,
    and (uncut) removing our markers gives back the escaped text."""
    from bot.render.discord.markup import mark
    from bot.render.discord.quote import render_quotes

    marks = tuple((min(a, b), max(a, b)) for a, b in spans if a != b)
    q = Quote(text, cite(), 1.0, marks=marks)
    block = render_quotes([q], budget=budget)[0]
    citation = block.split("\n")[-1]
    assert len(block) <= max(budget, len(citation) + 4)
    _, markers, dangling = scan(block)
    assert markers % 2 == 0 and not dangling, block
    literal, _, _ = scan(mark(text, marks))
    assert literal == defused(text)


def test_the_answer_span_is_the_bold_part_and_sources_are_named_once() -> None:
    c = Citation("d1", "A long title here", 9, "26 Sep 2025", "https://example.com/a", "Caixin Global")
    other = Citation("d1", "A long title here", 3, "26 Sep 2025", "https://example.com/a", "Caixin Global")
    text = "The law gave the firm 270 days to sell."
    a = Answer("How many days?", True, (Quote(text, c, 2.0, marks=((22, 25),)), Quote("Earlier text.", other, 1.0)), 0.0)
    desc = answer_embed(a)["description"]
    assert re.findall(r"\*\*(.+?)\*\*", desc) == ["270"]
    assert desc.count("Caixin Global · 26 Sep 2025") == 1 and "(<https://example.com/a>)" in desc
    assert desc.index("-# ¶3") < desc.index("-# ¶9")  # one article's quotes in reading order
