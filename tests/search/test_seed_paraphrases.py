"""Paraphrased, near-miss and off-topic questions on the seed article, written for
this project from the article (tests/data/seed_paraphrases.jsonl; README "Abstention,
calibrated"). Thresholds sit a little under today's figures (0/32 refused, R@3 28/32,
near-miss 6/16, off-topic 16/16), so a rule that refuses paraphrases or lets unloaded
topics through fails here."""

from __future__ import annotations

import json

from bot.engine import Engine
from bot.evaluate import fold
from conftest import DATA

CASES = [json.loads(line) for line in (DATA / "seed_paraphrases.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]


def test_the_set_has_every_kind() -> None:
    tags = [c["tag"] for c in CASES]
    assert tags.count("paraphrase") >= 30 and tags.count("near-miss") >= 15 and tags.count("offtopic") >= 15


def test_paraphrases_answered_and_unanswerables_refused(engine: Engine) -> None:
    refused, found, abstained = [], 0, {"near-miss": 0, "offtopic": 0}
    for c in CASES:
        answer = engine.ask(c["q"])
        if c["kind"] == "ask":
            if not answer.answered:
                refused.append(c["q"])
            texts = [fold(q.text) for q in answer.quotes[:3]]
            found += any(fold(e) in t for e in c["expect"] for t in texts)
        else:
            abstained[c["tag"]] += not answer.answered
    answerable = sum(c["kind"] == "ask" for c in CASES)
    assert len(refused) <= 1, refused  # a refused paraphrase is the bug issue 10 reports
    assert found / answerable >= 0.8, found
    assert abstained["offtopic"] / sum(c["tag"] == "offtopic" for c in CASES) >= 0.9, abstained
    assert abstained["near-miss"] / sum(c["tag"] == "near-miss" for c in CASES) >= 0.3, abstained
