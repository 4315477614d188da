"""Issue 13, `ask` at 1M: retrieval's per-candidate shortcuts give what the long way gives.

- coverage is computed from bit masks of the question terms a sentence and its paragraph
  hold (`_Coverage`), once per pattern: the same floats as `held` + `_weighed`;
- the kind of thing a typed question wants is looked for (a regex) only in the candidates
  that could still be quoted or be among the first hits (`_contenders`): the same
  retrieval as looking in every candidate.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from bench.corpus import generate
from bot.engine import Engine
from bot.search import retrieve as R
from bot.search.question import analyse
from bot.store import PassageRow
from bot.text.families import _families, family_stems, synonyms


@pytest.fixture(scope="module")
def corpus_engine(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("work")
    corpus = generate(tmp / "knowledge", 1500, 11, n_questions=120)
    engine = Engine(corpus.folder, tmp / "kb.sqlite")
    engine.open()
    yield engine, corpus
    engine.close()


def test_coverage_masks_equal_held_and_weighed() -> None:
    """Random questions (stems with families and synonyms) against random sentences and
    paragraphs: `_Coverage.of` gives `_weighed`'s coverage, own coverage and held terms,
    float for float."""
    table = _families()[0]
    stems = sorted(table)
    rng = random.Random(5)
    checked = 0
    for _ in range(150):
        terms = rng.sample(stems, rng.randint(1, 7)) + rng.sample(["harbour", "budget", "zzqx"], 1)
        term_set = set(terms)
        weights = {t: rng.uniform(0.1, 9.0) for t in terms}
        total = sum(weights.values())
        kin = {t: family_stems(t) for t in term_set}
        synonyms_of = {t: synonyms(t) - term_set for t in terms}
        cover = R._Coverage(weights, term_set, kin, synonyms_of, total)
        pool = list(term_set) + [m for t in term_set for m in kin[t]] + \
            [m for t in terms for m in synonyms_of[t]] + rng.sample(stems, 40)
        for _ in range(20):
            tokens = set(rng.sample(pool, min(len(pool), rng.randint(0, 12))))
            paragraph = tokens | set(rng.sample(pool, min(len(pool), rng.randint(0, 12))))
            row = PassageRow(1, "doc", 0, 0, "body", "", None)
            own, own_fam = R.held(term_set, tokens, kin)
            parts = R._weighed(weights, term_set, own, own_fam, tokens, row, {("doc", 0): paragraph}, kin, synonyms_of)
            want_cov = R._with_context(*parts) / total
            want_own = (parts[0] + R.FAMILY_RANK_WEIGHT * parts[1] + R.SYN_RANK_WEIGHT * parts[2]) / total
            exact, family, syn = cover.masks(tokens)
            para_exact, para_family, _ = cover.masks(paragraph)
            got_cov, got_own, matched = cover.of(exact, family, syn, (para_exact, para_family))
            assert (got_cov, got_own) == (want_cov, want_own), (terms, tokens, paragraph)
            assert matched == own | own_fam
            checked += got_cov > 0
    assert checked > 500


def _same(a: R.Retrieval, b: R.Retrieval) -> None:
    assert (a.answered, a.reason, a.kind, a.coverage) == (b.answered, b.reason, b.kind, b.coverage)
    assert [(h.passage.id, h.score, h.bm25, h.coverage, h.follow and h.follow.id) for h in a.hits] == \
        [(h.passage.id, h.score, h.bm25, h.coverage, h.follow and h.follow.id) for h in b.hits]


def test_kind_checked_only_where_it_can_matter(corpus_engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every question (typed: when, how many, who, where, why) retrieves the same hits,
    scores and decisions whether every candidate's kind is checked or only the
    contenders', and the shortcut does skip candidates."""
    engine, corpus = corpus_engine
    snap = engine._snapshot
    assert snap is not None
    openers = ["When did", "How many", "Who said", "Where did", "Why did"]
    questions = list(corpus.questions) + [f"{opener} {q.split(' ', 2)[-1]}"
                                          for opener, q in zip(openers * 40, corpus.questions)]
    calls = {"n": 0}
    typed = R._typed

    def counting(question, text):
        calls["n"] += 1
        return typed(question, text)

    monkeypatch.setattr(R, "_typed", counting)
    lazy = [R.retrieve(snap, analyse(q)) for q in questions]
    lazy_calls = calls["n"]
    monkeypatch.setattr(R, "_contenders", lambda base, top: set(range(len(base))))
    calls["n"] = 0
    eager = [R.retrieve(snap, analyse(q)) for q in questions]
    assert calls["n"] > lazy_calls * 1.3  # (the shortcut is in use)
    typed_questions = 0
    for a, b, q in zip(lazy, eager, questions):
        _same(a, b)
        typed_questions += analyse(q).kind in R.KIND_BONUS_KINDS and a.answered
    assert typed_questions > 50


def test_contenders_bound_every_hit_that_can_reach_the_top_or_the_quotes() -> None:
    """Whatever the kind bonus does to the others, a candidate left out can neither
    enter the first `top` nor reach RELATIVE_KEEP of the best."""
    rng = random.Random(9)
    for _ in range(2000):
        base = [rng.uniform(0.0, 2.5) for _ in range(rng.randint(1, 40))]
        top = rng.randint(1, 5)
        chosen = R._contenders(base, top)
        bonus = [rng.random() < 0.5 for _ in base]
        final = [b + (R.KIND_BONUS if bonus[i] and i in chosen else 0.0) for i, b in enumerate(base)]
        best = max(final)
        ranked = sorted(range(len(base)), key=lambda i: (-final[i], i))
        for i in set(range(len(base))) - chosen:
            with_bonus = base[i] + R.KIND_BONUS  # what it could have scored
            assert with_bonus < R.RELATIVE_KEEP * best
            assert sum(1 for j in ranked[:top] if final[j] > with_bonus) == top
