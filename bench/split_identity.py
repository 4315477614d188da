"""Are ingest's outputs unchanged? Dump them from one checkout, compare with another.

    python -m bench.split_identity dump OUT.json FOLDER [FOLDER ...] [--questions FILE.jsonl ...]
    python -m bench.split_identity compare OLD.json NEW.json

`dump` parses every article in the folders the way a build does and records, for
each paragraph the sentence splitter is given, its sentences; for each article its
passages' tokens and entity mentions (`document_write`); and the tokens of each
question in the JSONL files. Run it under two checkouts (PYTHONPATH=...) and
`compare` counts the paragraphs, articles and questions whose outputs differ, and
prints the first differences. It measures a change to sentences, tokenize or
entities against real text, which the unit tests only sample.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def dump(out: Path, folders: list[Path], questions: list[Path]) -> None:
    import bot.ingest.parse as parse
    from bot.build import document_write
    from bot.ingest.files import read_article, scan_folder
    from bot.text.tokenize import tokenize

    paragraphs: dict[str, list[str]] = {}
    split = parse.split_sentences
    split_cpu = 0.0

    def recording(block: str, *a: object, **k: object) -> list[str]:
        nonlocal split_cpu
        t0 = time.process_time()
        got = split(block, *a, **k)
        split_cpu += time.process_time() - t0
        paragraphs[block] = got
        return got

    parse.split_sentences = recording  # type: ignore[assignment]
    documents: dict[str, object] = {}
    t0 = time.process_time()
    for folder in folders:
        entries, _ = scan_folder(folder)
        for entry in entries:
            loaded = read_article(entry)
            if not hasattr(loaded, "document"):
                continue
            w = document_write(loaded)  # type: ignore[arg-type]
            documents[str(entry.path)] = {
                "passages": [list(p) for p in w.passages], "tokens": w.tokens,
                "text_tokens": w.text_tokens, "mentions": [list(m) for m in w.mentions],
            }
    asked: dict[str, list[str]] = {}
    for path in questions:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                q = row.get("question", row.get("q"))
                if isinstance(q, str):
                    asked[q] = tokenize(q)
    total = time.process_time() - t0
    out.write_text(json.dumps({"paragraphs": paragraphs, "documents": documents, "questions": asked}))
    print(f"{len(paragraphs)} paragraphs, {len(documents)} articles, {len(asked)} questions; "
          f"CPU {total:.2f} s (sentence splitting {split_cpu:.2f} s)")


def compare(old_path: Path, new_path: Path, show: int = 5) -> int:
    old = json.loads(old_path.read_text())
    new = json.loads(new_path.read_text())
    bad = 0
    for kind in ("paragraphs", "documents", "questions"):
        a, b = old[kind], new[kind]
        keys = sorted(set(a) | set(b))
        differ = [k for k in keys if a.get(k) != b.get(k)]
        bad += len(differ)
        print(f"{kind}: {len(keys)} compared, {len(differ)} differ")
        for k in differ[:show]:
            print(f"  - {k[:300]!r}")
            if kind == "paragraphs":
                print(f"      old: {a.get(k)}\n      new: {b.get(k)}")
            elif kind == "documents":
                for part in ("passages", "tokens", "mentions"):
                    x, y = (a.get(k) or {}).get(part), (b.get(k) or {}).get(part)
                    if x != y:
                        xs, ys = x or [], y or []
                        j = next((i for i in range(max(len(xs), len(ys)))
                                  if i >= len(xs) or i >= len(ys) or xs[i] != ys[i]), 0)
                        print(f"      {part}[{j}]: old {xs[j] if j < len(xs) else None}"
                              f" new {ys[j] if j < len(ys) else None}")
            else:
                print(f"      old: {a.get(k)}\n      new: {b.get(k)}")
    return bad


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump")
    d.add_argument("out", type=Path)
    d.add_argument("folders", type=Path, nargs="+")
    d.add_argument("--questions", type=Path, nargs="*", default=[])
    c = sub.add_parser("compare")
    c.add_argument("old", type=Path)
    c.add_argument("new", type=Path)
    c.add_argument("--show", type=int, default=5)
    args = ap.parse_args(argv)
    if args.cmd == "dump":
        dump(args.out, args.folders, args.questions)
    else:
        sys.exit(1 if compare(args.old, args.new, args.show) else 0)


if __name__ == "__main__":
    main()
