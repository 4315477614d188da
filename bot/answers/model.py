"""The answer records every renderer (terminal, JSON, Discord) takes."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Citation:
    document: str
    title: str
    paragraph: int
    date_text: str | None = None
    url: str | None = None


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
