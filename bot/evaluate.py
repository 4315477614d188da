"""Score the engine on a question set (JSON lines: id, kind, q, expect).

`kind` is `ask`, `who` or `unanswerable`; a quote is right when one of the
`expect` strings appears in it after folding case, curly quotes and spaces.
Recall@1 counts the first quote, Recall@3 the first three; an unanswerable
question is right only when the engine abstains.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.engine import Engine
from bot.text.tokenize import normalize


class EvalFileError(ValueError):
    pass


def fold(text: str) -> str:
    """Case, curly quotes and dashes folded, spaces squashed (the shared sets' scoring rule)."""
    return " ".join(normalize(text).split())


@dataclass
class EvalResult:
    answerable: int = 0
    hit1: int = 0
    hit3: int = 0
    unanswerable: int = 0
    abstained_right: int = 0
    abstained_wrong: int = 0  # answerable questions the engine abstained on
    failures: list[dict[str, Any]] = field(default_factory=list)
    by_tag: dict[str, list[int]] = field(default_factory=dict)  # tag → [abstained, total] (unanswerable)

    @property
    def recall1(self) -> float:
        return self.hit1 / self.answerable if self.answerable else 0.0

    @property
    def recall3(self) -> float:
        return self.hit3 / self.answerable if self.answerable else 0.0

    @property
    def abstention_accuracy(self) -> float:
        total = self.unanswerable + self.answerable
        right = self.abstained_right + (self.answerable - self.abstained_wrong)
        return right / total if total else 0.0

    def abstention_by_tag(self) -> dict[str, float]:
        """The share of unanswerable questions abstained on, per `tag` ("untagged" when none)."""
        return {tag: (a / n if n else 0.0) for tag, (a, n) in sorted(self.by_tag.items())}

    @property
    def false_abstention_rate(self) -> float:
        return self.abstained_wrong / self.answerable if self.answerable else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "abstention_by_tag": {t: round(v, 4) for t, v in self.abstention_by_tag().items()},
            "answerable": self.answerable, "recall@1": round(self.recall1, 4), "recall@3": round(self.recall3, 4),
            "unanswerable": self.unanswerable, "abstained_correctly": self.abstained_right,
            "answerable_abstained": self.abstained_wrong,
            "abstention_accuracy": round(self.abstention_accuracy, 4), "failures": self.failures,
        }


def load_questions(path: Path) -> list[dict[str, Any]]:
    items = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalFileError(f"cannot read {path}: {exc}") from exc
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalFileError(f"{path}:{n}: not JSON ({exc.msg})") from exc
        if not isinstance(item, dict) or item.get("kind") not in ("ask", "who", "unanswerable") or not isinstance(item.get("q"), str):
            raise EvalFileError(f"{path}:{n}: needs 'kind' (ask|who|unanswerable) and 'q'")
        items.append(item)
    return items


def evaluate(engine: Engine, items: list[dict[str, Any]]) -> EvalResult:
    result = EvalResult()
    for item in items:
        kind, q = item["kind"], item["q"]
        expect = [fold(e) for e in item.get("expect", [])]
        res = engine.who(q) if kind == "who" else engine.ask(q)
        texts = [fold(quote.text) for quote in res.quotes]
        if kind == "unanswerable":
            result.unanswerable += 1
            tally = result.by_tag.setdefault(str(item.get("tag") or "untagged"), [0, 0])
            tally[1] += 1
            if not res.answered:
                result.abstained_right += 1
                tally[0] += 1
            else:
                result.failures.append({"id": item.get("id"), "q": q, "problem": "answered", "got": texts[:1]})
            continue
        result.answerable += 1
        if not res.answered:
            result.abstained_wrong += 1
        ok = [any(e in t for e in expect) for t in texts]
        if ok[:1] == [True]:
            result.hit1 += 1
        if any(ok[:3]):
            result.hit3 += 1
        if not ok[:1] == [True]:
            result.failures.append({"id": item.get("id"), "q": q, "problem": "miss@1" if any(ok[:3]) else "miss@3",
                                    "got": texts[:3]})
    return result
