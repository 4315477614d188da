"""Every command through the real command tree: option parsing, checks, cooldowns,
autocomplete, views and the tree's error handler, with the requests recorded.

Why through the tree and not `command.callback(...)`: the callback skips exactly
the parts that break in production (checks, cooldowns, transformers, the error
handler). See tests/chat/harness.py and shared/notes/testing-discord.md.
"""

from __future__ import annotations

import dataclasses

import json
import logging
from typing import Any

import discord
import pytest

from bot.engine import Engine, EngineError
from bot.store import StoreError
from chat.harness import Call, Harness, assert_valid_message, close_harness, make_harness, make_settings

MANAGE_GUILD = discord.Permissions(manage_guild=True, send_messages=True, use_application_commands=True)
ANSWERABLE = "What did ByteDance say about Chinese law?"
UNANSWERABLE = "Who won the football match last night?"


def only(calls: list[Call]) -> Call:
    assert len(calls) == 1, calls
    assert_valid_message(calls[0])
    return calls[0]


# --------------------------------------------------------------------------- /ask


def button_ids(call: Call) -> list[str]:
    return [c["custom_id"] for row in call.data.get("components") or [] for c in row["components"]]


def button(call: Call, prefix: str, label: str | None = None) -> str:
    """The custom id of the first button whose id starts with `prefix` (and has `label`)."""
    for row in call.data.get("components") or []:
        for c in row["components"]:
            if c["custom_id"].startswith(prefix) and (label is None or c.get("label") == label):
                return c["custom_id"]
    raise AssertionError(f"no {prefix} {label} button in {button_ids(call)}")


@pytest.mark.asyncio
async def test_ask_answers_with_cited_block_quotes_and_a_quiet_citation(harness: Harness) -> None:
    call = only(await harness.command("ask", {"question": ANSWERABLE}))
    assert call.callback_type == 4 and not call.ephemeral
    embed = call.embeds[0]
    assert embed["title"].startswith("Q: What did ByteDance")
    desc = embed["description"]
    assert desc.startswith("> ")
    assert "**ByteDance**" not in desc  # the question's words are not the answer
    assert "-# ¶" in desc and desc.count("Caixin Global · 26 Sep 2025") == 1  # the source, once
    assert "TikTok Discussions Advance" not in desc  # the title is not repeated per quote
    ids = button_ids(call)
    assert [i.split(":")[1] for i in ids] == ["page", "vote", "vote"]
    assert embed["footer"]["text"].startswith("Page 1 of ")


@pytest.mark.asyncio
async def test_ask_more_button_pages_through_the_next_quotes(harness: Harness) -> None:
    call = only(await harness.command("ask", {"question": ANSWERABLE}))
    first = call.embeds[0]["description"]
    message = call_message(harness, call)
    edit = only(await harness.click(button(call, "sb:page:", "More"), message))
    assert edit.callback_type == 7  # the answer message is edited in place
    second = edit.embeds[0]["description"]
    assert second != first and 1 <= second.count("\n> ") + 1 <= 3
    assert edit.embeds[0]["footer"]["text"].startswith("Page 2 of ")
    labels = [c.get("label") for row in edit.data["components"] for c in row["components"] if c.get("label")]
    assert labels == ["Previous", "Next"]
    back = only(await harness.click(button(edit, "sb:page:", "Previous"), call_message(harness, edit)))
    assert back.embeds[0]["description"] == first


@pytest.mark.asyncio
async def test_feedback_buttons_record_votes_once_per_person(harness: Harness, engine: Engine) -> None:
    call = only(await harness.command("ask", {"question": ANSWERABLE}))
    message = call_message(harness, call)
    up, down = [i for i in button_ids(call) if i.startswith("sb:vote:")]
    first = only(await harness.click(up, message))
    assert first.ephemeral and "Thanks" in first.content
    again = only(await harness.click(down, message))
    assert again.ephemeral and "already" in again.content
    other = only(await harness.click(down, message, user_id=harness.fake.add_user("other")))
    assert other.ephemeral
    counts = engine.journal.feedback_counts()
    assert (counts.up, counts.down) == (1, 1)


