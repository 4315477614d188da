"""`ask`: turn retrieved passages into 1–3 cited quotes, or an honest abstention."""

from __future__ import annotations

import re

from bot.answers.cite import citation_for  # noqa: F401 - also imported from here by summary.py
from bot.answers.model import Answer, Quote, clip_quote
from bot.search.question import analyse
from bot.search.retrieve import Hit, retrieve
from bot.search.snapshot import Snapshot
from bot.text.tokenize import tokenize

DUPLICATE_OVERLAP = 0.7  # token-set Jaccard above which two sentences "say the same thing"
MORE_QUOTES = 6


def quote_for(snapshot: Snapshot, hit: Hit) -> Quote:
    row = hit.passage
    return Quote(clip_quote(row.text), citation_for(snapshot, row.document, row.paragraph), round(hit.score, 4),
                 passage=row.id)


def merge_duplicates(snapshot: Snapshot, hits: list[Hit]) -> list[Quote]:
    """Keep the best of near-identical sentences; the others become `also` citations."""
    kept: list[tuple[set[str], Quote]] = []
    for hit in hits:
        tokens = set(tokenize(hit.passage.text))
        quote = quote_for(snapshot, hit)
        for i, (other_tokens, other) in enumerate(kept):
            union = tokens | other_tokens
            if union and len(tokens & other_tokens) / len(union) >= DUPLICATE_OVERLAP:
                if quote.citation.document != other.citation.document and quote.citation not in other.also:
                    kept[i] = (other_tokens, Quote(other.text, other.citation, other.score,
                                                   other.also + (quote.citation,), other.passage))
                break
        else:
            kept.append((tokens, quote))
    return [q for _, q in kept]


def abstention(question: str) -> str:
    shown = question if len(question) <= 120 else question[:119] + "…"
    return f"The articles don't say. Nothing in them answers “{shown}”."


_DEFINE_RE = re.compile(r"^\s*(?:who|what)\s+(?:is|are|was|were)\s+(?P<name>[^?]{1,100}?)\s*\??\s*$", re.IGNORECASE)


def definition_answer(snapshot: Snapshot, question: str, k: int) -> list[Quote] | None:
    """"Who is X?" / "What is X?" about a name the articles record: the entity card's
    quotes, whose first one says what X is. None when X is not a recorded name."""
    m = _DEFINE_RE.match(question)
    if not m:
        return None
    from bot.answers.who import who

    card = who(snapshot, m.group("name"))
    if not card.answered or not card.quotes:
        return None
    if card.quotes[0].score <= 0 and card.quotes[0].citation.paragraph != 0:  # 0: named in a byline
        return None
    return list(card.quotes[:k])


def ask(
    snapshot: Snapshot,
    question: str,
    *,
    k: int = 3,
    document: str | None = None,
    prefer_document: str | None = None,
) -> Answer:
    analysed = analyse(question)
    if document is None and (defined := definition_answer(snapshot, analysed.text, k)):
        return Answer(analysed.text, True, tuple(defined), 0.0, analysed.terms)
    result = retrieve(snapshot, analysed, k=k, document=document, prefer_document=prefer_document)
    if not result.answered:
        return Answer(analysed.text, False, (), 0.0, analysed.terms, abstention(analysed.text))
    quotes = merge_duplicates(snapshot, list(result.hits))
    return Answer(analysed.text, True, tuple(quotes[:k]), 0.0, analysed.terms,
                  more=tuple(quotes[k : k + MORE_QUOTES]))
