"""Ingest time against article size: parsing and sentence splitting stay linear.

    python -m bench.ingest                       # sizes 200k,1m,5m; pysbd baseline at 25k,50k,100k
    python -m bench.ingest --sizes 200k,5m --baseline-sizes 25k,50k

The articles are the seed article's body (knowledge/), repeated up to the size,
written as moderators sometimes do: one paragraph per line and no blank lines
(`lines`), or the whole body on one line (`one-line`). For each it times
`parse_document` (paragraphs and sentences) and the whole `index` of a folder
holding only that file (parse, tokenise, entity mentions, SQLite write), and
prints the time per MB: flat across sizes means linear.

The baseline, in the same run, is what ingest did before: pysbd's
`Segmenter.segment` given the whole body as one paragraph (its cost grows with
the square of the paragraph), at smaller sizes because it takes minutes beyond.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "knowledge" / "caixin-2025-09-26-tiktok-xi-trump-call.md"


def parse_size(text: str) -> int:
    text = text.strip().lower()
    for suffix, mult in (("m", 1_000_000), ("k", 1_000)):
        if text.endswith(suffix):
            return int(float(text[:-1]) * mult)
    return int(text)


def seed_paragraphs() -> list[str]:
    body = SEED.read_text(encoding="utf-8").split("---\n", 2)[2]
    paras = [" ".join(p.split()) for p in body.split("\n\n") if p.strip()]
    return [p for p in paras if not p.startswith(("Contact", "Image", "caixinglobal"))]


def article(size: int, layout: str) -> str:
    """Title, date and byline lines, then the seed's paragraphs repeated to `size` characters."""
    paras = seed_paragraphs()
    out: list[str] = []
    n = 0
    while n < size:
        p = paras[len(out) % len(paras)]
        out.append(p)
        n += len(p) + 1
    sep = "\n" if layout == "lines" else " "
    return "Seed Article Repeated\n26 Sep 2025\nBy Guan Cong and Denise Jia\n" + sep.join(out) + "\n"


def time_parse(text: str) -> tuple[float, int, int]:
    from bot.ingest.parse import parse_document

    t0 = time.perf_counter()
    doc = parse_document("big", text, ".txt")
    return time.perf_counter() - t0, len(doc.paragraphs), doc.sentence_count


def cpu_and_wall(fn, *args):  # type: ignore[no-untyped-def]
    """(result, CPU seconds): on a shared machine CPU time is the steadier figure."""
    c0 = time.process_time()
    result = fn(*args)
    return result, time.process_time() - c0


def time_index(text: str) -> float:
    from bot.build import sync_folder
    from bot.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        kb = Path(tmp) / "kb"
        kb.mkdir()
        (kb / "big.txt").write_text(text, encoding="utf-8")
        store = Store(Path(tmp) / "db.sqlite")
        try:
            t0 = time.perf_counter()
            report = sync_folder(store, kb)
            elapsed = time.perf_counter() - t0
        finally:
            store.close()
        if report.failed:
            raise SystemExit(f"index failed: {report.failed}")
        return elapsed


def time_pysbd_whole(text: str) -> tuple[float, int]:
    from bot.ingest.sentences import segmenter

    body = " ".join(text.split("\n")[3:])
    t0 = time.perf_counter()
    n = len(segmenter().segment(body))
    return time.perf_counter() - t0, n


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="200k,1m,5m")
    ap.add_argument("--baseline-sizes", default="25k,50k,100k", help="'' to skip the pysbd baseline")
    args = ap.parse_args(argv)
    print("| layout | size | paragraphs | sentences | parse s | parse s/MB | index s | index s/MB | index CPU s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for layout in ("lines", "one-line"):
        for size_text in args.sizes.split(","):
            size = parse_size(size_text)
            text = article(size, layout)
            mb = len(text.encode("utf-8")) / 1e6
            parse_s, paras, sents = time_parse(text)
            index_s, index_cpu = cpu_and_wall(time_index, text)
            print(f"| {layout} | {size_text} | {paras:,} | {sents:,} | {parse_s:.2f} | {parse_s / mb:.2f} "
                  f"| {index_s:.2f} | {index_s / mb:.2f} | {index_cpu:.2f} |", flush=True)
    if args.baseline_sizes:
        print()
        print("baseline: pysbd Segmenter.segment on the whole body as one paragraph (ingest before)")
        print("| size | sentences | s | s/MB |")
        print("| ---: | ---: | ---: | ---: |")
        for size_text in args.baseline_sizes.split(","):
            text = article(parse_size(size_text), "one-line")
            mb = len(text.encode("utf-8")) / 1e6
            secs, n = time_pysbd_whole(text)
            print(f"| {size_text} | {n:,} | {secs:.2f} | {secs / mb:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
