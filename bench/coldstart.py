"""Cold start at several corpus sizes, as ratios against bare Python in the same run.

    python -m bench.run --sizes 30k,100k,300k --only-build     # corpora and databases, once
    python -m bench.coldstart --sizes 30k,100k,300k --runs 5

Each figure is one fresh process on a built, up-to-date database (what a script
calling the CLI pays every time):

- `ask`: `python -m bot ask --json` with a corpus question (retrieval);
- `ask said`: a "What did X say …" question (the statements path, bot/answers/said.py);
- `who`: `python -m bot who --json` with a name the corpus uses;
- `index`: `python -m bot index --json` with nothing changed;
- `reload`: in one process, `Engine.open()`, then one article changed and
  `Engine.reload()` timed (the first changed reload of a process; then changed back).

Baselines in the same run: `python -c pass` and `python -c "import sqlite3"`.
With `--base DIR` (another checkout, e.g. `git archive main | tar -x -C /tmp/base`),
its commands run interleaved with this checkout's, on the same databases (each
tree's reload on its own copy), and a last column gives this / base. When the two
trees write different index formats, give the base its own copy of the data
(`--base-data`, same layout): on one database each tree's start would rewrite the
other's index folder every time.
All commands are interleaved round by round (the machine is shared: load moves
every figure, the ratios much less), and each is reported as the median wall
time, the median CPU time (user + system of the child, less sensitive to other
jobs), and both over the `python -c pass` median. The last columns divide each
size's CPU time by the smallest size's: a cold start that does not grow with the
corpus stays near 1.

Bytecode: the package is compiled first (`compileall`), as an installed package
is (pip compiles on install); a checkout run with PYTHONDONTWRITEBYTECODE would
otherwise recompile every module on every start (~0.1 s).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(cmd: list[str], tree: Path = ROOT, *, ok: tuple[int, ...] = (0, 1)) -> tuple[float, float, str]:
    """(wall s, CPU s, stdout) of one fresh process running `tree`'s code."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    cpu = _child_cpu()
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if proc.returncode not in ok:
        raise SystemExit(f"{' '.join(cmd[:4])} … failed ({proc.returncode}): {proc.stderr[-800:]}")
    return wall, _child_cpu() - cpu, proc.stdout


