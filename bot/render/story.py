"""The story tools (timeline, said, what's new, add by link) for the terminal, JSON and Discord.

JSON reuses `jsonout.quote_json` (the `ask` quote shape); Discord embeds reuse the
public helpers of `discord_embed` (escaping, limits, quote blocks), so these
replies obey the same limits and never ping anyone.
"""

from __future__ import annotations

from typing import Any

from bot.answers.said import SaidResult, Statement
from bot.answers.timeline import Timeline, TimelineEvent
from bot.answers.whatsnew import WhatsNew
from bot.render import discord_embed as de
from bot.render.jsonout import quote_json
from bot.render.text import cite, quote_lines

COLOUR_STORY = 0x2C7A7B

# ------------------------------------------------------------------------------ JSON


def event_json(e: TimelineEvent) -> dict[str, Any]:
    out: dict[str, Any] = {"date": e.date, "precision": e.precision, "date_text": e.date_text, "quote": quote_json(e.quote)}
    if e.relative_to:
        out["relative_to"] = e.relative_to
    return out


def timeline_json(t: Timeline) -> dict[str, Any]:
    out: dict[str, Any] = {"topic": t.topic, "events": [event_json(e) for e in t.events]}
    if not t.events:
        out["message"] = t.message
    return out


def statement_json(s: Statement) -> dict[str, Any]:
    return {"speaker": s.speaker, "text": s.text, "document": s.document, "paragraph": s.paragraph, "kind": s.kind}


def said_json(r: SaidResult) -> dict[str, Any]:
    out: dict[str, Any] = {"name": r.name, "statements": [statement_json(s) for s in r.statements]}
    if not r.statements:
        out["message"] = r.message
    return out


def whatsnew_json(w: WhatsNew) -> dict[str, Any]:
    return {
        "document": w.document,
        "title": w.title,
        "earlier_articles": w.earlier,
        "new": [{**quote_json(i.quote), "novelty": i.novelty, "information": i.information} for i in w.items],
        "message": w.message,
    }


def add_url_json(result: Any) -> dict[str, Any]:
    art = result.article
    out: dict[str, Any] = {"ok": result.ok, "message": result.message, "file": result.file, "document": result.document}
    if art is not None:
        out["extracted"] = {"title": art.title, "date": art.date, "authors": list(art.authors), "outlet": art.outlet,
                            "url": art.url, "paragraphs": len(art.paragraphs), "words": art.words}
    return out


# ------------------------------------------------------------------------------ terminal


def _when(e: TimelineEvent) -> str:
    if e.precision == "relative":
        return f"relative: “{e.date_text}”" + (f" (relative to “{e.relative_to}”)" if e.relative_to and e.relative_to not in e.date_text else "")
    return f"{e.date} ({e.precision}, “{e.date_text}”)"


def render_timeline(t: Timeline) -> str:
    if not t.events:
        return t.message
    out: list[str] = []
    for e in t.events:
        out += [_when(e)] + quote_lines(e.quote) + [""]
    return "\n".join(out).rstrip()


def render_said(r: SaidResult, title_of: dict[str, str] | None = None) -> str:
    if not r.statements:
        return r.message
    out = [f"What {r.name} said", ""]
    for s in r.statements:
        title = (title_of or {}).get(s.document, s.document)
        out += [f"> {s.text}", f"  — {s.speaker} ({s.kind}) · {title}, ¶{s.paragraph}", ""]
    return "\n".join(out).rstrip()


def render_whatsnew(w: WhatsNew) -> str:
    out = [f"What's new in: {w.title}" + (f" ({w.date_text})" if w.date_text else "")]
    if w.message:
        out.append(w.message)
    out.append("")
    for i in w.items:
        out += quote_lines(i.quote) + [f"  new: {i.novelty:.0%} of its information", ""]
    return "\n".join(out).rstrip()


def render_add_url(result: Any) -> str:
    lines = [("Added: " if result.ok else "Not added: ") + result.message]
    lines += _extracted_lines(result.article)
    return "\n".join(lines)


def _extracted_lines(art: Any) -> list[str]:
    if art is None:
        return []
    return [
        f"title: {art.title}",
        f"date: {art.date or 'not found'}",
        f"authors: {', '.join(art.authors) or 'not found'}",
        f"outlet: {art.outlet or 'not found'}",
        f"body: {len(art.paragraphs)} paragraphs, {art.words} words",
        f"first paragraph: {art.paragraphs[0][:300] if art.paragraphs else ''}",
    ]


# ------------------------------------------------------------------------------ Discord


def _title(text: str) -> str:
    """An embed title from article or user text: one line, escaped, within 256."""
    return de.cut_markdown(de.escape(de.cut_plain(" ".join(text.split()), 200)), de.TITLE_LIMIT)


