"""Answer quality on the shared evaluation sets, against plain BM25 in the same run.

    python -m bench.quality /work/shared/eval            # prints one markdown table
    python -m bench.quality /work/shared/eval --curve    # also the abstention curve

Sets (the path is an argument: nothing under bot/ or tests/ reads it):
- squad2-dev: `knowledge/` + `cases.jsonl` (tags adversarial / offtopic);
- dev.jsonl on the seed article (`../seed/` beside the eval folder);
- bbc: a many-article check built without tuning from `bbc-summary-dev/articles`:
  60 articles are loaded; from each, sentences become questions made of their
  own words (a seeded random third of their content words, in order; the quote
  must be that sentence), and whole paragraphs become long questions. The same
  is done for the 20 articles not loaded (tag offtopic / offtopic-long).

Baseline: plain stemmed BM25 (rank-bm25 BM25Okapi over the same sentences, the
project's tokenizer), top sentence first, never abstaining.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rank_bm25 import BM25Okapi

from bot.answers.ask import merge_duplicates
from bot.engine import Engine
from bot.evaluate import evaluate, fold, load_questions
from bot.search import retrieve as R
from bot.search.question import analyse
from bot.text.tokenize import is_stopword, raw_tokens, tokenize

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class EvalSet:
    name: str
    knowledge: Path
    cases: list[dict[str, Any]]


def _sentences(paragraph: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+(?=[A-Z\"'])", paragraph) if s.strip()]


def bbc_set(eval_dir: Path, work: Path, seed: int = 7) -> EvalSet:
    src = eval_dir / "bbc-summary-dev" / "articles"
    files = sorted(src.glob("*.txt"))
    rng = random.Random(seed)
    rng.shuffle(files)
    loaded, held_out = files[:60], files[60:]
    knowledge = work / "bbc-knowledge"
    knowledge.mkdir(parents=True, exist_ok=True)
    for f in loaded:
        shutil.copy(f, knowledge / f.name)
    cases: list[dict[str, Any]] = []
    for group, files_ in (("in", loaded), ("out", held_out)):
        for f in files_:
            paras = [p.strip() for p in f.read_text(encoding="utf-8").split("\n\n")[1:] if p.strip()]
            sents = [s for p in paras for s in _sentences(p) if len(raw_tokens(s)) >= 14]
            for s in rng.sample(sents, min(2, len(sents))):
                words = [w for w in re.findall(r"[\w'’%.-]+", s) if not is_stopword(w.lower())]
                words = [w.strip(".") for w in words if w.strip(".")]
                pick = sorted(rng.sample(range(len(words)), max(3, len(words) // 3)))
                q = " ".join(words[i] for i in pick) + "?"
                case = {"id": f"b{len(cases):04d}", "q": q}
                if group == "in":
                    cases.append({**case, "kind": "ask", "expect": [s[:60]], "doc": f.stem})
                else:
                    cases.append({**case, "kind": "unanswerable", "tag": "offtopic"})
            long_paras = [p for p in paras if len(p) >= 300]
            if long_paras:
                p = rng.choice(long_paras)[:6000]
                case = {"id": f"b{len(cases):04d}", "q": p}
                if group == "in":
                    cases.append({**case, "kind": "ask", "expect": [s[:60] for s in _sentences(p)], "tag": "long"})
                else:
                    cases.append({**case, "kind": "unanswerable", "tag": "offtopic-long"})
    return EvalSet("bbc (60 articles, generated)", knowledge, cases)


def sets(eval_dir: Path, work: Path) -> list[EvalSet]:
    out = [
        EvalSet("squad2-dev", eval_dir / "squad2-dev" / "knowledge", load_questions(eval_dir / "squad2-dev" / "cases.jsonl")),
        EvalSet("dev.jsonl (seed)", eval_dir.parent / "seed", load_questions(eval_dir / "dev.jsonl")),
    ]
    if (eval_dir / "bbc-summary-dev" / "articles").is_dir():
        out.append(bbc_set(eval_dir, work))
    return out


def open_engine(s: EvalSet, work: Path) -> Engine:
    db = work / (re.sub(r"\W+", "-", s.name) + ".db")
    engine = Engine(s.knowledge, db)
    engine.open(refresh=True)
    return engine


def baseline(engine: Engine, cases: list[dict[str, Any]]) -> tuple[float, float]:
    """R@1, R@3 of plain stemmed BM25 (Okapi) over the same body sentences."""
    snap = engine._snapshot  # measuring only
    rows = snap.reader.query("SELECT text FROM passages WHERE kind = 'body' ORDER BY id")
    texts = [r[0] for r in rows]
    bm25 = BM25Okapi([tokenize(t) or ["∅"] for t in texts])
    h1 = h3 = n = 0
    for c in cases:
        if c["kind"] != "ask":
            continue
        n += 1
        scores = bm25.get_scores(tokenize(c["q"]))
        top = sorted(range(len(texts)), key=lambda i: -scores[i])[:3]
        ok = [any(fold(e) in fold(texts[i]) for e in c["expect"]) for i in top]
        h1 += ok[:1] == [True]
        h3 += any(ok)
    return (h1 / n if n else 0.0), (h3 / n if n else 0.0)


def signals(engine: Engine, cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per question: the ranking without abstention (hit@1, hit@3) and the abstention signals."""
    snap = engine._snapshot
    out = []
    for c in cases:
        if c["kind"] == "who":
            continue
        question = analyse(c["q"])
        res = R.retrieve(snap, question, abstain=False)
        quotes = merge_duplicates(snap, list(res.hits), frozenset(question.terms))[:3]
        texts = [fold(q.text) for q in quotes]
        ok = [any(fold(e) in t for e in c.get("expect", [])) for t in texts]
        out.append({"id": c["id"], "answerable": c["kind"] == "ask", "tag": c.get("tag") or "untagged",
                    "hit1": ok[:1] == [True], "hit3": any(ok[:3]), "kind": res.kind,
                    "long": len(question.terms) >= R.LONG_TERMS, **res.signals})
    return out


