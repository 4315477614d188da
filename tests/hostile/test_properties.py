"""Property-based tests: hostile questions, names and article text never crash the
engine or the renderer, and every rendered reply is valid for Discord.

Inputs: 0 to 6,000 characters from all of Unicode (controls, zero-width joiners,
bidi marks, emoji, combining marks), markdown and code fences, @everyone/@here,
user/role/channel mentions, URLs; mixed with words the seed article answers, so
real quotes get rendered next to hostile text.
"""

from __future__ import annotations

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.answers.model import Answer, Citation, EntityCard, Quote, Summary
from bot.build import BuildReport
from bot.engine import Engine, UnknownDocument
from bot.render.discord_embed import (
    SourceRow,
    answer_embed,
    card_embed,
    choice_name,
    escape,
    fit_content,
    lines_embed,
    limit_problems,
    report_embed,
    sources_embed,
    status_embed,
    summary_embed,
)
from hostile.support import COUNTS, content_problems, embed_problems, hostile_text, note_input

SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


def assert_valid(embed: dict) -> None:
    problems = embed_problems(embed) + limit_problems(embed)
    assert not problems, problems


# ----------------------------------------------------------------------- engine


@SETTINGS
@given(question=hostile_text())
def test_ask_never_crashes_and_renders_valid(shared_engine: Engine, question: str) -> None:
    note_input(question)
    answer = shared_engine.ask(question)
    assert isinstance(answer.answered, bool)
    if not question.strip():
        assert not answer.answered
    assert_valid(answer_embed(answer))
    if answer.more:
        assert_valid(answer_embed(answer, extra=answer.more))


@SETTINGS
@given(name=hostile_text())
def test_who_never_crashes_and_renders_valid(shared_engine: Engine, name: str) -> None:
    note_input(name)
    card = shared_engine.who(name)
    if not name.strip():
        assert not card.answered
    assert_valid(card_embed(card))
    names = shared_engine.entity_names(name[:100], 25)
    assert len(names) <= 25
    for n in names:
        assert len(choice_name(n)) <= 100


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=st.one_of(st.none(), hostile_text(300)), question=hostile_text(300))
def test_document_option_is_validated(shared_engine: Engine, document: str | None, question: str) -> None:
    """A forged `article` value is a clean UnknownDocument, never a crash."""
    COUNTS["inputs"] += 1
    loaded = {d.id for d in shared_engine.documents()}
    for call in (lambda: shared_engine.summary(document), lambda: shared_engine.ask(question, document=document)):
        if document is None or document in loaded:
            result = call()
            embed = summary_embed(result) if isinstance(result, Summary) else answer_embed(result)
            assert_valid(embed)
        else:
            try:
                call()
            except UnknownDocument as exc:
                assert "unknown document" in str(exc)
            else:
                raise AssertionError(f"forged document {document!r} was accepted")


def test_followups_with_hostile_text(shared_engine: Engine) -> None:
    first = shared_engine.ask("Who is ByteDance?")
    ctx = shared_engine.follow_up_context("Who is ByteDance?", first)
    for q in ["", " ", "what did it say @everyone?", "**it**" * 1000, "\u202e" * 6000]:
        COUNTS["inputs"] += 1
        assert_valid(answer_embed(shared_engine.ask(q, context=ctx)))


# ---------------------------------------------------------------------- renderer

_citations = st.builds(
    Citation,
    document=hostile_text(200),
    title=hostile_text(400),
    paragraph=st.integers(0, 10_000),
    date_text=st.one_of(st.none(), hostile_text(100)),
    url=st.one_of(st.none(), hostile_text(600), st.just("https://example.com/a_(b)*c"), st.just("javascript:alert(1)")),
)
_quotes = st.builds(
    Quote,
    text=hostile_text(),
    citation=_citations,
    score=st.floats(allow_nan=False, allow_infinity=False),
    also=st.lists(_citations, max_size=4).map(tuple),
)
_terms = st.lists(st.one_of(hostile_text(30), st.sampled_from(["xi", "bytedanc", "tiktok", "divest", "*", "`"])), max_size=10).map(tuple)
_answers = st.builds(
    Answer,
    query=hostile_text(),
    answered=st.booleans(),
    quotes=st.lists(_quotes, max_size=5).map(tuple),
    elapsed_ms=st.floats(0, 1e6),
    terms=_terms,
    message=hostile_text(),
    more=st.lists(_quotes, max_size=5).map(tuple),
)
_cards = st.builds(
    EntityCard,
    query=hostile_text(),
    answered=st.booleans(),
    name=hostile_text(),
    role=hostile_text(),
    quotes=st.lists(_quotes, max_size=6).map(tuple),
    elapsed_ms=st.floats(0, 1e6),
    aliases=st.lists(hostile_text(300), max_size=8).map(tuple),
    message=hostile_text(),
)
_summaries = st.builds(
    Summary,
    document=st.one_of(st.none(), hostile_text(100)),
    title=hostile_text(),
    quotes=st.lists(_quotes, max_size=6).map(tuple),
    elapsed_ms=st.floats(0, 1e6),
)


