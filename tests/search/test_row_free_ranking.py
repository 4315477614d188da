"""Ranking without candidates' rows (bot/search/retrieve.py): a body sentence's paragraph
comes from the index's per-position array (body_para), the question stems it holds from
its term list. Checked against the rows themselves, through reloads that add and delete
passages and on an index written before the array existed. Counts and equality only."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

import bot.search.retrieve as retrieve_mod
from bench.corpus import generate
from bot.engine import Engine
from bot.search.indexfiles import FORMAT, index_dir
from bot.search.question import analyse
from search.reloaded import edit_three_articles, live_mask
from bot.search.retrieve import _Coverage, kin_of
from bot.store import BYLINE_LINE, DATE_LINE, OTHER_LINE
from bot.text.families import members, synonyms
from bot.text.tokenize import tokenize


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory):
    return generate(tmp_path_factory.mktemp("rowfree") / "knowledge", 1200, 5, n_questions=40)


@pytest.fixture
def kb(tmp_path: Path, corpus) -> Path:
    folder = tmp_path / "knowledge"
    shutil.copytree(corpus.folder, folder)
    return folder


def _codes_from_rows(snap) -> np.ndarray:
    """body_para as the rows say it, for every live position."""
    ids = [int(i) for i in snap.passage_ids[live_mask(snap)]]
    rows = snap.reader.passages(ids)
    code = {"byline": BYLINE_LINE, "date": DATE_LINE}
    return np.array([rows[i].paragraph if rows[i].kind == "body" else code.get(rows[i].kind, OTHER_LINE)
                     for i in ids], dtype=np.int64)


def test_body_para_and_documents_equal_the_rows_through_reloads(kb: Path, tmp_path: Path) -> None:
    engine = Engine(kb, tmp_path / "kb.sqlite")
    engine.open()
    try:
        for step in range(2):
            snap = engine._snapshot
            live = live_mask(snap)
            got = np.asarray(snap.body_para, dtype=np.int64)
            assert np.array_equal(got[live], _codes_from_rows(snap))
            positions = np.flatnonzero(live)
            rows = snap.reader.passages(int(i) for i in snap.passage_ids[positions])
            docs = snap.documents_at(positions)
            assert docs == [rows[int(i)].document for i in snap.passage_ids[positions]]
            assert (got[live] == DATE_LINE).sum() > 0 and (got[live] >= 0).sum() > 1000
            if step == 0:
                edit_three_articles(kb)
                engine.reload()
                assert len(engine._snapshot.segments) == 2  # a delta segment, old passages deleted
    finally:
        engine.close()


def test_held_stems_equal_the_tokens_of_body_sentences(kb: Path, tmp_path: Path, corpus) -> None:
    """The stems the term lists say a candidate holds are `tokens & stems`: the masks
    ranking builds from them equal the masks built from the tokens."""
    engine = Engine(kb, tmp_path / "kb.sqlite")
    engine.open()
    try:
        edit_three_articles(kb)
        engine.reload()
        snap = engine._snapshot
        checked = 0
        for question in corpus.questions + ["When did the harbour board approve a crane?"]:
            terms = analyse(question).terms
            if not terms:
                continue
            term_set = set(terms)
            kin = kin_of(term_set)
            cover = _Coverage({t: 1.0 for t in terms}, term_set, kin, {t: synonyms(t) - term_set for t in terms}, 1.0)
            ids = snap.reader.term_ids(cover.stems)
            search = [snap.reader.term_ids(terms).get(t) for t in terms]
            search += list(snap.reader.term_ids(m for t in terms for m in members(t)).values())
            top = snap.index.top_k(search, 60)
            at = np.array([p for p, _ in top], dtype=np.int64)
            holds = snap.held_stems(at, ids)
            rows = snap.reader.passages(int(i) for i in snap.passage_ids[at])
            for pos, found in zip(at.tolist(), holds):
                row = rows[int(snap.passage_ids[pos])]
                if row.kind == "body":
                    tokens = set(tokenize(row.text))
                    assert set(found) == tokens & cover.stems
                    assert cover.masks(found) == cover.masks(tokens)
                    checked += 1
        assert checked > 500
    finally:
        engine.close()


def test_ranking_from_rows_equals_ranking_from_the_arrays(kb: Path, tmp_path: Path, corpus,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Every candidate read and ranked by its row (body_para says OTHER_LINE everywhere)
    gives the same retrievals, scores included, as the arrays."""
    engine = Engine(kb, tmp_path / "kb.sqlite")
    engine.open()
    try:
        edit_three_articles(kb)
        engine.reload()
        snap = engine._snapshot
        questions = corpus.questions + ["When was the new pier opened?", "Who wrote about the new pier?",
                                        "How much did the pier cost?"]
        fallback = {"n": 0}
        real_getattr = retrieve_mod._Candidate.__getattr__

        def counting_getattr(self, name):  # type: ignore[no-untyped-def]
            fallback["n"] += 1
            return real_getattr(self, name)

        monkeypatch.setattr(retrieve_mod._Candidate, "__getattr__", counting_getattr)
        fast = [retrieve_mod.retrieve(snap, analyse(q)) for q in questions]
        fast += [retrieve_mod.retrieve(snap, analyse(q), abstain=False) for q in questions[:10]]
        assert fallback["n"] == 0  # nothing after ranking asked an unread candidate for its row
        reads = {"n": 0}
        real = retrieve_mod._RowReader.read

        def counting(self, ids):  # type: ignore[no-untyped-def]
            ids = list(ids)
            reads["n"] += len([i for i in ids if i not in self.rows])
            return real(self, ids)

        monkeypatch.setattr(retrieve_mod._RowReader, "read", counting)
        [retrieve_mod.retrieve(snap, analyse(q)) for q in questions]
        fast_rows = reads["n"]
        reads["n"] = 0
        monkeypatch.setitem(snap.__dict__, "body_para", np.full(len(snap.passage_ids), OTHER_LINE, dtype=np.int32))
        slow = [retrieve_mod.retrieve(snap, analyse(q)) for q in questions]
        slow += [retrieve_mod.retrieve(snap, analyse(q), abstain=False) for q in questions[:10]]
        assert reads["n"] > 2 * fast_rows  # the slow path did read every candidate
        assert [(r.answered, r.reason, r.signals, [(h.passage, h.score, h.bm25, h.coverage, h.follow) for h in r.hits])
                for r in fast] == \
               [(r.answered, r.reason, r.signals, [(h.passage, h.score, h.bm25, h.coverage, h.follow) for h in r.hits])
                for r in slow]
        assert sum(r.answered for r in fast) > 5
    finally:
        engine.close()