def phase_reload(kb: Path, db: Path) -> dict:
    """In this process: open, change one article, time the reload, change it back."""
    from bot.engine import Engine

    engine = Engine(kb, db)
    engine.open()
    path = sorted(p for p in kb.iterdir() if p.suffix == ".md")[len(list(kb.iterdir())) // 2]
    original = path.read_bytes()
    try:
        path.write_bytes(original + b"\nA sentence added for the cold-start benchmark.\n")
        cpu, t = time.process_time(), time.perf_counter()
        report = engine.reload()
        wall, cpu = time.perf_counter() - t, time.process_time() - cpu
        assert report.changed_anything, "the changed article was not noticed"
    finally:
        path.write_bytes(original)
        engine.reload()
        engine.close()
    return {"wall": wall, "cpu": cpu}


def _said_question(questions: list[str]) -> str | None:
    return next((q for q in questions if q.lower().startswith("what did") and " say" in q.lower()), None)


def _name(db: Path) -> str:
    """The most mentioned person or organisation of the corpus (read from the store)."""
    import sqlite3

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT name FROM mentions WHERE key LIKE '% %' GROUP BY key ORDER BY COUNT(*) DESC LIMIT 1").fetchone()
    finally:
        conn.close()
    return row[0] if row else "officials"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="30k,100k,300k")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--data", default=str(ROOT / "bench" / ".data"))
    ap.add_argument("--no-reload", action="store_true", help="skip the in-process reload figure")
    ap.add_argument("--markdown", help="also write the table to this file")
    ap.add_argument("--base", help="another checkout to compare with (its commands interleaved with these)")
    ap.add_argument("--base-data", help="the base's own copy of --data (when the index formats differ)")
    ap.add_argument("--phase", choices=["reload"], help=argparse.SUPPRESS)
    ap.add_argument("--kb", help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.phase == "reload":
        print(json.dumps(phase_reload(Path(args.kb), Path(args.db))))
        return

    trees = {"this": ROOT}
    if args.base:
        trees["base"] = Path(args.base).resolve()
    for tree in trees.values():
        compileall.compile_dir(tree / "bot", quiet=1)
    data = Path(args.data).resolve()
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    py = sys.executable
    me = str(Path(__file__).resolve())  # the reload phase runs from here, on either tree's code
    Key = tuple[str, str, str]  # (tree, size, command)
    commands: dict[Key, list[str]] = {
        ("this", "", "python -c pass"): [py, "-c", "pass"],
        ("this", "", "python -c 'import sqlite3'"): [py, "-c", "import sqlite3"],
    }
    copies: list[Path] = []
    for size in sizes:
        questions = json.loads((data / f"questions-{size}.json").read_text())
        plain = next(q for q in questions if _said_question([q]) is None)
        said = _said_question(questions)
        for name in trees:
            tree_data = Path(args.base_data).resolve() if name == "base" and args.base_data else data
            kb, db = tree_data / f"kb-{size}", tree_data / f"db-{size}.sqlite"
            if not db.exists():
                raise SystemExit(f"no database {db}: run `python -m bench.run --sizes {size} --only-build` first")
            where = ["--knowledge", str(kb), "--db", str(db)]
            commands[(name, size, "ask")] = [py, "-m", "bot", "ask", plain, "--json", *where]
            if said:
                commands[(name, size, "ask said")] = [py, "-m", "bot", "ask", said, "--json", *where]
            commands[(name, size, "who")] = [py, "-m", "bot", "who", _name(db), "--json", *where]
            commands[(name, size, "index")] = [py, "-m", "bot", "index", "--json", *where]
            if not args.no_reload:
                # A copy per tree: the changed article must not touch the database the
                # other commands read, and one tree's writes must not be the other's work.
                tmp = Path(tempfile.mkdtemp(prefix=f"coldstart-{name}-{size}-"))
                copies.append(tmp)
                shutil.copytree(kb, tmp / "kb")
                for suffix in ("", "-wal"):
                    if Path(f"{db}{suffix}").exists():
                        shutil.copy2(f"{db}{suffix}", tmp / f"db.sqlite{suffix}")
                if Path(f"{db}.index").is_dir():
                    shutil.copytree(f"{db}.index", tmp / "db.sqlite.index")
                commands[(name, size, "reload")] = [py, me, "--phase", "reload", "--kb", str(tmp / "kb"),
                                                    "--db", str(tmp / "db.sqlite")]
                # The copy's paths differ from the stored ones: make it current once, untimed.
                timed([py, "-m", "bot", "index", "--json", "--knowledge", str(tmp / "kb"), "--db",
                       str(tmp / "db.sqlite")], trees[name])

    wall: dict[Key, list[float]] = {k: [] for k in commands}
    cpu: dict[Key, list[float]] = {k: [] for k in commands}
    keys = list(commands)
    try:
        for run in range(args.runs):
            order = keys[run % len(keys):] + keys[: run % len(keys)]  # rotate: no command always first
            for key in order:
                w, c, out = timed(commands[key], trees[key[0]])
                if key[2] == "reload":
                    r = json.loads(out.strip().splitlines()[-1])
                    w, c = r["wall"], r["cpu"]
                wall[key].append(w)
                cpu[key].append(c)
            print(f"[{time.strftime('%H:%M:%S')}] round {run + 1}/{args.runs}", file=sys.stderr, flush=True)
    finally:
        for tmp in copies:
            shutil.rmtree(tmp, ignore_errors=True)

    med = {k: (statistics.median(wall[k]), statistics.median(cpu[k])) for k in keys}
    base_w, base_c = med[("this", "", "python -c pass")]
    first = sizes[0]
    vs_base = "base" in trees
    lines = [
        f"runs: {args.runs} interleaved; load average at the end: {os.getloadavg()[0]:.1f}; "
        "reload is in-process (no interpreter start), its ratios are over the same baseline",
        "",
        f"| size | command | wall s | CPU s | wall / pass | CPU / pass | CPU / {first} |"
        + (" base wall s | base CPU s | CPU this / base |" if vs_base else ""),
        "|---|---|---:|---:|---:|---:|---:|" + ("---:|---:|---:|" if vs_base else ""),
    ]
    for key in keys:
        name, size, what = key
        if name != "this":
            continue
        w, c = med[key]
        growth = f"{c / med[('this', first, what)][1]:.2f}" if size and ("this", first, what) in med else ""
        line = f"| {size or '–'} | {what} | {w:.3f} | {c:.3f} | {w / base_w:.1f} | {c / base_c:.1f} | {growth} |"
        if vs_base:
            b = med.get(("base", size, what))
            line += f" {b[0]:.3f} | {b[1]:.3f} | {c / b[1]:.2f} |" if b else " | | |"
        lines.append(line)
    table = "\n".join(lines)
    print(table)
    if args.markdown:
        Path(args.markdown).write_text(table + "\n")


if __name__ == "__main__":
    main()
