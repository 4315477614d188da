"""Every response kind as users see it, through the real bot and command tree.

Each test renders one kind (ask, no answer, more pages, who, summary, sources with
900 articles, kb reload with 900 changes, kb log) and checks what Discord and a
reader would: Discord's limits, the answering span is the bold part, each source
named once, no ids / timings / "(s)" in public text, buttons within 5 rows; and a
button clicked after a restart of the bot still pages and records feedback.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

import discord
import pytest

import bot.chat.views as views
from bot.cli import main
from bot.engine import Engine
from chat.harness import Call, Harness, assert_valid_message, close_harness, make_harness, message_payload

MANAGE_GUILD = discord.Permissions(manage_guild=True, send_messages=True, use_application_commands=True)
DAYS = "How many days did the 2024 law give TikTok to divest?"
WHO_LED = "Who led the fourth round of trade talks with U.S. officials?"
ANSWERABLE = "What did ByteDance say about Chinese law?"
UNANSWERABLE = "Who won the football match last night?"
N_ARTICLES = 900

_TIMING_RE = re.compile(r"\d\s?ms\b|<1 ms|\b\d+(\.\d+)?\s?(s|sec|seconds?)\b|elapsed|took", re.IGNORECASE)
_SNOWFLAKE_RE = re.compile(r"\b\d{15,21}\b")


def bold_parts(markdown: str) -> list[str]:
    """The text Discord shows in bold (our `**…**` spans; escaped stars skipped)."""
    unescaped = re.sub(r"\\.", "", markdown)
    return re.findall(r"\*\*(.+?)\*\*", unescaped)


def public_text(call: Call) -> str:
    return call.text


def assert_public(call: Call, *, ids: tuple[str, ...] = ()) -> None:
    """Within Discord's limits, no timings, no "(s)", no raw ids or file ids."""
    assert_valid_message(call)
    text = public_text(call)
    assert not _TIMING_RE.search(text), text
    assert "(s)" not in text, text
    assert not _SNOWFLAKE_RE.search(text), text
    for i in ids:
        assert i not in text, (i, text)


def rows_ok(call: Call) -> list[dict[str, Any]]:
    """Buttons within 5 rows of at most 5 each; returns the buttons."""
    rows = call.data.get("components") or []
    assert len(rows) <= 5
    buttons = []
    for row in rows:
        assert len(row["components"]) <= 5
        buttons += row["components"]
    ids = [b["custom_id"] for b in buttons]
    assert len(ids) == len(set(ids)) and all(len(i) <= 100 for i in ids)
    return buttons


def button(call: Call, prefix: str, label: str | None = None) -> str:
    for b in rows_ok(call):
        if b["custom_id"].startswith(prefix) and (label is None or b.get("label") == label):
            return b["custom_id"]
    raise AssertionError(f"no {prefix} {label} button")


def message_of(h: Harness, call: Call) -> dict[str, Any]:
    return message_payload(call.data, h.fake.channel_id, h.fake.bot_user_public)


def only(calls: list[Call]) -> Call:
    assert len(calls) == 1, calls
    return calls[0]


def named_once(description: str, labels: list[str]) -> None:
    for label in labels:
        assert description.count(label) == 1, (label, description)


# --------------------------------------------------------------------------- ask, no answer, pages


@pytest.mark.asyncio
async def test_ask_bolds_the_number_that_answers(harness: Harness, engine: Engine) -> None:
    call = only(await harness.command("ask", {"question": DAYS}))
    assert_public(call, ids=(engine.documents()[0].id,))
    desc = call.embeds[0]["description"]
    first_quote = desc.split("\n")[0]
    assert bold_parts(first_quote) == ["270"]
    assert "**TikTok" not in desc and "**2024" not in desc and "**law" not in desc  # not the question's words
    named_once(desc, ["Caixin Global · 26 Sep 2025"])
    assert desc.split("\n")[1].startswith("-# ¶9")  # the citation is subtext
    rows_ok(call)


@pytest.mark.asyncio
async def test_who_question_bolds_a_whole_name(harness: Harness) -> None:
    call = only(await harness.command("ask", {"question": WHO_LED}))
    assert_public(call)
    first_quote = call.embeds[0]["description"].split("\n")[0]
    assert bold_parts(first_quote) == ["He Lifeng"]