def abstains(row: dict[str, Any], min_doc: float, min_cov: float) -> bool:
    if row["kind"] == "vague":
        return True
    if row["long"]:
        if row.get("unseen", 0.0) > R.LONG_UNSEEN:
            return True
    elif row.get("unknown_names", 0.0) > 0 and row.get("coverage", 0.0) < R.UNKNOWN_NAME_COVERAGE:
        return True
    if row.get("negation_unmet") or row.get("number_unmet") or row.get("opposite"):
        return True
    if row.get("when_unmet") or row.get("where_unmet"):
        return True
    # "evidence": the best sentence's coverage under abstention weights (retrieve.evidence)
    return row.get("doc_coverage", 0.0) < min_doc or row.get("evidence", row.get("coverage", 0.0)) < min_cov


def curve(rows: list[dict[str, Any]], grid_doc: list[float], grid_cov: list[float]) -> list[dict[str, Any]]:
    points = []
    for d in grid_doc:
        for c in grid_cov:
            ans = [r for r in rows if r["answerable"]]
            fa = sum(abstains(r, d, c) for r in ans) / max(len(ans), 1)
            tags: dict[str, list[int]] = {}
            for r in rows:
                if not r["answerable"]:
                    t = tags.setdefault(r["tag"], [0, 0])
                    t[0] += abstains(r, d, c)
                    t[1] += 1
            points.append({"min_doc": d, "min_cov": c, "false_abst": fa,
                           **{t: a / n for t, (a, n) in tags.items()}})
    return points


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("eval_dir", type=Path)
    ap.add_argument("--curve", action="store_true", help="print the abstention curve (squad2-dev + seed)")
    ap.add_argument("--dump", type=Path, help="write per-question signals (JSON lines) here")
    ap.add_argument("--only", help="run only sets whose name starts with this")
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="storybot-quality-"))
    table = ["| set | StoryBot R@1 | R@3 | false abstentions | abstained, per tag | plain BM25 R@1 | R@3 |",
             "|---|---|---|---|---|---|---|"]
    calib: list[dict[str, Any]] = []
    dump = []
    try:
        for s in sets(args.eval_dir, work):
            if args.only and not s.name.startswith(args.only):
                continue
            engine = open_engine(s, work)
            res = evaluate(engine, s.cases)
            b1, b3 = baseline(engine, s.cases)
            tags = ", ".join(f"{t} {v:.2f} ({res.by_tag[t][0]}/{res.by_tag[t][1]})"
                             for t, v in res.abstention_by_tag().items())
            table.append(f"| {s.name} | {res.recall1:.3f} | {res.recall3:.3f} | {res.abstained_wrong}/{res.answerable} "
                         f"| {tags} | {b1:.3f} | {b3:.3f} |")
            if args.curve or args.dump:
                rows = signals(engine, s.cases)
                for r in rows:
                    r["set"] = s.name
                dump.extend(rows)
                if not s.name.startswith("bbc"):
                    calib.extend(rows)
            engine.close() if hasattr(engine, "close") else None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("\n".join(table))
    if args.dump:
        args.dump.write_text("".join(json.dumps(r) + "\n" for r in dump))
    if args.curve:
        print("\nAbstention curve (squad2-dev + seed together):")
        print("| min article coverage | min sentence coverage | false abstentions | " + " | ".join(
            sorted({r["tag"] for r in calib if not r["answerable"]})) + " |")
        pts = curve(calib, [0.0, 0.35, 0.5], [0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6])
        for p in pts:
            tags = sorted(k for k in p if k not in ("min_doc", "min_cov", "false_abst"))
            print(f"| {p['min_doc']:.2f} | {p['min_cov']:.2f} | {p['false_abst']:.3f} | "
                  + " | ".join(f"{p[t]:.2f}" for t in tags) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
