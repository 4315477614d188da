"""One benchmark: build, restart, reload and query StoryBot at several corpus sizes,
against plain rank-bm25 over the same passages.

    python -m bench.run                      # sizes 1k,10k,30k,100k,1m
    python -m bench.run --sizes 1k,10k --markdown /tmp/bench-table.md

For each size it generates (once, cached under --data) a news-like corpus with
`bench.corpus`, then runs every phase in a fresh Python process, so each
peak-memory figure (ru_maxrss) belongs to that phase alone:

- build:    empty database → `Engine.open()` (parse, split, tokenise, write, load);
- serve:    `Engine.open()` on the existing database and unchanged folder
            (startup), then `Engine.ask` over a few hundred questions drawn from
            the corpus (p50/p99, end-to-end: retrieve + compose), the same with the
            Discord embed built (`bot.render.discord_embed.answer_embed`), and
            `reload()` after one article changed (then restored, reloaded again);
- baseline: rank-bm25 `BM25Okapi` over all passages (the same tokens, read back
            from the database), `get_scores` per question; its top 10 are compared
            with `PostingsIndex` (okapi variant) on the same questions.
- cold:     `python -m bot ask --json` in a fresh process on the built database
            (the CLI's cold start), median of 5;
- engines:  StoryBot's index, tantivy, bm25s and SQLite FTS5 over the same tokens
            and queries, queries interleaved: top-10 p50/p99, open + first query,
            build from tokens (`pip install -e ".[bench]"`; a missing one is skipped);
            also StoryBot's top 60 and one article's top 10 (what retrieve() asks),
            each right after StoryBot's top 10 of the same question (warm caches).

The serve phase also times `reload()` with nothing changed (what `index` does then).

Timings are wall-clock on whatever machine runs it; the table in
the README ("Performance at scale") says which machine produced it.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
GENERATOR_VERSION = "1"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def cpu_s(who: int = resource.RUSAGE_SELF) -> float:
    """User + system CPU seconds (RUSAGE_CHILDREN: of the finished worker processes):
    unlike wall-clock, it does not grow when other jobs share the cores."""
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def load_average() -> float:
    return os.getloadavg()[0]


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


# -- child phases ---------------------------------------------------------------------------
def phase_build(args: argparse.Namespace) -> dict:
    from bot.engine import Engine

    db = Path(args.db)
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    load = [load_average()]
    t0 = time.perf_counter()
    engine = Engine(args.kb, db)
    report = engine.open()
    total = time.perf_counter() - t0
    load.append(load_average())
    status = engine.status()
    engine.close()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"build_s": total, "sync_s": report.duration_ms / 1000 if report else None,
            "passages": status.passages, "documents": status.documents, "peak_mb": peak_mb(),
            # the parsing workers (spawned, joined at the end of the build): their CPU and
            # the largest one's peak; the build's CPU over 2 cores is what an idle 2-core
            # machine would take at best
            "cpu_s": cpu_s(), "workers_cpu_s": cpu_s(resource.RUSAGE_CHILDREN),
            "workers_peak_mb": children.ru_maxrss / 1024.0, "load": load}


def phase_serve(args: argparse.Namespace) -> dict:
    import bot.build
    from bot.engine import Engine
    from bot.search.bm25 import BM25Params, PostingsIndex
    from bot.search.question import analyse

    questions = json.loads(Path(args.questions).read_text())
    calls = {"document_write": 0}
    original_write = bot.build.document_write

    def counting(*a, **k):
        calls["document_write"] += 1
        return original_write(*a, **k)

    bot.build.document_write = counting
    base_mb = peak_mb()
    t0 = time.perf_counter()
    engine = Engine(args.kb, args.db)
    engine.open()
    startup = time.perf_counter() - t0
    startup_mb = peak_mb()
    retokenised_on_start = calls["document_write"]

    for q in questions[:10]:  # warm-up: first-call imports, caches
        engine.ask(q)
    try:
        from bot.render.discord_embed import answer_embed
    except ImportError:  # the renderer is optional here
        answer_embed = None
    ask_ms: list[float] = []
    ask_cpu_ms: list[float] = []  # this process's CPU time per ask: what a busy machine does not inflate
    embed_ms: list[float] = []  # ask + building the Discord embed, same pass (no warm caches)
    answered = 0
    load = [load_average()]
    for q in questions:
        c = time.process_time()
        t = time.perf_counter()
        a = engine.ask(q)
        ask_ms.append((time.perf_counter() - t) * 1000)
        ask_cpu_ms.append((time.process_time() - c) * 1000)
        if answer_embed is not None:
            answer_embed(a)
            embed_ms.append((time.perf_counter() - t) * 1000)
        answered += a.answered
    snap = engine._snapshot
    assert snap is not None
    term_ids = [[snap.reader.term_ids(analyse(q).terms).get(t) for t in analyse(q).terms] for q in questions]
    index_ms: list[float] = []
    for ids in term_ids:
        t = time.perf_counter()
        snap.index.top_k(ids, 60)
        index_ms.append((time.perf_counter() - t) * 1000)
    serve_mb = peak_mb()
    load.append(load_average())

    # Top 10 of the okapi variant over the same arrays, for the comparison with rank-bm25.
    idx = snap.index
    okapi = idx.with_params(BM25Params(variant="okapi"))
    top10 = [[(int(snap.passage_ids[p]), s) for p, s in okapi.top_k(ids, 10)] for ids in term_ids]
    # Keyed by (document, paragraph, sentence): the reload below gives one article new passage ids.
    rows = snap.reader.passages([pid for top in top10 for pid, _ in top])
    Path(args.top10).write_text(json.dumps(
        [[(f"{rows[pid].document}:{rows[pid].paragraph}:{rows[pid].sentence}", s) for pid, s in top]
         for top in top10]))

    # `index` with nothing changed (a reload that finds no change), three times.
    unchanged_s: list[float] = []
    for _ in range(3):
        t = time.perf_counter()
        report = engine.reload()
        unchanged_s.append(time.perf_counter() - t)
        assert not report.changed_anything

    # Reload after one changed article, then after restoring it.
    files = sorted(Path(args.kb).glob("*.md"))
    target = files[len(files) // 2]
    original = target.read_bytes()
    reload_s: list[float] = []
    changed = []
    try:
        target.write_bytes(original.rstrip(b"\n") + b"\n\nThe committee published a revised timetable on Friday.\n")
        t = time.perf_counter()
        report = engine.reload()
        reload_s.append(time.perf_counter() - t)
        changed.append(len(report.changed))
    finally:
        target.write_bytes(original)
    t = time.perf_counter()
    report = engine.reload()
    reload_s.append(time.perf_counter() - t)
    changed.append(len(report.changed))
    # Another article, now that the first change imported the parser and warmed pysbd:
    # what each later edit costs a long-running bot.
    other = files[len(files) // 2 + 1]
    original = other.read_bytes()
    try:
        other.write_bytes(original.rstrip(b"\n") + b"\n\nThe committee published a revised timetable on Friday.\n")
        t = time.perf_counter()
        engine.reload()
        reload_warm_s = time.perf_counter() - t
    finally:
        other.write_bytes(original)
    engine.reload()
    t = time.perf_counter()
    engine.ask(questions[0])
    engine.close()
    return {
        "startup_s": startup, "startup_retokenised": retokenised_on_start,
        "ask_p50_ms": pct(ask_ms, 50), "ask_p99_ms": pct(ask_ms, 99), "ask_max_ms": max(ask_ms),
        "ask_cpu_p50_ms": pct(ask_cpu_ms, 50), "ask_cpu_p99_ms": pct(ask_cpu_ms, 99), "load": load,
        "embed_p50_ms": pct(embed_ms, 50) if embed_ms else None,
        "embed_p99_ms": pct(embed_ms, 99) if embed_ms else None,
        "index_p50_ms": pct(index_ms, 50), "index_p99_ms": pct(index_ms, 99),
        "answered": answered, "questions": len(questions),
        "reload_s": float(np.mean(reload_s)), "reload_runs_s": reload_s, "reload_changed": changed,
        "reload_warm_s": reload_warm_s,
        "unchanged_s": float(np.median(unchanged_s)),
        "base_mb": base_mb, "startup_peak_mb": startup_mb, "serve_peak_mb": serve_mb, "peak_mb": peak_mb(),
    }


def phase_baseline(args: argparse.Namespace) -> dict:
    """rank-bm25 over the passages exactly as indexed (the same terms, read back from the
    database in the snapshot's passage order)."""
    import sqlite3

    from rank_bm25 import BM25Okapi

    from bot.search.question import analyse

    questions = json.loads(Path(args.questions).read_text())[: args.baseline_queries]
    conn = sqlite3.connect(args.db)
    vocab = dict(conn.execute("SELECT term, id FROM terms"))
    names = [str(i) for i in range(max(vocab.values(), default=0) + 1)]
    corpus: list[list[str]] = []
    passage_ids: list[np.ndarray] = []
    t0 = time.perf_counter()
    for pids, tids, local, tfs in conn.execute(
        "SELECT passage_ids, term_ids, local, tfs FROM postings ORDER BY document"
    ):
        pid = np.frombuffer(pids, dtype=np.int64)
        docs: list[list[str]] = [[] for _ in range(pid.shape[0])]
        for t, li, tf in zip(np.frombuffer(tids, np.int32).tolist(), np.frombuffer(local, np.int32).tolist(),
                             np.frombuffer(tfs, np.uint16).tolist()):
            docs[li].extend([names[t]] * tf)
        corpus.extend(docs)
        passage_ids.append(pid)
    conn.close()
    ids = np.concatenate(passage_ids)
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    bm = BM25Okapi(corpus)
    build_s = time.perf_counter() - t0
    del corpus
    query_ms: list[float] = []
    top10 = []
    for q in questions:
        toks = [names[vocab[t]] for t in analyse(q).terms if t in vocab]
        t = time.perf_counter()
        scores = bm.get_scores(toks)
        query_ms.append((time.perf_counter() - t) * 1000)
        order = np.lexsort((np.arange(scores.shape[0]), -scores))[:10]
        top10.append([(int(ids[i]), float(scores[i])) for i in order])
    conn = sqlite3.connect(args.db)
    keys = {}
    for top in top10:
        for pid, _ in top:
            if pid not in keys:
                d, para, sent = conn.execute(
                    "SELECT document, paragraph, sentence FROM passages WHERE id = ?", (pid,)).fetchone()
                keys[pid] = f"{d}:{para}:{sent}"
    conn.close()
    Path(args.top10).write_text(json.dumps([[(keys[pid], s) for pid, s in top] for top in top10]))
    return {"p50_ms": pct(query_ms, 50), "p99_ms": pct(query_ms, 99), "queries": len(query_ms),
            "load_s": load_s, "build_s": build_s, "peak_mb": peak_mb()}


def phase_cold(args: argparse.Namespace) -> dict:
    """Wall-clock of `python -m bot ask --json` in a fresh process on the built database
    (median of 5), beside a bare `python -c pass` on the same machine at the same moment."""
    questions = json.loads(Path(args.questions).read_text())
    # Compiled first, as an installed package is (pip compiles on install): a checkout run
    # with PYTHONDONTWRITEBYTECODE set would otherwise recompile every module whose source
    # changed since its .pyc on each start (bench/coldstart.py does the same).
    compileall.compile_dir(ROOT / "bot", quiet=1)
    runs: list[float] = []
    bare: list[float] = []
    for i in range(5):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        bare.append(time.perf_counter() - t)
        t = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "bot", "ask", questions[i], "--json",
                               "--knowledge", str(args.kb), "--db", str(args.db)],
                              cwd=ROOT, capture_output=True, text=True)
        runs.append(time.perf_counter() - t)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"ask failed: {proc.stderr[-500:]}")
    return {"cold_ask_s": float(np.median(runs)), "python_s": float(np.median(bare))}


