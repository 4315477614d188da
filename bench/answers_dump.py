"""Every answer the engine gives to a question set, as JSON lines, to diff two checkouts.

    PYTHONHASHSEED=0 python -m bench.answers_dump DB KNOWLEDGE QUESTIONS OUT.jsonl

QUESTIONS: a JSON list of strings (bench/questions-*.json) or JSON lines with `q` and
`kind` (ask|who|unanswerable, as `bot eval` reads). Every field of each Answer or
EntityCard is written except `elapsed_ms`; the database is opened as it is
(nothing is rebuilt), so two checkouts run on one copy answer from the same rows.
Run it under each checkout (PYTHONPATH=...) and `cmp` the outputs.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path


def _plain(value: object) -> object:
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.name != "elapsed_ms"}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 4:
        print(__doc__)
        return 2
    from bot.engine import Engine

    db, knowledge, questions, out = args
    text = Path(questions).read_text()
    if questions.endswith(".json"):
        cases = [("ask", q) for q in json.loads(text)]
    else:
        cases = [(c.get("kind", "ask"), c["q"]) for c in map(json.loads, filter(None, text.splitlines()))]
    engine = Engine(Path(knowledge), Path(db))
    engine.open(refresh=False)
    with open(out, "w") as fh:
        for kind, q in cases:
            res = engine.who(q) if kind == "who" else engine.ask(q)
            fh.write(json.dumps({"kind": kind, "q": q, "answer": _plain(res)}, ensure_ascii=False, sort_keys=True) + "\n")
    engine.close()
    import bot
    print(f"{len(cases)} answers written to {out} (code: {Path(bot.__file__).parent})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