@pytest.mark.asyncio
async def test_ask_abstains_clearly_and_records_the_gap(harness: Harness, engine: Engine) -> None:
    call = only(await harness.command("ask", {"question": UNANSWERABLE}))
    embed = call.embeds[0]
    assert embed["title"] == "The articles don't say"
    desc = embed["description"]
    assert "football" not in desc and "don't say" not in desc  # the verdict once, no echo
    assert "`/who " in desc and "/sources" in desc  # what to do next
    gaps = engine.journal.top_gaps(5)
    assert [g.question for g in gaps] == [UNANSWERABLE]


@pytest.mark.asyncio
async def test_ask_in_one_article_and_unknown_article(harness: Harness, engine: Engine) -> None:
    doc = engine.documents()[0].id
    ok = only(await harness.command("ask", {"question": ANSWERABLE, "article": doc}))
    assert "¶" in ok.embeds[0]["description"]
    bad = only(await harness.command("ask", {"question": ANSWERABLE, "article": "no-such-article"}))
    assert bad.ephemeral and "no article with that id" in bad.content


@pytest.mark.asyncio
async def test_question_full_of_markdown_and_everyone_pings_nobody(harness: Harness) -> None:
    noise = "@everyone **bold** __u__ ~~s~~ ||spoiler|| `code` # head > quote [x](https://evil.example) <@123456789012345678> @here "
    question = ("ByteDance Chinese law " + noise * 20)[:1000]
    assert len(question) == 1000
    for q in (question, "@everyone " + UNANSWERABLE):
        call = only(await harness.command("ask", {"question": q}))
        raw = json.dumps(call.body, ensure_ascii=False)
        assert "@everyone" not in raw and "@here" not in raw and "<@123456789012345678>" not in raw
        assert call.data["allowed_mentions"] == {"parse": []}
        # No markdown from the question survives unescaped in the title.
        title = call.embeds[0].get("title", "")
        assert "**bold**" not in title and "||spoiler||" not in title


# --------------------------------------------------------------------------- /who, /summary, /sources


@pytest.mark.asyncio
async def test_who_card_quotes_with_citations(harness: Harness) -> None:
    call = only(await harness.command("who", {"name": "ByteDance"}))
    embed = call.embeds[0]
    assert embed["title"].startswith("ByteDance")
    assert "> " in embed["description"] and "¶10" in embed["description"]


@pytest.mark.asyncio
async def test_who_unknown_name_says_so(harness: Harness) -> None:
    call = only(await harness.command("who", {"name": "Lionel Messi"}))
    assert call.embeds[0]["title"] == "The articles don't say"


@pytest.mark.asyncio
async def test_summary_and_sources(harness: Harness, engine: Engine) -> None:
    doc = engine.documents()[0]
    s = only(await harness.command("summary", {"article": doc.id}))
    assert s.embeds[0]["title"].startswith("Summary: TikTok Discussions")
    assert s.embeds[0]["description"].count("¶") >= 2
    whole = only(await harness.command("summary"))
    assert whole.embeds[0]["description"]
    src = only(await harness.command("sources"))
    desc = src.embeds[0]["description"]
    assert doc.title in desc and "26 Sep 2025" in desc and "Caixin Global" in desc and "Guan Cong" in desc
    assert doc.id not in desc and "passages" not in desc  # no file ids or counts for readers


# --------------------------------------------------------------------------- autocomplete


@pytest.mark.asyncio
async def test_who_autocomplete(harness: Harness) -> None:
    choices = await harness.autocomplete("who", "name", "Byte")
    assert choices and all(c["name"].lower().startswith("byte") or "byte" in c["name"].lower() for c in choices)
    assert len(choices) <= 25 and all(len(c["name"]) <= 100 for c in choices)
    everything = await harness.autocomplete("who", "name", "")
    assert 0 < len(everything) <= 25


@pytest.mark.asyncio
async def test_article_autocomplete(harness: Harness, engine: Engine) -> None:
    doc = engine.documents()[0]
    for command in ("ask", "summary"):
        choices = await harness.autocomplete(command, "article", "tiktok", options={"question": "x"} if command == "ask" else None)
        assert choices == [{"name": f"{doc.title} ({doc.date_text})", "value": doc.id}]
    assert await harness.autocomplete("summary", "article", "zzzz-nothing") == []


@pytest.mark.asyncio
async def test_autocomplete_survives_an_unavailable_engine(engine: Engine) -> None:
    h = await make_harness(Broken(engine, EngineError("not loaded")))
    try:
        assert await h.autocomplete("who", "name", "Byte") == []
        assert await h.autocomplete("summary", "article", "") == []
    finally:
        await close_harness(h)


