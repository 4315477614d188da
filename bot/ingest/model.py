"""The records ingest produces. Plain frozen dataclasses: nothing below knows about files."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Paragraph:
    """One body paragraph; `number` is 1-based (¶1 is the first body paragraph)."""

    number: int
    text: str
    sentences: tuple[str, ...]


@dataclass(frozen=True)
class Document:
    """One article: metadata plus numbered body paragraphs.

    `date` is ISO (YYYY-MM-DD) when it could be parsed, `date_text` is how the
    article itself writes it (what we quote). Credit, contact and image lines
    are kept in `credits` for display but never become answer passages.
    """

    id: str
    title: str
    date: str | None = None
    date_text: str | None = None
    authors: tuple[str, ...] = ()
    byline: str | None = None
    source: str | None = None
    url: str | None = None
    paragraphs: tuple[Paragraph, ...] = ()
    credits: tuple[str, ...] = field(default=())

    @property
    def sentence_count(self) -> int:
        return sum(len(p.sentences) for p in self.paragraphs)
