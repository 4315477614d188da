"""Plain text for a terminal: the quote, its answering part in bold, the citation dimmed.

Why a `Style`: on a terminal the answer should stand out (bold) and the citation
recede (dim), but piped into a file or another program the same text must stay
plain, without escape codes. `Style.for_stream(sys.stdout)` decides once.
Sources are named once per answer: each quote says "¶9" (with "[2]" when several
articles are quoted) and the articles are listed once at the end.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Sequence, TextIO

from bot.answers.highlight import segments
from bot.answers.model import Answer, Citation, EntityCard, Quote, Summary


@dataclass(frozen=True)
class Style:
    """ANSI bold/dim, or nothing."""

    ansi: bool = False

    @classmethod
    def for_stream(cls, stream: TextIO) -> "Style":
        """ANSI only on a terminal, and never when NO_COLOR is set (no-color.org)."""
        isatty = getattr(stream, "isatty", None)
        return cls(bool(isatty and isatty()) and not os.environ.get("NO_COLOR"))

    def bold(self, text: str) -> str:
        return f"\x1b[1m{text}\x1b[22m" if self.ansi and text else text

    def dim(self, text: str) -> str:
        return f"\x1b[2m{text}\x1b[22m" if self.ansi and text else text


PLAIN = Style(False)


def where(c: Citation) -> str:
    return f"¶{c.paragraph}" if c.paragraph > 0 else "header"


def label(c: Citation) -> str:
    """"Caixin Global · 26 Sep 2025" (the title when the outlet is unknown)."""
    return " · ".join(p for p in (c.outlet or c.title or c.document, c.date_text) if p)


def cite(c: Citation) -> str:
    """The full citation, for lists: "¶9 · Caixin Global · 26 Sep 2025"."""
    return f"{where(c)} · {label(c)}"


def marked(q: Quote, style: Style) -> str:
    return "".join(style.bold(piece) if bold else piece for piece, bold in segments(q.text, q.marks))


def reading_order(quotes: Sequence[Quote]) -> list[Quote]:
    first: dict[str, int] = {}
    for i, q in enumerate(quotes):
        first.setdefault(q.document, i)
    return sorted(quotes, key=lambda q: (first[q.document], q.paragraph, q.passage))


def quotes_block(quotes: Sequence[Quote], style: Style = PLAIN) -> list[str]:
    """Quotes in reading order, each with a dimmed "¶9" (and "[2]" when several
    articles are quoted); the sources listed once at the end."""
    ordered = reading_order(quotes)
    numbers: dict[str, int] = {}
    sources: list[Citation] = []
    for c in [q.citation for q in ordered] + [c for q in ordered for c in q.also]:
        if c.document not in numbers:
            numbers[c.document] = len(numbers) + 1
            sources.append(c)
    several = len(numbers) > 1

    def ref(c: Citation) -> str:
        return where(c) + (f" [{numbers[c.document]}]" if several else "")

    out: list[str] = []
    for q in ordered:
        line = ref(q.citation) + "".join(f" · also {ref(o)}" for o in q.also)
        out += [f"> {marked(q, style)}", "  " + style.dim(line), ""]
    for c in sources:
        parts = [c.title or c.document, c.outlet, c.date_text, ", ".join(c.authors), c.url]
        head = f"[{numbers[c.document]}] " if several else "Source: "
        out.append(style.dim(head + " · ".join(p for p in parts if p)))
    return out


def quote_lines(q: Quote, style: Style = PLAIN) -> list[str]:
    """One quote with its full citation, for lists whose entries stand alone
    (timeline, what's new): each may come from another article."""
    lines = [f"> {marked(q, style)}", "  " + style.dim(cite(q.citation))]
    lines += ["  " + style.dim(f"also in: {cite(o)}") for o in q.also]
    return lines


NEXT_STEPS = "See what they cover: storybot sources, or storybot who NAME for a person or organisation."


def render_answer(a: Answer, style: Style = PLAIN) -> str:
    if a.small_talk or a.empty:  # "thanks!", or no article loaded: the engine's reply, not "the articles don't say"
        return a.message
    if not a.answered:  # one sentence (the question is not echoed back, cut), then what to try
        return "The articles don't say.\n" + style.dim(NEXT_STEPS)
    return "\n".join(quotes_block(a.quotes, style)).rstrip()


def render_card(c: EntityCard, style: Style = PLAIN) -> str:
    if not c.answered:
        return c.message
    out = [style.bold(c.name) + (f" ({c.role})" if c.role else "")]
    if c.aliases:
        out.append(style.dim("also written: " + ", ".join(c.aliases)))
    out.append("")
    out += quotes_block(c.quotes, style)
    return "\n".join(out).rstrip()


def render_summary(s: Summary, style: Style = PLAIN) -> str:
    out = [style.bold(s.title), ""] + quotes_block(s.quotes, style)
    return "\n".join(out).rstrip()


def render_sources(docs: Sequence[Any], style: Style = PLAIN) -> str:
    """`storybot sources`: id and title, then outlet, date, authors, link (dimmed)."""
    if not docs:
        return "no articles loaded"
    out: list[str] = []
    for d in docs:
        out.append(f"{d.id}  {style.bold(d.title or '(untitled)')}")
        meta = [getattr(d, "source", None), d.date_text or "undated", ", ".join(getattr(d, "authors", ()) or ()), d.url]
        out.append("  " + style.dim(" · ".join(m for m in meta if m)))
    return "\n".join(out)
