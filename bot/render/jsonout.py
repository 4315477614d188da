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
    if q.also:
        out["also"] = [citation_json(c) for c in q.also]
    return out


def answer_json(a: Answer) -> dict[str, Any]:
    out: dict[str, Any] = {
        "query": a.query,
        "answered": a.answered,
        "quotes": [quote_json(q) for q in a.quotes],
        "elapsed_ms": float(a.elapsed_ms),
    }
    if not a.answered:
        out["message"] = a.message
    return out


def card_json(c: EntityCard) -> dict[str, Any]:
    out: dict[str, Any] = {
        "query": c.query,
        "answered": c.answered,
        "quotes": [quote_json(q) for q in c.quotes],
        "elapsed_ms": float(c.elapsed_ms),
        "name": c.name,
        "role": c.role,
        "aliases": list(c.aliases),
    }
    if not c.answered:
        out["message"] = c.message
    return out


def summary_json(s: Summary) -> dict[str, Any]:
    return {"document": s.document, "title": s.title, "quotes": [quote_json(q) for q in s.quotes]}


def report_json(r: BuildReport) -> dict[str, Any]:
    return r.as_dict()
