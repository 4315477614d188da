"""Issue 13, a start that does not grow with the archive: the per-document data a start
needs is mapped from the index folder (bot/search/indexfiles.py), the freshness check
compares arrays (bot/ingest/files.py `unchanged_as_listed`), and a reload keeps the rows
it already read. Work counted and results compared, never timed."""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import bot.search.indexfiles as indexfiles
import bot.store as store_mod
from bot.engine import Engine
from bot.ingest.files import unchanged_as_listed
from bot.search.doc_score import TITLE_WEIGHT, doc_stats
from bot.search.indexfiles import FORMAT, index_dir
from bot.text.tokenize import tokenize
from search.harbour import build_once


def _articles(kb: Path, n: int) -> None:
    for i in range(n):
        (kb / f"quay-{i:02d}.md").write_text(
            f"---\ntitle: Quay works {i} and the harbour crane\ndate: 2025-09-{i % 27 + 1:02d}\n---\n"
            f"Engineers inspected quay {i} on Tuesday. The port authority said the crane on quay {i} "
            f"would be replaced.\n\nDock workers asked about night shifts at quay {i}.\n",
            encoding="utf-8")


@pytest.fixture()
def built(tmp_path: Path) -> tuple[Path, Path]:
    return build_once(tmp_path, _articles, 9, "kb.sqlite")


def _manifest(db: Path) -> dict:
    return json.loads((index_dir(db) / "manifest.json").read_text())


def test_start_builds_no_python_object_per_document_from_the_manifest(built, monkeypatch: pytest.MonkeyPatch) -> None:
    kb, db = built
    text = (index_dir(db) / "manifest.json").read_text()
    assert "quay-03" not in text  # no per-document JSON: ids, ranges, keys live in the segments' arrays
    calls = Counter()
    real_docs = indexfiles.Segment.docs
    monkeypatch.setattr(indexfiles.Segment, "docs", property(lambda self: calls.update(["docs"]) or real_docs.fget(self)))
    real_rows = indexfiles.FileTable.rows
    monkeypatch.setattr(indexfiles.FileTable, "rows", lambda self: calls.update(["rows"]) or real_rows(self))
    real_files = store_mod.document_files
    monkeypatch.setattr(indexfiles, "document_files", lambda *a, **k: calls.update(["read"]) or real_files(*a, **k))
    engine = Engine(kb, db)
    try:
        assert engine.open_for_queries() is None  # fresh: read-only
        answer = engine.ask("Which crane would be replaced on quay 4?")
        assert answer.answered and "quay 4" in answer.quotes[0].text
        # Neither the per-document tuples, nor the (id, date, path, size, mtime) rows,
        # nor a read of the document table: arrays only.
        assert calls == Counter()
    finally:
        engine.close()


def test_segment_arrays_hold_what_the_database_holds(built) -> None:
    kb, db = built
    engine = Engine(kb, db)
    try:
        engine.open_for_queries()
        snap = engine._snapshot
        assert snap is not None
        store = store_mod.Store(db)
        try:
            docs = store.documents()
            titles = dict(store.conn.execute("SELECT document, n FROM title_terms WHERE term = ''"))
        finally:
            store.close()
        assert sorted(snap.doc_ids) == sorted(docs)
        for i, d in enumerate(snap.doc_ids):
            start, end = snap.doc_ranges[d]
            assert (start, end) == (int(snap.doc_starts[i]), int(snap.doc_ends[i]))
            assert end - start == docs[d].passages
            assert {int(p) for p in snap.passage_ids[start:end]} == \
                {r[0] for r in snap.reader.query("SELECT id FROM passages WHERE document = ?", (d,))}
            assert int(snap.doc_title_len[i]) == titles[d] == len(tokenize(docs[d].title))
        table = snap.documents.table
        assert table is not None and table.folder == str(kb)
        assert sorted(table.rows()) == sorted((d.id, d.date, d.path, d.size, d.mtime_ns) for d in docs.values())
        # doc-level lengths: the body's passage lengths plus the weighted title, per document
        stats = doc_stats(snap)
        for i, d in enumerate(stats.ids):
            start, end = snap.doc_ranges[d]
            body = float(np.asarray(snap.index.doc_len)[start:end].sum())
            assert stats.lengths[i] == pytest.approx(body + TITLE_WEIGHT * titles[d])
    finally:
        engine.close()


def _stamps(db: Path, kb: Path):
    engine = Engine(kb, db)
    assert engine._open_readonly(require_fresh=False)
    table = engine._snapshot.documents.table  # type: ignore[union-attr]
    engine.close()
    assert table is not None
    return table


@pytest.mark.parametrize("change", ["append", "same-size-edit", "added", "removed", "renamed", "directory",
                                    "symlink"])
