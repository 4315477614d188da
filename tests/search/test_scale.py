"""What makes startup and reload cheap at scale (benchmarks, not timings: no clocks here).

- a restart over an unchanged folder reads no article and tokenises nothing:
  the index comes from the postings stored in the database;
- changing one article parses and tokenises that article only;
- the incrementally updated index answers exactly like a fresh build;
- the parallel build (worker processes, used for large builds) writes what the
  sequential one writes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import bot.build
import bot.ingest.files
from bench.corpus import generate
from bot.engine import Engine
from bot.search.question import analyse
from search.dbdump import dump_database


class Counter:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.parse = 0
        self.tokenize = 0
        real_parse = bot.ingest.files.parse_document
        real_tokenize = bot.build.tokenize

        def parse(*a, **k):
            self.parse += 1
            return real_parse(*a, **k)

        def tokenize(*a, **k):
            self.tokenize += 1
            return real_tokenize(*a, **k)

        monkeypatch.setattr(bot.ingest.files, "parse_document", parse)
        monkeypatch.setattr(bot.build, "tokenize", tokenize)
        monkeypatch.setenv("STORYBOT_BUILD_WORKERS", "1")  # count in this process


# Builds and rebuilds generated corpora: the long end of the suite.
pytestmark = pytest.mark.slow


def scores_by_passage_text(engine: Engine, questions: list[str]) -> list[dict[str, float]]:
    """Top-20 BM25 scores per question keyed by passage text (ids differ between builds).

    Passages tied with the 20th score are left out: which of them make the cut
    depends on positions, and an incremental index places a changed article last."""
    snap = engine._snapshot
    assert snap is not None
    out = []
    for q in questions:
        terms = analyse(q).terms
        known = snap.reader.term_ids(terms)
        top = snap.index.top_k([known.get(t) for t in terms], 20)
        pids = [int(snap.passage_ids[p]) for p, _ in top]
        rows = snap.reader.passages(pids)
        cut = round(top[-1][1], 9) if len(top) == 20 else -1.0
        out.append({f"{rows[pid].document}/{rows[pid].text}": round(s, 9) for pid, (_, s) in zip(pids, top)
                    if round(s, 9) > cut})
        out[-1]["20th score"] = cut
    return out


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory):
    return generate(tmp_path_factory.mktemp("scale") / "knowledge", 1500, 3, n_questions=40)


def test_restart_reads_and_tokenises_nothing(tmp_path: Path, corpus, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "kb.sqlite"
    first = Engine(corpus.folder, db)
    first.open()
    before = [first.ask(q) for q in corpus.questions]
    first.close()

    counter = Counter(monkeypatch)
    again = Engine(corpus.folder, db)
    report = again.open()
    try:
        assert report is not None and not report.changed_anything
        assert counter.parse == 0 and counter.tokenize == 0
        assert [again.ask(q).quotes for q in corpus.questions] == [a.quotes for a in before]
    finally:
        again.close()


def test_one_changed_article_is_the_only_one_reindexed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kb = tmp_path / "knowledge"
    data = generate(kb, 1200, 4, n_questions=30)
    engine = Engine(kb, tmp_path / "kb.sqlite")
    engine.open()
    try:
        counter = Counter(monkeypatch)
        target = data.files[len(data.files) // 2]
        target.write_text(target.read_text() + "\nThe harbour board approved a sixth crane on Friday.\n")
        report = engine.reload()
        assert report.changed == [target.stem] and not report.added and not report.removed
        assert counter.parse == 1
        stored = engine._snapshot.documents[target.stem]  # type: ignore[union-attr]
        # that article's passages (+ the hint words of its byline and date lines), nothing else
        assert counter.tokenize == stored.passages + 2
        answer = engine.ask("What did the harbour board approve?")
        assert answer.answered and "sixth crane" in answer.quotes[0].text

        # The updated index equals a fresh build of the same folder.
        fresh = Engine(kb, tmp_path / "fresh.sqlite")
        fresh.open()
        try:
            assert scores_by_passage_text(engine, data.questions) == scores_by_passage_text(fresh, data.questions)
            a, b = engine._snapshot.index, fresh._snapshot.index  # type: ignore[union-attr]
            assert a.n_passages == b.n_passages
            assert a.avgdl == pytest.approx(b.avgdl, abs=1e-12)
            assert np.array_equal(np.sort(a.df[a.df > 0]), np.sort(b.df[b.df > 0]))
        finally:
            fresh.close()
    finally:
        engine.close()


def test_parallel_build_writes_what_the_sequential_build_writes(tmp_path: Path, corpus,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORYBOT_BUILD_WORKERS", "1")
    seq = bot.store.Store(tmp_path / "seq.sqlite")
    bot.build.sync_folder(seq, corpus.folder)
    seq.close()
    monkeypatch.setenv("STORYBOT_BUILD_WORKERS", "2")
    monkeypatch.setattr(bot.build, "PARALLEL_MIN_FILES", 1)
    par = bot.store.Store(tmp_path / "par.sqlite")
    report = bot.build.sync_folder(par, corpus.folder)
    par.close()
    assert len(report.added) == len(corpus.files)
    assert dump_database(tmp_path / "seq.sqlite") == dump_database(tmp_path / "par.sqlite")


def test_mass_touch_costs_hashes_not_parses(tmp_path: Path, corpus, monkeypatch: pytest.MonkeyPatch) -> None:
    """A checkout or copy that gives every file a new mtime, or the same folder given by
    another path, re-reads and hashes the files but parses none of them."""
    import os
    import shutil

    kb = tmp_path / "knowledge"
    shutil.copytree(corpus.folder, kb)
    engine = Engine(kb, tmp_path / "kb.sqlite")
    engine.open()
    engine.close()
    for f in kb.iterdir():
        st = f.stat()
        os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 7_000_000_000))
    monkeypatch.setattr(bot.build, "PARALLEL_MIN_FILES", 10)
    counter = Counter(monkeypatch)
    for folder in (kb, tmp_path / "link"):
        if folder.name == "link":
            folder.symlink_to(kb, target_is_directory=True)
        engine = Engine(folder, tmp_path / "kb.sqlite")
        report = engine.open()
        try:
            assert report is not None and not report.changed_anything and report.unchanged == len(corpus.files)
            assert counter.parse == 0 and counter.tokenize == 0
        finally:
            engine.close()


def test_snapshot_name_lookups_equal_the_scans(tmp_path: Path, corpus) -> None:
    """The per-snapshot look-ups offered to `who()` find what its scans find."""
    import re

    from bot.ingest.entities import name_key

    engine = Engine(corpus.folder, tmp_path / "kb.sqlite")
    engine.open()
    try:
        snap = engine._snapshot
        assert snap is not None
        keys = [k for (k,) in snap.reader.query("SELECT DISTINCT key FROM mentions ORDER BY key")]
        authors = sorted({a for d in snap.documents.values() for a in d.authors})
        probes = keys[::7] + authors[::3] + [a.split()[0] for a in authors[::5]] + ["zzz", "ministry", "the of"]
        for probe in probes:
            words = [w for w in re.findall(r"[\w.&'-]+", name_key(probe)) if w]
            if not words:
                continue
            like = snap.reader.query("SELECT DISTINCT key FROM mentions WHERE key LIKE ?",
                                     (f"%{max(words, key=len)}%",))
            assert snap.mention_keys_with(words) == sorted(k for (k,) in like if set(words) <= set(k.split()))
            scan = [(d.id, [a for a in d.authors if set(words) <= set(name_key(a).split())])
                    for d in snap.documents.values()
                    if any(set(words) <= set(name_key(a).split()) for a in d.authors)]
            assert snap.documents_by_author(words) == scan
        dated = sorted(snap.documents, key=lambda d: (snap.documents[d].date or "", d))
        assert snap.document_rank == {d: i for i, d in enumerate(dated)}
    finally:
        engine.close()
