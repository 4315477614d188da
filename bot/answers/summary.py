"""`summary`: 3–5 sentences that cover the story's main points.

Extractive and cited. Sentences are scored by how central they are (cosine
similarity of IDF-weighted terms to the whole text) and picked greedily with
a penalty for repeating what is already picked (maximal marginal relevance),
at most one per paragraph, so the summary covers the story rather than its
first paragraphs. The picked sentences are shown in reading order.
"""

from __future__ import annotations

import math
from collections import Counter

from bot.answers.ask import citation_for
from bot.answers.model import Quote, Summary, clip_quote
from bot.search.snapshot import Snapshot
from bot.text.tokenize import tokenize
from bot.store import PassageRow

MMR_LAMBDA = 0.7
MAX_DOCUMENTS = 12  # a story-wide summary reads the latest articles only
MIN_TOKENS = 6


def _vector(tokens: list[str], idf: dict[str, float]) -> dict[str, float]:
    counts = Counter(tokens)
    vec = {t: (1 + math.log(c)) * idf.get(t, 0.0) for t, c in counts.items()}
    norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
    return {t: v / norm for t, v in vec.items()}


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(t, 0.0) for t, v in a.items())


def summary_size(sentences: int) -> int:
    return max(3, min(5, round(sentences / 5)))


def summarise(snapshot: Snapshot, document: str | None = None) -> Summary:
    if document is not None:
        docs = [document]
        title = snapshot.documents[document].title
    else:
        docs = sorted(snapshot.documents, key=lambda d: (snapshot.documents[d].date or "", d), reverse=True)
        docs = docs[:MAX_DOCUMENTS]
        title = "The story so far" if len(docs) > 1 else (snapshot.documents[docs[0]].title if docs else "")
    if not docs:
        return Summary(document, title, ())
    rows: list[PassageRow] = []
    for doc_id in docs:
        rows += [
            PassageRow(*r)
            for r in snapshot.reader.query(
                "SELECT id, document, paragraph, sentence, kind, text FROM passages "
                "WHERE document = ? AND kind = 'body' ORDER BY paragraph, sentence", (doc_id,)
            )
        ]
    tokens = {r.id: tokenize(r.text) for r in rows}
    df: Counter[str] = Counter()
    for toks in tokens.values():
        df.update(set(toks))
    n = len(rows)
    idf = {t: math.log((n + 1) / (c + 0.5)) for t, c in df.items()}
    vectors = {r.id: _vector(tokens[r.id], idf) for r in rows}
    centroid_counts: Counter[str] = Counter()
    for toks in tokens.values():
        centroid_counts.update(set(toks))
    centroid = _vector([t for t, c in centroid_counts.items() for _ in range(c)], idf)
    relevance = {}
    for r in rows:
        rel = _cosine(vectors[r.id], centroid)
        if len(tokens[r.id]) < MIN_TOKENS:
            rel *= 0.5
        if r.text.lstrip().startswith(("“", '"')):
            rel *= 0.8  # a quotation out of context summarises less well
        relevance[r.id] = rel
    picked: list[PassageRow] = []
    used_paragraphs: set[tuple[str, int]] = set()
    want = summary_size(n)
    candidates = list(rows)
    while candidates and len(picked) < want:
        def mmr(r: PassageRow) -> float:
            redundancy = max((_cosine(vectors[r.id], vectors[p.id]) for p in picked), default=0.0)
            return MMR_LAMBDA * relevance[r.id] - (1 - MMR_LAMBDA) * redundancy

        candidates = [r for r in candidates if (r.document, r.paragraph) not in used_paragraphs]
        if not candidates:
            break
        best = max(candidates, key=lambda r: (mmr(r), -r.id))
        picked.append(best)
        used_paragraphs.add((best.document, best.paragraph))
    order = {d: i for i, d in enumerate(reversed(docs))}
    picked.sort(key=lambda r: (order[r.document], r.paragraph, r.sentence))
    quotes = tuple(
        Quote(clip_quote(r.text), citation_for(snapshot, r.document, r.paragraph), round(relevance[r.id], 4),
              passage=r.id)
        for r in picked
    )
    return Summary(document, title, quotes, documents=tuple(docs))
