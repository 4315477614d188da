"""Document-level BM25 (bot/search/doc_score.py): the article is evidence, its title included."""

from __future__ import annotations

from pathlib import Path

from bot.engine import Engine
from bot.search.doc_score import doc_scores, doc_term_sets
from bot.text.tokenize import tokenize


def _engine(tmp_path: Path, files: dict[str, str]) -> Engine:
    folder = tmp_path / "knowledge"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    eng = Engine(folder, tmp_path / "db.sqlite")
    eng.open()
    return eng


def test_title_and_body_both_count(tmp_path: Path) -> None:
    eng = _engine(tmp_path, {
        "harbour.txt": "Harbour dredging plan approved\n\nThe council approved the plan on Monday. Work starts in June.\n",
        "school.txt": "School roof repaired\n\nThe school roof was repaired. The council paid for the work.\n",
        "market.txt": "Market moves\n\nThe market moves to the square. Traders welcomed the plan.\n",
    })
    try:
        def scores(q: str) -> dict[str, float]:
            terms = tuple(dict.fromkeys(tokenize(q)))
            return eng._with_snapshot(lambda s: doc_scores(s, terms, s.reader.term_ids(terms)))

        got = scores("harbour dredging")  # only in the harbour article's title
        assert set(got) == {"harbour"}
        got = scores("council plan")  # body words of several articles
        assert got["harbour"] > got["market"] > 0 and got["harbour"] > got["school"] > 0
        assert scores("zebra") == {}
        terms = ("dredg", "council")
        held = eng._with_snapshot(lambda s: doc_term_sets(s, terms, s.reader.term_ids(terms)))
        assert held == {"harbour": {"dredg", "council"}, "school": {"council"}}
    finally:
        eng.close()