@settings(max_examples=200, deadline=None)
@given(answer=_answers)
def test_answer_embed_valid(answer: Answer) -> None:
    note_input(answer.query, *(q.text for q in answer.quotes))
    assert_valid(answer_embed(answer))
    assert_valid(answer_embed(answer, extra=answer.more))


@settings(max_examples=150, deadline=None)
@given(card=_cards)
def test_card_embed_valid(card: EntityCard) -> None:
    COUNTS["inputs"] += 1
    assume(not card.answered or (card.name or card.query).strip())  # the engine never answers a nameless card
    assert_valid(card_embed(card))


@settings(max_examples=150, deadline=None)
@given(summary=_summaries)
def test_summary_embed_valid(summary: Summary) -> None:
    COUNTS["inputs"] += 1
    assert_valid(summary_embed(summary))


@settings(max_examples=100, deadline=None)
@given(
    names=st.lists(hostile_text(300), max_size=40),
    reasons=st.lists(st.tuples(hostile_text(300), hostile_text(600)), max_size=30),
    title=hostile_text(),
)
def test_admin_embeds_valid(names: list[str], reasons: list[tuple[str, str]], title: str) -> None:
    COUNTS["inputs"] += 1
    report = BuildReport(added=names, changed=names[:5], removed=names[-5:], failed=reasons, unchanged=3, documents=len(names), passages=10)
    assert_valid(report_embed(title, report))
    rows = [SourceRow(n, t, d, u, 3) for n, (t, u), d in zip(names, reasons, names[::-1])]
    assert_valid(sources_embed(rows))
    assert_valid(lines_embed(title, [f"**{i}×** {escape(n)}" for i, n in enumerate(names)]))
    assert_valid(status_embed(len(names), 10, "never", None, [(n, r) for n, r in reasons[:10]]))
    assert not content_problems(fit_content(escape(title)))
    assert len(choice_name(title)) <= 100 and choice_name(title).strip()


_long_text = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), min_size=300, max_size=2000),
    hostile_text().map(lambda s: (s + " **`@everyone`** ") * 40).map(lambda s: s[:6000]),
)
_long_quotes = st.builds(
    Quote, text=_long_text, citation=st.builds(
        Citation, document=_long_text, title=_long_text, paragraph=st.integers(0, 10**9),
        date_text=st.one_of(st.none(), _long_text), url=st.just("https://example.com/" + "x" * 480),
    ),
    score=st.just(1.0), also=st.lists(_citations, min_size=0, max_size=4).map(tuple),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.large_base_example, HealthCheck.too_slow, HealthCheck.data_too_large])
@given(quotes=st.lists(_long_quotes, min_size=5, max_size=10), query=_long_text, terms=_terms)
def test_big_answers_stay_within_every_limit(quotes: list[Quote], query: str, terms: tuple[str, ...]) -> None:
    """The worst case for the limits: many long quotes with long titles and links."""
    note_input(query, *(q.text for q in quotes))
    answer = Answer(query=query, answered=True, quotes=tuple(quotes[:5]), elapsed_ms=1.0, terms=terms, more=tuple(quotes[5:]))
    assert_valid(answer_embed(answer))
    assert_valid(answer_embed(answer, extra=answer.more))
    card = EntityCard(query=query, answered=True, name=query, role=query, quotes=tuple(quotes), elapsed_ms=1.0, aliases=(query,) * 10)
    assert_valid(card_embed(card))
    assert_valid(summary_embed(Summary(document=None, title=query, quotes=tuple(quotes))))