def test_array_freshness_check_notices_every_change(built, change: str) -> None:
    kb, db = built
    table = _stamps(db, kb)
    assert unchanged_as_listed(kb, table.folder, table.names, table.sizes, table.mtimes)
    target = kb / "quay-04.md"
    if change == "append":  # what the benchmark does: an edit in place
        with open(target, "a", encoding="utf-8") as fh:
            fh.write("One more sentence.\n")
    elif change == "same-size-edit":  # same size, the mtime moves
        data = target.read_bytes()
        st = target.stat()
        target.write_bytes(data.replace(b"Tuesday", b"Thursda"))
        os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
        assert target.stat().st_size == st.st_size
    elif change == "added":
        (kb / "quay-99.md").write_text("---\ntitle: New\n---\nA new quay opened.\n", encoding="utf-8")
    elif change == "removed":
        target.unlink()
    elif change == "renamed":
        target.rename(kb / "quay-04b.md")
    elif change == "directory":  # a file replaced by a folder of the same name
        target.unlink()
        target.mkdir()
    else:  # a file replaced by a symlink to a copy
        shutil.copy(target, kb / ".copy")
        target.unlink()
        target.symlink_to(kb / ".copy")
    assert not unchanged_as_listed(kb, table.folder, table.names, table.sizes, table.mtimes)


def test_array_freshness_check_ignores_what_is_not_an_article(built) -> None:
    kb, db = built
    table = _stamps(db, kb)
    (kb / ".draft.md").write_text("hidden", encoding="utf-8")
    (kb / "notes.json").write_text("{}", encoding="utf-8")
    (kb / ".retired").mkdir()
    assert unchanged_as_listed(kb, table.folder, table.names, table.sizes, table.mtimes)
    # another folder than the stored one: not sure
    assert not unchanged_as_listed(kb.parent, table.folder, table.names, table.sizes, table.mtimes)


def test_in_place_edit_is_answered_after_a_query_open(built) -> None:
    kb, db = built
    target = kb / "quay-06.md"
    with open(target, "a", encoding="utf-8") as fh:
        fh.write("\nThe harbour master closed quay 6 for the winter storms.\n")
    engine = Engine(kb, db)
    try:
        report = engine.open_for_queries()
        assert report is not None and report.changed == ["quay-06"]  # not served stale
        assert "winter storms" in engine.ask("Why was quay 6 closed?").quotes[0].text
    finally:
        engine.close()


def test_an_index_of_the_previous_format_is_rebuilt(built, caplog: pytest.LogCaptureFixture) -> None:
    kb, db = built
    manifest = _manifest(db)
    manifest["format"] = FORMAT - 1
    (index_dir(db) / "manifest.json").write_text(json.dumps(manifest))
    caplog.set_level(logging.INFO, logger="bot.search.indexfiles")
    engine = Engine(kb, db)
    try:
        assert engine.open_for_queries() is None
        assert engine._snapshot is not None and engine._snapshot.rebuilt == "full"
        assert _manifest(db)["format"] == FORMAT
        assert engine.ask("What did the port authority say about quay 2?").answered
    finally:
        engine.close()


def test_a_damaged_document_table_file_is_rebuilt(built, caplog: pytest.LogCaptureFixture) -> None:
    kb, db = built
    table_dir = index_dir(db) / _manifest(db)["table"]["name"]
    path = table_dir / "names.npy"
    data = bytearray(path.read_bytes())
    data[-8:] = b"\xff" * 8
    path.write_bytes(bytes(data))
    caplog.set_level(logging.INFO, logger="bot.search.indexfiles")
    engine = Engine(kb, db)
    try:
        engine.open_for_queries()
        warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(warnings) == 1 and "rebuilding" in warnings[0].getMessage()
        assert len(engine._snapshot.documents) == 9  # type: ignore[union-attr]
    finally:
        engine.close()
    again = Engine(kb, db)
    try:
        assert again.open_for_queries() is None and again._snapshot.rebuilt == ""  # type: ignore[union-attr]
    finally:
        again.close()


def test_rows_carried_over_equal_a_fresh_read(built) -> None:
    kb, db = built
    engine = Engine(kb, db)
    try:
        engine.open()
        target = kb / "quay-02.md"
        target.write_text(target.read_text(encoding="utf-8").replace("Quay works 2", "Quay works two"),
                          encoding="utf-8")
        (kb / "quay-08.md").unlink()
        report = engine.reload()
        assert report.changed == ["quay-02"] and report.removed == ["quay-08"]
        snap = engine._snapshot
        assert snap is not None
        carried = dict(snap.documents._loaded)
        assert "quay-02" not in carried and "quay-08" not in carried and len(carried) == 7
        fresh = {d.id: d for d in snap.reader.documents_by_id(None)}
        assert {d: fresh[d] for d in carried} == carried
        assert snap.documents["quay-02"].title.startswith("Quay works two ")
    finally:
        engine.close()


