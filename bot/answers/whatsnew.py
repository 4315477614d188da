"""`whatsnew`: the sentences of an article that the articles published before it do not already say.

Novelty is measured against everything published earlier (by publication
date, strictly earlier; undated articles are never "earlier"): for each body
sentence, BM25 finds the closest earlier sentences, and the sentence is old news
when one of them holds most of its information (the IDF-weighted share of its
words, `SAID_BEFORE`). The new sentences are ranked by the information the
earlier articles lack (the IDF of the words the closest earlier sentence does
not have), so a sentence with new names and figures comes before a sentence that
rephrases a known fact. At most five, each cited.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bot.answers.cite import citation_for
from bot.answers.model import Quote, clip_quote
from bot.search.snapshot import Snapshot
from bot.store import PassageRow
from bot.text.tokenize import tokenize

MAX_NEW = 5
SAID_BEFORE = 0.6  # an earlier sentence holding this share of a sentence's information already says it
CANDIDATES = 80
MIN_TERMS = 3  # shorter sentences ("Analysts were divided.") carry too little to be news


class UnknownArticle(ValueError):
    """No loaded article has this id."""


@dataclass(frozen=True)
class NewSentence:
    quote: Quote
    novelty: float  # 1 − the best earlier sentence's share of its information
    information: float  # the IDF-weighted information the earlier articles lack


@dataclass(frozen=True)
class WhatsNew:
    document: str
    title: str
    date_text: str | None
    earlier: int  # how many earlier articles it was compared with
    items: tuple[NewSentence, ...]
    message: str = ""
    elapsed_ms: float = 0.0

    @property
    def answered(self) -> bool:
        return bool(self.items)


def _earlier_documents(snapshot: Snapshot, target: str) -> list[str]:
    date = snapshot.documents[target].date
    if not date:
        return []
    return [d for d, doc in snapshot.documents.items() if d != target and doc.date and doc.date < date]


def whatsnew(snapshot: Snapshot, document: str | None = None, *, limit: int = MAX_NEW) -> WhatsNew:
    if not snapshot.documents:
        raise UnknownArticle("no articles are loaded")
    order = sorted(snapshot.documents, key=lambda d: snapshot.document_rank.get(d, 0))
    target = document or order[-1]
    if target not in snapshot.documents:
        raise UnknownArticle(f"unknown document: {target!r}")
    doc = snapshot.documents[target]
    earlier = _earlier_documents(snapshot, target)
    ranges = [snapshot.doc_ranges[d] for d in earlier if d in snapshot.doc_ranges]
    rows = [PassageRow(*r) for r in snapshot.reader.query(
        "SELECT id, document, paragraph, sentence, kind, text FROM passages "
        "WHERE document = ? AND kind = 'body' ORDER BY paragraph, sentence", (target,))]
    n = max(snapshot.passage_count, 1)
    df = snapshot.index.df
    all_terms = sorted({t for r in rows for t in tokenize(r.text)})
    term_ids = snapshot.reader.term_ids(all_terms)

    def idf(t: str) -> float:
        i = term_ids.get(t)
        d = int(df[i]) if i is not None and i < df.shape[0] else 0
        return math.log((n + 1) / (d + 0.5))

    weights = {t: idf(t) for t in all_terms}
    scored: list[NewSentence] = []
    for row in rows:
        terms = set(tokenize(row.text))
        if len(terms) < MIN_TERMS:
            continue
        total = sum(weights[t] for t in terms) or 1.0
        best_share, best_terms = 0.0, set()
        if ranges:
            top = snapshot.index.top_k([term_ids.get(t) for t in terms], CANDIDATES, None)
            positions = [pos for pos, _ in top if any(a <= pos < b for a, b in ranges)]
            if positions:
                pids = [int(snapshot.passage_ids[p]) for p in positions]
                for other in snapshot.reader.passages(pids).values():
                    other_terms = set(tokenize(other.text))
                    share = sum(weights[t] for t in terms & other_terms) / total
                    if share > best_share:
                        best_share, best_terms = share, other_terms
        if best_share >= SAID_BEFORE:
            continue
        info = sum(weights[t] for t in terms - best_terms)
        quote = Quote(clip_quote(row.text), citation_for(snapshot, row.document, row.paragraph),
                      round(info, 4), passage=row.id)
        scored.append(NewSentence(quote, round(1 - best_share, 3), round(info, 3)))
    scored.sort(key=lambda s: (-s.information, s.quote.citation.paragraph, s.quote.passage))
    items = tuple(scored[:limit])
    message = ""
    if not earlier:
        message = "No earlier article to compare with: this is the first one, so all of it is new."
    elif not items:
        message = "Everything in this article was already in the earlier articles."
    return WhatsNew(target, doc.title, doc.date_text, len(earlier), items, message)


__all__ = ["NewSentence", "UnknownArticle", "WhatsNew", "whatsnew"]
