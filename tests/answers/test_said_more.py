"""Issue 13: a "What did X say …" answer is X's own statements, then what retrieval
found behind "More". When X's statements alone fill the answer and "More",
retrieval is not run (its hits could not show); otherwise it is, and its hits
follow X's. Work is counted (retrieval calls), never timed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answers import ask as ask_mod
from bot.answers import said as said_mod
from bot.answers.said import said_answer
from bot.engine import Engine
from bot.store import PassageReader


def _article(i: int) -> str:
    extra = (f"Harbour master Bo Berg said pier {i} needs new railings.\n\n" if i < 2
             else f"Bo Berg inspected the railings of pier {i} on Tuesday.\n\n" if i < 4 else "")
    return (f"---\ntitle: Council session {i}\ndate: 2025-{i % 12 + 1:02d}-{i % 27 + 1:02d}\n---\n"
            f"The council met on Monday to discuss the railings of pier {i}.\n\n"
            f"Mayor Ada Lindqvist said the budget line {i} would be reviewed before winter.\n\n"
            f"{extra}Residents asked about parking near pier {i}.\n")


@pytest.fixture()
def council(tmp_path: Path):
    kb = tmp_path / "knowledge"
    kb.mkdir()
    for i in range(14):
        (kb / f"session-{i:03d}.md").write_text(_article(i), encoding="utf-8")
    engine = Engine(kb, tmp_path / "council.db")
    engine.open()
    yield engine
    engine.close()


class _Retrievals:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        original = ask_mod.retrieve

        def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
            self.calls += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(ask_mod, "retrieve", counting)


def _with_retrieval(engine: Engine, question: str, k: int = 3) -> tuple[tuple, tuple]:
    """(quotes, more) as composed when retrieval always ran: X's statements, then the
    retrieved quotes that are not X's."""
    snap = engine._snapshot
    analysed = ask_mod.analyse(question)
    attributed = said_answer(snap, analysed.text, k)
    assert attributed
    result = ask_mod.retrieve(snap, analysed, k=k)
    own = {q.passage for q in attributed}
    rest = [q for q in ask_mod.merge_duplicates(snap, list(result.hits)) if q.passage not in own] \
        if result.answered else []
    return tuple(attributed[:k]), tuple((attributed[k:] + rest)[:ask_mod.MORE_QUOTES])


def test_statements_that_fill_the_answer_and_more_skip_retrieval(council, monkeypatch: pytest.MonkeyPatch) -> None:
    question = "What did Ada Lindqvist say?"
    expected = _with_retrieval(council, question)
    retrievals = _Retrievals(monkeypatch)
    answer = council.ask(question)
    assert retrievals.calls == 0
    assert (answer.quotes, answer.more) == expected
    assert len(answer.quotes) == 3 and len(answer.more) == ask_mod.MORE_QUOTES
    assert all("Ada Lindqvist said" in q.text for q in answer.quotes + answer.more)


def test_fewer_statements_are_followed_by_what_retrieval_found(council, monkeypatch: pytest.MonkeyPatch) -> None:
    question = "What did Bo Berg say about the pier railings?"
    expected = _with_retrieval(council, question)
    retrievals = _Retrievals(monkeypatch)
    answer = council.ask(question)
    assert retrievals.calls == 1
    assert (answer.quotes, answer.more) == expected
    assert len(answer.quotes) == 2 and all("Bo Berg said" in q.text for q in answer.quotes)
    assert answer.more and all("Bo Berg inspected" in q.text for q in answer.more)


# ---------------------------------------------------------------------------- X's statements


def _whole(snap, name: str, limit: int) -> said_mod.SaidResult:
    """said() as composed from every statement read whole (documents_statements)."""
    words = said_mod.query_words(name)
    docs = said_mod._candidate_documents(snap, words)
    found = [s for sts in said_mod.documents_statements(snap, docs).values() for s in sts
             if said_mod.speaker_matches(words, s.speaker_key)]
    names: dict[str, int] = {}
    for s in found:
        names[s.speaker] = names.get(s.speaker, 0) + 1
    return said_mod.SaidResult(name, max(names, key=lambda n: (names[n], len(n))), tuple(found[:limit]))


