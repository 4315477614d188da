"""The story tools on the engine and the CLI: timeline, said, what's new, the ask hook.

The seed's expectations come from the issue; the second article
(tests/data/lawmakers-press-tiktok-deal-review.md, written for these tests:
many speakers, relative dates) checks that nothing is fitted to the seed.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sys
from pathlib import Path
from typing import Iterator

import pytest

from bot.answers.timeline import find_dates
from bot.cli import main
from bot.engine import Engine, UnknownDocument

sys.path.insert(0, str(Path(__file__).resolve().parent))
import measure  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "knowledge" / "caixin-2025-09-26-tiktok-xi-trump-call.md"
SECOND = REPO / "tests" / "data" / "lawmakers-press-tiktok-deal-review.md"
ORACLE = REPO / "tests" / "kb" / "data" / "tiktok-us-joint-venture-oracle.md"
SEED_ID = "caixin-2025-09-26-tiktok-xi-trump-call"
SECOND_ID = "lawmakers-press-tiktok-deal-review"
ORACLE_ID = "tiktok-us-joint-venture-oracle"


@pytest.fixture
def story_engine(tmp_path: Path) -> Iterator[Engine]:
    """The seed, the written second article and the Oracle test article."""
    folder = tmp_path / "knowledge"
    folder.mkdir()
    for path in (SEED, SECOND, ORACLE):
        shutil.copy(path, folder / path.name)
    eng = Engine(folder, tmp_path / "story.db")
    eng.open()
    yield eng
    eng.close()


# ------------------------------------------------------------------------------ timeline


def _events(engine: Engine, document: str | None = None, topic: str = "") -> list:
    return list(engine.timeline(topic, document=document).events)


def test_seed_timeline_dates_precision_and_order(engine: Engine) -> None:
    events = _events(engine)
    by_text = {e.date_text: e for e in events}
    call = by_text["Friday"]
    assert (call.date, call.precision) == ("2025-09-26", "day") and "spoke by phone" in call.quote.text
    january = by_text["January"]
    assert (january.date, january.precision) == ("2025-01", "month") and "shut down" in january.quote.text
    visit = by_text["early next year"]
    assert (visit.date, visit.precision) == ("2026", "year") and "APEC" in visit.quote.text and "visit China" in visit.quote.text
    order = [events.index(e) for e in (january, call, visit)]
    assert order == sorted(order)  # date order: January 2025, 26 Sep 2025, 2026
    spain = [e for e in events if "Spain" in e.date_text]
    assert len(spain) == 1 and spain[0].precision == "relative" and spain[0].date is None
    assert spain[0].date_text.startswith("days after") and "Spain" in (spain[0].relative_to or "")
    assert all(e.quote.citation.paragraph > 0 for e in events)


def test_second_article_relative_dates(story_engine: Engine) -> None:
    events = _events(story_engine, SECOND_ID)
    got = {e.date_text: (e.date, e.precision) for e in events}
    # Published Tuesday 7 Oct 2025.
    assert got["Monday"] == ("2025-10-06", "day")
    assert got["last Thursday"] == ("2025-10-02", "day")
    assert got["Tuesday"] == ("2025-10-07", "day")
    assert got["next week"] == ("2025-W42", "week")
    assert got["August"] == ("2025-08", "month")
    assert got["last month"] == ("2025-09", "month")
    assert got["April 2024"] == ("2024-04", "month")
    assert got["Jan. 19"] == ("2025-01-19", "day")
    assert got["the next day"] == ("2025-01-20", "day")
    assert got["this winter"] == ("2025-winter", "season")
    assert got["September"] == ("2025-09", "month")
    relative = [e for e in events if e.precision == "relative"]
    assert {e.relative_to for e in relative} >= {"the Senate letter"}
    dated = [e for e in events if e.precision != "relative"]
    starts = [e.sort_key[0] for e in dated]
    assert starts == sorted(starts)


def test_find_dates_future_and_unresolvable() -> None:
    friday = dt.date(2025, 9, 26)
    (d,) = find_dates("The two sides will meet on Tuesday to sign.", friday)
    assert (d.date, d.precision) == ("2025-09-30", "day")
    (d,) = find_dates("Talks are expected to resume in March.", friday)
    assert d.date == "2026-03"
    (d,) = find_dates("Sales fell two weeks ago.", friday)
    assert (d.date, d.precision) == ("2025-W37", "week")
    assert find_dates("The app has 170 million users and a 20% stake.", friday) == []
    (d,) = find_dates("Shortly after the vote, markets rallied.", friday)
    assert d.precision == "relative" and d.date is None and d.relative_to == "the vote"


def test_timeline_topic_and_empty(engine: Engine) -> None:
    events = _events(engine, topic="shut down")
    assert [e.date_text for e in events] == ["January"]
    t = engine.timeline("football transfer window")
    assert not t.events and "no dated events" in t.message


def test_timeline_merges_the_same_event_across_articles(engine: Engine) -> None:
    (engine.knowledge_dir / "later.md").write_text(
        "---\ntitle: A Later Recap\ndate: 2025-10-01\n---\n"
        "TikTok briefly shut down in January when the first deadline expired but resumed after Trump approved "
        "four extensions.\n\nThe talks resume on Monday.\n", encoding="utf-8")
    engine.reload()
    events = _events(engine)
    january = [e for e in events if e.date == "2025-01"]
    assert len(january) == 1 and [c.document for c in january[0].quote.also] == ["later"]
    monday = [e for e in events if e.date_text == "Monday"]
    assert [(e.date, e.quote.document) for e in monday] == [("2025-09-29", "later")]
    with pytest.raises(UnknownDocument):
        engine.timeline("", document="nope")


# ------------------------------------------------------------------------------ said


def test_said_seed_bytedance_and_trump(engine: Engine) -> None:
    r = engine.said("ByteDance")
    assert r.name == "ByteDance"
    first = r.statements[0]
    assert first.speaker == "ByteDance" and first.kind == "direct" and first.text.startswith("“We thank President Xi")
    assert any(s.text.startswith("“ByteDance will proceed") for s in r.statements)
    trump = engine.said("Trump")
    assert trump.name == "Donald Trump"
    assert any("Truth Social" in s.text and s.kind == "reported" for s in trump.statements)
    assert all(s.speaker == "Donald Trump" for s in trump.statements)
    # A name that is only mentioned, never quoted:
    assert not engine.said("Zhang Yiming").statements
    assert not engine.said("   ").statements


def test_said_second_article_speakers(story_engine: Engine) -> None:
    brooks = story_engine.said("Brooks")
    assert brooks.name == "Ellen Brooks"
    kinds = [(s.paragraph, s.kind) for s in brooks.statements]
    assert (2, "direct") in kinds and (3, "reported") in kinds and (11, "reported") in kinds
    hadley = story_engine.said("Tom Hadley").statements
    assert [s.paragraph for s in hadley] == [4, 4, 11]  # "According to Rep. Tom Hadley", "He urged", "Hadley said"
    whitfield = story_engine.said("Whitfield").statements
    assert [s.text.split()[0] for s in whitfield] == ["“Nothing", "She"]
    oracle = story_engine.said("Oracle").statements
    assert any(s.text.startswith("The company said in an earlier filing") for s in oracle)
    # Marcus Webb spoke, Reuters only carried it.
    assert story_engine.said("Marcus Webb").statements and not story_engine.said("Reuters").statements


def test_attribution_precision_and_recall() -> None:
    scores = measure.measure()
    for s in scores:
        assert s.precision >= 0.9 and s.recall >= 0.85, (s.document, s.misses, s.wrong)
        assert s.kind_right >= 0.9 * s.right


def test_ask_what_did_x_say_prefers_the_speaker(engine: Engine) -> None:
    answer = engine.ask("What did Xi say?")
    assert answer.answered
    assert answer.quotes[0].text.startswith("Xi reiterated")
    assert not any("the company said" in q.text for q in answer.quotes)
    # With a topic: only the speaker's statements about it.
    answer = engine.ask("What did ByteDance say about Chinese law?")
    assert "Chinese law" in answer.quotes[0].text
    # Nothing the speaker said fits: retrieval answers (or abstains) as before.
    assert not engine.ask("What did Trump say about the football?").answered


# ------------------------------------------------------------------------------ what's new


def test_whatsnew_leaves_out_what_earlier_articles_said(story_engine: Engine) -> None:
    w = story_engine.whatsnew(ORACLE_ID)
    assert w.earlier == 1 and 1 <= len(w.items) <= 5
    texts = [i.quote.text for i in w.items]
    assert all("20% Chinese ownership" not in t for t in texts)
    full = __import__("bot.answers.whatsnew", fromlist=["whatsnew"]).whatsnew(story_engine._snapshot, ORACLE_ID, limit=50)
    assert all("20% Chinese ownership" not in i.quote.text for i in full.items)  # said by the seed already
    assert any("Oracle" in i.quote.text for i in full.items)
    infos = [i.information for i in w.items]
    assert infos == sorted(infos, reverse=True)
    newest = story_engine.whatsnew()
    assert newest.document == SECOND_ID and newest.earlier == 2
    first = story_engine.whatsnew(SEED_ID)
    assert first.earlier == 0 and "first" in first.message
    with pytest.raises(UnknownDocument):
        story_engine.whatsnew("nope")


# ------------------------------------------------------------------------------ CLI


def _cli_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_cli_json_shapes(engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    where = ["--knowledge", str(engine.knowledge_dir), "--db", str(engine.db_path)]
    out = _cli_json(capsys, "timeline", *where)
    first = out["events"][0]
    assert set(first) >= {"date", "precision", "date_text", "quote"}
    assert set(first["quote"]) >= {"text", "document", "title", "paragraph", "score"}
    assert any(e["date"] == "2025-09-26" and e["precision"] == "day" and e["date_text"] == "Friday" for e in out["events"])
    out = _cli_json(capsys, "said", "ByteDance", *where)
    assert out["name"] == "ByteDance"
    assert out["statements"][0] == {
        "speaker": "ByteDance", "kind": "direct", "document": SEED_ID, "paragraph": 5,
        "text": out["statements"][0]["text"],
    } and out["statements"][0]["text"].startswith("“We thank")
    out = _cli_json(capsys, "whatsnew", *where)
    assert out["document"] == SEED_ID and len(out["new"]) <= 5
    assert main(["said", "", *where]) == 2
    assert main(["whatsnew", "nope", *where]) == 2
    assert "unknown document" in capsys.readouterr().err


def test_undated_article_gives_only_dates_with_a_year(tmp_path: Path) -> None:
    folder = tmp_path / "knowledge"
    folder.mkdir()
    (folder / "undated.md").write_text(
        "---\ntitle: An Undated Piece\n---\nThe company was founded in March 2012 in Beijing.\n\n"
        "It said on Friday that sales rose in January.\n", encoding="utf-8")
    eng = Engine(folder, tmp_path / "u.db")
    eng.open()
    try:
        events = eng.timeline().events
        assert [(e.date, e.precision) for e in events][0] == ("2012-03", "month")
        rest = {e.date_text: e for e in events[1:]}
        assert set(rest) == {"Friday", "January"}
        assert all(e.date is None and e.precision == "relative" and "does not give" in (e.relative_to or "")
                   for e in rest.values())
    finally:
        eng.close()


@pytest.mark.parametrize("text", ["@everyone", "**", "‮‮", "x" * 5000, "<@123456789012345678>", "\x00\x01"])
def test_odd_input_is_answered_in_one_line(engine: Engine, text: str, capsys: pytest.CaptureFixture[str]) -> None:
    where = ["--knowledge", str(engine.knowledge_dir), "--db", str(engine.db_path)]
    for command in ("said", "timeline"):
        code = main([command, text, *where])
        out = capsys.readouterr()
        assert code in (0, 2) and "Traceback" not in out.err
        assert len((out.out + out.err).strip().splitlines()) <= 1 or command == "timeline"
    assert not engine.said(text).statements


def test_attribution_rules_on_british_style(tmp_path: Path) -> None:
    """Honorifics without a stop, "…, who said", nested reports, a subject with "saying",
    and a closing quotation mark left at the start of the next sentence."""
    folder = tmp_path / "knowledge"
    folder.mkdir()
    (folder / "uk.md").write_text(
        "---\ntitle: Minister Under Pressure\ndate: 2005-01-10\n---\n"
        "Opposition leader Michael Harlow attacked the plan on Monday.\n\n"
        "Mr Harlow said Ms Penrose had complained about the budget. "
        "The plan was defended by Ms Penrose, who said the money was already committed.\n\n"
        "Mr Quayle declined to comment, saying the review was under way and the court had stressed its independence.\n\n"
        "The minister went on: \"We will not be moved by this. "
        "\" Mr Quayle retorted that voters would judge.\n", encoding="utf-8")
    eng = Engine(folder, tmp_path / "uk.db")
    eng.open()
    try:
        harlow = eng.said("Harlow").statements
        assert harlow and harlow[0].speaker == "Michael Harlow" and harlow[0].text.startswith("Mr Harlow said")
        penrose = eng.said("Penrose").statements
        assert [s.text.split()[0] for s in penrose] == ["The"]  # her own statement; the nested report is Harlow's
        quayle = eng.said("Quayle").statements
        # (the splitter keeps '… by this. " Mr Quayle retorted …' as one sentence: Quayle retorted)
        assert [s.text.split()[0] for s in quayle] == ["Mr", "The"]
        assert not eng.said("court").statements
    finally:
        eng.close()