def test_index_with_nothing_changed_opens_no_writer(built, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    """`index` on a current database: the read-only check, no writer (no Store, no
    whole-file integrity check, no read of every row), the same report as a writer's."""
    import bot.engine as engine_mod
    from bot.cli import main

    kb, db = built
    writer = Engine(kb, db)
    expected = writer.reload().as_dict()  # what a writer's reload reports (nothing changed)
    writer.close()
    calls = Counter()
    real_store, real_check = engine_mod.Store, engine_mod.quick_check
    monkeypatch.setattr(engine_mod, "Store", lambda *a, **k: calls.update(["store"]) or real_store(*a, **k))
    monkeypatch.setattr(engine_mod, "quick_check", lambda *a, **k: calls.update(["check"]) or real_check(*a, **k))
    capsys.readouterr()
    assert main(["index", "--json", "--knowledge", str(kb), "--db", str(db)]) == 0
    got = json.loads(capsys.readouterr().out)
    assert calls == Counter()
    assert {k: v for k, v in got.items() if k != "duration_ms"} == \
        {k: v for k, v in expected.items() if k != "duration_ms"}
    # one file edited in place: the writer runs (and its integrity check)
    with open(kb / "quay-01.md", "a", encoding="utf-8") as fh:
        fh.write("\nThe quay reopened on Friday.\n")
    assert main(["index", "--json", "--knowledge", str(kb), "--db", str(db)]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["changed"] == ["quay-01"] and calls["store"] == 1 and calls["check"] == 1


def test_a_reload_compares_only_the_documents_it_wrote(built, monkeypatch: pytest.MonkeyPatch) -> None:
    """The index update after this process's own build compares that build's documents,
    not every document's postings row; when another process wrote meanwhile, all."""
    kb, db = built
    calls = Counter()
    for name in ("_all_pairs", "_pairs_of"):
        real = getattr(indexfiles, name)
        monkeypatch.setattr(indexfiles, name, lambda *a, _real=real, _name=name: calls.update([_name]) or _real(*a))
    engine = Engine(kb, db)
    try:
        engine.open()
        target = kb / "quay-03.md"
        target.write_text(target.read_text(encoding="utf-8") + "\nA tug boat sank at quay 3 on Sunday.\n",
                          encoding="utf-8")
        (kb / "quay-05.md").unlink()
        report = engine.reload()
        assert report.changed == ["quay-03"] and report.removed == ["quay-05"]
        assert calls == Counter({"_pairs_of": 1})
        assert "tug boat" in engine.ask("What sank at quay 3?").quotes[0].text
        assert "quay-05" not in engine._snapshot.doc_ranges  # type: ignore[union-attr]

        # Another process's build (that did not bring the index up to date): the index no
        # longer describes the state this engine's next build starts from, so it compares all.
        from bot.build import sync_folder

        (kb / "quay-50.md").write_text("---\ntitle: Ferry\n---\nThe ferry pier at quay 50 reopened.\n",
                                       encoding="utf-8")
        other = store_mod.Store(db)
        assert sync_folder(other, kb).added == ["quay-50"]
        other.close()
        target.write_text(target.read_text(encoding="utf-8") + "\nDivers reached the tug on Monday.\n",
                          encoding="utf-8")
        engine.reload()
        assert calls["_all_pairs"] == 1
        snap = engine._snapshot
        assert snap is not None and "quay-50" in snap.doc_ranges and "quay-05" not in snap.doc_ranges
        assert "Divers" in engine.ask("Who reached the tug on Monday?").quotes[0].text
    finally:
        engine.close()


def test_the_bulk_scan_equals_the_per_file_scan(built, monkeypatch: pytest.MonkeyPatch) -> None:
    """scan_folder's bulk pass (the usual folder) gives what the per-file loop gives,
    and leaves anything unusual to the loop (which reports it)."""
    import bot.ingest.files as files_mod

    kb, _ = built
    (kb / ".hidden.md").write_text("x", encoding="utf-8")
    (kb / "notes.json").write_text("{}", encoding="utf-8")
    fast = files_mod.scan_folder(kb)
    with monkeypatch.context() as m:
        m.setattr(files_mod, "_scan_usual", lambda found: None)
        slow = files_mod.scan_folder(kb)
    assert fast == slow and len(fast[0]) == 9 and fast[1] == []
    (kb / "bad name!.md").write_text("---\ntitle: x\n---\nText.\n", encoding="utf-8")
    (kb / "quay-01.txt").write_text("Same id as quay-01.md.\n", encoding="utf-8")
    (kb / "folder.md").mkdir()
    entries, failures = files_mod.scan_folder(kb)
    assert len(entries) == 9 and sorted(f.path.name for f in failures) == ["bad name!.md", "folder.md", "quay-01.txt"]
