"""Quotes as Discord shows them: the quote is the content, its citation a quiet line.

Each quote is a block quote with its answering span in bold, followed by a
`-#` subtext line ("¶9 · Caixin Global · 26 Sep 2025", linked when the article
has a URL). Why this shape: a full citation line after every quote was a fifth
to a half of an answer's text, as loud as the quote itself. The article is
named on its first quote only (sources once per message); later quotes from it
say just "¶11". Quotes of one article are shown in reading order.
"""

from __future__ import annotations

import re
from typing import Sequence

from bot.answers.model import Citation, Quote
from bot.render.discord.limits import ELLIPSIS, cut_plain, one_line
from bot.render.discord.markup import clean, escape, link, mark

QUOTE_BUDGET = 900  # characters of rendered markdown per quote, so several quotes fit


def where(c: Citation) -> str:
    return f"¶{c.paragraph}" if c.paragraph > 0 else "header"


def source_label(c: Citation) -> str:
    """Plain "Outlet · date" (the title when the outlet is unknown): short enough for one subtext line."""
    name = one_line(c.outlet or "") or one_line(c.title) or one_line(c.document) or "untitled article"
    return " · ".join(p for p in (cut_plain(name, 60), one_line(c.date_text or "")) if p)


def source_labels(citations: Sequence[Citation]) -> dict[str, str]:
    """A distinct plain label per document: two articles of one outlet on one day
    are told apart by their titles."""
    labels: dict[str, str] = {}
    for c in citations:
        labels.setdefault(c.document, source_label(c))
    counts: dict[str, int] = {}
    for label in labels.values():
        counts[label] = counts.get(label, 0) + 1
    by_doc = {c.document: c for c in citations}
    for doc, label in list(labels.items()):
        if counts[label] > 1:
            c = by_doc[doc]
            labels[doc] = f"{label} · {cut_plain(one_line(c.title or c.document), 60)}"
    return labels


def reading_order(quotes: Sequence[Quote]) -> list[Quote]:
    """Articles in the order their best quote came; each article's quotes as it reads."""
    first: dict[str, int] = {}
    for i, q in enumerate(quotes):
        first.setdefault(q.document, i)
    return sorted(quotes, key=lambda q: (first[q.document], q.paragraph, q.passage))


def quote_text(q: Quote, room: int) -> str:
    """The quote escaped with its marks in bold, cut to `room` rendered characters.
    A mark the cut would split is dropped rather than half bolded."""
    text = re.sub(r"\s", " ", q.text)  # one line inside the block quote, offsets kept for the marks
    limit = len(text)
    body = ""
    while limit > 0:
        plain = cut_plain(text, limit)
        kept = len(plain) - (1 if plain.endswith(ELLIPSIS) and len(plain) < len(text) else 0)
        marks = [(a, b) for a, b in q.marks if b <= kept]
        body = mark(plain, marks)
        if len(body) <= room:
            break
        limit -= max(1, len(body) - room)
    return body if body and len(body) <= max(room, 1) else ELLIPSIS


def render_quotes(quotes: Sequence[Quote], *, budget: int = QUOTE_BUDGET) -> list[str]:
    """One block per quote, in reading order, each article named once (with its link)."""
    ordered = reading_order(quotes)
    labels = source_labels([q.citation for q in ordered] + [c for q in ordered for c in q.also])
    named: set[str] = set()
    blocks: list[str] = []
    for q in ordered:
        c = q.citation
        cite = where(c)
        if c.document not in named:
            named.add(c.document)
            cite += " · " + link(escape(labels[c.document]), c.url)
        also = []
        for other in q.also[:3]:
            also.append(where(other) + (f" of {escape(labels[other.document])}" if other.document not in named else ""))
            named.add(other.document)
        if also:
            cite += " · also " + ", ".join(also)
        cite = "-# " + cite
        room = budget - len(cite) - 3  # "> " and the newline
        blocks.append(f"> {quote_text(q, room)}\n{cite}")
    return blocks


def plain_quote(q: Quote, limit: int = 300) -> str:
    """One quote as plain escaped text without marks (for lists and follow-ups)."""
    return clean(q.text, limit)