def test_statement_speakers_are_the_stored_statements_without_their_sentences(council) -> None:
    snap = council._snapshot
    docs = sorted(snap.documents)
    whole = snap.reader.statements(docs, said_mod.ATTRIBUTION_VERSION)
    speakers = snap.reader.statement_speakers(docs, said_mod.ATTRIBUTION_VERSION)
    assert set(speakers) == set(whole) == set(docs)
    assert speakers == {d: [(sp, key, passage, kind) for sp, key, _, _, _, _, passage, kind in rows]
                        for d, rows in whole.items()}
    assert snap.reader.statement_speakers(docs, "other rules") == {}


class _PassageReads:
    def __init__(self, monkeypatch: pytest.MonkeyPatch, drop: int | None = None) -> None:
        self.ids: list[int] = []
        original = PassageReader.passages

        def counting(reader, ids):  # type: ignore[no-untyped-def]
            ids = list(ids)
            self.ids.extend(ids)
            rows = original(reader, ids)
            return {i: r for i, r in rows.items() if i != drop}

        monkeypatch.setattr(PassageReader, "passages", counting)


@pytest.mark.parametrize("name", ["Ada Lindqvist", "Bo Berg", "ada", "Lindqvist"])
@pytest.mark.parametrize("limit", [1, 5, 1000])
def test_said_reads_the_sentences_of_the_statements_it_gives(council, monkeypatch: pytest.MonkeyPatch,
                                                             name: str, limit: int) -> None:
    snap = council._snapshot
    expected = _whole(snap, name, limit)
    snap.__dict__.pop("_said_speakers", None)
    reads = _PassageReads(monkeypatch)
    got = said_mod.said(snap, name, limit=limit)
    assert got == expected and got.statements
    assert sorted(reads.ids) == sorted(s.passage for s in got.statements)


def test_a_sentence_gone_from_the_store_gives_what_reading_statements_whole_gives(
        council, monkeypatch: pytest.MonkeyPatch) -> None:
    snap = council._snapshot
    expected = _whole(snap, "Ada Lindqvist", 5)
    snap.__dict__.pop("_said_cache", None)
    snap.__dict__.pop("_said_speakers", None)
    whole: list[str] = []
    original = PassageReader.statements

    def counting(reader, documents, version):  # type: ignore[no-untyped-def]
        documents = list(documents)
        whole.extend(documents)
        return original(reader, documents, version)

    monkeypatch.setattr(PassageReader, "statements", counting)
    _PassageReads(monkeypatch, drop=expected.statements[2].passage)
    assert said_mod.said(snap, "Ada Lindqvist", limit=5) == expected
    assert whole  # read whole, as before


def test_topic_overlap_reads_the_stored_terms_of_the_statements(council, monkeypatch: pytest.MonkeyPatch) -> None:
    """said_answer weighs X's statements against the topic with their stored index terms
    (no statement tokenised again), and ranks them as tokenising each gives."""
    snap = council._snapshot
    questions = ["What did Ada Lindqvist say about the budget line 3 before winter?",
                 "What did Bo Berg say about the pier railings?", "What did Ada Lindqvist say about 7?"]
    tokenised: list[str] = []
    original = said_mod._terms_of

    def counting(text: str) -> frozenset[str]:
        tokenised.append(text)
        return original(text)

    monkeypatch.setattr(said_mod, "_terms_of", counting)
    snap.__dict__.pop("_said_speakers", None)
    got = [said_answer(snap, q, 3) for q in questions]
    assert not tokenised and all(got)
    monkeypatch.setattr(said_mod, "_stored_terms", lambda snapshot: {})
    assert [said_answer(snap, q, 3) for q in questions] == got
    assert tokenised
    assert "budget line 3 " in got[0][0].text


