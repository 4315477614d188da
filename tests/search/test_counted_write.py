"""A build's workers send each article's postings counted (`DocumentWrite.compact`:
the article's vocabulary and per-passage arrays) instead of its token lists; the
store writes from them exactly what it writes from the token lists. And the
statements the build attributes (reusing the mentions it found) are the ones
answering would attribute from the stored sentences."""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import bot.build
import bot.store
from bench.corpus import generate
from bot.ingest.attribution import ATTRIBUTION_VERSION, _BOUNDARY_RE, _DocumentReader, _last_boundary_end, _quote_spans, _QUOTE_RE
from bot.ingest.files import read_article, scan_folder
from bot.store import DocumentWrite, PassageReader, Store, StoredDocument, count_terms

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def corpus_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("counted") / "knowledge"
    generate(folder, 120, 5, n_questions=5)
    for extra in [*(ROOT / "knowledge").glob("*.md"), ROOT / "tests" / "data" / "lawmakers-press-tiktok-deal-review.md"]:
        (folder / extra.name).write_bytes(extra.read_bytes())
    return folder


def _ordered_dump(db: Path) -> dict[str, object]:
    """Everything derived, term ids resolved and the postings' order kept."""
    conn = sqlite3.connect(db)
    try:
        terms = dict(conn.execute("SELECT id, term FROM terms"))
        postings = {
            doc: (np.frombuffer(pids, np.int64).tolist(), np.frombuffer(lens, np.int32).tolist(),
                  [terms[int(t)] for t in np.frombuffer(tids, np.int32)], np.frombuffer(local, np.int32).tolist(),
                  np.frombuffer(tfs, np.uint16).tolist())
            for doc, pids, lens, tids, local, tfs in conn.execute(
                "SELECT document, passage_ids, lengths, term_ids, local, tfs FROM postings")
        }
        return {
            "postings": postings,
            "passages": conn.execute("SELECT * FROM passages ORDER BY id").fetchall(),
            "mentions": conn.execute("SELECT document, passage, name, key, role FROM mentions ORDER BY rowid").fetchall(),
            "statements": conn.execute("SELECT document, seq, passage, speaker, key, kind FROM statements "
                                       "ORDER BY document, seq").fetchall(),
            "title_terms": conn.execute("SELECT * FROM title_terms ORDER BY document, term").fetchall(),
        }
    finally:
        conn.close()


