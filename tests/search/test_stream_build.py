"""A large build streams: each parsed article is written into the build's one
transaction as it comes (memory holds one article, not the whole build), and what
it writes equals a build that parses everything first. Each sentence's tokens are
stored with it, and retrieval reads them instead of re-tokenising its candidates."""

from __future__ import annotations

from pathlib import Path

import pytest

import bot.build
import bot.search.retrieve
import bot.store
from bench.corpus import generate
from bot.engine import Engine
from bot.text.tokenize import tokenize
from search.dbdump import dump_database


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory):
    return generate(tmp_path_factory.mktemp("stream") / "knowledge", 400, 5, n_questions=30)


def _build(db: Path, folder: Path, stream_min: int, monkeypatch: pytest.MonkeyPatch,
           **kw: object) -> bot.build.BuildReport:
    monkeypatch.setenv("STORYBOT_BUILD_WORKERS", "1")
    monkeypatch.setattr(bot.build, "STREAM_MIN_FILES", stream_min)
    store = bot.store.Store(db)
    try:
        return bot.build.sync_folder(store, folder, **kw)  # type: ignore[arg-type]
    finally:
        store.close()


def test_streaming_build_writes_what_a_parse_first_build_writes(tmp_path: Path, corpus,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    first = _build(tmp_path / "first.sqlite", corpus.folder, 10**9, monkeypatch)
    streamed = _build(tmp_path / "stream.sqlite", corpus.folder, 1, monkeypatch)
    assert len(streamed.added) == len(corpus.files) == len(first.added)
    assert (streamed.documents, streamed.passages) == (first.documents, first.passages) != (0, 0)
    first = dump_database(tmp_path / "first.sqlite", generation=True)
    assert first == dump_database(tmp_path / "stream.sqlite", generation=True)


def test_streaming_build_holds_one_article_at_a_time(tmp_path: Path, corpus,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Counted: when an article is written, at most one parsed article is waiting
    (the parse-first build has every article parsed before the first write)."""
    events: list[str] = []
    real_write = bot.build.document_write
    real_insert = bot.store.Store._insert_document

    def write(*a, **k):
        events.append("parsed")
        return real_write(*a, **k)

    def insert(self, w):
        events.append("written")
        return real_insert(self, w)

    monkeypatch.setattr(bot.build, "document_write", write)
    monkeypatch.setattr(bot.store.Store, "_insert_document", insert)

    def most_waiting() -> int:
        waiting = most = 0
        for e in events:
            waiting += 1 if e == "parsed" else -1
            most = max(most, waiting)
        return most

    _build(tmp_path / "stream.sqlite", corpus.folder, 1, monkeypatch)
    assert events.count("written") == len(corpus.files)
    assert most_waiting() == 1
    events.clear()
    _build(tmp_path / "first.sqlite", corpus.folder, 10**9, monkeypatch)
    assert most_waiting() == len(corpus.files)


def test_a_stopped_streaming_build_writes_nothing(tmp_path: Path, corpus, monkeypatch: pytest.MonkeyPatch) -> None:
    """Stopped halfway (articles already inserted in the transaction): rolled back whole."""
    db = tmp_path / "kb.sqlite"
    half = corpus.folder.parent / "half"
    half.mkdir()
    for path in corpus.files[: len(corpus.files) // 2]:
        (half / path.name).write_bytes(path.read_bytes())
    _build(db, half, 1, monkeypatch)
    before = dump_database(db, generation=True)
    asked = {"n": 0}

    def stop() -> bool:
        asked["n"] += 1
        return asked["n"] > len(corpus.files) // 2 + 2  # after some new articles were inserted

    with pytest.raises(bot.build.BuildCancelled):
        _build(db, corpus.folder, 1, monkeypatch, should_stop=stop)
    assert dump_database(db, generation=True) == before


def test_stored_tokens_are_tokenize_and_retrieval_reads_them(tmp_path: Path, corpus,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    engine = Engine(corpus.folder, tmp_path / "kb.sqlite")
    engine.open()
    try:
        snap = engine._snapshot
        assert snap is not None
        ids = [int(i) for i in snap.passage_ids]
        rows = snap.reader.passages(ids)
        assert len(rows) == len(ids) > 400
        kinds = {r.kind for r in rows.values()}
        assert {"body", "byline", "date"} <= kinds
        for row in rows.values():
            assert row.tokens == tuple(tokenize(row.text)), row  # bylines too: no hint words
        texts = {r.text for r in rows.values()}
        tokenised: list[str] = []
        real = bot.search.retrieve.tokenize

        def counting(text: str) -> list[str]:
            tokenised.append(text)
            return real(text)

        monkeypatch.setattr(bot.search.retrieve, "tokenize", counting)
        answered = sum(engine.ask(q).answered for q in corpus.questions)
        assert answered > 0
        assert not texts.intersection(tokenised)  # no candidate sentence was re-tokenised
        # A row stored without tokens (NULL) is tokenised: the same list.
        row = next(iter(rows.values()))
        bare = bot.store.PassageRow(row.id, row.document, row.paragraph, row.sentence, row.kind, row.text)
        assert bot.search.retrieve.candidate_tokens([bare]) == bot.search.retrieve.candidate_tokens([row]) \
            == {row.id: list(row.tokens or ())}
        assert row.text in tokenised
    finally:
        engine.close()


def test_token_cells_round_trip() -> None:
    for tokens in ([], ["us"], ["20%", "tiktok", "bytedanc"], ["a"] * 3):
        assert bot.store.split_tokens(bot.store._join_tokens(tokens)) == tuple(tokens)
    assert bot.store._join_tokens(["new york"]) is None  # a separator inside a token: not stored
    assert bot.store.split_tokens(None) is None
