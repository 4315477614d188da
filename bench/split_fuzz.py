"""The sentence splitter against pysbd alone, on text made to trip its shortcuts.

    python -m bench.split_fuzz folder DIR [DIR ...]     # every paragraph of the articles there
    python -m bench.split_fuzz join OLD.json --n 10000   # 2-6 random real sentences joined
    python -m bench.split_fuzz random --n 10000          # random abbreviations, quotes, lists …

`join` draws sentences from a `bench.split_identity` dump (its "paragraphs"), so a
cut where pysbd would have joined two sentences shows; `random` builds paragraphs
from tokens chosen to exercise pysbd's rules (abbreviations, initials, quotation
marks, brackets, ellipses, decimals, list markers, letters `re.IGNORECASE` maps to
ASCII). Each paragraph is split with the fast path and the gated abbreviation pass,
then with neither; differences are counted and the first few printed. CPU of both.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

from bot.ingest import sentences as S

RANDOM_WORDS = (
    "the talks said Smith Mr Dr U.S. Inc. Yahoo! 3.5 125 45% 78,365 went home Friday October ok no "
    "a i iv (b) 2) 1. e.g. Ph.D. etc. approx. St. Gen. Jan. am p.m. ... ? ! \u201c \u201d \" ' \u2018 \u2019 "
    "( ) [ ] \u2014 \u2013 - , ; : caf\u00e9 Z\u00fcrich \u017ft \u212a ups eag ice phid -12 5) (2019) \u2043"
).split()
MARKS = ["", "", "", ".", ".", "!", "?", ",", "...", ".\u201d", ",\u201d", '."', ")", "."]


def reference(paragraph: str) -> list[str]:
    """pysbd alone (its own abbreviation pass, no fast path), windows as before."""
    window, fast = S.segment_window, S.FAST_PATH
    S.segment_window, S.FAST_PATH = S._pysbd_sentences_ungated, False
    try:
        return S.split_sentences(paragraph)
    finally:
        S.segment_window, S.FAST_PATH = window, fast


def check(paragraphs: list[str], label: str, show: int = 5) -> int:
    bad = 0
    t_new = t_ref = 0.0
    for p in paragraphs:
        t = time.process_time()
        a = S.split_sentences(p)
        t_new += time.process_time() - t
        t = time.process_time()
        b = reference(p)
        t_ref += time.process_time() - t
        if a != b:
            bad += 1
            if bad <= show:
                print(f"DIFF {p[:400]!r}\n  new {a}\n  ref {b}")
    print(f"{label}: {len(paragraphs)} paragraphs, {bad} differ; CPU {t_new:.2f} s, pysbd alone {t_ref:.2f} s")
    return bad


def folder_paragraphs(folders: list[Path]) -> list[str]:
    import bot.ingest.parse as parse
    from bot.ingest.files import read_article, scan_folder

    found: list[str] = []
    real = parse.split_sentences
    parse.split_sentences = lambda block, *a, **k: (found.append(block), [])[1]  # type: ignore[assignment]
    try:
        for folder in folders:
            entries, _ = scan_folder(folder)
            for entry in entries:
                read_article(entry)
    finally:
        parse.split_sentences = real
    return found


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["folder", "join", "random"])
    ap.add_argument("paths", type=Path, nargs="*")
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    if args.mode == "folder":
        paragraphs = folder_paragraphs(args.paths)
    elif args.mode == "join":
        sentences = [s for path in args.paths for v in json.loads(path.read_text())["paragraphs"].values() for s in v]
        paragraphs = [" ".join(rng.choice(sentences) for _ in range(rng.randint(2, 6))) for _ in range(args.n)]
    else:
        paragraphs = []
        for _ in range(args.n):
            words = []
            for _ in range(rng.randint(3, 40)):
                w = rng.choice(RANDOM_WORDS)
                words.append((w.capitalize() if rng.random() < 0.3 else w) + rng.choice(MARKS))
            paragraphs.append(" ".join(words))
    sys.exit(1 if check(paragraphs, f"{args.mode} (seed {args.seed})") else 0)


if __name__ == "__main__":
    main()