def _stored_tokens(db: str) -> tuple[list[list[str]], np.ndarray]:
    """Every passage's terms as the index holds them (term ids as words, repeated tf
    times), in the order the store's postings list them."""
    import sqlite3

    conn = sqlite3.connect(db)
    corpus: list[list[str]] = []
    ids: list[np.ndarray] = []
    for pids, tids, local, tfs in conn.execute(
        "SELECT passage_ids, term_ids, local, tfs FROM postings ORDER BY document"
    ):
        pid = np.frombuffer(pids, dtype=np.int64)
        docs: list[list[str]] = [[] for _ in range(pid.shape[0])]
        for t, li, tf in zip(np.frombuffer(tids, np.int32).tolist(), np.frombuffer(local, np.int32).tolist(),
                             np.frombuffer(tfs, np.uint16).tolist()):
            docs[li].extend([f"t{t}"] * tf)
        corpus.extend(docs)
        ids.append(pid)
    conn.close()
    return corpus, np.concatenate(ids) if ids else np.empty(0, np.int64)


def phase_engines(args: argparse.Namespace) -> dict:
    """StoryBot's index against tantivy, bm25s and SQLite FTS5 over the same tokens and
    queries, queries interleaved (each question runs on every engine in turn), so the
    ratios hold on a busy machine. Build = from the tokens; open = a new process's
    first step (load or map the index) and the first query."""
    import gc
    import shutil
    import sqlite3
    import tempfile

    from bot.engine import Engine
    from bot.search.question import analyse

    out: dict = {}
    questions = json.loads(Path(args.questions).read_text())
    t = time.perf_counter()
    engine = Engine(args.kb, args.db)
    engine.open(refresh=False)
    snap = engine._snapshot
    assert snap is not None
    out["storybot_open_s"] = time.perf_counter() - t
    vocab = dict(snap.reader.query("SELECT term, id FROM terms"))
    queries = [[vocab[t] for t in analyse(q).terms if t in vocab] for q in questions]
    queries = [q for q in queries if q]
    corpus, corpus_ids = _stored_tokens(args.db)
    # tantivy's documents are numbered in the store's order; the snapshot's positions
    # follow its segments (a reload puts a changed article last): map by passage id.
    by_id = np.argsort(snap.passage_ids, kind="stable")
    position_of = by_id[np.searchsorted(snap.passage_ids[by_id], corpus_ids)]
    work = Path(tempfile.mkdtemp(prefix="storybot-bench-"))
    engines: dict[str, object] = {}
    try:
        try:
            import tantivy

            sb = tantivy.SchemaBuilder()
            sb.add_text_field("body", stored=False, tokenizer_name="whitespace")
            sb.add_integer_field("pos", stored=True, fast=True)
            schema = sb.build()
            t = time.perf_counter()
            (work / "tantivy").mkdir()
            index = tantivy.Index(schema, path=str(work / "tantivy"))
            writer = index.writer(heap_size=256_000_000, num_threads=2)
            for i, toks in enumerate(corpus):
                writer.add_document(tantivy.Document(body=" ".join(toks), pos=i))
            writer.commit()
            writer.wait_merging_threads()
            out["tantivy_build_s"] = time.perf_counter() - t
            t = time.perf_counter()
            index = tantivy.Index.open(str(work / "tantivy"))
            index.reload()
            searcher = index.searcher()
            searcher.search(index.parse_query(f"t{queries[0][0]}", ["body"]), 10)
            out["tantivy_open_s"] = time.perf_counter() - t

            def run_tantivy(q: list[int]) -> None:
                searcher.search(index.parse_query(" ".join(f"t{x}" for x in q), ["body"]), 10)

            engines["tantivy"] = run_tantivy  # type: ignore[assignment]
            rescore_n = args.rescore_n

            def tantivy_then_ours(q: list[int]) -> list[int]:
                """What adopting tantivy as the index would cost and give: its top N by
                its own BM25, each hit's position read back, rescored with StoryBot's
                BM25Plus (the same numbers as our exact top k), the 10 best kept."""
                result = searcher.search(index.parse_query(" ".join(f"t{x}" for x in q), ["body"]), rescore_n)
                cand = np.unique(position_of[[searcher.doc(addr)["pos"][0] for _, addr in result.hits]])
                return [p for p, _ in _rescore(snap.index, q, cand, 10)]

            engines["tantivy+rescore"] = tantivy_then_ours
        except ImportError:
            out["tantivy"] = "not installed"
        try:
            import bm25s

            t = time.perf_counter()
            retriever = bm25s.BM25(method="robertson")
            retriever.index(corpus, show_progress=False)
            out["bm25s_build_s"] = time.perf_counter() - t
            retriever.save(str(work / "bm25s"))
            del retriever
            gc.collect()
            t = time.perf_counter()
            retriever = bm25s.BM25.load(str(work / "bm25s"), mmap=True)
            retriever.retrieve([[f"t{queries[0][0]}"]], k=10, show_progress=False)
            out["bm25s_open_s"] = time.perf_counter() - t
            known = set(retriever.vocab_dict)

            def run_bm25s(q: list[int]) -> None:
                toks = [f"t{x}" for x in q if f"t{x}" in known]
                if toks:
                    retriever.retrieve([toks], k=10, show_progress=False, n_threads=1)

            engines["bm25s"] = run_bm25s
        except ImportError:
            out["bm25s"] = "not installed"
        t = time.perf_counter()
        fts = sqlite3.connect(work / "fts.db")
        fts.execute("CREATE VIRTUAL TABLE f USING fts5(body, tokenize='unicode61')")
        with fts:
            fts.executemany("INSERT INTO f(rowid, body) VALUES (?, ?)",
                            ((i, " ".join(toks)) for i, toks in enumerate(corpus)))
        fts.close()
        out["fts5_build_s"] = time.perf_counter() - t
        t = time.perf_counter()
        fts = sqlite3.connect(work / "fts.db")
        fts.execute("SELECT rowid FROM f WHERE f MATCH ? ORDER BY rank LIMIT 10", (f"t{queries[0][0]}",)).fetchall()
        out["fts5_open_s"] = time.perf_counter() - t

        def run_fts5(q: list[int]) -> None:
            fts.execute("SELECT rowid FROM f WHERE f MATCH ? ORDER BY rank LIMIT 10",
                        (" OR ".join(f"t{x}" for x in q),)).fetchall()

        engines["fts5"] = run_fts5
        del corpus
        gc.collect()

        def run_ours(q: list[int]) -> list[int]:
            return [p for p, _ in snap.index.top_k(q, 10)]

        # What retrieve() asks of the same index: the top 60, and one article's top 10
        # (an article drawn per question, the same in every run).
        ranges = [snap.doc_ranges[d] for d in snap.doc_order]
        pick = np.random.default_rng(args.seed).integers(0, len(ranges), len(queries)) if ranges else []
        doc_range = {id(q): ranges[int(j)] for q, j in zip(queries, pick)}

        def run_ours_60(q: list[int]) -> None:
            snap.index.top_k(q, 60)

        def run_ours_doc(q: list[int]) -> None:
            snap.index.top_k(q, 10, doc_range.get(id(q)))

        engines = {"storybot": run_ours, "storybot-k60": run_ours_60, "storybot-doc": run_ours_doc, **engines}
        times: dict[str, list[float]] = {name: [] for name in engines}
        cpu: dict[str, list[float]] = {name: [] for name in engines}  # (tantivy searches in this thread)
        fts_limit = args.fts_queries
        same_top = 0
        out["load"] = [load_average()]
        for i, q in enumerate(queries):
            got: dict[str, object] = {}
            for name, fn in engines.items():
                if name == "fts5" and i >= fts_limit:
                    continue
                c = time.process_time()
                t = time.perf_counter()
                got[name] = fn(q)  # type: ignore[operator]
                times[name].append((time.perf_counter() - t) * 1000)
                cpu[name].append((time.process_time() - c) * 1000)
            if "tantivy+rescore" in got:
                same_top += sorted(got["storybot"]) == sorted(got["tantivy+rescore"])  # type: ignore[arg-type]
        out["load"].append(load_average())
        for name, ms in cpu.items():
            out[f"{name}_cpu_p50_ms"] = pct(ms, 50)
        if "tantivy+rescore" in times:
            out["rescore_n"] = args.rescore_n
            out["rescore_same_top10"] = same_top
        for name, ms in times.items():
            out[f"{name}_p50_ms"] = pct(ms, 50)
            out[f"{name}_p99_ms"] = pct(ms, 99)
        short = [i for i, q in enumerate(queries) if len(q) <= 2]
        long = [i for i, q in enumerate(queries) if len(q) >= 4]
        for name, ms in times.items():
            out[f"{name}_p50_short_ms"] = pct([ms[i] for i in short if i < len(ms)], 50)
            out[f"{name}_p50_long_ms"] = pct([ms[i] for i in long if i < len(ms)], 50)
        out["queries"] = len(queries)
    finally:
        engine.close()
        shutil.rmtree(work, ignore_errors=True)
    out["peak_mb"] = peak_mb()
    return out