# --------------------------------------------------------------------------- errors


class Broken:
    """An engine whose question methods raise `error` (everything else delegates)."""

    def __init__(self, engine: Engine, error: BaseException) -> None:
        self._engine = engine
        self._error = error

    def _raise(self, *args: Any, **kwargs: Any) -> Any:
        raise self._error

    ask = who = summary = entity_names = documents = article_choices = name_choices = _raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)


@pytest.mark.asyncio
async def test_cooldown_gives_a_friendly_wait(engine: Engine) -> None:
    h = await make_harness(engine, make_settings(cooldown_seconds=30))
    try:
        only(await h.command("who", {"name": "ByteDance"}))
        second = only(await h.command("who", {"name": "ByteDance"}))
        assert second.ephemeral and "try again in 30 s" in second.content
        other = only(await h.command("who", {"name": "ByteDance"}, user_id=h.fake.add_user("someone")))
        assert not other.ephemeral  # per user
    finally:
        await close_harness(h)


@pytest.mark.parametrize("error", [EngineError("not loaded"), StoreError("disk I/O error")])
@pytest.mark.asyncio
async def test_engine_failure_is_knowledge_base_unavailable(engine: Engine, error: BaseException) -> None:
    h = await make_harness(Broken(engine, error))
    try:
        call = only(await h.command("ask", {"question": ANSWERABLE}))
        assert call.ephemeral and "knowledge base is unavailable" in call.content
    finally:
        await close_harness(h)


