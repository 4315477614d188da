"""`PassageReader.passages` builds its rows without the frozen dataclass's __init__
(bot/store.py `_passage_row`): they must be the same PassageRow objects as ever."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import pytest

from bot.store import DocumentWrite, PassageReader, PassageRow, Store, StoredDocument


def _doc(doc_id: str, passages: int) -> StoredDocument:
    return StoredDocument(id=doc_id, title="A title", date=None, date_text=None, authors=(), byline=None,
                          source=None, url=None, path=f"/k/{doc_id}.md", content_hash="h", size=1, mtime_ns=1,
                          paragraphs=2, passages=passages, loaded_at=0.0)


def test_rows_read_equal_rows_built_by_the_dataclass(tmp_path: Path) -> None:
    tokens = [["one", "two", "one"], ["x"], []]
    write = DocumentWrite(_doc("d", 3), [(1, 1, "body", "One two one."), (1, 2, "body", "X."), (2, 1, "body", "!")],
                          tokens, [], tokens)
    store = Store(tmp_path / "s.sqlite")
    try:
        store.write_changes([write], [], {}, {"finished_at": 1.0})
    finally:
        store.close()
    conn = sqlite3.connect(tmp_path / "s.sqlite")
    raw = conn.execute("SELECT id, document, paragraph, sentence, kind, text, tokens FROM passages ORDER BY id").fetchall()
    conn.close()
    assert len(raw) == 3
    reader = PassageReader(tmp_path / "s.sqlite", readonly=True)
    try:
        got = reader.passages([r[0] for r in reversed(raw)] + [raw[0][0]])  # (repeats read once)
    finally:
        reader.close()
    assert sorted(got) == [r[0] for r in raw]
    for r in raw:
        row = got[r[0]]
        want = PassageRow(r[0], r[1], r[2], r[3], r[4], r[5], None if r[6] is None else tuple(r[6].split(" ")) if r[6] else ())
        assert type(row) is PassageRow
        assert row == want and hash(row) == hash(want) and repr(row) == repr(want)
        assert dataclasses.asdict(row) == dataclasses.asdict(want)
        assert dataclasses.replace(row, text="other").text == "other" and row.text == r[5]
        with pytest.raises(dataclasses.FrozenInstanceError):
            row.text = "changed"  # type: ignore[misc]
    assert [got[r[0]].tokens for r in raw] == [("one", "two", "one"), ("x",), ()]