def _build(db: Path, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORYBOT_BUILD_WORKERS", "1")
    store = Store(db)
    try:
        bot.build.sync_folder(store, folder)
    finally:
        store.close()


def test_counted_postings_write_what_the_token_lists_write(tmp_path: Path, corpus_folder: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    counted = []
    real = DocumentWrite.compact

    def spy(self: DocumentWrite) -> DocumentWrite:
        out = real(self)
        counted.append(out.terms is not None and out.tokens == [])
        return out

    monkeypatch.setattr(DocumentWrite, "compact", spy)
    _build(tmp_path / "counted.sqlite", corpus_folder, monkeypatch)
    assert counted and all(counted)  # the build did send counted writes
    monkeypatch.setattr(DocumentWrite, "compact", lambda self: self)  # the token lists, as before
    _build(tmp_path / "lists.sqlite", corpus_folder, monkeypatch)
    a, b = _ordered_dump(tmp_path / "counted.sqlite"), _ordered_dump(tmp_path / "lists.sqlite")
    assert a["postings"] and a["statements"]
    for key in a:
        assert a[key] == b[key], key
    # ... and what the postings always held: per passage, each term once in first-seen order.
    entries, _ = scan_folder(corpus_folder)
    for entry in entries:
        write = bot.build.document_write(read_article(entry))  # type: ignore[arg-type]
        counts = [Counter(toks) for toks in write.tokens]
        _, lengths, terms, local, tfs = a["postings"][write.doc.id]
        assert lengths == [len(t) for t in write.tokens]
        assert terms == [t for c in counts for t in c]
        assert local == [i for i, c in enumerate(counts) for _ in c]
        assert tfs == [n for c in counts for n in c.values()]


def _doc(doc_id: str, passages: int) -> StoredDocument:
    return StoredDocument(id=doc_id, title="A title", date=None, date_text=None, authors=(), byline=None,
                          source=None, url=None, path=f"/k/{doc_id}.md", content_hash="h", size=1, mtime_ns=1,
                          paragraphs=1, passages=passages, loaded_at=0.0)


def test_a_vocabulary_wider_than_16_bits_keeps_every_term(tmp_path: Path) -> None:
    wide = [f"w{i}" for i in range(70_000)]
    tokens = [wide + ["w5", "w5"], ["x", "w69999", "x"]]
    t = count_terms(tokens, tokens)
    assert len(t.vocab) == 70_001 and len(t.term_index) == 4 * (70_000 + 2)  # int32 indices
    small = count_terms([["a", "b", "a"], [], ["b"]], None)
    assert small.vocab == ["a", "b"] and np.frombuffer(small.term_index, np.uint16).tolist() == [0, 1, 1]
    assert np.frombuffer(small.distinct, np.int32).tolist() == [2, 0, 1] and small.joined is None
    write = DocumentWrite(_doc("d", 2), [(1, 1, "body", "one"), (1, 2, "body", "two")], tokens, [], tokens)
    for compact in (False, True):
        store = Store(tmp_path / f"{compact}.sqlite")
        try:
            store.write_changes([write.compact() if compact else write], [], {}, {"finished_at": 1.0})
        finally:
            store.close()
    got = _ordered_dump(tmp_path / "True.sqlite")
    assert got == _ordered_dump(tmp_path / "False.sqlite")
    _, lengths, terms, local, tfs = got["postings"]["d"]
    assert lengths == [70_002, 3] and terms[-2:] == ["x", "w69999"] and terms[:3] == ["w0", "w1", "w2"]
    assert local.count(1) == 2 and tfs[5] == 3 and tfs[-2:] == [2, 1]


def test_statements_stored_by_the_build_equal_answering_s_own(tmp_path: Path, corpus_folder: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "s.sqlite"
    _build(db, corpus_folder, monkeypatch)
    reader = PassageReader(db)
    try:
        docs = [d for (d,) in reader.query("SELECT id FROM documents ORDER BY id")]
        stored = reader.statements(docs, ATTRIBUTION_VERSION)
        assert set(stored) == set(docs)
        total = 0
        for doc in docs:
            rows = reader.body_passages(doc)
            mine = [(s.speaker, s.speaker_key, s.text, s.document, s.paragraph, s.sentence, s.passage, s.kind)
                    for s in _DocumentReader(rows).statements()]
            assert [tuple(r) for r in stored[doc]] == mine, doc
            total += len(mine)
        assert total > 50
    finally:
        reader.close()


def test_the_last_boundary_found_from_the_end_is_the_full_scan_s() -> None:
    texts = ["", "said", "a, b", "x" * 200 + ", and then", "because" * 30 + " and " + "y" * 100,
             "He said, while the minister, who " + "spoke " * 30 + "later said",
             "a" * 79 + " and" + "b" * 5, "(" + "z " * 60 + ")" + "w" * 81]
    for text in texts:
        full = 0
        for b in _BOUNDARY_RE.finditer(text):
            full = b.end()
        for window in (1, 5, 80, 1000):
            assert _last_boundary_end(text, window) == full, (text, window)


def test_quote_spans_without_a_mark_are_empty_as_the_regex_says() -> None:
    for text in ("no quotes here.", "“Quoted,” he said.", 'a "b" c', "closing only” here", "it’s fine"):
        assert _quote_spans(text) == [(m.start(), m.end()) for m in _QUOTE_RE.finditer(text)]


def test_a_first_build_gives_each_term_the_id_the_table_would(tmp_path: Path, corpus_folder: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    given: list[int] = []
    real = Store._new_term_ids
    monkeypatch.setattr(Store, "_new_term_ids", lambda self, terms: given.append(len(terms)) or real(self, terms))
    _build(tmp_path / "given.sqlite", corpus_folder, monkeypatch)
    assert given  # an empty table: the write gave the ids itself
    monkeypatch.setattr(Store, "_new_term_ids", Store._term_ids_from_db)  # the table's own rowids
    _build(tmp_path / "table.sqlite", corpus_folder, monkeypatch)

    def rows(db: Path) -> tuple[list[tuple[int, str]], list[bytes]]:
        conn = sqlite3.connect(db)
        try:
            return (conn.execute("SELECT id, term FROM terms ORDER BY id").fetchall(),
                    [r[0] for r in conn.execute("SELECT term_ids FROM postings ORDER BY document")])
        finally:
            conn.close()

    terms, postings = rows(tmp_path / "given.sqlite")
    assert (terms, postings) == rows(tmp_path / "table.sqlite")
    assert [i for i, _ in terms] == list(range(1, len(terms) + 1))
    # A table that holds terms already is asked (a term may be there from an earlier build).
    given.clear()
    monkeypatch.setattr(Store, "_new_term_ids", lambda self, terms: given.append(len(terms)) or real(self, terms))
    store = Store(tmp_path / "given.sqlite")
    try:
        bot.build.sync_folder(store, corpus_folder, force=True)
    finally:
        store.close()
    assert given == [] and rows(tmp_path / "given.sqlite") == (terms, postings)
