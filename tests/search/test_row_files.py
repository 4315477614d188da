"""The index's row files (bot/search/indexfiles.py RowTexts, format 5): a candidate's row is
a slice of a mapped file, not a B-tree seek. Checked against the rows SQLite holds, through
a reload that adds and deletes passages, rows the files cannot hold, an index written
before the files (rebuilt), and damaged files (rebuilt, or the store answers). Counts and
equality only."""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

import bot.search.retrieve as retrieve_mod
from bench.corpus import generate
from bot.engine import Engine
from bot.search.indexfiles import FORMAT, NOT_KEPT, ROW_ARRAYS, RowTexts, index_dir
from bot.search.question import analyse
from search.reloaded import edit_three_articles, live_mask


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory):
    return generate(tmp_path_factory.mktemp("rowfiles") / "knowledge", 1200, 5, n_questions=40)


@pytest.fixture
def kb(tmp_path: Path, corpus) -> Path:
    folder = tmp_path / "knowledge"
    shutil.copytree(corpus.folder, folder)
    return folder


def _live(snap) -> np.ndarray:
    return np.flatnonzero(live_mask(snap))


def _assert_rows_equal_the_store(snap) -> int:
    """Every live position's row from the files equals the store's; returns how many rows
    the files held (the rest came from the store)."""
    positions = _live(snap)
    ids = [int(i) for i in snap.passage_ids[positions]]
    want = snap.reader.passages(ids)
    calls = {"rows": 0}
    real = snap.reader.passages

    def counting(pids):  # type: ignore[no-untyped-def]
        pids = list(pids)
        calls["rows"] += len(pids)
        return real(pids)

    snap.reader.passages = counting
    try:
        got = snap.rows_at(positions.tolist())
        texts = snap.texts_at(positions.tolist())
    finally:
        del snap.reader.passages
    assert got == want and sorted(got) == sorted(ids)
    assert all(t is None or t == want[i].text for i, t in zip(ids, texts))
    assert sum(t is not None for t in texts) == len(ids) - calls["rows"]
    return len(ids) - calls["rows"]


def test_rows_equal_the_store_through_a_reload(kb: Path, tmp_path: Path) -> None:
    engine = Engine(kb, tmp_path / "kb.sqlite")
    engine.open()
    try:
        held = _assert_rows_equal_the_store(engine._snapshot)
        assert held == len(_live(engine._snapshot)) > 1000  # every row from the files, none from SQLite
        edit_three_articles(kb)
        engine.reload()
        snap = engine._snapshot
        assert len(snap.segments) == 2 and snap.segments[0].deleted  # a delta segment, old passages deleted
        assert _assert_rows_equal_the_store(snap) == len(_live(snap))
        # a position of a deleted passage is not answered from the files (its row is gone)
        old = snap.segments[0]
        d = sorted(old.deleted)[0]
        i = old.names.index(d)
        dead = int(old.doc_bounds[i])
        assert dead not in set(_live(snap).tolist())
        assert snap.rows_at([dead]) == {} and snap.reader.failed
    finally:
        engine.close()


def test_rows_the_files_cannot_hold_come_from_the_store(kb: Path, tmp_path: Path) -> None:
    """A row stored without tokens keeps None; a row of another kind, or a metadata line
    outside paragraph 0, is marked NOT_KEPT and read from SQLite: the rows stay equal."""
    db = tmp_path / "kb.sqlite"
    engine = Engine(kb, db)
    engine.open()
    engine.close()
    conn = sqlite3.connect(db)
    body = [r[0] for r in conn.execute("SELECT id FROM passages WHERE kind = 'body' ORDER BY id LIMIT 3")]
    conn.execute("UPDATE passages SET tokens = NULL WHERE id = ?", (body[0],))
    conn.execute("UPDATE passages SET kind = 'caption' WHERE id = ?", (body[1],))
    conn.execute("UPDATE passages SET text = 'Ünïcode — “quoted” text' WHERE id = ?", (body[2],))
    meta = conn.execute("SELECT id FROM passages WHERE kind = 'byline' LIMIT 1").fetchone()[0]
    conn.execute("UPDATE passages SET paragraph = 7 WHERE id = ?", (meta,))
    conn.commit()
    conn.close()
    shutil.rmtree(index_dir(db))
    again = Engine(kb, db)
    again.open()
    try:
        snap = again._snapshot
        sentence = np.asarray(snap.segments[0].rows.sentence)
        where = {int(p): i for i, p in enumerate(snap.passage_ids.tolist())}
        assert sentence[where[body[1]]] == NOT_KEPT and sentence[where[meta]] == NOT_KEPT
        assert sentence[where[body[0]]] != NOT_KEPT and sentence[where[body[2]]] != NOT_KEPT
        rows = snap.rows_at([where[body[0]], where[body[2]]])
        assert rows[body[0]].tokens is None and rows[body[2]].text == "Ünïcode — “quoted” text"
        assert _assert_rows_equal_the_store(snap) == len(_live(snap)) - 2
    finally:
        again.close()


