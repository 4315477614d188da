"""The snapshot's document table is read lazily (bot/search/documents.py): it must
answer exactly what the eager read of the whole table answered."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.engine import Engine
from bot.search.documents import DocumentTable
from bot.store import PassageReader


def _write(folder: Path) -> None:
    for i in range(9):
        date = f"date: 2025-10-{9 - i:02d}\n" if i % 3 else ""  # some undated, dates out of id order
        authors = f"author: Mira Okafor{' and Lena Voss' if i % 2 else ''}\n" if i % 4 else ""
        (folder / f"pier-{i}.md").write_text(
            f"---\ntitle: Pier report {i}\n{date}{authors}---\n"
            f"Inspectors reviewed pier {i} on Monday. Repairs to pier {i} would cost {i + 3} thousand dollars.\n",
            encoding="utf-8")


@pytest.fixture()
def engine(tmp_path: Path):
    kb = tmp_path / "knowledge"
    kb.mkdir()
    _write(kb)
    eng = Engine(kb, tmp_path / "storybot.db")
    eng.open()
    yield eng
    eng.close()


def _eager(db: Path):
    reader = PassageReader(db)
    try:
        return reader.documents()  # every row, ORDER BY date, id: what snapshots used to hold
    finally:
        reader.close()


def test_lazy_table_equals_the_eager_read(engine: Engine) -> None:
    eager = _eager(engine.db_path)
    reader = PassageReader(engine.db_path)
    try:
        with reader.read_transaction() as conn:
            from bot.store import document_files
            files = document_files(conn)
        by_key = DocumentTable(reader, files)
        assert list(by_key) == [d.id for d in eager] and len(by_key) == len(eager) == 9
        assert by_key.loaded_count == 0  # ids, order, len: no full row read
        assert "pier-3" in by_key and "pier-99" not in by_key and by_key.get("pier-99") is None
        assert by_key["pier-5"] == next(d for d in eager if d.id == "pier-5") and by_key.loaded_count == 1
        assert [by_key[d.id] for d in eager] == eager  # one row at a time
        assert by_key.files() == {d.id: (d.path, d.size, d.mtime_ns) for d in eager}
        whole = DocumentTable(reader, files)
        assert list(whole.values()) == eager and dict(whole.items()) == {d.id: d for d in eager}  # all at once
        assert whole == by_key == {d.id: d for d in eager}
        assert any(d.authors for d in eager) and any(d.date is None for d in eager)
    finally:
        reader.close()


def test_snapshot_lookups_match_a_scan_of_the_eager_rows(engine: Engine) -> None:
    eager = _eager(engine.db_path)
    snap = engine._snapshot
    assert snap is not None
    assert snap.document_rank == {d: i for i, d in enumerate(sorted((x.id for x in eager), key=lambda d: (
        next(x.date for x in eager if x.id == d) or "", d)))}
    # The same rank from rows read from the database as from the index's file table.
    assert snap.documents.table is not None
    with snap.reader.read_transaction() as conn:
        from bot.store import document_files
        rows_table = DocumentTable(snap.reader, document_files(conn))
    assert rows_table.date_rank() == snap.documents.date_rank() == snap.document_rank
    for words in (["okafor"], ["voss"], ["mira", "okafor"], ["nobody"]):
        scan = [(d.id, [a for a in d.authors if all(w in a.lower().split() for w in words)]) for d in eager]
        assert snap.documents_by_author(words) == [(d, a) for d, a in scan if a]


def test_cited_answer_and_sources_show_titles(engine: Engine) -> None:
    answer = engine.ask("What would repairs to pier 4 cost?")
    assert answer.answered and answer.quotes[0].citation.document == "pier-4"
    assert answer.quotes[0].citation.title == "Pier report 4"
    assert {d.id: d.title for d in engine.documents()} == {f"pier-{i}": f"Pier report {i}" for i in range(9)}


def test_reload_after_a_changed_title_sees_the_new_title(engine: Engine) -> None:
    assert engine.ask("What would repairs to pier 4 cost?").quotes[0].citation.title == "Pier report 4"
    path = engine.knowledge_dir / "pier-4.md"
    path.write_text(path.read_text(encoding="utf-8").replace("Pier report 4", "Pier four, revised"), encoding="utf-8")
    report = engine.reload()
    assert report.changed == ["pier-4"]
    assert engine.ask("What would repairs to pier 4 cost?").quotes[0].citation.title == "Pier four, revised"
    assert {d.id: d.title for d in engine.documents()}["pier-4"] == "Pier four, revised"


def test_a_row_gone_after_the_snapshot_loaded_marks_it_for_replacement(engine: Engine) -> None:
    snap = engine._snapshot
    assert snap is not None and "pier-2" in snap.documents and snap.documents.loaded_count == 0
    with sqlite3.connect(engine.db_path) as conn:  # another process removed the row meanwhile
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute("DELETE FROM documents WHERE id = 'pier-2'")
    doc = snap.documents["pier-2"]
    assert doc.id == doc.title == "pier-2" and snap.reader.failed  # the id, as citation_for does; reloaded next


def test_position_to_document_map_equals_a_fill_per_document(engine: Engine) -> None:
    """`doc_score._build_stats` fills position → document vectorised; after a changed
    article the old positions are gaps (-1), as the loop over documents left them."""
    import numpy as np

    from bot.search import doc_score

    path = engine.knowledge_dir / "pier-2.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nThe ferry was late on Tuesday.\n", encoding="utf-8")
    assert engine.reload().changed == ["pier-2"]
    snap = engine._snapshot
    assert snap is not None
    stats = doc_score._build_stats(snap)
    ranges = sorted(snap.doc_ranges.items(), key=lambda kv: kv[1][0])
    expected = np.full(int(snap.index.n_positions), -1, dtype=np.int32)
    for i, (_, (lo, hi)) in enumerate(ranges):
        expected[lo:hi] = i
    assert (expected == -1).any() and np.array_equal(stats.doc_of_pos, expected)
