"""Issue 13: a "What did X say …" question reads a bounded number of articles
(bot/answers/said.py MAX_DOCUMENTS), whatever the number that name X, and their
statements come from the store (attributed by the build), not from attributing
the articles again. Work is counted (articles read, articles attributed), never timed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answers import said as said_mod
from bot.engine import Engine
from bot.store import PassageReader


def _article(i: int, topic: str) -> str:
    return (f"---\ntitle: Council session {i}\ndate: 2025-{i % 12 + 1:02d}-{i % 27 + 1:02d}\n---\n"
            f"The council met on Monday to discuss item {i}.\n\n"
            f"Mayor Ada Lindqvist said the {topic} would be reviewed before winter.\n\n"
            f"Residents asked about parking near pier {i}.\n")


@pytest.fixture()
def council(tmp_path: Path):
    kb = tmp_path / "knowledge"
    kb.mkdir()
    n = said_mod.MAX_DOCUMENTS + 16
    for i in range(n):
        topic = "ferry timetable" if i == n - 3 else f"budget line {i}"
        (kb / f"session-{i:03d}.md").write_text(_article(i, topic), encoding="utf-8")
    engine = Engine(kb, tmp_path / "council.db")
    engine.open()
    yield engine, n
    engine.close()


class _Counting(said_mod._DocumentReader):
    made = 0

    def __init__(self, rows):  # type: ignore[no-untyped-def]
        type(self).made += 1
        super().__init__(rows)


class _Reads:
    """Articles whose stored statements were read, and the statements that read them."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.documents = 0  # articles whose statements (whole, or their speakers) were read
        self.calls = 0
        self.whole = 0  # articles whose statements were read whole (`statements`)
        for name in ("statements", "statement_speakers"):
            self._count(monkeypatch, name)
        monkeypatch.setattr(said_mod, "_DocumentReader", _Counting)
        _Counting.made = 0

    def _count(self, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
        original = getattr(PassageReader, name)

        def counting(reader, documents, version):  # type: ignore[no-untyped-def]
            documents = list(documents)
            self.documents += len(documents)
            self.calls += 1
            if name == "statements":
                self.whole += len(documents)
            return original(reader, documents, version)

        monkeypatch.setattr(PassageReader, name, counting)


def test_said_reads_at_most_max_documents(council, monkeypatch: pytest.MonkeyPatch) -> None:
    engine, n = council
    reads = _Reads(monkeypatch)
    snap = engine._snapshot
    result = said_mod.said(snap, "Ada Lindqvist")
    assert n > said_mod.MAX_DOCUMENTS
    assert 0 < reads.documents <= said_mod.MAX_DOCUMENTS and reads.calls == 1
    assert _Counting.made == 0  # the build attributed them: nothing is attributed while answering
    assert result.statements and all(s.speaker == "Ada Lindqvist" for s in result.statements)
    # What each article read yields is exactly what attributing that article alone yields.
    for st in result.statements:
        assert st in said_mod._DocumentReader(snap.reader.body_passages(st.document)).statements()


def test_said_question_reads_the_articles_that_fit_the_topic(council, monkeypatch: pytest.MonkeyPatch) -> None:
    """Among more articles than are read, the one whose statement fits the question's topic is read."""
    engine, n = council
    reads = _Reads(monkeypatch)
    answer = engine.ask("What did Ada Lindqvist say about the ferry timetable?")
    assert reads.documents <= said_mod.MAX_DOCUMENTS and _Counting.made == 0
    assert answer.answered and "ferry timetable" in answer.quotes[0].text
    assert answer.quotes[0].citation.document == f"session-{n - 3:03d}"


def test_few_candidates_give_what_unbounded_attribution_gives(council, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no more candidates than the bound, every one is read: the same result as no bound;
    with one more candidate than the bound, exactly the bound is read."""
    engine, n = council
    snap = engine._snapshot
    reads = _Reads(monkeypatch)

    def run(bound: int):
        snap.__dict__.pop("_said_cache", None)
        snap.__dict__.pop("_said_speakers", None)
        monkeypatch.setattr(said_mod, "MAX_DOCUMENTS", bound)
        reads.documents = 0
        return said_mod.said(snap, "Ada Lindqvist", limit=1000), reads.documents

    unbounded, read_all = run(10_000)
    assert read_all == n and len(unbounded.statements) == n
    assert run(n) == (unbounded, n)
    fewer, read = run(n - 1)
    assert read == n - 1 and set(fewer.statements) < set(unbounded.statements)


def test_stored_statements_are_what_attributing_each_article_gives(council) -> None:
    """The build's statements (bot/ingest/attribution.py, stored per article) are exactly
    what attributing the article's stored sentences at answer time gives, for every article."""
    engine, n = council
    snap = engine._snapshot
    stored = snap.reader.statements(sorted(snap.documents), said_mod.ATTRIBUTION_VERSION)
    assert set(stored) == set(snap.documents)
    assert sum(len(v) for v in stored.values()) >= n
    for doc in snap.documents:
        expected = said_mod._DocumentReader(snap.reader.body_passages(doc)).statements()
        assert [said_mod.Statement(*r) for r in stored[doc]] == expected


def test_articles_stored_without_statements_are_attributed_when_asked(council, monkeypatch: pytest.MonkeyPatch) -> None:
    """Statements stored by other rules (another ATTRIBUTION_VERSION), or none at all (a
    database from before them), are not trusted: those articles are attributed while
    answering, with the same result."""
    engine, n = council
    snap = engine._snapshot
    expected = said_mod.said(snap, "Ada Lindqvist", limit=1000)
    reads = _Reads(monkeypatch)
    snap.__dict__.pop("_said_cache", None)
    snap.__dict__.pop("_said_speakers", None)
    monkeypatch.setattr(said_mod, "ATTRIBUTION_VERSION", "other rules")
    got = said_mod.said(snap, "Ada Lindqvist", limit=1000)
    assert got == expected
    assert _Counting.made == reads.whole > 0


def test_a_database_without_the_statements_table_is_answered_the_same(council, tmp_path: Path) -> None:
    """A database written before the table existed (dropped here) reads no statements
    and does not fail: its articles are attributed while answering, with the same result."""
    import shutil
    import sqlite3

    engine, n = council
    expected = said_mod.said(engine._snapshot, "Ada Lindqvist", limit=1000)
    engine.close()
    db = tmp_path / "old.db"
    for suffix in ("", "-wal"):
        if Path(f"{engine.db_path}{suffix}").exists():
            shutil.copy(f"{engine.db_path}{suffix}", f"{db}{suffix}")
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TABLE statements")
    reader = PassageReader(db, readonly=True)
    try:
        assert reader.statements(["session-000"], said_mod.ATTRIBUTION_VERSION) == {}
        assert not reader.failed
    finally:
        reader.close()
    old = Engine(tmp_path / "knowledge", db)
    old.open(refresh=False)
    try:
        got = said_mod.said(old._snapshot, "Ada Lindqvist", limit=1000)
        assert got == expected and len(got.statements) == said_mod.MAX_DOCUMENTS
    finally:
        old.close()


def test_a_speakers_documents_are_found_once_per_snapshot(council, monkeypatch: pytest.MonkeyPatch) -> None:
    """The documents that name a speaker are a fact of the snapshot: a second question
    about the same speaker (another topic) does not search the name again, and answers
    as a fresh snapshot would."""
    engine, n = council
    snap = engine._snapshot
    calls: list[int] = []
    original = type(snap.index).top_k

    def counting(index, ids, k, position_range=None):  # type: ignore[no-untyped-def]
        calls.append(k)
        return original(index, ids, k, position_range)

    monkeypatch.setattr(type(snap.index), "top_k", counting)
    snap.__dict__.pop("_said_names", None)
    said_mod.said(snap, "Ada Lindqvist", topic=("budget",))
    first = len(calls)
    calls.clear()
    got = said_mod.said(snap, "Ada Lindqvist", topic=("ferry",))
    assert len(calls) == first - 1  # the name's own top 200 is not searched again
    snap.__dict__.pop("_said_names", None)
    assert said_mod.said(snap, "Ada Lindqvist", topic=("ferry",)) == got


def test_speaker_matches_reads_every_word_of_the_key() -> None:
    """speaker_matches (its key words cached per key): every query word must be one of the key's words."""
    for _ in range(2):  # (the second time from the cache)
        assert said_mod.speaker_matches(["ada", "lindqvist"], "mayor ada lindqvist")
        assert said_mod.speaker_matches(["o'neil"], "dara o’neil")
        assert not said_mod.speaker_matches(["ada", "smith"], "mayor ada lindqvist")
        assert not said_mod.speaker_matches(["lind"], "mayor ada lindqvist")
        assert not said_mod.speaker_matches([], "mayor ada lindqvist")


def test_the_documents_naming_a_speaker_most_are_counted_once_per_snapshot(council, monkeypatch: pytest.MonkeyPatch) -> None:
    """When the best sentences leave room, the articles that name the speaker most fill it:
    those counts are a fact of the snapshot, read once per name, in the same order."""
    engine, n = council
    snap = engine._snapshot
    keys = snap.mention_keys_with(["ada", "lindqvist"])
    docs = set(snap.reader.documents_mentioning(keys))
    assert keys and len(docs) > said_mod.MAX_DOCUMENTS
    rank = snap.document_rank
    counts = snap.reader.mention_counts_by_document(keys)
    most = [d for d, _ in sorted(counts, key=lambda dc: (-dc[1], -rank.get(dc[0], 0)))]
    expected = most[:said_mod.MAX_DOCUMENTS]
    reads: list[list[str]] = []
    original = PassageReader.mention_counts_by_document

    def counting(reader, keys):  # type: ignore[no-untyped-def]
        reads.append(list(keys))
        return original(reader, keys)

    monkeypatch.setattr(PassageReader, "mention_counts_by_document", counting)
    snap.__dict__.pop("_said_counts", None)
    # (no name terms nor topic: no sentence is searched, the counts alone order them)
    first = said_mod._most_relevant(snap, docs, [], (), keys)
    again = said_mod._most_relevant(snap, docs, [], (), keys)
    assert first == again == expected and len(reads) == 1
    # another candidate set (another topic's) takes its own from the same counts, not read again
    other = set(sorted(docs)[::2]) | {d for d in snap.documents if d not in docs}
    assert said_mod._most_relevant(snap, other, [], (), keys) == [d for d in most if d in other][:said_mod.MAX_DOCUMENTS]
    assert len(reads) == 1
