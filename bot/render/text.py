"""Plain text for a terminal: the quote, then `— Title, ¶N`."""

from __future__ import annotations

from bot.answers.model import Answer, Citation, EntityCard, Quote, Summary


def cite(c: Citation) -> str:
    where = f"¶{c.paragraph}" if c.paragraph > 0 else "header"
    date = f" ({c.date_text})" if c.date_text else ""
    return f"— {c.title}{date}, {where}"


def quote_lines(q: Quote) -> list[str]:
    lines = [f"> {q.text}", f"  {cite(q.citation)}"]
    for other in q.also:
        lines.append(f"  also in: {cite(other)[2:]}")
    return lines


def render_answer(a: Answer) -> str:
    if not a.answered:
        return a.message
    out: list[str] = []
    for q in a.quotes:
        out += quote_lines(q) + [""]
    return "\n".join(out).rstrip()


def render_card(c: EntityCard) -> str:
    if not c.answered:
        return c.message
    head = c.name + (f" ({c.role})" if c.role else "")
    out = [head]
    if c.aliases:
        out.append("also written: " + ", ".join(c.aliases))
    out.append("")
    for q in c.quotes:
        out += quote_lines(q) + [""]
    return "\n".join(out).rstrip()


def render_summary(s: Summary) -> str:
    out = [s.title, ""]
    for q in s.quotes:
        out += quote_lines(q) + [""]
    return "\n".join(out).rstrip()