def test_statement_speakers_come_in_reading_order_whatever_the_rows_order(tmp_path: Path) -> None:
    """statement_speakers sorts its rows itself (no SQL ORDER BY): rows stored against
    reading order still come back in it, and other rules' rows are not trusted."""
    import sqlite3

    db = tmp_path / "db.sqlite"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE statements (document TEXT, seq INTEGER, passage INTEGER, speaker TEXT, "
                 "key TEXT, kind TEXT)")
    conn.execute("CREATE INDEX idx_statements_document ON statements (document)")
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    docs = ["zeta", "Éclair", "alpha"]
    rows = []
    for d, doc in enumerate(docs):
        rows.append((doc, -1, None, "", "", "v1"))
        rows += [(doc, seq, 100 * d + seq, f"Speaker {seq}", f"speaker {seq}", "reported") for seq in range(5)]
    for r in reversed(rows):  # rowids against reading order
        conn.execute("INSERT INTO statements VALUES (?, ?, ?, ?, ?, ?)", r)
    conn.commit()
    conn.close()
    reader = PassageReader(db, readonly=True)
    try:
        got = reader.statement_speakers(docs, "v1")
        assert set(got) == set(docs)
        for d, doc in enumerate(docs):
            assert got[doc] == [(f"Speaker {seq}", f"speaker {seq}", 100 * d + seq, "reported") for seq in range(5)]
        assert reader.statement_speakers(docs, "v2") == {}
    finally:
        reader.close()


def test_the_bounded_statement_caches_still_give_every_article_asked_after_a_clear(
        council, monkeypatch: pytest.MonkeyPatch) -> None:
    """A per-snapshot cache that would pass CACHE_DOCUMENTS is emptied before it is filled
    again; the articles asked for that it held before must come back too, not a KeyError."""
    snap = council._snapshot
    docs = sorted(snap.documents)[:3]
    monkeypatch.setattr(said_mod, "CACHE_DOCUMENTS", 2)
    first = said_mod.documents_statements(snap, docs[:1])
    got = said_mod.documents_statements(snap, docs)  # 1 kept + 2 more would pass the bound of 2
    assert list(got) == docs and got[docs[0]] == first[docs[0]]
    whole = _whole(snap, "Ada Lindqvist", 1000)
    assert said_mod.said(snap, "Ada Lindqvist", limit=1000) == whole
    assert said_mod.said(snap, "Ada Lindqvist", limit=1000) == whole  # the speakers' cache over its bound


@pytest.mark.parametrize("seq", [None, "x"])
def test_a_statement_row_with_a_damaged_seq_leaves_its_article_out_and_asking_still_answers(
        tmp_path: Path, seq: object) -> None:
    """A damaged database (a statement's seq NULL or text) cannot be put in reading
    order: that article is left out of both readers (answering attributes it itself),
    the others are read as before, and a "What did X say" question is still answered."""
    import sqlite3

    kb = tmp_path / "knowledge"
    kb.mkdir()
    for i in range(3):
        (kb / f"session-{i:03d}.md").write_text(_article(i), encoding="utf-8")
    db = tmp_path / "council.db"
    engine = Engine(kb, db)
    engine.open()
    reader = engine._snapshot.reader
    docs = sorted(engine._snapshot.doc_ranges)
    version = next(iter({k for _, _, k, *_ in reader.query("SELECT document, seq, kind FROM statements WHERE seq < 0")}))
    before = reader.statement_speakers(docs, version)
    assert set(before) == set(docs)
    try:
        # (damaged under the open engine: a writer's start-up check would repair the file)
        with sqlite3.connect(db) as conn:
            conn.execute("UPDATE statements SET seq = ? WHERE document = ? AND seq = 0", (seq, docs[0]))
        speakers = reader.statement_speakers(docs, version)
        whole = reader.statements(docs, version)
        assert set(speakers) == set(whole) == set(docs[1:])
        assert speakers[docs[1]] == before[docs[1]]
        answer = engine.ask("What did Ada Lindqvist say about the budget?")
        assert answer.answered and answer.quotes
    finally:
        engine.close()