def _rescore(index, q: list[int], cand: np.ndarray, k: int) -> list[tuple[int, float]]:
    """StoryBot's exact BM25 of the positions `cand` (ascending), its k best: the
    scores `top_k` gives, summed in the same order."""
    scores = np.zeros(cand.shape[0], dtype=np.float64)
    constant = 0.0
    for t in q:
        if t >= index.df.shape[0] or index.df[t] == 0:
            continue
        if index.params.variant == "plus":
            constant += index.idf[t] * index.params.delta
        scores += index._lookup(t, cand)
    return index._select(cand, scores + constant, k)


def compare_top10(ours: list, theirs: list) -> tuple[int, int]:
    """Questions whose top 10 agree (passages and scores to 1e-6; ties may swap places)."""
    same = 0
    for a, b in zip(ours, theirs):
        b = [(p, s) for p, s in b if s != 0.0]  # rank-bm25 fills up with non-matching passages
        a = [(p, s) for p, s in a if s != 0.0][: len(b)] if len(a) > len(b) else [(p, s) for p, s in a if s != 0.0]
        if len(a) != len(b):
            continue
        sa, sb = np.array([s for _, s in a]), np.array([s for _, s in b])
        if not np.allclose(sa, sb, rtol=0, atol=1e-6):
            continue
        cut = sb[-1] if len(sb) else 0.0  # passages tied with the 10th may be either
        if {p for p, s in a if s > cut + 1e-9} == {p for p, s in b if s > cut + 1e-9}:
            same += 1
    return same, min(len(ours), len(theirs))


