"""Issue 13, cold start and reload: what a CLI `ask` imports and how often the
document table is read (work counted, never timed)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import bot.search.indexfiles as indexfiles_mod
import bot.search.snapshot as snapshot_mod
import bot.store as store_mod
from bot.engine import Engine
from search.harbour import built, cli_in_fresh_process  # noqa: F401 (built is a fixture)

# Needed to write or to parse, to serve Discord or to fetch a link: never by `ask`.
NOT_FOR_ASK = ("dateparser", "trafilatura", "discord", "sqlite_utils", "yaml", "pysbd", "dotenv",
               "concurrent.futures.process", "bot.ingest.parse")


def test_cli_ask_imports_only_what_answering_needs(built: tuple[Path, Path], tmp_path: Path) -> None:
    kb, db = built
    answer, code, loaded = cli_in_fresh_process(kb, db, tmp_path, NOT_FOR_ASK, "ask", "What would repairs to pier 4 cost?")
    assert answer["answered"] and "pier 4" in answer["quotes"][0]["text"]
    assert {"code": code, "loaded": loaded} == {"code": 0, "loaded": []}


class _Counts:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.rows = 0  # reads of the (id, date, path, size, mtime) columns (snapshot or index writer)
        self.store_reads = 0  # Store.documents / PassageReader.documents: the whole table read again
        self.full_rows = 0  # full document rows read by id (bot/search/documents.py)
        self.full_reads_all = 0  # reads of every full row at once
        original_files = snapshot_mod.document_files

        def files(*a, **k):
            self.rows += 1
            return original_files(*a, **k)

        monkeypatch.setattr(snapshot_mod, "document_files", files)
        monkeypatch.setattr(indexfiles_mod, "document_files", files)
        for cls in (store_mod.Store, store_mod.PassageReader):
            original = cls.documents

            def counted(*a, _original=original, **k):
                self.store_reads += 1
                return _original(*a, **k)

            monkeypatch.setattr(cls, "documents", counted)
        original_by_id = store_mod.PassageReader.documents_by_id

        def by_id(reader, ids):
            out = original_by_id(reader, ids)
            self.full_rows += len(out)
            self.full_reads_all += ids is None
            return out

        monkeypatch.setattr(store_mod.PassageReader, "documents_by_id", by_id)


def test_query_open_reads_the_document_table_once(built: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    kb, db = built
    counts = _Counts(monkeypatch)
    engine = Engine(kb, db)
    try:
        assert engine.open_for_queries() is None  # fresh: opened read-only, nothing synced
        # The (id, date, path, size, mtime) columns come mapped from the index folder (written
        # with the index for this database state): no document row is read at all.
        assert (counts.rows, counts.store_reads, counts.full_rows) == (0, 0, 0)
        answer = engine.ask("What would repairs to pier 4 cost?")
        assert answer.answered
        # Rows are read by id for what the answer looked at (its citations among them),
        # never the whole table.
        cited = {q.document for q in answer.quotes}
        assert counts.full_reads_all == 0 and len(cited) <= counts.full_rows < 6
        assert counts.rows == 0
    finally:
        engine.close()


def test_reload_reuses_the_serving_documents(built: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    kb, db = built
    engine = Engine(kb, db)
    try:
        engine.open()
        counts = _Counts(monkeypatch)
        # Nothing changed: the rows the opening reload read from the store were kept by
        # its snapshot, so no row is read again.
        report = engine.reload()
        assert not report.changed_anything
        assert (counts.rows, counts.store_reads, counts.full_reads_all, counts.full_rows) == (0, 0, 0, 0)
        report = engine.reload()  # and kept: no read at all the second time
        assert (counts.rows, counts.store_reads, counts.full_reads_all, counts.full_rows) == (0, 0, 0, 0)

        target = kb / "harbour-005.md"
        target.write_text(target.read_text(encoding="utf-8") + "\nThe harbour master resigned on Friday.\n",
                          encoding="utf-8")
        report = engine.reload()  # one article changed: the index writer reads the files' columns once
        assert report.changed == ["harbour-005"]
        assert (counts.rows, counts.store_reads) == (1, 0)
        assert "resigned" in engine.ask("Who resigned on Friday?").quotes[0].text
        # The next reload reads the changed article's row only: the others were carried
        # over from the snapshot it replaced.
        before_rows = counts.full_rows
        assert not engine.reload().changed_anything
        assert counts.full_reads_all == 0 and counts.full_rows - before_rows <= 1
        assert engine._snapshot.documents["harbour-005"].size == target.stat().st_size  # type: ignore[union-attr]

        # Another process's build moves the database on: the next reload reads the table
        # from the store (the serving snapshot no longer describes it).
        other = Engine(kb, db)
        (kb / "harbour-100.md").write_text("---\ntitle: Ferry news\n---\nThe ferry timetable changed in May.\n",
                                           encoding="utf-8")
        other.open()
        other.close()
        shutil.copy(kb / "harbour-100.md", kb / "harbour-101.md")
        before = counts.store_reads
        report = engine.reload()
        assert report.added == ["harbour-101"] and counts.store_reads == before + 1
        assert {d.id for d in engine.documents()} >= {"harbour-100", "harbour-101"}
    finally:
        engine.close()
