"""The JSON contract scripts rely on (see README, "CLI contract")."""

from __future__ import annotations

from typing import Any

from bot.answers.model import Answer, Citation, EntityCard, Quote, Summary
from bot.build import BuildReport


def citation_json(c: Citation) -> dict[str, Any]:
    return {"document": c.document, "title": c.title, "paragraph": c.paragraph}


def quote_json(q: Quote) -> dict[str, Any]:
    out: dict[str, Any] = {
        "text": q.text,
        "document": q.citation.document,
        "title": q.citation.title,
        "paragraph": q.citation.paragraph,
        "score": float(q.score),
    }
    if q.citation.date_text:
        out["date"] = q.citation.date_text
    if q.citation.url:
        out["url"] = q.citation.url
    if q.citation.outlet:
        out["outlet"] = q.citation.outlet
    if q.citation.authors:
        out["authors"] = list(q.citation.authors)
    if q.marks:  # the part that answers the question (bot/answers/highlight.py)
        out["marks"] = [{"start": a, "end": b, "text": q.text[a:b]} for a, b in q.marks]
    if q.also:
        out["also"] = [citation_json(c) for c in q.also]
    return out


def _result_json(result: Answer | EntityCard) -> dict[str, Any]:
    """The shape `ask` and `who` share: query, answered, quotes, elapsed_ms (+ message)."""
    out: dict[str, Any] = {
        "query": result.query,
        "answered": result.answered,
        "quotes": [quote_json(q) for q in result.quotes],
        "elapsed_ms": float(result.elapsed_ms),
    }
    if not result.answered:
        out["message"] = result.message
    return out


def answer_json(a: Answer) -> dict[str, Any]:
    out = _result_json(a)
    if a.small_talk:
        out["small_talk"] = True
    if a.empty:
        out["empty"] = True
    return out


def card_json(c: EntityCard) -> dict[str, Any]:
    return {**_result_json(c), "name": c.name, "role": c.role, "aliases": list(c.aliases)}


def summary_json(s: Summary) -> dict[str, Any]:
    return {"document": s.document, "title": s.title, "quotes": [quote_json(q) for q in s.quotes]}


def report_json(r: BuildReport) -> dict[str, Any]:
    return r.as_dict()