# -- orchestration -------------------------------------------------------------------------------
def child(phase: str, **kw: object) -> dict:
    cmd = [sys.executable, "-m", "bench.run", "--phase", phase]
    for k, v in kw.items():
        cmd += [f"--{k.replace('_', '-')}", str(v)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"phase {phase} failed ({proc.returncode})")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def ensure_corpus(data: Path, label: str, sentences: int, seed: int, n_questions: int) -> tuple[Path, Path]:
    from bench.corpus import generate

    kb = data / f"kb-{label}"
    qfile = data / f"questions-{label}.json"
    marker = data / f"kb-{label}.done"
    want = f"{GENERATOR_VERSION} {sentences} {seed} {n_questions}"
    if not (marker.exists() and marker.read_text() == want and qfile.exists()):
        t = time.perf_counter()
        corpus = generate(kb, sentences, seed, n_questions=n_questions)
        qfile.write_text(json.dumps(corpus.questions))
        marker.write_text(want)
        (data / f"build-{label}.json").unlink(missing_ok=True)
        print(f"  generated {len(corpus.files)} articles in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    return kb, qfile


def fmt(v: object, spec: str = ".1f") -> str:
    if v is None:
        return "–"
    if isinstance(v, float) and v != v:
        return "–"
    return format(v, spec) if isinstance(v, (int, float)) else str(v)


ENGINE_HEADER = (
    "| sentences | top-10 p50 ms: StoryBot | tantivy | bm25s | FTS5 | StoryBot/tantivy | (CPU time) "
    "| tantivy top N + our BM25: p50 ms | same top 10 as ours "
    "| 2-term / 4+-term p50 ms: StoryBot | tantivy "
    "| StoryBot top-60 / one article's top-10 p50 ms "
    "| open+1st query s: StoryBot | tantivy | bm25s | FTS5 | build from tokens s: tantivy | bm25s | FTS5 |\n"
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def engine_row(label: str, r: dict) -> str:
    e = r["engines"]
    g = lambda k, spec=".2f": fmt(e.get(k), spec)  # noqa: E731
    ratio = (e["storybot_p50_ms"] / e["tantivy_p50_ms"]) if e.get("tantivy_p50_ms") else None
    cpu_ratio = (e["storybot_cpu_p50_ms"] / e["tantivy_cpu_p50_ms"]) if e.get("tantivy_cpu_p50_ms") else None
    cells = [label, g("storybot_p50_ms"), g("tantivy_p50_ms"), g("bm25s_p50_ms"), g("fts5_p50_ms", ".1f"),
             fmt(ratio, ".2f"), fmt(cpu_ratio, ".2f"),
             g("tantivy+rescore_p50_ms"),
             f"{e['rescore_same_top10']}/{e['queries']} (N = {e['rescore_n']})" if "rescore_same_top10" in e else "–",
             f"{g('storybot_p50_short_ms')} / {g('storybot_p50_long_ms')}",
             f"{g('tantivy_p50_short_ms')} / {g('tantivy_p50_long_ms')}",
             f"{g('storybot-k60_p50_ms')} / {g('storybot-doc_p50_ms')}",
             g("storybot_open_s", ".3f"), g("tantivy_open_s", ".3f"), g("bm25s_open_s", ".3f"),
             g("fts5_open_s", ".3f"), g("tantivy_build_s", ".1f"), g("bm25s_build_s", ".1f"),
             g("fts5_build_s", ".1f")]
    return "| " + " | ".join(cells) + " |"


HEADER = (
    "| sentences | passages | articles | build s | build peak MB | startup s | CLI ask s | index unchanged s "
    "| reload s (first / later edit) "
    "| ask p50 ms | ask p99 ms | ask CPU p50 / p99 ms | ask+embed p50 ms | serve peak MB "
    "| rank-bm25 p50 ms | rank-bm25 p99 ms | rank-bm25 MB | p50 ours/base | p99 ours/base | MB ours/base "
    "| top 10 = rank-bm25 |\n"
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def row(label: str, r: dict) -> str:
    b, s, base = r["build"], r["serve"], r.get("baseline")
    cells = [label, f"{b['passages']:,}", f"{b['documents']:,}", fmt(b["build_s"]), fmt(b["peak_mb"], ".0f"),
             fmt(s["startup_s"], ".2f"), fmt(r.get("cold", {}).get("cold_ask_s"), ".2f"),
             fmt(s.get("unchanged_s"), ".3f"),
             f"{fmt(s['reload_runs_s'][0], '.3f')} / {fmt(s.get('reload_warm_s'), '.3f')}", fmt(s["ask_p50_ms"], ".2f"),
             fmt(s["ask_p99_ms"], ".1f"),
             f"{fmt(s.get('ask_cpu_p50_ms'), '.2f')} / {fmt(s.get('ask_cpu_p99_ms'), '.1f')}",
             fmt(s["embed_p50_ms"], ".2f"), fmt(s["serve_peak_mb"], ".0f")]
    if base:
        cells += [fmt(base["p50_ms"], ".1f"), fmt(base["p99_ms"], ".1f"), fmt(base["peak_mb"], ".0f"),
                  fmt(s["ask_p50_ms"] / base["p50_ms"], ".2f"), fmt(s["ask_p99_ms"] / base["p99_ms"], ".2f"),
                  fmt(s["serve_peak_mb"] / base["peak_mb"], ".2f"), f"{r['top10_same']}/{r['top10_n']}"]
    else:
        cells += ["–"] * 7
    return "| " + " | ".join(cells) + " |"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1k,10k,30k,100k,1m")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--questions", type=int, default=300, help="questions per size")
    ap.add_argument("--baseline-queries", type=int, default=300,
                    help="questions timed on rank-bm25 (capped to 60 at 1M sentences and above)")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--reuse-build", action="store_true",
                    help="keep a database (and its build figures) from an earlier run on the same corpus")
    ap.add_argument("--only-build", action="store_true", help="generate and build, nothing else")
    ap.add_argument("--data", default=str(ROOT / "bench" / ".data"), help="corpora and databases")
    ap.add_argument("--markdown", help="also write the table to this file")
    ap.add_argument("--json", help="also write all measurements to this file")
    # child-phase arguments
    ap.add_argument("--no-engines", action="store_true", help="skip tantivy / bm25s / FTS5")
    ap.add_argument("--fts-queries", type=int, default=100, help="questions timed on FTS5 (the slowest)")
    ap.add_argument("--rescore-n", type=int, default=100,
                    help="tantivy+rescore: how many of tantivy's hits StoryBot's BM25 rescores")
    ap.add_argument("--phase", choices=["build", "serve", "baseline", "cold", "engines"], help=argparse.SUPPRESS)
    ap.add_argument("--kb", help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    ap.add_argument("--questions-file", dest="questions_file", help=argparse.SUPPRESS)
    ap.add_argument("--top10", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.phase:
        args.questions = args.questions_file
        fn = {"build": phase_build, "serve": phase_serve, "baseline": phase_baseline, "cold": phase_cold,
              "engines": phase_engines}[args.phase]
        print(json.dumps(fn(args)))
        return

    from bench.corpus import parse_size

    data = Path(args.data)
    data.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict] = {}
    lines = [HEADER]
    engine_lines: list[str] = []
    print(HEADER, flush=True)
    for label in [s.strip() for s in args.sizes.split(",") if s.strip()]:
        n = parse_size(label)
        print(f"[{time.strftime('%H:%M:%S')}] {label}: corpus", file=sys.stderr, flush=True)
        kb, qfile = ensure_corpus(data, label, n, args.seed, args.questions)
        db = data / f"db-{label}.sqlite"
        r: dict = {}
        saved = data / f"build-{label}.json"
        if args.reuse_build and saved.exists() and db.exists():
            r["build"] = json.loads(saved.read_text())  # measured by an earlier run on this corpus
        else:
            print(f"[{time.strftime('%H:%M:%S')}] {label}: build", file=sys.stderr, flush=True)
            saved.unlink(missing_ok=True)
            r["build"] = child("build", kb=kb, db=db)
            saved.write_text(json.dumps(r["build"]))
        if args.only_build:
            print(json.dumps(r["build"]), flush=True)
            continue
        print(f"[{time.strftime('%H:%M:%S')}] {label}: serve", file=sys.stderr, flush=True)
        ours_top = data / f"top10-ours-{label}.json"
        r["serve"] = child("serve", kb=kb, db=db, questions_file=qfile, top10=ours_top)
        if not args.no_baseline:
            print(f"[{time.strftime('%H:%M:%S')}] {label}: baseline", file=sys.stderr, flush=True)
            base_top = data / f"top10-base-{label}.json"
            nq = args.baseline_queries if n < 1_000_000 else min(args.baseline_queries, 60)
            r["baseline"] = child("baseline", db=db, questions_file=qfile, top10=base_top, baseline_queries=nq)
            r["top10_same"], r["top10_n"] = compare_top10(json.loads(ours_top.read_text()),
                                                          json.loads(base_top.read_text()))
        print(f"[{time.strftime('%H:%M:%S')}] {label}: cold CLI ask", file=sys.stderr, flush=True)
        r["cold"] = child("cold", kb=kb, db=db, questions_file=qfile)
        if not args.no_engines:
            print(f"[{time.strftime('%H:%M:%S')}] {label}: tantivy, bm25s, FTS5", file=sys.stderr, flush=True)
            r["engines"] = child("engines", kb=kb, db=db, questions_file=qfile, fts_queries=args.fts_queries,
                                 rescore_n=args.rescore_n)
        results[label] = r
        line = row(label, r)
        lines.append(line)
        print(line, flush=True)
        print(json.dumps(r), file=sys.stderr, flush=True)
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=1))
        if "engines" in r:
            engine_lines.append(engine_row(label, r))
        if args.markdown:
            Path(args.markdown).write_text("\n".join(lines + ["", ENGINE_HEADER] + engine_lines) + "\n")
    if engine_lines:
        print("\n" + ENGINE_HEADER + "\n" + "\n".join(engine_lines), flush=True)


if __name__ == "__main__":
    main()
