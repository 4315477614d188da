"""Before/after on a shared, noisy machine: this checkout against another one (e.g.
`git worktree add /tmp/base main`, or `git archive main | tar -x -C /tmp/base`),
their runs alternated on the same corpus and database, medians and ratios printed.

    python -m bench.run --sizes 100k --only-build            # the corpus and database, once
    python -m bench.alternate --base /tmp/base --size 100k --runs 3

Per run and checkout: the `serve` phase of bench/run.py (startup, reload with nothing
changed, reload after one changed article; 30 questions) and a cold CLI
`python -m bot ask --json` for each of the first 5 questions. The cold figure is
split: questions of the form "What did X say …" go through the statements path
(bot/answers/said.py), whose first call reads every matching article, so they are
reported apart from the others.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _serve(tree: Path, kb: Path, db: Path, questions: Path, top10: Path) -> dict:
    proc = subprocess.run([sys.executable, "-m", "bench.run", "--phase", "serve", "--kb", str(kb), "--db", str(db),
                           "--questions-file", str(questions), "--top10", str(top10)],
                          cwd=tree, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"serve failed in {tree}: {proc.stderr[-800:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _cold(tree: Path, kb: Path, db: Path, question: str) -> float:
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "bot", "ask", question, "--json", "--knowledge", str(kb),
                           "--db", str(db)], cwd=tree, capture_output=True, text=True)
    took = time.perf_counter() - t
    if proc.returncode not in (0, 1):
        raise SystemExit(f"ask failed in {tree}: {proc.stderr[-800:]}")
    return took


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", required=True, help="the other checkout (its bot/ and bench/ are run)")
    ap.add_argument("--size", default="100k")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--data", default=str(ROOT / "bench" / ".data"))
    args = ap.parse_args(argv)
    data = Path(args.data).resolve()
    kb, db = data / f"kb-{args.size}", data / f"db-{args.size}.sqlite"
    if not db.exists():
        raise SystemExit(f"no database {db}: run `python -m bench.run --sizes {args.size} --only-build` first")
    questions = json.loads((data / f"questions-{args.size}.json").read_text())
    short = data / f"questions-{args.size}-30.json"
    short.write_text(json.dumps(questions[:30]))
    trees = {"base": Path(args.base).resolve(), "this": ROOT}
    out: dict[str, dict[str, list[float]]] = {name: {} for name in trees}

    def add(name: str, key: str, value: float) -> None:
        out[name].setdefault(key, []).append(value)

    for _ in range(args.runs):
        for name, tree in trees.items():
            r = _serve(tree, kb, db, short, data / f"top10-{name}.json")
            add(name, "startup s", r["startup_s"])
            add(name, "index unchanged s", r["unchanged_s"])
            add(name, "reload one article s", r["reload_runs_s"][0])
            if "reload_warm_s" in r:  # bench/run.py from this change on
                add(name, "reload, a later edit s", r["reload_warm_s"])
            add(name, "ask p50 ms", r["ask_p50_ms"])
            for q in questions[:5]:
                said = q.lower().startswith("what did") and " say" in q.lower()
                add(name, "cold ask s (said)" if said else "cold ask s", _cold(tree, kb, db, q))
    print(f"| {args.size}, medians of {args.runs} alternated runs | base | this | this/base |")
    print("|---|---:|---:|---:|")
    for key in out["this"]:
        t = statistics.median(out["this"][key])
        if key not in out["base"]:
            print(f"| {key} | – | {t:.3f} | – |")
            continue
        b = statistics.median(out["base"][key])
        print(f"| {key} | {b:.3f} | {t:.3f} | {t / b:.2f} |")


if __name__ == "__main__":
    main()
