"""`who` with a courtesy or office title in front of a name the articles record without it."""

from __future__ import annotations

from pathlib import Path

from bot.engine import Engine

ARTICLE = """Maternity pay to rise

Maternity pay for new mothers is to rise, the Trade Secretary Patricia Hewitt announced on Sunday.

Critics from the Green Party said the plan came too late. Hewitt said the change would help families.
"""


def test_title_in_front_of_a_recorded_name(tmp_path: Path) -> None:
    folder = tmp_path / "k"
    folder.mkdir()
    (folder / "pay.txt").write_text(ARTICLE, encoding="utf-8")
    engine = Engine(folder, tmp_path / "s.db")
    try:
        engine.open()
        plain = engine.who("Hewitt")
        assert plain.answered
        for query in ("Ms Hewitt", "Mrs. Hewitt", "Secretary Patricia Hewitt"):
            card = engine.who(query)
            assert card.answered, query
            assert card.name == plain.name and [q.text for q in card.quotes] == [q.text for q in plain.quotes]
        assert not engine.who("Ms Nobody").answered  # a title alone matches nothing
    finally:
        engine.close()