@pytest.mark.asyncio
async def test_no_answer_says_so_once_and_offers_next_steps(harness: Harness) -> None:
    long_question = UNANSWERABLE + " " + "and what about the referee " * 40
    for question in (UNANSWERABLE, long_question[:1000]):
        call = only(await harness.command("ask", {"question": question}))
        assert_public(call)
        embed = call.embeds[0]
        text = public_text(call).lower()
        assert text.count("don't say") + text.count("do not say") + text.count("don't answer") == 1
        assert "referee" not in text and "football" not in text  # the question is not echoed, cut
        assert re.search(r"`/who [^`]+`", embed["description"]) and "/sources" in embed["description"]
        assert not bold_parts(embed["description"])


@pytest.mark.asyncio
async def test_more_pages_three_at_a_time_with_buttons_in_reach(harness: Harness) -> None:
    call = only(await harness.command("ask", {"question": ANSWERABLE}))
    assert_public(call)
    seen = [call.embeds[0]["description"]]
    current = call
    pages = 1
    while True:
        buttons = rows_ok(current)
        assert len(current.data["components"]) == 1  # one row, right under the answer
        nxt = [b for b in buttons if b.get("label") in ("More", "Next") and not b.get("disabled")]
        if not nxt:
            break
        edit = only(await harness.click(nxt[0]["custom_id"], message_of(harness, current)))
        assert edit.callback_type == 7
        assert_public(edit)
        desc = edit.embeds[0]["description"]
        assert 1 <= desc.count("\n-# ") + (1 if desc.startswith("-# ") else 0) <= 3  # at most 3 quotes a page
        assert desc.count("> ") <= 3
        assert desc not in seen
        seen.append(desc)
        current = edit
        pages += 1
    assert pages >= 2
    assert current.embeds[0]["footer"]["text"].startswith(f"Page {pages} of {pages}")


@pytest.mark.asyncio
async def test_quotes_of_one_article_in_reading_order(harness: Harness) -> None:
    # (Not ANSWERABLE: "What did ByteDance say …" is answered by ByteDance's one statement.)
    call = only(await harness.command("ask", {"question": "What does Chinese law say about the algorithm?"}))
    paragraphs = [int(p) for p in re.findall(r"-# ¶(\d+)", call.embeds[0]["description"])]
    assert paragraphs == sorted(paragraphs) and len(paragraphs) >= 2


# --------------------------------------------------------------------------- who, summary


@pytest.mark.asyncio
async def test_who_card_bolds_whole_names_and_names_the_source_once(harness: Harness, engine: Engine) -> None:
    call = only(await harness.command("who", {"name": "Lifeng"}))
    assert_public(call, ids=(engine.documents()[0].id,))
    desc = call.embeds[0]["description"]
    assert set(bold_parts(desc)) == {"He Lifeng"}  # never "**Lifeng**" alone
    named_once(desc, ["Caixin Global · 26 Sep 2025"])
    assert call.embeds[0]["footer"]["text"] in ("1 quote from the articles",) or "quotes from" in call.embeds[0]["footer"]["text"]


@pytest.mark.asyncio
async def test_summary_cites_quietly_in_reading_order(harness: Harness, engine: Engine) -> None:
    call = only(await harness.command("summary"))
    assert_public(call, ids=(engine.documents()[0].id,))
    desc = call.embeds[0]["description"]
    named_once(desc, ["Caixin Global · 26 Sep 2025"])
    paragraphs = [int(p) for p in re.findall(r"-# ¶(\d+)", desc)]
    assert paragraphs == sorted(paragraphs) and len(paragraphs) >= 3


# --------------------------------------------------------------------------- buttons after a restart


@pytest.mark.asyncio
async def test_buttons_work_after_a_restart(engine: Engine, tmp_path: Path) -> None:
    """Ask, stop the bot (and its engine), start a new bot on the same database, then
    click the old message's More and 👍: the page turns and the vote is recorded."""
    h = await make_harness(engine)
    try:
        call = only(await h.command("ask", {"question": ANSWERABLE}))
        first_page = call.embeds[0]["description"]
        old_message = message_of(h, call)
    finally:
        await close_harness(h)
    for task in list(views._pending):  # the answer is written in the background
        await task
    engine.close()
    views._recent.clear()  # nothing survives in memory, as after a restart
    views._voted.clear()

    engine2 = Engine(engine.knowledge_dir, engine.db_path)
    engine2.open()
    h2 = await make_harness(engine2)
    try:
        edit = only(await h2.click(button(call, "sb:page:", "More"), old_message))
        assert edit.callback_type == 7 and not edit.ephemeral
        assert_public(edit)
        assert edit.embeds[0]["footer"]["text"].startswith("Page 2 of ")
        assert edit.embeds[0]["description"] != first_page
        vote = only(await h2.click(button(call, "sb:vote:"), old_message))
        assert vote.ephemeral and "Thanks" in vote.content
        assert engine2.journal.feedback_counts().up == 1
        unknown = only(await h2.click("sb:page:0123456789abcdef:1", {**old_message, "components": [
            {"type": 1, "components": [{"type": 2, "style": 2, "label": "More", "custom_id": "sb:page:0123456789abcdef:1"}]}]}))
        assert unknown.ephemeral and "ask again" in unknown.content
    finally:
        await close_harness(h2)
        engine2.close()


