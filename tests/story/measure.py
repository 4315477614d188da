"""Attribution precision and recall against hand-labelled statements (tests/data/attribution-gold.json).

Run: `python tests/story/measure.py` (prints the table the README quotes).
A found statement is right when it is in the labelled paragraph, its sentence
holds the labelled words, and its speaker is the labelled one (same words).
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
GOLD = DATA / "attribution-gold.json"
ARTICLES = {
    "caixin-2025-09-26-tiktok-xi-trump-call": ROOT / "knowledge" / "caixin-2025-09-26-tiktok-xi-trump-call.md",
    "lawmakers-press-tiktok-deal-review": DATA / "lawmakers-press-tiktok-deal-review.md",
    # labelled after the rules were written: a held-out check
    "tiktok-us-joint-venture-oracle": ROOT / "tests" / "kb" / "data" / "tiktok-us-joint-venture-oracle.md",
}


def _norm(s: str) -> set[str]:
    return set(s.lower().replace("’", "'").replace("the ", "").split())


@dataclass
class Score:
    document: str
    gold: int
    found: int
    right: int
    kind_right: int
    misses: list[str]
    wrong: list[str]

    @property
    def precision(self) -> float:
        return self.right / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.right / self.gold if self.gold else 1.0


def score_document(statements: list, gold: list[dict], document: str) -> Score:
    unmatched = list(gold)
    right = kind_right = 0
    wrong: list[str] = []
    for s in statements:
        hit = next((g for g in unmatched if g["paragraph"] == s.paragraph and g["words"] in s.text
                    and (_norm(g["speaker"]) <= _norm(s.speaker) or _norm(s.speaker) <= _norm(g["speaker"]))), None)
        if hit is None:
            wrong.append(f"¶{s.paragraph} {s.speaker!r}: {s.text[:60]}")
            continue
        unmatched.remove(hit)
        right += 1
        kind_right += hit["kind"] == s.kind
    misses = [f"¶{g['paragraph']} {g['speaker']!r}: {g['words']}" for g in unmatched]
    return Score(document, len(gold), len(statements), right, kind_right, misses, wrong)


def measure(folder: Path | None = None) -> list[Score]:
    from bot.answers.said import document_statements
    from bot.engine import Engine

    gold = json.loads(GOLD.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        knowledge = Path(tmp) / "knowledge"
        knowledge.mkdir()
        for path in ARTICLES.values():
            shutil.copy(path, knowledge / path.name)
        engine = Engine(knowledge, Path(tmp) / "db.sqlite")
        engine.open()
        try:
            snap = engine._snapshot
            assert snap is not None
            return [score_document(document_statements(snap, doc), gold[doc], doc) for doc in ARTICLES]
        finally:
            engine.close()


def main() -> int:
    scores = measure()
    total = Score("all", *(sum(getattr(s, f) for s in scores) for f in ("gold", "found", "right", "kind_right")), [], [])
    for s in scores + [total]:
        print(f"{s.document}: gold {s.gold}, found {s.found}, right {s.right} → precision {s.precision:.2f}, "
              f"recall {s.recall:.2f}, kind right {s.kind_right}/{s.right}")
        for m in s.misses:
            print("   missed", m)
        for w in s.wrong:
            print("   wrong ", w)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