def test_retrieval_reads_no_row_from_the_store_and_equals_the_store_path(kb: Path, tmp_path: Path, corpus,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Retrieval (candidates, contenders' texts, next sentences) reads every row from the
    files; with the files taken away (every row from SQLite) the retrievals are the same,
    scores and carried sentences included."""
    engine = Engine(kb, tmp_path / "kb.sqlite")
    engine.open()
    try:
        edit_three_articles(kb)
        engine.reload()
        snap = engine._snapshot
        questions = corpus.questions + ["When was the new pier opened?", "Who wrote about the new pier?",
                                        "How much did the pier cost?", "When did the harbour board approve a crane?"]
        calls = {"n": 0}
        real = type(snap.reader).passages

        def counting(self, ids):  # type: ignore[no-untyped-def]
            calls["n"] += 1
            return real(self, ids)

        monkeypatch.setattr(type(snap.reader), "passages", counting)
        fast = [retrieve_mod.retrieve(snap, analyse(q)) for q in questions]
        fast += [retrieve_mod.retrieve(snap, analyse(q), abstain=False) for q in questions[:10]]
        assert calls["n"] == 0
        assert sum(r.answered for r in fast) > 5 and any(h.follow is not None for r in fast for h in r.hits)
        for seg in snap.segments:
            monkeypatch.setattr(seg, "rows", None)
        slow = [retrieve_mod.retrieve(snap, analyse(q)) for q in questions]
        slow += [retrieve_mod.retrieve(snap, analyse(q), abstain=False) for q in questions[:10]]
        assert calls["n"] > len(questions)  # the store answered every read
        assert [(r.answered, r.reason, r.signals, [(h.passage, h.score, h.bm25, h.coverage, h.follow) for h in r.hits])
                for r in fast] == \
               [(r.answered, r.reason, r.signals, [(h.passage, h.score, h.bm25, h.coverage, h.follow) for h in r.hits])
                for r in slow]
    finally:
        engine.close()


def test_an_index_without_row_files_is_rebuilt(kb: Path, tmp_path: Path, caplog) -> None:
    db = tmp_path / "kb.sqlite"
    engine = Engine(kb, db)
    engine.open()
    engine.close()
    path = index_dir(db) / "manifest.json"
    data = json.loads(path.read_text())
    data["format"] = 4
    for seg in data["segments"]:
        for name in ROW_ARRAYS:
            seg["files"].pop(name)
            (index_dir(db) / seg["name"] / f"{name}.npy").unlink()
    path.write_text(json.dumps(data))
    caplog.set_level(logging.INFO, logger="bot")
    again = Engine(kb, db)
    again.open()
    try:
        snap = again._snapshot
        assert snap.rebuilt == "full" and json.loads(path.read_text())["format"] == FORMAT
        lines = [(r.levelno, r.getMessage()) for r in caplog.records if "index at" in r.getMessage()]
        assert lines and all(level == logging.INFO and "format 4" in text for level, text in lines), lines
        assert _assert_rows_equal_the_store(snap) == len(_live(snap))
    finally:
        again.close()


@pytest.mark.parametrize("damage", ["short-text", "short-offsets", "missing"])
def test_a_damaged_row_file_is_rebuilt(damage: str, kb: Path, tmp_path: Path, caplog) -> None:
    db = tmp_path / "kb.sqlite"
    engine = Engine(kb, db)
    engine.open()
    engine.close()
    seg = next(index_dir(db).glob("seg-*"))
    if damage == "short-text":
        os.truncate(seg / "row_text.npy", (seg / "row_text.npy").stat().st_size - 10)
    elif damage == "short-offsets":
        os.truncate(seg / "row_offsets.npy", 200)
    else:
        (seg / "row_sentence.npy").unlink()
    caplog.set_level(logging.INFO, logger="bot")
    again = Engine(kb, db)
    again.open()
    try:
        snap = again._snapshot
        assert snap.rebuilt == "full"
        lines = [r for r in caplog.records if "damaged" in r.getMessage()]
        assert len(lines) == 1 and lines[0].levelno == logging.WARNING
        assert _assert_rows_equal_the_store(snap) == len(_live(snap))
    finally:
        again.close()


def _editable_row_files(snap) -> tuple[np.ndarray, np.ndarray]:
    """Writable copies of the first segment's row text and offsets, to damage."""
    files = snap.segments[0].rows
    return np.array(files.text, dtype=np.uint8), np.array(files.offsets)


def _serve_row_files(snap, text: np.ndarray, offsets: np.ndarray) -> None:
    """The first segment answers from these (damaged) text and offsets, its other files as written."""
    files = snap.segments[0].rows
    snap.segments[0].rows = RowTexts(text, offsets, np.array(files.sentence), np.array(files.crc))


def test_cells_the_checksums_miss_are_read_from_the_store(kb: Path, tmp_path: Path) -> None:
    """Bytes damaged in the middle of the text (the checksums cover each file's ends) that
    no longer decode, and offsets out of order or past the end, are read from SQLite: the
    rows stay equal, nothing raises."""
    engine = Engine(kb, tmp_path / "kb.sqlite")
    engine.open()
    try:
        snap = engine._snapshot
        text, offsets = _editable_row_files(snap)
        n = len(snap.segments[0].rows.sentence)
        bad = [n // 2, n // 3, n // 4]
        text[offsets[2 * bad[0]]] = 0xFF  # invalid UTF-8 in a text
        offsets[2 * bad[1] + 1] = offsets[2 * bad[1]] - 5  # a text that ends before it starts
        offsets[2 * bad[2] + 2] = text.shape[0] + 100  # tokens past the end (and the next row's text)
        _serve_row_files(snap, text, offsets)
        held = _assert_rows_equal_the_store(snap)
        assert held == len(_live(snap)) - 4
        assert engine.ask("When did the harbour board approve a crane?") is not None
    finally:
        engine.close()


def test_a_cell_changed_in_place_is_read_from_the_store(kb: Path, tmp_path: Path) -> None:
    """A letter changed in the middle of a text still decodes, so only the cell's CRC-32
    (row_crc) tells it from the article's text: that row comes from SQLite, the others
    from the files, and no row or text read holds the changed letter."""
    engine = Engine(kb, tmp_path / "kb.sqlite")
    engine.open()
    try:
        snap = engine._snapshot
        text, offsets = _editable_row_files(snap)
        positions = _live(snap)
        changed = []
        for pos in positions[:: max(1, len(positions) // 5)][:5].tolist():
            a, b = int(offsets[2 * pos]), int(offsets[2 * pos + 1])
            cell = bytes(text[a:b])
            at = next(i for i, ch in enumerate(cell) if chr(ch).isalpha() and ch < 128)
            text[a + at] = ord("Q") if cell[at] != ord("Q") else ord("Z")  # (still UTF-8)
            changed.append(pos)
        _serve_row_files(snap, text, offsets)
        held = _assert_rows_equal_the_store(snap)
        assert held == len(positions) - len(changed)
        assert all(t is None for t in snap.texts_at(changed))
    finally:
        engine.close()
