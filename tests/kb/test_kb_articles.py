"""Many articles: each answer cites the article it came from (engine and CLI),
duplicates across articles are merged, and ask/summary can be limited to one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.engine import Engine, UnknownDocument
from conftest import REPO, SEED_ID
from kb.kb_helpers import SECOND_ID, SECOND_TITLE, SEED_TITLE

CASES = [
    ("How much of the joint venture will Oracle hold?", SECOND_ID, SECOND_TITLE, "15%"),
    ("How much is the new TikTok company valued at?", SECOND_ID, SECOND_TITLE, "$14 billion"),
    ("How many seats does the joint venture board have?", SECOND_ID, SECOND_TITLE, "seven-member board"),
    ("Where will Xi and Trump meet?", SEED_ID, SEED_TITLE, "APEC summit"),
    ("Where were the fourth round of trade talks held?", SEED_ID, SEED_TITLE, "Spain"),
]


@pytest.mark.parametrize("question,doc,title,needle", CASES)
def test_engine_answers_from_the_right_article(engine2: Engine, question, doc, title, needle) -> None:
    answer = engine2.ask(question)
    assert answer.answered, question
    top = answer.quotes[0]
    assert top.citation.document == doc
    assert top.citation.title == title
    assert needle in top.text
    assert top.citation.date_text == ("29 Sep 2025" if doc == SECOND_ID else "26 Sep 2025")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STORYBOT_", "DISCORD_"))}
    env["PYTHONPATH"] = str(REPO)
    return env


@pytest.mark.slow
def test_cli_subprocess_cites_each_article(two_dir: Path, tmp_path: Path) -> None:
    """`python -m bot ask … --json` (a real process) cites the right document and title."""
    db = tmp_path / "cli.db"
    for question, doc, title, needle in (CASES[0], CASES[3]):
        proc = subprocess.run(
            [sys.executable, "-m", "bot", "ask", question, "--json", "--knowledge", str(two_dir), "--db", str(db)],
            capture_output=True, text=True, cwd=tmp_path, env=_env(), timeout=60,
        )
        assert proc.returncode == 0, proc.stderr
        data = json.loads(proc.stdout)
        assert data["answered"] is True
        q = data["quotes"][0]
        assert (q["document"], q["title"]) == (doc, title)
        assert needle in q["text"]


def test_duplicate_sentence_is_quoted_once_with_also(engine2: Engine, capsys) -> None:
    """Both articles carry the 20% ownership sentence: one quote, the other article in `also`."""
    answer = engine2.ask("How much Chinese ownership does the law allow?")
    assert answer.answered
    hits = [q for q in answer.quotes + answer.more if "20% Chinese ownership" in q.text]
    assert len(hits) == 1, [q.text for q in answer.quotes]
    quote = hits[0]
    others = {c.document for c in quote.also}
    assert {quote.citation.document} | others == {SEED_ID, SECOND_ID}
    assert quote.citation.document not in others
    also = next(c for c in quote.also)
    assert also.title in (SEED_TITLE, SECOND_TITLE) and also.paragraph > 0
    # The JSON contract carries it too.
    code = main(["ask", "How much Chinese ownership does the law allow?", "--json",
                 "--knowledge", str(engine2.knowledge_dir), "--db", str(engine2.db_path)])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    q = next(q for q in data["quotes"] if "20% Chinese ownership" in q["text"])
    assert {a["document"] for a in q["also"]} | {q["document"]} == {SEED_ID, SECOND_ID}


def test_ask_limited_to_one_document(engine2: Engine, capsys) -> None:
    question = "How much Chinese ownership does the law allow?"
    for doc in (SEED_ID, SECOND_ID):
        answer = engine2.ask(question, document=doc)
        assert answer.answered
        assert {q.citation.document for q in answer.quotes} == {doc}
        assert all(not q.also for q in answer.quotes)  # the other article is out of scope
    # A question only the other article answers abstains when limited.
    assert not engine2.ask("How much is the new company valued at?", document=SEED_ID).answered
    with pytest.raises(UnknownDocument):
        engine2.ask(question, document="no-such-article")
    # Through the CLI.
    args = ["--knowledge", str(engine2.knowledge_dir), "--db", str(engine2.db_path)]
    code = main(["ask", "Who sits on the board?", "--document", SECOND_ID, "--json", *args])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["answered"]
    assert {q["document"] for q in data["quotes"]} == {SECOND_ID}
    assert {q["title"] for q in data["quotes"]} == {SECOND_TITLE}
    code = main(["ask", "Who sits on the board?", "--document", "nope", "--json", *args])
    err = capsys.readouterr().err
    assert code == 2 and "unknown document" in err and "\n" not in err.strip()


def test_summary_of_one_document_and_of_the_story(engine2: Engine, capsys) -> None:
    args = ["--knowledge", str(engine2.knowledge_dir), "--db", str(engine2.db_path)]
    for doc, title in ((SECOND_ID, SECOND_TITLE), (SEED_ID, SEED_TITLE)):
        code = main(["summary", doc, "--json", *args])
        data = json.loads(capsys.readouterr().out)
        assert code == 0
        assert data["document"] == doc and data["title"] == title
        assert data["quotes"] and {q["document"] for q in data["quotes"]} == {doc}
    whole = engine2.summary()
    assert whole.document is None
    assert {q.citation.document for q in whole.quotes} <= {SEED_ID, SECOND_ID}
    code = main(["summary", "nope", "--json", *args])
    assert code == 2 and "unknown document" in capsys.readouterr().err


def test_who_gathers_an_entity_across_articles(engine2: Engine) -> None:
    card = engine2.who("Trump")
    assert card.answered
    assert {q.citation.document for q in card.quotes} == {SEED_ID, SECOND_ID}
    # Titles follow their documents.
    for q in card.quotes:
        assert q.citation.title == (SEED_TITLE if q.citation.document == SEED_ID else SECOND_TITLE)
    oracle = engine2.who("Oracle")
    assert oracle.answered and {q.citation.document for q in oracle.quotes} == {SECOND_ID}


def test_sources_lists_every_article(engine2: Engine, capsys) -> None:
    code = main(["sources", "--json", "--knowledge", str(engine2.knowledge_dir), "--db", str(engine2.db_path)])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert {(d["document"], d["title"]) for d in data["documents"]} == {(SEED_ID, SEED_TITLE), (SECOND_ID, SECOND_TITLE)}


def test_many_articles_txt_and_md(two_dir: Path, tmp_path: Path) -> None:
    """A plain-text article in the seed layout sits beside the Markdown ones."""
    (two_dir / "beijing-response.txt").write_text(
        "Beijing Signals Caution on TikTok Algorithm Export\n\n30 Sep 2025\n\nBy Wang Lei\n\n"
        "China's commerce ministry said any export of recommendation technology must follow its licensing rules.\n\n"
        "A ministry spokesperson declined to comment on the valuation of the joint venture.\n",
        encoding="utf-8",
    )
    eng = Engine(two_dir, tmp_path / "three.db")
    report = eng.open()
    try:
        assert report is not None and sorted(report.added) == sorted([SEED_ID, SECOND_ID, "beijing-response"])
        answer = eng.ask("What did China's commerce ministry say about exporting recommendation technology?")
        assert answer.answered
        assert answer.quotes[0].citation.document == "beijing-response"
        assert answer.quotes[0].citation.title == "Beijing Signals Caution on TikTok Algorithm Export"
        assert answer.quotes[0].citation.date_text == "30 Sep 2025"
    finally:
        eng.close()