# --------------------------------------------------------------------------- 900 articles


def write_articles(folder: Path, n: int, version: int = 1) -> None:
    for i in range(n):
        (folder / f"story-{i:04d}.md").write_text(
            f"---\ntitle: Story number {i} about the harbour works\ndate: 2025-{1 + i % 12:02d}-{1 + i % 28:02d}\n"
            f"source: Outlet {i % 7}\nauthors: [Writer {i % 11}]\nurl: https://news.example/{i}\n---\n"
            f"Harbour works in district {i} reached stage {version} this month, the council said.\n\n"
            f"Residents of district {i} asked for {10 + i % 50} more days before the works continue.\n",
            encoding="utf-8",
        )


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    root = tmp_path_factory.mktemp("big")
    folder = root / "knowledge"
    folder.mkdir()
    write_articles(folder, N_ARTICLES)
    eng = Engine(folder, root / "storybot.db")
    eng.open()
    yield eng
    eng.close()


@pytest.mark.asyncio
async def test_sources_with_900_articles_pages_through_all(big: Engine) -> None:
    h = await make_harness(big)
    try:
        call = only(await h.command("sources"))
        assert_public(call, ids=("story-0899", "story-0000"))
        embed = call.embeds[0]
        assert embed["title"] == f"Sources: {N_ARTICLES} articles"
        assert "more not shown" not in embed["description"]
        pages = int(re.search(r"Page 1 of (\d+)", embed["footer"]["text"]).group(1))
        assert pages * 10 >= N_ARTICLES
        newest = list(reversed(big.documents()))  # newest first
        first = embed["description"]
        assert f"[{newest[0].title}](<{newest[0].url}>)" in first and newest[0].source in first and "Writer" in first
        edit = only(await h.click(button(call, "sb:src:", "Next"), message_of(h, call)))
        assert_public(edit, ids=(newest[10].id,))
        second = edit.embeds[0]["description"]
        assert edit.embeds[0]["footer"]["text"].startswith(f"Page 2 of {pages}")
        assert f"[{newest[10].title}]" in second and f"[{newest[0].title}]" not in second
    finally:
        await close_harness(h)


@pytest.mark.asyncio
async def test_kb_reload_with_900_changes_counts_first(big: Engine) -> None:
    write_articles(big.knowledge_dir, N_ARTICLES, version=2)
    (big.knowledge_dir / "broken.md").write_bytes(b"\xff\xfe\x00binary")
    h = await make_harness(big)
    try:
        calls = await h.command("kb", subcommand="reload", permissions=MANAGE_GUILD)
        reply = calls[-1]
        assert_valid_message(reply)
        embed = reply.embeds[0]
        assert embed["description"].startswith(f"**{N_ARTICLES} changed, 1 refused**")
        fields = {f["name"]: f["value"] for f in embed["fields"]}
        assert fields["Changed"].endswith(f"and {N_ARTICLES - 5} more")
        assert fields["Changed"].count("story-") == 5
        assert "broken.md" in fields["Refused"]
        assert "(s)" not in reply.text and not _TIMING_RE.search(reply.text)

        log_ = only(await h.command("kb", subcommand="log", permissions=MANAGE_GUILD))
        assert_valid_message(log_)
        text = log_.embeds[0]["description"]
        assert "**tester**" in text or "tester" in text
        assert not _SNOWFLAKE_RE.search(re.sub(r"<t:\d+:[a-zA-Z]>", "", text)), text  # no raw user ids
        assert "(s)" not in text
    finally:
        await close_harness(h)
        (big.knowledge_dir / "broken.md").unlink()


