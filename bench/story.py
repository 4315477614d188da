"""Story tools at scale: timeline, said and whatsnew as ratios of an `ask` in the same run.

    python -m bench.story --sentences 30k

Each tool runs on a generated corpus (bench/corpus.py): cold (the first call on a
fresh snapshot: timeline and said read and parse the documents they need, then
keep the result for that snapshot) and warm (the second call). Times are printed
as multiples of the median `ask` on the same machine and run, so the figures
compare across machines; the absolute milliseconds are shown too.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from bench.corpus import generate
from bot.engine import Engine


def _sizes(text: str) -> int:
    text = text.lower().strip()
    mult = 1_000_000 if text.endswith("m") else 1_000 if text.endswith("k") else 1
    return int(float(text.rstrip("mk")) * mult)


def _timed(fn, *args, **kwargs) -> float:  # noqa: ANN001, ANN002, ANN003
    t0 = time.perf_counter()
    fn(*args, **kwargs)
    return (time.perf_counter() - t0) * 1000


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sentences", default="30k")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    n = _sizes(args.sentences)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = generate(Path(tmp) / "kb", n, args.seed, n_questions=60)
        engine = Engine(corpus.folder, Path(tmp) / "db.sqlite")
        engine.open()
        try:
            asks = [_timed(engine.ask, q) for q in corpus.questions[:60]]
            ask_ms = statistics.median(asks)
            names = engine.entity_names("", 5)
            person = names[0] if names else "Minister"
            rows = [
                ("timeline (all) cold", _timed(engine.timeline, "")),
                ("timeline (all) warm", _timed(engine.timeline, "")),
                ("timeline topic warm", _timed(engine.timeline, corpus.questions[0] if corpus.questions else "market")),
                (f"said {person!r} cold", _timed(engine.said, person)),
                (f"said {person!r} warm", _timed(engine.said, person)),
                ("whatsnew (newest)", _timed(engine.whatsnew)),
            ]
        finally:
            engine.close()
    print(f"{n:,} sentences; median ask {ask_ms:.2f} ms")
    print("| tool | ms | × median ask |")
    print("| --- | --- | --- |")
    for label, ms in rows:
        print(f"| {label} | {ms:.1f} | {ms / ask_ms:.0f}× |")


if __name__ == "__main__":
    main()
