"""Issue 13: document-level BM25 reads title terms stored at ingest (bot/store.py
`title_terms`) instead of tokenising every title on a process's first question.
Scores must equal the in-memory way exactly; old databases gain the table by
themselves; work is counted, never timed."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from bot.engine import Engine
from bot.search import doc_score
from bot.search.question import analyse
from bot.store import Store

TITLES = ["Harbour ferry timetable changes", "Ferry, ferry and more ferry: a harbour story", "",
          "Council budget for the harbour", "Pier repairs delayed", "Mayor Lindqvist on the ferry budget"]
QUESTIONS = ["When will the ferry timetable change?", "What did the council decide about the harbour budget?",
             "Why were the pier repairs delayed?", "ferry", "What is the mayor's budget?"]


def _write(kb: Path, i: int, title: str) -> None:
    head = f"---\ntitle: \"{title}\"\ndate: 2025-10-{i + 1:02d}\n---\n" if title else ""
    (kb / f"harbour-{i:02d}.md").write_text(
        head + f"The council met about the harbour on day {i}. The ferry timetable may change.\n\n"
        f"Repairs to pier {i} were delayed, the mayor said, because the budget ran short.\n", encoding="utf-8")


@pytest.fixture()
def engine(tmp_path: Path):
    kb = tmp_path / "knowledge"
    kb.mkdir()
    for i, title in enumerate(TITLES):
        _write(kb, i, title)
    eng = Engine(kb, tmp_path / "kb.db")
    eng.open()
    yield eng
    eng.close()


def _scores(eng: Engine) -> list:
    snap = eng._snapshot
    doc_score._CACHE.pop(snap.index, None)
    out = []
    for q in QUESTIONS:
        terms = analyse(q).terms
        ids = snap.reader.term_ids(terms)
        out.append((doc_score.doc_scores(snap, terms, ids), doc_score.doc_term_sets(snap, terms, ids)))
    return out


def test_stored_title_terms_score_exactly_as_tokenising_titles(engine: Engine, monkeypatch) -> None:
    stored = _scores(engine)
    assert not doc_score.doc_stats(engine._snapshot).titles.complete  # read from the store
    monkeypatch.setattr(type(engine._snapshot.reader), "has_title_terms", lambda self: False)
    in_memory = _scores(engine)
    assert doc_score.doc_stats(engine._snapshot).titles.complete  # the old way, every title tokenised
    assert stored == in_memory
    assert any(scores for scores, _ in stored)


def test_first_question_tokenises_no_title(engine: Engine, monkeypatch) -> None:
    calls = []
    real = doc_score.tokenize
    monkeypatch.setattr(doc_score, "tokenize", lambda text: calls.append(text) or real(text))
    doc_score._CACHE.pop(engine._snapshot.index, None)
    assert engine.ask("When will the ferry timetable change?").answered
    assert calls == []


def test_an_old_database_gains_title_terms_and_answers_the_same(engine: Engine, tmp_path: Path) -> None:
    before = _scores(engine)
    answers = [replace(engine.ask(q), elapsed_ms=0) for q in QUESTIONS]
    db = engine.db_path
    engine.close()
    conn = sqlite3.connect(db)  # what a database written before the table looks like
    conn.execute("DROP TABLE title_terms")
    conn.execute("DELETE FROM meta WHERE key = 'title_terms'")
    conn.commit()
    conn.close()
    again = Engine(engine.knowledge_dir, db)
    again.open_for_queries()  # the CLI's way in: not current, so a writer adds the table
    try:
        rows = sqlite3.connect(db).execute("SELECT COUNT(DISTINCT document) FROM title_terms").fetchone()[0]
        assert rows == len(TITLES)
        assert _scores(again) == before
        assert [replace(again.ask(q), elapsed_ms=0) for q in QUESTIONS] == answers
    finally:
        again.close()


def test_stale_title_rows_are_rewritten(engine: Engine) -> None:
    """Rows an older version left behind (a title changed without them) are found and rewritten."""
    db = engine.db_path
    engine.close()
    conn = sqlite3.connect(db)
    conn.execute("UPDATE documents SET title = 'Airport noise report' WHERE id = 'harbour-00'")
    conn.commit()
    conn.close()
    store = Store(db)
    try:
        terms = {t for (t,) in store.conn.execute(
            "SELECT term FROM title_terms WHERE document = 'harbour-00' AND term != ''")}
    finally:
        store.close()
    assert "airport" in terms and "ferri" not in terms


def test_a_changed_title_is_rewritten_on_reload(engine: Engine) -> None:
    _write(engine.knowledge_dir, 1, "Airport noise report")
    engine.reload()
    snap = engine._snapshot
    stats = doc_score.doc_stats(snap)
    stats.titles.fetch(("airport", "ferri"))
    i = stats.ids.index("harbour-01")
    assert any(d == i for d, _ in stats.titles.get("airport"))
    assert all(d != i for d, _ in stats.titles.get("ferri"))


def test_a_retired_snapshot_is_not_kept_alive_by_its_doc_stats(engine: Engine) -> None:
    """DocStats is cached weakly by the snapshot's index: what it holds must not refer back to it."""
    import gc
    import weakref

    assert engine.ask("When will the ferry timetable change?").answered  # builds the doc stats
    old = weakref.ref(engine._snapshot.index)
    assert old() in doc_score._CACHE
    _write(engine.knowledge_dir, 4, "Pier repairs finished")
    engine.reload()
    assert engine.ask("Were the pier repairs finished?").answered
    gc.collect()
    assert old() is None


