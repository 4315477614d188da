"""PassageReader.passages builds its rows without PassageRow's frozen __init__
(bot/store.py `_passage_row`): the rows must be the very objects __init__ makes."""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path

import pytest

from bot.store import PASSAGE_FIELDS, PassageReader, PassageRow, _passage_row, _split_tokens
from bot.engine import Engine

TEXTS = {
    "alpha.txt": "Alpha harbour\n\nThe council approved the bridge in March 1984. Traders welcomed it.\n\n"
                 "A second paragraph names Ruritania Post.\n",
    "beta.txt": "Beta market\n\nThe weekly market moves to the square. Üñíçødé words stay whole.\n",
}


def test_fields_are_passage_rows_fields() -> None:
    # A field added to PassageRow must be added to _passage_row (and PASSAGE_FIELDS).
    assert PASSAGE_FIELDS == tuple(f.name for f in dataclasses.fields(PassageRow))


@pytest.mark.parametrize("cell", [None, "", "one", "a b c", "üñí çø"])
def test_built_row_is_the_dataclass_row(cell: str | None) -> None:
    r = (7, "doc", 2, 1, "body", "Some text.", cell)
    fast = _passage_row(r)
    slow = PassageRow(7, "doc", 2, 1, "body", "Some text.", _split_tokens(cell))
    assert type(fast) is PassageRow
    assert fast == slow and hash(fast) == hash(slow) and repr(fast) == repr(slow)
    assert vars(fast) == vars(slow) and list(vars(fast)) == list(vars(slow))
    assert pickle.loads(pickle.dumps(fast)) == slow
    assert dataclasses.replace(fast, text="other") == dataclasses.replace(slow, text="other")
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.text = "changed"  # type: ignore[misc]


def test_reader_rows_equal_rows_built_by_init(tmp_path: Path) -> None:
    folder = tmp_path / "knowledge"
    folder.mkdir()
    for name, text in TEXTS.items():
        (folder / name).write_text(text, encoding="utf-8")
    db = tmp_path / "db.sqlite"
    eng = Engine(folder, db)
    eng.open()
    try:
        assert eng.ask("When did the council approve the bridge?").answered
    finally:
        eng.close()
    reader = PassageReader(db, readonly=True)
    try:
        raw = reader.query("SELECT id, document, paragraph, sentence, kind, text, tokens FROM passages")
        assert len(raw) >= 5
        ids = [r[0] for r in raw] + [10**9]  # one id that is not there
        rows = reader.passages(ids)
        assert set(rows) == {r[0] for r in raw}
        for r in raw:
            want = PassageRow(*r[:6], _split_tokens(r[6]))
            assert rows[r[0]] == want and repr(rows[r[0]]) == repr(want)
        assert reader.failed  # the missing id marks the snapshot for replacement
    finally:
        reader.close()


def test_statements_come_in_reading_order_whatever_the_rows_order(tmp_path: Path) -> None:
    """statements() sorts (document, seq) itself (no ORDER BY): rows stored in another order
    still come back in reading order, the version row first, documents in SQL's text order."""
    import sqlite3

    db = tmp_path / "db.sqlite"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE passages (id INTEGER PRIMARY KEY, document TEXT, paragraph INTEGER, "
                 "sentence INTEGER, kind TEXT, text TEXT, tokens TEXT)")
    conn.execute("CREATE TABLE statements (document TEXT, seq INTEGER, passage INTEGER, speaker TEXT, "
                 "key TEXT, kind TEXT)")
    conn.execute("CREATE INDEX idx_statements_document ON statements (document)")
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    docs = ["zeta", "Éclair", "alpha", "Zeta"]  # (byte order: "Zeta" < "alpha" < "zeta" < "Éclair")
    rows, pid = [], 0
    for doc in docs:
        rows.append((doc, -1, None, "", "", "v1"))
        for seq in range(6):
            pid += 1
            conn.execute("INSERT INTO passages VALUES (?, ?, 1, ?, 'body', ?, NULL)",
                         (pid, doc, seq, f"{doc} said {seq}."))
            rows.append((doc, seq, pid, f"Speaker {seq % 2}", f"speaker {seq % 2}", "said"))
    for r in reversed(rows):  # rowids against reading order
        conn.execute("INSERT INTO statements VALUES (?, ?, ?, ?, ?, ?)", r)
    conn.commit()
    conn.close()
    reader = PassageReader(db, readonly=True)
    try:
        got = reader.statements(docs, "v1")
        assert list(got) == sorted(docs, key=lambda d: d.encode())
        for doc in docs:
            assert [r[2] for r in got[doc]] == [f"{doc} said {seq}." for seq in range(6)]
            assert [r[5] for r in got[doc]] == list(range(6))  # sentence = seq here
        assert reader.statements(docs, "v2") == {}  # other rules' rows are not trusted
    finally:
        reader.close()
