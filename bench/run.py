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

Timings are wall-clock on whatever machine runs it; the table in
the README ("Performance at scale") says which machine produced it.
"""

from __future__ import annotations

import argparse
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


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


# -- child phases ---------------------------------------------------------------------------
def phase_build(args: argparse.Namespace) -> dict:
    from bot.engine import Engine

    db = Path(args.db)
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    t0 = time.perf_counter()
    engine = Engine(args.kb, db)
    report = engine.open()
    total = time.perf_counter() - t0
    status = engine.status()
    engine.close()
    return {"build_s": total, "sync_s": report.duration_ms / 1000 if report else None,
            "passages": status.passages, "documents": status.documents, "peak_mb": peak_mb()}


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
    embed_ms: list[float] = []  # ask + building the Discord embed, same pass (no warm caches)
    answered = 0
    for q in questions:
        t = time.perf_counter()
        a = engine.ask(q)
        ask_ms.append((time.perf_counter() - t) * 1000)
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

    # Top 10 of the okapi variant over the same arrays, for the comparison with rank-bm25.
    idx = snap.index
    okapi = idx.with_params(BM25Params(variant="okapi"))
    top10 = [[(int(snap.passage_ids[p]), s) for p, s in okapi.top_k(ids, 10)] for ids in term_ids]
    # Keyed by (document, paragraph, sentence): the reload below gives one article new passage ids.
    rows = snap.reader.passages([pid for top in top10 for pid, _ in top])
    Path(args.top10).write_text(json.dumps(
        [[(f"{rows[pid].document}:{rows[pid].paragraph}:{rows[pid].sentence}", s) for pid, s in top]
         for top in top10]))

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
    t = time.perf_counter()
    engine.ask(questions[0])
    engine.close()
    return {
        "startup_s": startup, "startup_retokenised": retokenised_on_start,
        "ask_p50_ms": pct(ask_ms, 50), "ask_p99_ms": pct(ask_ms, 99), "ask_max_ms": max(ask_ms),
        "embed_p50_ms": pct(embed_ms, 50) if embed_ms else None,
        "embed_p99_ms": pct(embed_ms, 99) if embed_ms else None,
        "index_p50_ms": pct(index_ms, 50), "index_p99_ms": pct(index_ms, 99),
        "answered": answered, "questions": len(questions),
        "reload_s": float(np.mean(reload_s)), "reload_runs_s": reload_s, "reload_changed": changed,
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


HEADER = (
    "| sentences | passages | articles | build s | build peak MB | startup s | reload s "
    "| ask p50 ms | ask p99 ms | ask+embed p50 ms | serve peak MB "
    "| rank-bm25 p50 ms | rank-bm25 p99 ms | rank-bm25 MB | p50 ours/base | p99 ours/base | MB ours/base "
    "| top 10 = rank-bm25 |\n"
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def row(label: str, r: dict) -> str:
    b, s, base = r["build"], r["serve"], r.get("baseline")
    cells = [label, f"{b['passages']:,}", f"{b['documents']:,}", fmt(b["build_s"]), fmt(b["peak_mb"], ".0f"),
             fmt(s["startup_s"], ".2f"), fmt(s["reload_s"], ".2f"), fmt(s["ask_p50_ms"], ".2f"),
             fmt(s["ask_p99_ms"], ".1f"), fmt(s["embed_p50_ms"], ".2f"), fmt(s["serve_peak_mb"], ".0f")]
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
    ap.add_argument("--phase", choices=["build", "serve", "baseline"], help=argparse.SUPPRESS)
    ap.add_argument("--kb", help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    ap.add_argument("--questions-file", dest="questions_file", help=argparse.SUPPRESS)
    ap.add_argument("--top10", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.phase:
        args.questions = args.questions_file
        fn = {"build": phase_build, "serve": phase_serve, "baseline": phase_baseline}[args.phase]
        print(json.dumps(fn(args)))
        return

    from bench.corpus import parse_size

    data = Path(args.data)
    data.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict] = {}
    lines = [HEADER]
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
        results[label] = r
        line = row(label, r)
        lines.append(line)
        print(line, flush=True)
        print(json.dumps(r), file=sys.stderr, flush=True)
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=1))
        if args.markdown:
            Path(args.markdown).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