def _title_indexes(db: Path) -> dict[str, str]:
    conn = sqlite3.connect(db)
    try:
        return dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'title_terms'"))
    finally:
        conn.close()


def _plan(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return " ".join(str(r[-1]) for r in conn.execute(
            "EXPLAIN QUERY PLAN SELECT term, document, n FROM title_terms WHERE term IN ('ferri', 'harbour')"))
    finally:
        conn.close()


def test_title_postings_are_read_from_a_covering_index(engine: Engine) -> None:
    """A question's title postings never leave the index: (term, document, n) covers the read."""
    indexes = _title_indexes(engine.db_path)
    assert "idx_title_terms_term_document_n" in indexes
    assert "idx_title_terms_term" not in indexes  # replaced, not kept beside it
    assert "COVERING INDEX idx_title_terms_term_document_n" in _plan(engine.db_path)


def test_an_older_database_gains_the_covering_index_and_answers_the_same(engine: Engine) -> None:
    """A database with only the (term) index is read as it is (a reader writes nothing), and a
    writer swaps the index in; the scores and answers are the same all along."""
    before = _scores(engine)
    answers = [replace(engine.ask(q), elapsed_ms=0) for q in QUESTIONS]
    db = engine.db_path
    engine.close()
    conn = sqlite3.connect(db)  # the index as older versions made it
    conn.execute("DROP INDEX idx_title_terms_term_document_n")
    conn.execute('CREATE INDEX "idx_title_terms_term" ON "title_terms" ("term")')
    conn.commit()
    conn.close()
    reader = Engine(engine.knowledge_dir, db)
    reader.open_for_queries()  # current: opened read-only
    try:
        assert "idx_title_terms_term_document_n" not in _title_indexes(db)
        assert "COVERING" not in _plan(db)
        assert _scores(reader) == before
        assert [replace(reader.ask(q), elapsed_ms=0) for q in QUESTIONS] == answers
    finally:
        reader.close()
    Store(db).close()  # a writer opens it
    indexes = _title_indexes(db)
    assert "idx_title_terms_term_document_n" in indexes and "idx_title_terms_term" not in indexes
    writer = Engine(engine.knowledge_dir, db)
    writer.open()
    try:
        assert _scores(writer) == before
        assert [replace(writer.ask(q), elapsed_ms=0) for q in QUESTIONS] == answers
    finally:
        writer.close()


def test_title_postings_arrays_match_the_rows(engine: Engine) -> None:
    """Each term's title postings are the store's rows for it, documents ascending, a term
    asked twice or absent from every title included."""
    snap = engine._snapshot
    doc_score._CACHE.pop(snap.index, None)
    stats = doc_score.doc_stats(snap)
    terms = ("ferri", "harbour", "budget", "ferri", "zzzunknown", "")
    stats.titles.fetch(terms)
    for t in set(terms):
        rows = sorted((stats.index_of[d], n) for term, d, n in snap.reader.title_terms([t]) if term == t)
        assert list(stats.titles.get(t)) == rows
        docs, counts = stats.titles.arrays(t)
        assert docs.tolist() == [i for i, _ in rows] and counts.tolist() == [float(n) for _, n in rows]
    assert dict(stats.titles.get("ferri"))[stats.index_of["harbour-01"]] == 3  # "Ferry, ferry and more ferry"


def test_a_first_build_makes_the_covering_index_after_its_rows(tmp_path: Path, monkeypatch) -> None:
    """A first build drops the index and makes it once at the end, in its one transaction:
    a build that fails part way leaves the index (and the empty table) as they were."""
    kb = tmp_path / "knowledge"
    kb.mkdir()
    for i, title in enumerate(TITLES):
        _write(kb, i, title)
    db = tmp_path / "kb.db"
    real = Store._insert_document
    calls = []

    def failing(self, write):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk on fire")
        return real(self, write)

    monkeypatch.setattr(Store, "_insert_document", failing)
    with pytest.raises(Exception):
        Engine(kb, db).open()
    assert len(calls) == 3
    assert "idx_title_terms_term_document_n" in _title_indexes(db)
    assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM title_terms").fetchone()[0] == 0
    monkeypatch.setattr(Store, "_insert_document", real)
    eng = Engine(kb, db)
    eng.open()
    try:
        assert "COVERING INDEX idx_title_terms_term_document_n" in _plan(db)
        rows = sqlite3.connect(db).execute("SELECT COUNT(DISTINCT document) FROM title_terms").fetchone()[0]
        assert rows == len(TITLES)
        assert eng.ask("When will the ferry timetable change?").answered
    finally:
        eng.close()
