"""`ask` with two versions of `bot/search/bm25.py`, interleaved in one process on one snapshot.

    git show main:bot/search/bm25.py > /tmp/bm25_main.py
    PYTHONHASHSEED=0 python -m bench.topk_ab --old /tmp/bm25_main.py --data DIR --size 1m

On a shared machine two runs of `bench.run` differ by more than a top-k change, so both
versions answer each question in turn (order swapped every pass) and each question
keeps its best CPU time per version. Also checks that every Answer field but
`elapsed_ms` is identical, and times the long top-k calls alone (those whose terms
hold 20,000 postings or more), results compared call by call.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import sys
import time
from pathlib import Path

import numpy as np


def load_module(path: str):
    spec = importlib.util.spec_from_file_location("bm25_old", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["bm25_old"] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--old", required=True, help="the other bm25.py (e.g. main's)")
    ap.add_argument("--data", required=True, help="bench data folder (kb-SIZE, db-SIZE.sqlite, questions-SIZE.json)")
    ap.add_argument("--size", default="1m")
    ap.add_argument("--passes", type=int, default=2)
    args = ap.parse_args(argv)

    import bot.search.bm25 as bm25
    from bot.engine import Engine

    old_mod = load_module(args.old)
    data = Path(args.data)
    questions = json.loads((data / f"questions-{args.size}.json").read_text())
    engine = Engine(str(data / f"kb-{args.size}"), str(data / f"db-{args.size}.sqlite"))
    engine.open()
    snap = engine._snapshot
    assert snap is not None
    new = snap.index
    old = old_mod.PostingsIndex.from_parts(
        [old_mod.Part(p.term_offsets, p.post_pos, p.post_tf, p.base, p.filtered, p.term_tfmax, p.term_mindl)
         for p in new.parts],
        new.doc_len, old_mod.BM25Params(**dataclasses.asdict(new.params)), new.live, new.df)
    versions = {"old": old, "new": new}

    calls: list[tuple[list, int, object]] = []
    real_top_k = bm25.PostingsIndex.top_k

    def recording(self, term_ids, k, position_range=None):
        calls.append((list(term_ids), k, position_range))
        return real_top_k(self, term_ids, k, position_range)

    for q in questions[:10]:  # warm-up: imports, caches
        for index in versions.values():
            snap.index = index
            engine.ask(q)
    best: dict[str, dict[str, float]] = {"old": {}, "new": {}}
    differ = 0
    for n in range(args.passes):
        for q in questions:
            answers = {}
            for name in (("old", "new") if n % 2 == 0 else ("new", "old")):
                snap.index = versions[name]
                if name == "new" and n == 0:
                    bm25.PostingsIndex.top_k = recording  # type: ignore[method-assign]
                c = time.process_time()
                a = engine.ask(q)
                ms = (time.process_time() - c) * 1000
                bm25.PostingsIndex.top_k = real_top_k  # type: ignore[method-assign]
                best[name][q] = min(best[name].get(q, 1e9), ms)
                answers[name] = repr(dataclasses.replace(a, elapsed_ms=0.0))
            differ += answers["old"] != answers["new"]
    snap.index = new
    for name in ("old", "new"):
        v = np.array(sorted(best[name].values()))
        print(f"ask {name}: p50 {np.percentile(v, 50):.2f}  p90 {np.percentile(v, 90):.2f}  "
              f"p99 {np.percentile(v, 99):.2f}  mean {v.mean():.2f} ms CPU ({len(v)} questions, best of {args.passes})")
    print(f"answers that differ: {differ} of {args.passes * len(questions)}")

    def total(ids: list) -> int:
        return sum(int(new.df[t]) for t in ids if t is not None and t < new.df.shape[0])

    long_calls = [c for c in calls if c[2] is None and total(c[0]) >= 20_000]
    if not long_calls:
        print("no long top-k calls (no query's terms hold 20,000 postings)")
        return
    times = {"old": np.full(len(long_calls), 1e9), "new": np.full(len(long_calls), 1e9)}
    mismatched = 0
    for i, (ids, k, rng) in enumerate(long_calls):
        results = {}
        for _ in range(3):
            for name, index in versions.items():
                c = time.process_time()
                results[name] = index.top_k(ids, k, rng)
                times[name][i] = min(times[name][i], time.process_time() - c)
        mismatched += results["old"] != results["new"]
    for name in ("old", "new"):
        v = times[name] * 1000
        print(f"long top-k calls {name}: total {v.sum():.0f} ms, median {np.median(v):.2f}, p90 {np.percentile(v, 90):.2f}, "
              f"max {v.max():.2f} ms CPU ({len(v)} calls, best of 3)")
    print(f"top-k results that differ: {mismatched} of {len(long_calls)}")


if __name__ == "__main__":
    main()