def test_index_on_900_articles_prints_a_short_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "knowledge"
    folder.mkdir()
    write_articles(folder, N_ARTICLES)
    (folder / "broken.md").write_bytes(b"\xff\xfe\x00binary")
    code = main(["index", "--knowledge", str(folder), "--db", str(tmp_path / "i.db")])
    out, err = capsys.readouterr()
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) <= 15, out
    assert lines[0].startswith(f"{N_ARTICLES:,} added, 1 refused")
    assert lines[1].startswith("added: story-0000") and lines[1].endswith(f"and {N_ARTICLES - 5:,} more")
    assert "\r" not in err and "it/s" not in err  # no progress bar when not on a terminal
    code = main(["index", "--force", "--verbose", "--knowledge", str(folder), "--db", str(tmp_path / "i.db")])
    out, _ = capsys.readouterr()
    assert "story-0899" in out  # --verbose: every name


# --------------------------------------------------------------------------- a real restart, end to end


@pytest.mark.asyncio
async def test_click_after_a_real_restart_end_to_end(tmp_path: Path) -> None:
    """The bot logs in to the fake Discord, answers, shuts down; a new process-like
    start (new engine, new bot, same database) gets the click on the old message."""
    import asyncio

    from bot.chat.runner import open_engine, serve
    from bot.config import load_settings

    try:
        from tests.fake_discord import FakeDiscord, point_client_at
        from tests.chat.test_chat_e2e import COMMANDS, TOKEN, answer_of, env_for
    except ImportError:  # pragma: no cover
        from fake_discord import FakeDiscord, point_client_at  # type: ignore[no-redef]
        from chat.test_chat_e2e import COMMANDS, TOKEN, answer_of, env_for  # type: ignore[no-redef]

    async with FakeDiscord(token=TOKEN) as fake:
        with point_client_at(fake):
            settings = load_settings(env_file=None, environ=env_for(fake, tmp_path))

            async def start() -> tuple[Any, Any, asyncio.Task[int]]:
                engine = await asyncio.to_thread(open_engine, settings)
                bots: list[Any] = []
                task = asyncio.create_task(serve(settings, engine, install_signal_handlers=False, started=bots.append))
                await fake.wait_until_ready()
                await fake.wait_for_commands(*COMMANDS, guild_id=fake.guild_id)
                return engine, bots[0], task

            engine, bot1, task = await start()
            inter = await fake.send_interaction(fake.slash_command("ask", {"question": ANSWERABLE}))
            data = await answer_of(fake, inter)
            ids = [c["custom_id"] for row in data["components"] for c in row["components"]]
            for pending in list(views._pending):
                await pending
            await bot1.close()
            assert await asyncio.wait_for(task, 10) == 0
            views._recent.clear()
            views._voted.clear()

            engine2, bot2, task2 = await start()
            try:
                assert bot2 is not bot1
                click = await fake.send_interaction(fake.component(ids[0]))
                body = await fake.wait_for_response(click)
                assert body["type"] == 7 and body["data"]["embeds"][0]["footer"]["text"].startswith("Page 2 of ")
                new_ids = [c["custom_id"] for row in body["data"]["components"] for c in row["components"]]
                vote = await fake.send_interaction(fake.component([i for i in new_ids if i.startswith("sb:vote:")][0]))
                body = await fake.wait_for_response(vote)
                assert body["data"]["flags"] & 64 and "Thanks" in body["data"]["content"]
                assert engine2.journal.feedback_counts().up == 1
                fake.assert_clean(require_no_pings=True)
            finally:
                await bot2.close()
                await asyncio.wait_for(task2, 10)


@pytest.mark.asyncio
async def test_two_articles_each_named_once(engine: Engine) -> None:
    import shutil as _shutil

    second = Path(__file__).resolve().parent.parent / "kb" / "data" / "tiktok-us-joint-venture-oracle.md"
    _shutil.copy(second, engine.knowledge_dir / second.name)
    engine.reload()
    h = await make_harness(engine)
    try:
        call = only(await h.command("ask", {"question": DAYS}))
        assert_public(call, ids=tuple(d.id for d in engine.documents()))
        desc = call.embeds[0]["description"]
        labels = re.findall(r"-# ¶\d+ · ([^\n]+)", desc)
        assert len(labels) == len(set(labels)) >= 2  # each article named on its first quote only
        assert all(desc.count(label) == 1 for label in labels)
        assert call.embeds[0]["footer"]["text"].endswith("from 2 articles")
    finally:
        await close_harness(h)


@pytest.mark.asyncio
async def test_who_unknown_says_so_once_with_next_steps(harness: Harness) -> None:
    call = only(await harness.command("who", {"name": "Lionel Messi"}))
    assert_public(call)
    text = public_text(call).lower()
    assert text.count("don't") == 1 and "/sources" in text and "`/who`" in text
