"""Summary precision against reference extracts, beside the Lead-N baseline.

    python -m bench.summary_quality /path/to/bbc-summary-dev            # in-process engine
    python -m bench.summary_quality /path/to/bbc-summary-dev --cli      # through `python -m bot summary --json`

The folder holds `articles/NAME.txt` and `references/NAME.txt` (the reference
extract: sentences of the article, run together). A summary quote counts as a
hit when its text, with punctuation and spaces removed and case folded, is in
the reference (so folded the same way). Lead-N takes the article's first N body
sentences (as StoryBot split them), N being the number of quotes the summary
gave, and is scored the same way. Measuring material only: nothing in `bot/`
or `tests/` reads it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def fold(text: str) -> str:
    """Letters and digits only, case folded (quotes, dashes, spaces and punctuation go)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in text if ch.isalnum())


def _hit(quote: str, reference: str) -> bool:
    parts = [fold(p) for p in quote.split("…")]  # a clipped quote: every piece must be there
    parts = [p for p in parts if p]
    return bool(parts) and all(p in reference for p in parts)


def _summaries_in_process(articles: Path, db: Path) -> dict[str, tuple[list[str], list[str]]]:
    """doc id → (summary quote texts, body sentences in reading order)."""
    from bot.engine import Engine

    engine = Engine(articles, db)
    engine.open()
    out: dict[str, tuple[list[str], list[str]]] = {}
    try:
        for doc in engine.documents():
            s = engine.summary(doc.id)
            body = engine._with_snapshot(lambda snap, d=doc.id: [r.text for r in snap.reader.body_passages(d)])
            out[doc.id] = ([q.text for q in s.quotes], body)
    finally:
        engine.close()
    return out


def _summaries_cli(articles: Path, db: Path) -> dict[str, tuple[list[str], list[str]]]:
    base = [sys.executable, "-m", "bot"]
    opts = ["--knowledge", str(articles), "--db", str(db)]
    subprocess.run(base + ["index"] + opts, check=True, capture_output=True, cwd=ROOT)
    in_process = _summaries_in_process(articles, db)  # for the body sentences (Lead-N)
    out: dict[str, tuple[list[str], list[str]]] = {}
    for doc_id, (_, body) in in_process.items():
        res = subprocess.run(base + ["summary", doc_id, "--json"] + opts, check=True, capture_output=True,
                             text=True, cwd=ROOT)
        out[doc_id] = ([q["text"] for q in json.loads(res.stdout)["quotes"]], body)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", type=Path, help="a folder with articles/ and references/")
    ap.add_argument("--cli", action="store_true", help="ask the CLI for each summary (slower, as scored)")
    ap.add_argument("--verbose", "-v", action="store_true", help="one line per article")
    args = ap.parse_args(argv)
    articles, references = args.folder / "articles", args.folder / "references"
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "summary.db"
        results = (_summaries_cli if args.cli else _summaries_in_process)(articles, db)
    hits = lead_hits = quotes = 0
    for doc_id in sorted(results):
        ref_path = references / f"{doc_id}.txt"
        if not ref_path.exists():
            continue
        reference = fold(ref_path.read_text(encoding="utf-8"))
        summary, body = results[doc_id]
        n = len(summary)
        h = sum(_hit(q, reference) for q in summary)
        lh = sum(_hit(s, reference) for s in body[:n])
        hits, lead_hits, quotes = hits + h, lead_hits + lh, quotes + n
        if args.verbose:
            print(f"{doc_id}: summary {h}/{n}, lead {lh}/{n}")
    precision = hits / quotes if quotes else 0.0
    lead = lead_hits / quotes if quotes else 0.0
    print(f"articles: {len(results)}, quotes: {quotes}")
    print(f"summary precision: {precision:.3f} ({hits}/{quotes})")
    print(f"Lead-N precision:  {lead:.3f} ({lead_hits}/{quotes})")
    print(f"margin: {precision - lead:+.3f} (target ≥ +0.050); {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
