"""The persisted index (bot/search/indexfiles.py): loaded without rebuilding,
updated by delta segments, merged, detected when damaged. Counts, not clocks.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import numpy as np
import pytest

import bot.search.indexfiles as indexfiles
from bench.corpus import generate
from bot.engine import Engine
from bot.search.indexfiles import MAX_SEGMENTS, index_dir
from bot.search.question import analyse
from bot.text.tokenize import tokenize
from search.test_scale import scores_by_passage_text


class Builds:
    """Counts segment builds and the documents each one covered."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[list[str] | None] = []
        real = indexfiles._build_segment

        def counting(conn, documents, vocab_size):
            self.calls.append(None if documents is None else sorted(documents))
            return real(conn, documents, vocab_size)

        monkeypatch.setattr(indexfiles, "_build_segment", counting)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory):
    return generate(tmp_path_factory.mktemp("ixf") / "knowledge", 1200, 5, n_questions=30)


@pytest.fixture
def kb(tmp_path: Path, corpus) -> Path:
    import shutil

    folder = tmp_path / "knowledge"
    shutil.copytree(corpus.folder, folder)
    return folder


def manifest(db: Path) -> dict:
    return json.loads((index_dir(db) / "manifest.json").read_text())


def test_restart_maps_the_index_without_building(kb: Path, tmp_path: Path, corpus,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "kb.sqlite"
    first = Engine(kb, db)
    first.open()
    before = scores_by_passage_text(first, corpus.questions)
    first.close()
    assert len(manifest(db)["segments"]) == 1

    builds = Builds(monkeypatch)
    again = Engine(kb, db)
    report = again.open()
    try:
        assert report is not None and not report.changed_anything
        assert builds.calls == []  # mapped, not rebuilt
        # mapped: a plain view of the file's np.memmap (indexing a memmap is Python-level)
        post_pos = again._snapshot.segments[0].post_pos  # type: ignore[union-attr]
        assert isinstance(post_pos.base, np.memmap) and not post_pos.flags.writeable
        assert scores_by_passage_text(again, corpus.questions) == before
        again.reload()  # `index` with nothing changed
        assert builds.calls == []
    finally:
        again.close()


def test_one_changed_article_writes_one_small_segment(kb: Path, tmp_path: Path, corpus,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "kb.sqlite"
    engine = Engine(kb, db)
    engine.open()
    try:
        base = manifest(db)["segments"][0]
        base_file = index_dir(db) / base["name"] / "post_pos.npy"
        inode = base_file.stat().st_ino
        builds = Builds(monkeypatch)
        target = sorted(kb.glob("*.md"))[7]
        target.write_text(target.read_text() + "\nThe harbour board approved a sixth crane on Friday.\n")
        report = engine.reload()
        assert report.changed == [target.stem]
        assert builds.calls == [[target.stem]]  # that article's postings only
        segs = manifest(db)["segments"]
        assert len(segs) == 2 and segs[0]["name"] == base["name"] and segs[0]["deleted"] == [target.stem]
        assert segs[1]["d"] == 1 and engine._snapshot.segments[1].names == [target.stem]  # type: ignore[union-attr]
        assert base_file.stat().st_ino == inode  # the big segment was not rewritten
        answer = engine.ask("What did the harbour board approve?")
        assert answer.answered and "sixth crane" in answer.quotes[0].text

        fresh = Engine(kb, tmp_path / "fresh.sqlite")
        fresh.open()
        try:
            assert scores_by_passage_text(engine, corpus.questions) == scores_by_passage_text(fresh, corpus.questions)
            a, b = engine._snapshot.index, fresh._snapshot.index  # type: ignore[union-attr]
            assert a.n_passages == b.n_passages and a.avgdl == pytest.approx(b.avgdl, abs=1e-12)
            assert np.array_equal(np.sort(a.df[a.df > 0]), np.sort(b.df[b.df > 0]))
        finally:
            fresh.close()
    finally:
        engine.close()


def test_segments_are_merged_when_they_pile_up(kb: Path, tmp_path: Path, corpus) -> None:
    db = tmp_path / "kb.sqlite"
    engine = Engine(kb, db)
    engine.open()
    try:
        files = sorted(kb.glob("*.md"))
        seen = []
        for i in range(MAX_SEGMENTS + 4):
            target = files[i]
            target.write_text(target.read_text() + f"\nThe harbour board approved crane number {i}.\n")
            extra = kb / f"extra-{i}.md"
            extra.write_text(f"---\ntitle: Extra {i}\ndate: 2024-01-0{1 + i % 9}\n---\n\nA note {i} about quarks.\n")
            if i % 3 == 2:
                (kb / f"extra-{i - 1}.md").unlink()
            engine.reload()
            seen.append(len(manifest(db)["segments"]))
        assert max(seen) <= MAX_SEGMENTS and max(seen) >= 3
        assert any(b < a for a, b in zip(seen, seen[1:]))  # a merge happened
        named = {s["name"] for s in manifest(db)["segments"]} | {manifest(db)["table"]["name"]}
        assert named == set(os.listdir(index_dir(db))) - {"lock", "manifest.json"}  # the old ones are gone
        fresh = Engine(kb, tmp_path / "fresh.sqlite")
        fresh.open()
        try:
            assert scores_by_passage_text(engine, corpus.questions) == scores_by_passage_text(fresh, corpus.questions)
            assert engine._snapshot.index.n_passages == fresh._snapshot.index.n_passages  # type: ignore[union-attr]
            answer = engine.ask("What about crane number 5?")
            assert answer.answered and "crane number 5" in answer.quotes[0].text
        finally:
            fresh.close()
    finally:
        engine.close()


@pytest.mark.parametrize("damage", ["flipped-bytes", "truncated", "manifest-garbage", "other-database"])
def test_damaged_index_is_rebuilt_with_one_log_line(damage: str, kb: Path, tmp_path: Path, corpus,
                                                    caplog: pytest.LogCaptureFixture,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "kb.sqlite"
    engine = Engine(kb, db)
    engine.open()
    before = scores_by_passage_text(engine, corpus.questions)
    engine.close()
    folder = index_dir(db)
    seg = folder / manifest(db)["segments"][0]["name"]
    if damage == "flipped-bytes":
        path = seg / "post_pos.npy"
        data = bytearray(path.read_bytes())
        data[200:264] = bytes(b ^ 0xFF for b in data[200:264])
        path.write_bytes(bytes(data))
    elif damage == "truncated":
        os.truncate(seg / "post_tf.npy", 100)
    elif damage == "manifest-garbage":
        (folder / "manifest.json").write_bytes(b"\x00garbage{")
    else:  # an index left from another database file at the same path
        m = manifest(db)
        m["store_uid"] = "0" * 32
        (folder / "manifest.json").write_text(json.dumps(m))
    caplog.set_level(logging.INFO, logger="bot.search.indexfiles")
    builds = Builds(monkeypatch)
    again = Engine(kb, db)
    again.open()
    try:
        assert builds.calls == [None]  # one full rebuild from the database
        warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
        if damage != "other-database":
            assert len(warnings) == 1 and "rebuilding" in warnings[0].getMessage()
        assert scores_by_passage_text(again, corpus.questions) == before
    finally:
        again.close()
    builds.calls.clear()
    third = Engine(kb, db)
    third.open()
    third.close()
    assert builds.calls == []  # the rebuilt index is sound


def test_passage_terms_equal_the_tokenised_text(kb: Path, tmp_path: Path, corpus) -> None:
    engine = Engine(kb, tmp_path / "kb.sqlite")
    engine.open()
    try:
        target = sorted(kb.glob("*.md"))[3]  # one article in a delta segment too
        target.write_text(target.read_text() + "\nThe harbour board approved a sixth crane on Friday.\n")
        engine.reload()
        snap = engine._snapshot
        assert snap is not None and len(snap.segments) == 2
        checked = 0
        for question in corpus.questions + ["What did the harbour board approve?"]:
            terms = analyse(question).terms
            term_ids = snap.reader.term_ids(terms)
            top = snap.index.top_k([term_ids.get(t) for t in terms], 60)
            got = snap.passage_terms([p for p, _ in top], term_ids)
            rows = snap.reader.passages(got)
            for pid, found in got.items():
                if rows[pid].kind == "body":
                    assert found == set(tokenize(rows[pid].text)) & set(terms)
                    checked += 1
        assert checked > 500
    finally:
        engine.close()