def test_an_index_without_the_array_is_rebuilt(kb: Path, tmp_path: Path, caplog) -> None:
    """A manifest of the format before body_para is rebuilt at the next start, and the
    new array equals the rows. An upgrade is said as one (info), not as damage."""
    db = tmp_path / "kb.sqlite"
    engine = Engine(kb, db)
    engine.open()
    engine.close()
    path = index_dir(db) / "manifest.json"
    data = json.loads(path.read_text())
    data["format"] = 3
    for seg in data["segments"]:
        seg["files"].pop("body_para")
    path.write_text(json.dumps(data))
    caplog.set_level(logging.INFO, logger="bot")
    again = Engine(kb, db)
    again.open()
    try:
        snap = again._snapshot
        assert snap.rebuilt == "full"
        lines = [(r.levelno, r.getMessage()) for r in caplog.records if "index at" in r.getMessage()]
        assert lines and all(level == logging.INFO and "format 3" in text and "damaged" not in text
                             for level, text in lines), lines
        assert json.loads(path.read_text())["format"] == FORMAT
        assert np.array_equal(np.asarray(snap.body_para, dtype=np.int64)[live_mask(snap)], _codes_from_rows(snap))
        assert again.ask("When did the harbour board approve a crane?") is not None
    finally:
        again.close()


def test_remembered_term_ids_equal_the_store_and_read_once(kb: Path, tmp_path: Path, monkeypatch) -> None:
    engine = Engine(kb, tmp_path / "kb.sqlite")
    engine.open()
    try:
        snap = engine._snapshot
        words = ["harbour", "council", "zzqxnotaword", "crane", "budget", "qqqq"]
        want = snap.reader.term_ids(words)
        assert 0 < len(want) < len(words)
        assert snap.term_ids_memo(words[:3]) == {t: i for t, i in want.items() if t in words[:3]}
        calls = {"n": 0}
        real = type(snap.reader).term_ids

        def counting(self, terms):  # type: ignore[no-untyped-def]
            calls["n"] += 1
            return real(self, terms)

        monkeypatch.setattr(type(snap.reader), "term_ids", counting)
        assert snap.term_ids_memo(words) == want
        assert snap.term_ids_memo(list(reversed(words))) == want
        assert calls["n"] == 1  # only the three not asked before, once
    finally:
        engine.close()
