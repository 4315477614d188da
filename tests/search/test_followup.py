"""Follow-ups resolve pronouns against the previous exchange and prefer its article."""

from __future__ import annotations

from bot.answers.followup import ContextEntity, FollowUpContext, entity_kind, rewrite


def test_he_resolves_to_previous_person(engine) -> None:
    first = engine.ask("Who is He Lifeng?")
    context = engine.follow_up_context("Who is He Lifeng?", first)
    assert context.entities[0].name == "He Lifeng" and context.entities[0].kind == "person"
    answer = engine.ask("and what did he agree in Madrid?", context=context)
    assert answer.answered
    assert "press briefing in Madrid" in answer.quotes[0].text
    assert answer.query == "and what did he agree in Madrid?"


def test_without_context_the_pronoun_is_not_guessed(engine) -> None:
    answer = engine.ask("what did she say?")
    assert not answer.answered


def test_rewrite_rules() -> None:
    ctx = FollowUpContext("q", (ContextEntity("Zhang Yiming", "person"), ContextEntity("ByteDance Ltd.", "org")), None)
    assert rewrite("And what does he control?", ctx) == "what does Zhang Yiming control?"
    assert rewrite("What did the company say about its app?", ctx) == "What did ByteDance Ltd. say about ByteDance Ltd.'s app?"
    assert rewrite("Where is Madrid?", ctx) == "Where is Madrid?"


def test_entity_kinds() -> None:
    assert entity_kind("ByteDance") == "org"
    assert entity_kind("HongShan Capital Group") == "org"
    assert entity_kind("He Lifeng", "Chinese Vice Premier") == "person"
    assert entity_kind("APEC") == "org"
    assert entity_kind("Spain") == "other"


def test_the_deal_is_the_previous_organisations_deal(engine) -> None:
    ctx = FollowUpContext("q", (ContextEntity("Donald Trump", "person"), ContextEntity("TikTok", "org")), None)
    assert rewrite("and have the details of the deal been disclosed?", ctx) == (
        "have the details of the TikTok deal been disclosed?"
    )
    first = engine.ask("What did Trump say about TikTok?")
    context = engine.follow_up_context("What did Trump say about TikTok?", first)
    answer = engine.ask("were the details of the deal disclosed?", context=context)
    assert answer.answered and "Details of the deal have not been disclosed" in answer.quotes[0].text


def test_a_long_follow_up_is_recorded_whole(engine) -> None:
    """A follow-up is recorded up to the same 6,000 characters /ask accepts, not cut at 1,000."""
    from bot.chat.cogs.ask import MAX_QUESTION as ASK_MAX
    from bot.chat.cogs.mention import MAX_QUESTION as MENTION_MAX

    assert MENTION_MAX == ASK_MAX == 6000
    first = engine.ask("Who is He Lifeng?")
    context = engine.follow_up_context("Who is He Lifeng?", first)
    long_question = "and what did he agree in Madrid? " + "I read the whole piece twice and want the detail. " * 40
    assert 1000 < len(long_question) < 6000
    answer = engine.ask(long_question, context=context)
    assert answer.query == " ".join(long_question.split())
