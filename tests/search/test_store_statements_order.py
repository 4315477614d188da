"""PassageReader.statements sorts its joined rows itself (bot/store.py: no SQL ORDER BY,
whose temporary B-tree was ~10 % of the statement at 1M): reading order must not depend
on the order the rows are stored in."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.store import PassageReader


def test_statements_come_in_reading_order_whatever_the_rows_order(tmp_path: Path) -> None:
    """Rows stored against reading order still come back in reading order, the version
    row first, documents in SQL's text order (UTF-8 bytes)."""
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
