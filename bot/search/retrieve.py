"""Pick the passages that answer a question, or decide the articles do not.

Ranking: rank-bm25's BM25Plus (chosen by measurement, see README: Okapi's IDF
floor zeroes the story's main words in a one-article corpus) over sentences,
then three principled adjustments on the top candidates:
- coverage: the share of the question's information (IDF-weighted terms) that
  the sentence holds, with its paragraph's other sentences counting half;
- kind evidence: a "when" question prefers a sentence with a date, "how many"
  one with a number, "where" a place, "who" a name;
- metadata lines (byline, date) only answer "who wrote" / "when published".

Abstention: a question that names something (a capitalised word after the
first) the articles never use is not answered. Otherwise, answer only when the best passage covers at least
`MIN_COVERAGE` of the question's information. Unseen question words weigh as
much as the rarest word, so a question about something the articles never
mention ("the CEO", "revenue") cannot be answered by quoting its topic words.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bot.search.question import Question, kind_evidence
from bot.search.snapshot import Snapshot
from bot.text.tokenize import tokenize
from bot.store import PassageRow

MIN_COVERAGE = 0.35
CANDIDATES = 60
KIND_BONUS = 0.12
CONTEXT_WEIGHT = 0.5
RELATIVE_KEEP = 0.55  # further quotes must score this fraction of the best


@dataclass(frozen=True)
class Hit:
    passage: PassageRow
    score: float
    bm25: float
    coverage: float


@dataclass(frozen=True)
class Retrieval:
    question: Question
    hits: tuple[Hit, ...]
    answered: bool
    coverage: float
    reason: str


def _df(snapshot: Snapshot, term_id: int | None) -> int:
    df = snapshot.index.df
    return int(df[term_id]) if term_id is not None and term_id < df.shape[0] else 0


LIGHT_WEIGHT = 0.25  # a light word ("happen", "say") counts a quarter of its IDF


def information(snapshot: Snapshot, term_ids: dict[str, int], terms: tuple[str, ...]) -> dict[str, float]:
    """Each term's weight: log((N+1)/(df+0.5)); unseen terms weigh as df = 0;
    light words (no subject of their own) a quarter of that."""
    n = max(snapshot.passage_count, 1)
    out = {}
    for t in terms:
        df = _df(snapshot, term_ids.get(t))
        out[t] = math.log((n + 1) / (df + 0.5)) * (LIGHT_WEIGHT if t in LIGHT_TERMS else 1.0)
    return out


# Words that carry no subject on their own: a question made only of these
# ("what did she say?", "what happened?") is too vague to answer from quotes.
LIGHT_TERMS = frozenset(
    tokenize(
        "say said tell told do happen happened think know mean want talk get make go come take give see "
        "look thing things stuff anything something someone somebody everything news latest update"
    )
)

PREFER_BONUS = 0.1  # a follow-up prefers the article the previous answer quoted


def retrieve(
    snapshot: Snapshot,
    question: Question,
    k: int = 3,
    document: str | None = None,
    prefer_document: str | None = None,
) -> Retrieval:
    if not question.terms:
        return Retrieval(question, (), False, 0.0, "the question has no searchable words")
    if all(t in LIGHT_TERMS for t in question.terms):
        return Retrieval(question, (), False, 0.0, "the question names no subject")
    term_ids = snapshot.reader.term_ids(question.terms)
    unknown_names = [t for t in question.names if t in question.terms and _df(snapshot, term_ids.get(t)) == 0]
    if unknown_names:
        return Retrieval(question, (), False, 0.0, "the question names something the articles never mention")
    weights = information(snapshot, term_ids, question.terms)
    total = sum(weights.values()) or 1.0
    ids = [term_ids.get(t) for t in question.terms]
    position_range = snapshot.doc_ranges.get(document, (0, 0)) if document is not None else None
    top = snapshot.index.top_k(ids, CANDIDATES, position_range)
    if not top:
        return Retrieval(question, (), False, 0.0, "no passage shares a word with the question")
    pids = [int(snapshot.passage_ids[pos]) for pos, _ in top]
    rows = snapshot.reader.passages(pids)
    candidates = [(rows[pid], score) for pid, (_, score) in zip(pids, top) if pid in rows]
    if not candidates:  # the rows went (the database changed under this snapshot)
        return Retrieval(question, (), False, 0.0, "the knowledge base is being updated")
    # Paragraph context: the terms the paragraph's other candidate sentences hold.
    token_sets = snapshot.passage_terms([pos for pos, _ in top], term_ids)  # from the index, not re-tokenised
    para_terms: dict[tuple[str, int], set[str]] = {}
    for row, _ in candidates:
        if row.kind == "body":
            para_terms.setdefault((row.document, row.paragraph), set()).update(token_sets[row.id])
    best_bm25 = max(score for _, score in candidates) or 1.0
    floor = min(score for _, score in candidates)
    hits: list[Hit] = []
    for row, score in candidates:
        own = token_sets[row.id] & set(question.terms)
        if row.kind != "body":
            if not _meta_fits(row.kind, question.kind):
                continue
            own |= _meta_terms(row.kind, question)
        context = (para_terms.get((row.document, row.paragraph), set()) & set(question.terms)) - own
        coverage = (sum(weights[t] for t in own) + CONTEXT_WEIGHT * sum(weights[t] for t in context)) / total
        own_coverage = sum(weights[t] for t in own) / total
        norm = (score - floor) / (best_bm25 - floor) if best_bm25 > floor else 1.0
        final = 0.5 * norm + own_coverage + 0.5 * coverage
        if row.kind == "body" and kind_evidence(question.kind, row.text):
            final += KIND_BONUS
        if prefer_document is not None and row.document == prefer_document:
            final += PREFER_BONUS
        hits.append(Hit(row, final, score, coverage))
    if not hits:
        return Retrieval(question, (), False, 0.0, "no passage shares a word with the question")
    hits.sort(key=lambda h: (-h.score, h.passage.id))
    best = hits[0]
    if best.coverage < MIN_COVERAGE:
        return Retrieval(question, tuple(hits[:k]), False, best.coverage,
                         f"the best passage covers {best.coverage:.0%} of the question")
    kept = [h for h in hits if h.score >= RELATIVE_KEEP * best.score and h.coverage >= MIN_COVERAGE / 2]
    return Retrieval(question, tuple(kept[: max(k, 1) * 4]), True, best.coverage, "")


def _meta_fits(kind: str, question_kind: str) -> bool:
    return (kind == "byline" and question_kind == "author") or (kind == "date" and question_kind in ("published", "when"))


def _meta_terms(kind: str, question: Question) -> set[str]:
    """Question words the metadata line answers by its nature (its hint words)."""
    from bot.build import BYLINE_HINTS, DATE_HINTS

    hints = set(tokenize(BYLINE_HINTS if kind == "byline" else DATE_HINTS))
    return hints & set(question.terms)

