"""The answer records every renderer (terminal, JSON, Discord) takes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Citation:
    document: str
    title: str
    paragraph: int
    date_text: str | None = None
    url: str | None = None
    outlet: str | None = None  # the publication ("Caixin Global"), from the article's `source`
    authors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Quote:
    """One sentence quoted from an article, with where it stands.

    `paragraph` 0 means the article's header (byline or date line).
    `also` lists other articles that say the same thing.
    """

    text: str
    citation: Citation
    score: float
    also: tuple[Citation, ...] = ()
    passage: int = 0  # passages.id, for feedback and follow-ups; 0 when unknown
    # Character spans of `text` that answer the question (bot/answers/highlight.py);
    # every renderer marks these and nothing else.
    marks: tuple[tuple[int, int], ...] = ()

    @property
    def document(self) -> str:
        return self.citation.document

    @property
    def paragraph(self) -> int:
        return self.citation.paragraph


@dataclass(frozen=True)
class Answer:
    query: str
    answered: bool
    quotes: tuple[Quote, ...]
    elapsed_ms: float
    terms: tuple[str, ...] = ()  # stemmed question terms, for highlighting
    message: str = ""  # the abstention sentence when not answered
    more: tuple[Quote, ...] = ()  # next-best quotes, for a "More" button
    small_talk: bool = False  # "thanks!", "hello", "?": `message` is a friendly reply, not an abstention
    empty: bool = False  # no article is loaded: `message` says so (not "the articles don't say")


@dataclass(frozen=True)
class EntityCard:
    query: str
    answered: bool
    name: str
    role: str
    quotes: tuple[Quote, ...]  # the most defining first
    elapsed_ms: float
    aliases: tuple[str, ...] = ()
    message: str = ""


@dataclass(frozen=True)
class Summary:
    document: str | None
    title: str
    quotes: tuple[Quote, ...]
    elapsed_ms: float = 0.0
    documents: tuple[str, ...] = field(default=())


def _citation_to_dict(c: Citation) -> dict[str, Any]:
    return {"document": c.document, "title": c.title, "paragraph": c.paragraph, "date_text": c.date_text,
            "url": c.url, "outlet": c.outlet, "authors": list(c.authors)}


def _citation_from_dict(d: dict[str, Any]) -> Citation:
    return Citation(str(d["document"]), str(d["title"]), int(d["paragraph"]), d.get("date_text"), d.get("url"),
                    d.get("outlet"), tuple(d.get("authors") or ()))


def _quote_to_dict(q: Quote) -> dict[str, Any]:
    return {"text": q.text, "citation": _citation_to_dict(q.citation), "score": q.score, "passage": q.passage,
            "also": [_citation_to_dict(c) for c in q.also], "marks": [list(m) for m in q.marks]}


def _quote_from_dict(d: dict[str, Any]) -> Quote:
    return Quote(str(d["text"]), _citation_from_dict(d["citation"]), float(d["score"]),
                 tuple(_citation_from_dict(c) for c in d.get("also") or ()), int(d.get("passage") or 0),
                 tuple((int(a), int(b)) for a, b in d.get("marks") or ()))


def answer_to_dict(a: Answer) -> dict[str, Any]:
    """An answer as plain data, to keep it (buttons act on it after a restart)."""
    return {"query": a.query, "answered": a.answered, "quotes": [_quote_to_dict(q) for q in a.quotes],
            "more": [_quote_to_dict(q) for q in a.more], "terms": list(a.terms), "message": a.message,
            **({"small_talk": True} if a.small_talk else {}), **({"empty": True} if a.empty else {})}


def answer_from_dict(d: dict[str, Any]) -> Answer:
    return Answer(str(d["query"]), bool(d["answered"]), tuple(_quote_from_dict(q) for q in d.get("quotes") or ()),
                  0.0, tuple(d.get("terms") or ()), str(d.get("message") or ""),
                  tuple(_quote_from_dict(q) for q in d.get("more") or ()), bool(d.get("small_talk")),
                  bool(d.get("empty")))


MAX_QUOTE_CHARS = 320


def clip_quote(text: str, limit: int = MAX_QUOTE_CHARS) -> str:
    """Keep a quote within `limit` characters, cutting at a clause or word boundary with '…'."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    for sep in ("; ", ", ", " — ", " - ", " "):
        i = cut.rfind(sep)
        if i >= limit // 2:
            return cut[:i].rstrip(" ,;—-") + "…"
    return cut.rstrip() + "…"
