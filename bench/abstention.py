"""Abstention curves: when to say "the articles don't say", measured on four sets at once.

    python -m bench.abstention /work/shared/eval            # the curve, one row per setting
    python -m bench.abstention /work/shared/eval --point    # only the shipped setting

Sets (the eval path is an argument; nothing under bot/ or tests/ reads it):
- squad2-dev (answerable; tags adversarial = near-miss, offtopic);
- dev.jsonl on the seed article;
- the seed paraphrase set (tests/data/seed_paraphrases.jsonl, written for this
  project from the seed article: paraphrases, near-misses, off-topic questions);
- bbc titles: half of bbc-summary-dev's articles are loaded (seeded shuffle);
  every article's title becomes "What happened with <title>?". Questions about
  the loaded half should be answered from their own article; questions about
  the other half are off-topic (same outlet, same months, same domain).

Each setting varies the English-specificity weighting of unseen verbs
(bot/text/specificity.py) and the two coverage thresholds; the fixed rules
(vague, unknown name, negation, number, antonym, long) apply at every point.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.quality import EvalSet, abstains  # one copy of the retrieve() rules replayed on signals
from bot.answers.ask import merge_duplicates
from bot.engine import Engine
from bot.evaluate import fold, load_questions
from bot.search import retrieve as R
from bot.search.question import analyse
from bot.text import specificity as S

ROOT = Path(__file__).resolve().parent.parent


def title_set(eval_dir: Path, work: Path, seed: int = 11) -> EvalSet:
    files = sorted((eval_dir / "bbc-summary-dev" / "articles").glob("*.txt"))
    random.Random(seed).shuffle(files)
    half = len(files) // 2
    knowledge = work / "bbc-half"
    knowledge.mkdir(parents=True, exist_ok=True)
    cases: list[dict[str, Any]] = []
    for i, f in enumerate(files):
        title = f.read_text(encoding="utf-8").split("\n", 1)[0].strip()
        q = f"What happened with {title}?"
        if i < half:
            shutil.copy(f, knowledge / f.name)
            cases.append({"id": f"t{i:03d}", "kind": "ask", "q": q, "expect": [], "doc": f.stem, "tag": "loaded"})
        else:
            cases.append({"id": f"t{i:03d}", "kind": "unanswerable", "q": q, "expect": [], "tag": "offtopic"})
    return EvalSet("bbc titles (half loaded)", knowledge, cases)


def all_sets(eval_dir: Path, work: Path) -> list[EvalSet]:
    return [
        EvalSet("squad2-dev", eval_dir / "squad2-dev" / "knowledge", load_questions(eval_dir / "squad2-dev" / "cases.jsonl")),
        EvalSet("seed dev", eval_dir.parent / "seed", load_questions(eval_dir / "dev.jsonl")),
        EvalSet("seed paraphrases", ROOT / "knowledge", load_questions(ROOT / "tests" / "data" / "seed_paraphrases.jsonl")),
        title_set(eval_dir, work),
    ]


def rows_for(engine: Engine, cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    snap = engine._snapshot  # measuring only
    out = []
    for c in cases:
        if c["kind"] == "who":
            continue
        question = analyse(c["q"])
        res = R.retrieve(snap, question, abstain=False)
        quotes = merge_duplicates(snap, list(res.hits), frozenset(question.terms))[:3]
        ok = [any(fold(e) in fold(q.text) for e in c.get("expect", [])) for q in quotes]
        if not c.get("expect") and c.get("doc"):
            ok = [q.citation.document == c["doc"] for q in quotes]
        out.append({"answerable": c["kind"] == "ask", "tag": c.get("tag") or "unanswerable",
                    "hit1": ok[:1] == [True], "kind": res.kind,
                    "long": len(question.terms) >= R.LONG_TERMS, **res.signals})
    return out


def score(rows: list[dict[str, Any]], min_doc: float, min_cov: float) -> dict[str, str]:
    ans = [r for r in rows if r["answerable"]]
    out = {"refused": f"{sum(abstains(r, min_doc, min_cov) for r in ans)}/{len(ans)}",
           "right@1": f"{sum(r['hit1'] and not abstains(r, min_doc, min_cov) for r in ans)}/{len(ans)}"}
    for tag in sorted({r["tag"] for r in rows if not r["answerable"]}):
        rs = [r for r in rows if not r["answerable"] and r["tag"] == tag]
        out[tag] = f"{sum(abstains(r, min_doc, min_cov) for r in rs) / len(rs):.2f}"
    return out


SPEC_GRID = [(None, None, 1.0), (3.0, 6.0, 0.1), (3.5, 6.0, 0.1), (4.0, 6.0, 0.1)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.abstention")
    ap.add_argument("eval_dir", type=Path)
    ap.add_argument("--point", action="store_true", help="only the shipped setting")
    args = ap.parse_args(argv)
    shipped = (S.RARE_ZIPF, S.COMMON_ZIPF, S.COMMON_SHARE)
    spec_grid = [shipped] if args.point else SPEC_GRID
    doc_grid = [R.MIN_DOC_COVERAGE] if args.point else [0.35, 0.45]
    cov_grid = [R.MIN_COVERAGE] if args.point else [0.25, 0.3, 0.35]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        engines = []
        for s in all_sets(args.eval_dir, work):
            eng = Engine(s.knowledge, work / (s.name.replace(" ", "-") + ".db"))
            eng.open(refresh=True)
            engines.append((s, eng))
        print("| unseen words (rare, common Zipf, common share) | min article | min sentence | "
              + " | ".join(s.name for s, _ in engines) + " |")
        print("|---|---|---|" + "---|" * len(engines))
        for rare, common, share in spec_grid:
            if rare is None:  # every unseen word fully specific: the rule before
                S.RARE_ZIPF, S.COMMON_ZIPF, S.COMMON_SHARE = 99.0, 100.0, 1.0
            else:
                S.RARE_ZIPF, S.COMMON_ZIPF, S.COMMON_SHARE = rare, common, share
            rows = [(s, rows_for(eng, s.cases)) for s, eng in engines]
            for d in doc_grid:
                for c in cov_grid:
                    cells = []
                    for s, rs in rows:
                        sc = score(rs, d, c)
                        cells.append(", ".join(f"{k} {v}" for k, v in sc.items()))
                    label = "off (all full)" if rare is None else f"{rare}, {common}, {share}"
                    print(f"| {label} | {d} | {c} | " + " | ".join(cells) + " |")
            sys.stdout.flush()
        for _, eng in engines:
            eng.close()
        S.RARE_ZIPF, S.COMMON_ZIPF, S.COMMON_SHARE = shipped
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
