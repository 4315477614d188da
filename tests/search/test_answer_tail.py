"""Issue 13, `ask` at 1M (seventh pass): the work after ranking. Each shortcut gives
what the long way gives:

- `kind_evidence` stops at the first new date / number / place / name (the whole list before);
- highlighting finds a name's words without compiling a regex per name (`find_words`);
- `merge_duplicates` does not intersect token sets whose sizes already rule a duplicate out;
- `_Coverage.of` remembers its answer by the masks as given.
"""

from __future__ import annotations

import random
import re
from types import SimpleNamespace

import pytest

from bench.corpus import generate
from bot.answers import ask as A
from bot.answers import highlight as H
from bot.answers.model import Quote
from bot.engine import Engine
from bot.ingest.entities import extract_mentions
from bot.search import question as Q
from bot.search import retrieve as R
from bot.search.retrieve import Hit
from bot.store import PassageRow


@pytest.fixture(scope="module")
def texts(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    tmp = tmp_path_factory.mktemp("answer_tail")
    corpus = generate(tmp / "knowledge", 1500, 17, n_questions=60)
    engine = Engine(corpus.folder, tmp / "kb.sqlite")
    engine.open()
    try:
        return [row[0] for row in engine._snapshot.reader.query("SELECT text FROM passages")]
    finally:
        engine.close()


def _kind_evidence_reference(kind: str, text: str, question: str | None = None) -> bool:
    """`kind_evidence` as it was: every match listed, then judged."""
    if kind == "why":
        return bool(Q._CAUSE_RE.search(text.lower()))
    if kind == "when":
        found = [m.group(0) for m in Q._DATE_RE.finditer(text.lower())]
    elif kind == "quantity":
        found = [m.group(0) for m in Q._NUMBER_TOKEN_RE.finditer(text.lower())]
    elif kind == "where":
        found = [m.group(0) for m in Q._PLACE_RE.finditer(text)]
    elif kind == "who":
        found = [m.group(0) for m in Q._NAME_RE.finditer(text)]
    else:
        return False
    if question is None or not found:
        return bool(found)
    asked = Q._asked(question)
    return any(Q._word_set(f) - asked - Q._PLACE_WORDS for f in found)


def test_kind_evidence_matches_its_reference(texts: list[str]) -> None:
    questions = [None, "", "When in 2015 did it open?", "How many ferries sailed in 2024 from Dover?",
                 "Who did Ruth Gale thank in Paris?", "Where did the council meet on Friday?"]
    rng = random.Random(4)
    questions += [" ".join(rng.sample(texts[i].split(), min(5, len(texts[i].split())))) for i in range(40)]
    seen = {True: 0, False: 0}
    for kind in ("who", "when", "where", "quantity", "why", "other"):
        for text in texts[:600]:
            for question in questions[:: 3 if kind != "when" else 1]:
                got = Q.kind_evidence(kind, text, question)
                assert got == _kind_evidence_reference(kind, text, question), (kind, text, question)
                seen[got] += 1
    assert seen[True] > 1000 and seen[False] > 1000


def _regex_words(text: str, words: list[str], pos: int) -> tuple[int, int] | None:
    m = re.compile(r"\s+".join(re.escape(w) for w in words)).search(text, pos)
    return None if m is None else m.span()


def test_find_words_is_the_regex_it_replaces(texts: list[str]) -> None:
    found = 0
    for text in texts[:1500]:
        for mention in extract_mentions(text):
            words = mention.name.split()
            for pos in (mention.start, 0, len(text) // 2):
                got = H.find_words(text, words, pos)
                assert got == _regex_words(text, words, pos), (text, words, pos)
                found += got is not None
    assert found > 500
    rng = random.Random(9)
    pieces = ["a", "b", "ab", " ", "\u00a0", "\n", "\t\t", ".", "X", "\u2003", "é"]
    for _ in range(20000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        words = ["".join(rng.choice("abX.é") for _ in range(rng.randint(1, 2))) for _ in range(rng.randint(0, 3))]
        pos = rng.randint(-3, 16)
        assert H.find_words(text, words, pos) == _regex_words(text, words, pos), (text, words, pos)


def _merge_reference(hits: list[Hit]) -> list[Quote]:
    """`merge_duplicates` as it was: every pair of token sets intersected."""
    snapshot = SimpleNamespace(documents={})
    kept: list[tuple[set[str], Quote]] = []
    for hit in hits:
        tokens = set(hit.passage.tokens)
        quote = A.quote_for(snapshot, hit)
        for i, (other_tokens, other) in enumerate(kept):
            common = len(tokens & other_tokens)
            union = len(tokens) + len(other_tokens) - common
            if union and common / union >= A.DUPLICATE_OVERLAP:
                if quote.citation.document != other.citation.document and quote.citation not in other.also:
                    kept[i] = (other_tokens, Quote(other.text, other.citation, other.score,
                                                   other.also + (quote.citation,), other.passage))
                break
        else:
            kept.append((tokens, quote))
    return [q for _, q in kept]


def test_merge_duplicates_matches_its_reference() -> None:
    rng = random.Random(11)
    vocabulary = [f"w{i}" for i in range(14)]
    merged = 0
    for trial in range(3000):
        hits = []
        for i in range(rng.randint(1, 12)):
            tokens = tuple(rng.sample(vocabulary, rng.randint(0, 10)))
            row = PassageRow(100 * trial + i, rng.choice("abc"), rng.randint(1, 3), i, "body", " ".join(tokens) or "-",
                             tokens)
            hits.append(Hit(row, 1.0 - i / 20, 1.0, 0.5))
        got = A.merge_duplicates(SimpleNamespace(documents={}), hits)
        assert got == _merge_reference(hits)
        merged += len(got) < len(hits)
    assert merged > 300


def test_coverage_memo_by_masks_matches_the_computation() -> None:
    terms = ("ferri", "close", "storm", "council", "harbour")
    weights = {t: 1.0 + i / 3 for i, t in enumerate(terms)}
    kin = {t: frozenset({t, t + "s"}) for t in terms}
    synonyms_of = {t: {t + "y"} for t in terms}
    cover = R._Coverage(weights, set(terms), kin, synonyms_of, sum(weights.values()))
    fresh = R._Coverage(weights, set(terms), kin, synonyms_of, sum(weights.values()))
    rng = random.Random(2)
    for _ in range(3000):
        exact, family, syn = (rng.randrange(32) for _ in range(3))
        paragraph = (rng.randrange(32) | exact, rng.randrange(32) | family)
        assert cover.of(exact, family, syn, paragraph) == fresh._of(exact, family, syn, paragraph)
    assert 0 < len(cover.seen) < 3000


def test_signals_compute_a_deferred_value_once_in_its_place() -> None:
    from bot.search.retrieve import _Signals

    made: list[int] = []
    s = _Signals()
    s["coverage"] = 0.5
    s.later("doc_coverage", lambda: made.append(1) or 0.75)
    s["margin"] = 0.1
    assert "doc_coverage" in s and not made  # knowing it is there computes nothing
    assert s.get("coverage") == 0.5 and not made
    assert {**s} == {"coverage": 0.5, "doc_coverage": 0.75, "margin": 0.1}
    assert list(s) == ["coverage", "doc_coverage", "margin"] and made == [1]
    assert s["doc_coverage"] == 0.75 and made == [1]
    with pytest.raises(KeyError):
        s["nothing"]


def test_article_rule_skipped_only_when_it_cannot_refuse(tmp_path) -> None:
    """retrieve leaves best_share out when the best sentence proves the article rule holds;
    the signal read afterwards is the value computed eagerly (abstain=False computes it)."""
    import bot.search.retrieve as R
    from bot.engine import Engine
    from bot.search.question import analyse

    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "a.md").write_text("# Harbour\n\nThe harbour master closed the pier after the storm on Monday.\n\n"
                             "Fishing boats stayed in port while engineers checked the pier.\n", encoding="utf-8")
    (kb / "b.md").write_text("# Bakery\n\nThe bakery on Mill Street sold out of sourdough by noon.\n", encoding="utf-8")
    engine = Engine(str(kb), str(tmp_path / "kb.db"))
    engine.open()
    try:
        calls = {"n": 0}
        real = R._doc_coverage

        def counting(*a, **k):  # type: ignore[no-untyped-def]
            calls["n"] += 1
            return real(*a, **k)

        R._doc_coverage = counting
        try:
            snap = engine._snapshot
            lazy = R.retrieve(snap, analyse("Why did the harbour master close the pier?"))
            assert lazy.answered and calls["n"] == 0
            eager = R.retrieve(snap, analyse("Why did the harbour master close the pier?"), abstain=False)
            assert calls["n"] == 1
            assert lazy.signals["doc_coverage"] == eager.signals["doc_coverage"] >= R.MIN_DOC_COVERAGE
            assert calls["n"] == 2
            # A question the articles barely cover still computes it (and is refused on it).
            off = R.retrieve(snap, analyse("Did the pier sell sourdough to the orchestra conductor's violin school?"))
            assert calls["n"] == 3 and dict.__contains__(off.signals, "doc_coverage")
        finally:
            R._doc_coverage = real
    finally:
        engine.close()