def _abstain(title: str, message: str) -> de.Embed:
    return de.fit_embed({"title": _title(title), "description": de.cut_markdown(de.escape(" ".join(message.split())), 4000),
                         "color": de.COLOUR_ABSTAIN})


def _event_block(e: TimelineEvent) -> str:
    if e.precision == "relative":
        head = f"**relative** · {de.clean(e.date_text, 160)}"
    else:
        head = f"**{de.clean(e.date or '', 20)}** · {e.precision} · “{de.clean(e.date_text, 80)}”"
    return head + "\n" + de.render_quote(e.quote, budget=700)


def timeline_embed(t: Timeline) -> de.Embed:
    if not t.events:
        return _abstain("No dated events", t.message)
    title = "Timeline" + (f": {t.topic}" if t.topic else " of the story")
    return de.fit_embed({
        "title": _title(title),
        "description": de.join_blocks([_event_block(e) for e in t.events], de.DESCRIPTION_LIMIT - 100),
        "color": COLOUR_STORY,
        "footer": {"text": f"{len(t.events)} dated event(s), oldest first · dates resolved against each article's publication date"},
    })


def said_embed(r: SaidResult, title_of: dict[str, str] | None = None) -> de.Embed:
    if not r.statements:
        return _abstain("The articles don't say", r.message)
    blocks = [_statement_block(s, title_of) for s in r.statements]
    return de.fit_embed({
        "title": _title(f"What {r.name} said"),
        "description": de.join_blocks(blocks, de.DESCRIPTION_LIMIT - 100),
        "color": COLOUR_STORY,
        "footer": {"text": f"{len(r.statements)} statement(s) attributed in the articles"},
    })


def _statement_block(s: Statement, title_of: dict[str, str] | None) -> str:
    title = de.clean((title_of or {}).get(s.document, s.document), 100)
    text = de.clean(s.text, 600)
    return f"> {text}\n— **{de.clean(s.speaker, 80)}** ({s.kind}) · {title}, ¶{s.paragraph}"


def statements_field(r: SaidResult, title_of: dict[str, str] | None = None, limit: int = 3) -> dict[str, Any] | None:
    """A "Said" field for a /who card (None when nothing is attributed)."""
    if not r.statements:
        return None
    lines = []
    for s in r.statements[:limit]:
        lines.append(f"> {de.clean(s.text, 200)}\n— ({s.kind}) ¶{s.paragraph}")
    value = de.join_blocks(lines, de.FIELD_VALUE_LIMIT)
    return {"name": f"Said ({len(r.statements)})", "value": value, "inline": False}


def with_statements(embed: de.Embed, r: SaidResult) -> de.Embed:
    """A /who card with a "Said" field added (unchanged when nothing is attributed)."""
    field = statements_field(r)
    if field is None:
        return embed
    return de.fit_embed({**embed, "fields": [*(embed.get("fields") or []), field]})


def whatsnew_embed(w: WhatsNew) -> de.Embed:
    blocks = [de.render_quote(i.quote, budget=800) for i in w.items]
    head = de.escape(w.message) if w.message else ""
    if not blocks:
        return _abstain("Nothing new", w.message or "Nothing new.")
    description = de.join_blocks(([head] if head else []) + blocks, de.DESCRIPTION_LIMIT - 100)
    return de.fit_embed({
        "title": _title(f"What's new: {w.title}"),
        "description": description,
        "color": COLOUR_STORY,
        "footer": {"text": f"Sentences the {w.earlier} earlier article(s) do not already say, most informative first"},
    })


def add_url_embed(result: Any) -> de.Embed:
    title = ("Added: " if result.ok else "Not added: ") + " ".join(str(result.message).split())
    fields = []
    art = result.article
    if art is not None:
        for name, value in (("Title", art.title), ("Date", art.date or "not found"),
                            ("Authors", ", ".join(art.authors) or "not found"), ("Outlet", art.outlet or "not found"),
                            ("Body", f"{len(art.paragraphs)} paragraphs, {art.words} words"),
                            ("First paragraph", art.paragraphs[0] if art.paragraphs else "")):
            fields.append({"name": name, "value": de.clean(value, 1000) or "—", "inline": name in ("Date", "Outlet", "Body")})
    return de.fit_embed({
        "title": _title(title),
        "color": de.COLOUR_ADMIN if result.ok else de.COLOUR_ERROR,
        "fields": fields,
    })


__all__ = ["add_url_embed", "add_url_json", "render_add_url", "render_said", "render_timeline", "render_whatsnew",
           "said_embed", "said_json", "statements_field", "with_statements", "timeline_embed", "timeline_json", "whatsnew_embed",
           "whatsnew_json"]