@pytest.mark.asyncio
async def test_unexpected_error_is_logged_with_traceback(engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    h = await make_harness(Broken(engine, ZeroDivisionError("boom")))
    try:
        with caplog.at_level(logging.ERROR, logger="bot.chat.errors"):
            call = only(await h.command("who", {"name": "x"}))
        assert call.ephemeral and "Something went wrong" in call.content and "boom" not in call.content
        records = [r for r in caplog.records if r.name == "bot.chat.errors"]
        assert records and records[0].exc_info and records[0].exc_info[0] is ZeroDivisionError
    finally:
        await close_harness(h)


@pytest.mark.asyncio
async def test_error_after_defer_goes_to_a_followup(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    import bot.chat.respond as respond

    monkeypatch.setattr(respond, "DEFER_AFTER_SECONDS", 0.01)

    class Slow(Broken):
        def who(self, *a: Any, **k: Any) -> Any:  # type: ignore[override]
            time.sleep(0.1)
            raise EngineError("gone")

    h = await make_harness(Slow(engine, EngineError("gone")))
    try:
        calls = await h.command("who", {"name": "x"})
        assert [c.kind for c in calls] == ["callback", "followup"]
        assert calls[0].callback_type == 5  # deferred ("thinking…") within the 3 s
        assert "knowledge base is unavailable" in calls[1].content
    finally:
        await close_harness(h)


@pytest.mark.asyncio
async def test_bad_input_is_refused_politely(harness: Harness) -> None:
    call = only(await harness.command("who", {"name": "x" * 150}))  # over max_length 100
    assert call.ephemeral and "too long" in call.content
    call = only(await harness.command("ask", {"question": " ?! "}))
    assert call.ephemeral and "some words" in call.content


@pytest.mark.asyncio
async def test_channel_restriction_and_dms(engine: Engine) -> None:
    h = await make_harness(engine, make_settings(channel_ids=(42,), allow_dms=False))
    try:
        here = only(await h.command("who", {"name": "ByteDance"}))
        assert here.ephemeral and "<#42>" in here.content
        dm = only(await h.command("who", {"name": "ByteDance"}, in_dm=True))
        assert dm.ephemeral and "direct messages" in dm.content
    finally:
        await close_harness(h)


# --------------------------------------------------------------------------- /kb


@pytest.mark.asyncio
async def test_kb_refuses_members_without_manage_server(harness: Harness) -> None:
    for sub in ("reload", "status", "log", "gaps"):
        call = only(await harness.command("kb", subcommand=sub))
        assert call.ephemeral and "Only moderators" in call.content, sub


@pytest.mark.asyncio
async def test_kb_refuses_in_dms(harness: Harness) -> None:
    call = only(await harness.command("kb", subcommand="reload", in_dm=True, permissions=MANAGE_GUILD))
    assert call.ephemeral and "only work in the server" in call.content


@pytest.mark.asyncio
async def test_kb_reload_for_a_moderator_reports(harness: Harness, engine: Engine) -> None:
    calls = await harness.command("kb", subcommand="reload", permissions=MANAGE_GUILD)
    assert [c.kind for c in calls] == ["callback", "followup"]
    assert calls[0].callback_type == 5 and calls[0].ephemeral
    assert_valid_message(calls[1])
    embed = calls[1].embeds[0]
    assert embed["title"] == "Knowledge base reloaded"
    assert "1 article and" in embed["description"] and "(s)" not in embed["description"]
    audit = engine.journal.recent_audit(1)
    assert audit and audit[0].action == "reload" and audit[0].actor.startswith("tester")


@pytest.mark.asyncio
async def test_kb_reload_reports_added_and_failed_files(harness: Harness, engine: Engine) -> None:
    (engine.knowledge_dir / "second.md").write_text("---\ntitle: A second story\ndate: 2025-10-01\n---\nThe second story says that **markdown** @everyone can appear.\n", encoding="utf-8")
    (engine.knowledge_dir / "broken.md").write_bytes(b"\xff\xfe\x00binary")
    calls = await harness.command("kb", subcommand="reload", permissions=MANAGE_GUILD)
    assert_valid_message(calls[-1])
    fields = {f["name"]: f["value"] for f in calls[-1].embeds[0]["fields"]}
    assert "second" in fields["Added"]
    assert "broken.md" in fields["Refused"]
    assert calls[-1].embeds[0]["description"].startswith("**1 added, 1 refused**")


@pytest.mark.asyncio
async def test_kb_status_and_mod_role(engine: Engine) -> None:
    h = await make_harness(engine)
    try:
        mods = h.fake.add_role(h.fake.guild_id, "Mods")
        other = h.fake.add_role(h.fake.guild_id, "Readers")
        h.cache_guild()
        h.bot.settings = dataclasses.replace(h.bot.settings, mod_role_ids=(mods,))
        call = only(await h.command("kb", subcommand="status", roles=[mods]))
        assert call.ephemeral
        fields = {f["name"]: f["value"] for f in call.embeds[0]["fields"]}
        assert fields["Articles"] == "1" and int(fields["Passages"]) > 10
        assert "<t:" in fields["Last reload"]
        refused = only(await h.command("kb", subcommand="status", roles=[other]))
        assert "Only moderators" in refused.content
    finally:
        await close_harness(h)


@pytest.mark.asyncio
async def test_kb_log_and_gaps(harness: Harness) -> None:
    await harness.command("ask", {"question": UNANSWERABLE})
    await harness.command("kb", subcommand="reload", permissions=MANAGE_GUILD)
    gaps = only(await harness.command("kb", subcommand="gaps", permissions=MANAGE_GUILD))
    assert "football" in gaps.embeds[0]["description"] and "1×" in gaps.embeds[0]["description"]
    log_ = only(await harness.command("kb", subcommand="log", permissions=MANAGE_GUILD))
    assert "reload" in log_.embeds[0]["description"]


@pytest.mark.asyncio
async def test_kb_remove_unknown_and_known(harness: Harness, engine: Engine) -> None:
    calls = await harness.command("kb", {"article": "nope"}, subcommand="remove", permissions=MANAGE_GUILD)
    assert calls[-1].ephemeral and "Not done" in calls[-1].text
    doc = engine.documents()[0].id
    choices = await harness.autocomplete("kb", "article", "tik", subcommand="remove", permissions=MANAGE_GUILD)
    assert choices[0]["value"] == doc
    calls = await harness.command("kb", {"article": doc}, subcommand="remove", permissions=MANAGE_GUILD)
    assert_valid_message(calls[-1])
    assert "Done" in calls[-1].text and doc in calls[-1].text
    assert engine.documents() == []


def call_message(h: Harness, call: Call) -> dict[str, Any]:
    """The message payload Discord would hold for a callback/followup the bot sent.
    The buttons are dynamic items: a click is routed by its custom id, not by a view
    stored for this message id."""
    from chat.harness import message_payload

    return message_payload(call.data, h.fake.channel_id, h.fake.bot_user_public)


@pytest.mark.asyncio
async def test_watch_mode_reloads_new_articles_and_stops_on_close(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    from bot.chat.bot import StoryBot

    monkeypatch.setattr(StoryBot, "watch_interval", 0.05)
    monkeypatch.setattr(StoryBot, "watch_debounce", 0.1)
    h = await make_harness(engine, make_settings(watch=True))
    try:
        assert h.bot._watch_task is not None and not h.bot._watch_task.done()
        await asyncio.sleep(0.3)  # the watcher takes its first look at the folder (see report: startup race)
        (engine.knowledge_dir / "watched.md").write_text("---\ntitle: Watched\ndate: 2025-10-05\n---\nA watched article about TikTok.\n", encoding="utf-8")
        for _ in range(100):
            if "watched" in {d.id for d in engine.documents()}:
                break
            await asyncio.sleep(0.05)
        assert "watched" in {d.id for d in engine.documents()}
        task = h.bot._watch_task
    finally:
        await close_harness(h)
    assert task.done()


def test_upload_problems_are_found_before_download() -> None:
    from bot.chat.cogs.kb import MAX_UPLOAD_BYTES, upload_problem

    assert upload_problem("story.md", 10) is None
    assert upload_problem("story.TXT", 10) is None
    assert "Only .md and .txt" in (upload_problem("story.pdf", 10) or "")
    assert "Only .md and .txt" in (upload_problem("noext", 10) or "")
    assert "limit is 5 MB" in (upload_problem("big.md", MAX_UPLOAD_BYTES + 1) or "")
    assert "empty" in (upload_problem("empty.md", 0) or "")
    assert "\\*" in (upload_problem("**x**.exe", 1) or "")  # the name is escaped


@pytest.mark.asyncio
async def test_kb_restore_brings_a_retired_article_back(harness: Harness, engine: Engine) -> None:
    doc = engine.documents()[0].id
    await harness.command("kb", {"article": doc}, subcommand="remove", permissions=MANAGE_GUILD)
    assert engine.documents() == []
    choices = await harness.autocomplete("kb", "file", "", subcommand="restore", permissions=MANAGE_GUILD)
    assert len(choices) == 1 and doc in choices[0]["value"]
    calls = await harness.command("kb", {"file": choices[0]["value"]}, subcommand="restore", permissions=MANAGE_GUILD)
    assert_valid_message(calls[-1])
    assert calls[0].callback_type == 5 and calls[0].ephemeral and "Done" in calls[-1].text
    assert [d.id for d in engine.documents()] == [doc]
    refused = await harness.command("kb", {"file": "nothing-here.md"}, subcommand="restore", permissions=MANAGE_GUILD)
    assert "Not done" in refused[-1].text


@pytest.mark.asyncio
async def test_answer_buttons_are_persistent(harness: Harness) -> None:
    """No timeout greys the buttons out: they are dynamic items and keep working."""
    from bot.chat.views import AnswerView

    call = only(await harness.command("ask", {"question": ANSWERABLE}))
    view = AnswerView(harness.bot.engine, harness.bot.engine.ask(ANSWERABLE))
    assert view.timeout is None and view.is_persistent()
    assert all(i.startswith("sb:") for i in button_ids(call))


@pytest.mark.asyncio
async def test_two_articles_each_cited_by_its_own_title(engine: Engine) -> None:
    """A second article in the folder: /ask answers from the right one, with its title
    and date in the citation, and /summary's `article` option keeps to one article."""
    import shutil
    from pathlib import Path

    second = Path(__file__).resolve().parent.parent / "kb" / "data" / "tiktok-us-joint-venture-oracle.md"
    shutil.copy(second, engine.knowledge_dir / second.name)
    engine.reload()
    h = await make_harness(engine)
    try:
        call = only(await h.command("ask", {"question": "Which firms would each hold about 15% of the joint venture?"}))
        desc = call.embeds[0]["description"]
        first_citation = desc.split("\n")[1]
        assert "StoryBot test desk · 29 Sep 2025" in first_citation
        call = only(await h.command("ask", {"question": "Where did the fourth round of trade talks take place?"}))
        first_citation = call.embeds[0]["description"].split("\n")[1]
        assert "Caixin Global · 26 Sep 2025" in first_citation
        call = only(await h.command("summary", {"article": second.stem}))
        text = json.dumps(call.embeds, ensure_ascii=False)
        assert "Oracle to Anchor" in text and "TikTok Discussions Advance" not in text
    finally:
        await close_harness(h)
