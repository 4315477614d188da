"""Discord embeds as plain dicts, with Discord's limits enforced here.

Why plain dicts: nothing below `chat/` imports discord.py, and dicts make the limit
logic unit-testable without a client. `chat/` turns them into `discord.Embed` with
`discord.Embed.from_dict`.

Three rules every function here keeps:
- limits: a body Discord would refuse (400, code 50035) is a lost answer, so every
  part is cut to its limit, at a sentence boundary when one is near, else at a word
  boundary, always with a visible "…";
- escaping: text from articles and from users is escaped (markdown and mentions),
  so an article's asterisks or a question's `@everyone` cannot format or ping;
- bold for matched words is added *after* escaping, one `**…**` span per run of
  matched words inside one quote, so it can never stay open into the next quote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from bot.answers.model import Answer, Citation, EntityCard, Quote, Summary
from bot.text.tokenize import tokenize

# Discord's documented limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
CONTENT_LIMIT = 2000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
AUTHOR_NAME_LIMIT = 256
MAX_FIELDS = 25
EMBED_TOTAL_LIMIT = 6000
MAX_EMBEDS = 10
CHOICE_NAME_LIMIT = 100
CHOICE_VALUE_LIMIT = 100
MAX_CHOICES = 25

ELLIPSIS = "…"
ZWSP = "\u200b"

# Colours: plain ints so this module needs no discord import.
COLOUR_ANSWER = 0x2B6CB0
COLOUR_ABSTAIN = 0x718096
COLOUR_CARD = 0x2F855A
COLOUR_SUMMARY = 0x6B46C1
COLOUR_ADMIN = 0xB7791F
COLOUR_ERROR = 0xC53030

QUOTE_BUDGET = 900  # characters of rendered markdown per quote, so several quotes fit

Embed = dict[str, Any]

# --------------------------------------------------------------------------- escaping

# Characters that start or end inline markdown anywhere in a line.
_INLINE_RE = re.compile(r"([\\*_~`|\[\]()<>])")
# Markdown that only counts at the start of a line: headings, subtext, lists, quotes.
_LINE_START_RE = re.compile(r"(?m)^(\s*)([#>\-+]|\d+\.(?=\s))")
# Mentions: @everyone, @here, <@123>, <@!123>, <@&123>, <#123>, and bare @123.
_MENTION_RE = re.compile(r"@(everyone|here|[!&]?\d{15,21})", re.IGNORECASE)
_URL_RE = re.compile(r"https?://", re.IGNORECASE)
# <@123>, <@!123>, <@&123>, <#123> of any length (short ids are not real, but look like pings).
_ID_MENTION_RE = re.compile(r"<([@#][!&]?\d+>)")


def escape_mentions(text: str) -> str:
    """Neutralise `@everyone`, `@here` and id mentions with a zero-width space.

    The same idea as `discord.utils.escape_mentions`: even if a message were sent
    without `AllowedMentions.none()`, the text could not ping anyone.
    """
    text = _MENTION_RE.sub(lambda m: "@" + ZWSP + m.group(1), text)
    return _ID_MENTION_RE.sub(lambda m: "<" + ZWSP + m.group(1), text)


def escape_markdown(text: str) -> str:
    """Escape markdown in text from articles or users, and break auto-links.

    Stricter than `discord.utils.escape_markdown`: every inline marker is escaped
    (a backslash before an ordinary character renders as nothing in Discord), and
    line-start markers (`#`, `>`, `-`, `1.`) too, because a quote is shown inside a
    block quote where `# …` would become a heading.
    """
    text = _INLINE_RE.sub(r"\\\1", text)
    text = _LINE_START_RE.sub(lambda m: m.group(1) + "\\" + m.group(2), text)
    return text


def escape(text: str) -> str:
    """Markdown and mentions escaped: the one call for any untrusted text."""
    return escape_mentions(escape_markdown(text))


# --------------------------------------------------------------------------- cutting

_SENTENCE_END_RE = re.compile(r"[.!?…][\"'”’)\]]*(?=\s)")


def cut_plain(text: str, limit: int) -> str:
    """`text` in at most `limit` characters, cut at a sentence end if one is in the
    last half, else at a word boundary, with "…". Plain text only (no markdown)."""
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    if limit == 1:
        return ELLIPSIS
    window = text[: limit - 1]
    ends = [m.end() for m in _SENTENCE_END_RE.finditer(text[:limit])]
    ends = [e for e in ends if e <= limit - 2 and e >= limit // 2]
    if ends:
        return text[: ends[-1]].rstrip() + " " + ELLIPSIS
    # A word boundary: the last whitespace in the window, if the next char starts a word.
    if not text[limit - 1].isspace():
        i = max(window.rfind(" "), window.rfind("\n"))
        if i > 0:
            window = window[:i]
        # no space at all (one giant word): cut it, there is no better place
    return window.rstrip(" ,;:—-\n") + ELLIPSIS


def _bold_markers(text: str) -> tuple[list[int], bool]:
    """Positions of the `**` markers Discord would read (escapes skipped, as Discord
    does), and whether the text ends in a lone, escaping backslash."""
    markers: list[int] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] == "\\":
            if i + 1 == n:
                return markers, True
            i += 2
        elif text.startswith("**", i):
            markers.append(i)
            i += 2
        else:
            i += 1
    return markers, False


def _close_markup(text: str) -> str:
    """Repair markdown left open by a cut inside rendered text: a trailing lone
    backslash, an unclosed `**` span, an unclosed masked link."""
    body = text.rstrip(ELLIPSIS)
    suffix = text[len(body):]
    markers, dangling = _bold_markers(body)
    if dangling:  # a lone backslash would escape the ellipsis or whatever follows
        body = body[:-1]
    if len(markers) % 2:
        # Drop the unclosed span's opening marker rather than bolding the cut text.
        i = markers[-1]
        body = body[:i] + body[i + 2:]
    text = body + suffix
    # An unclosed masked link "[x](http…" : drop from its "[".
    j = text.rfind("](")
    if j >= 0 and ")" not in text[j + 2:]:
        k = text.rfind("[", 0, j)
        if k >= 0:
            text = text[:k].rstrip() + " " + ELLIPSIS
    return text


def cut_markdown(text: str, limit: int) -> str:
    """Cut rendered markdown to `limit`: whole lines if possible, else a word boundary,
    repairing any markup the cut opened. The safety net behind the renderers."""
    if len(text) <= limit:
        return text
    if limit <= 1:
        return ELLIPSIS[:limit]
    window = text[: limit - 2]
    i = window.rfind("\n")
    if i >= limit // 2:
        out = window[:i].rstrip() + "\n" + ELLIPSIS
    else:
        out = cut_plain(text, limit)
    out = _close_markup(out)
    while len(out) > limit:  # repairs only shrink, but be certain
        out = _close_markup(cut_plain(out, len(out) - 1 - (len(out) - limit)))
    return out


# --------------------------------------------------------------------------- highlighting

_WORD_RE = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")


def highlight(text: str, terms: Iterable[str]) -> str:
    """Escape `text` and bold the words whose stem is one of `terms`.

    Runs of matched words separated only by spaces share one `**` span. Each span
    is opened and closed within this call, on escaped text, so no `*` from the
    article can pair with it.
    """
    wanted = set(terms)
    # Mentions first, on the whole text: "@" and "everyone" are separate chunks below.
    text = escape_mentions(text)
    if not wanted:
        return escape_markdown(text)
    pieces: list[tuple[str, bool]] = []  # (plain text, bold?)
    pos = 0
    for m in _WORD_RE.finditer(text):
        if m.start() > pos:
            pieces.append((text[pos:m.start()], False))
        word = m.group(0)
        hit = any(t in wanted for t in tokenize(word))
        pieces.append((word, hit))
        pos = m.end()
    if pos < len(text):
        pieces.append((text[pos:], False))
    # Merge bold runs across pure spaces: "**Xi Jinping**" rather than "**Xi** **Jinping**".
    merged: list[tuple[str, bool]] = []
    for i, (chunk, bold) in enumerate(pieces):
        if (
            not bold and chunk.strip() == "" and chunk and merged and merged[-1][1]
            and i + 1 < len(pieces) and pieces[i + 1][1]
        ):
            merged[-1] = (merged[-1][0] + chunk, True)
            continue
        if bold and merged and merged[-1][1]:
            merged[-1] = (merged[-1][0] + chunk, True)
            continue
        merged.append((chunk, bold))
    out: list[str] = []
    for chunk, bold in merged:
        esc = escape_markdown(chunk)
        out.append(f"**{esc}**" if bold else esc)
    # Escaping is per chunk, so line-start rules must see the whole text: the quote is
    # one line (whitespace collapsed) and its first chunk carried the line start.
    return "".join(out)


# --------------------------------------------------------------------------- pieces


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def clean(text: str, limit: int) -> str:
    """Untrusted text for one line of an embed: whitespace collapsed (a blank line would
    split a block), cut to `limit` plain characters, escaped."""
    return escape(cut_plain(_one_line(text), limit))


def _safe_url(url: str | None) -> str | None:
    """A URL usable inside `[text](<url>)`, or None if it is not http(s)."""
    if not url:
        return None
    url = url.strip()
    if not _URL_RE.match(url) or len(url) > 512 or any(ch.isspace() or not ch.isprintable() for ch in url):
        return None
    # Percent-encode what markdown or the <…> wrapper would read (equivalent URLs).
    for ch, code in ((" ", "%20"), ("<", "%3C"), (">", "%3E"), ("(", "%28"), (")", "%29"), ("*", "%2A"),
                     ("_", "%5F"), ("~", "%7E"), ("|", "%7C"), ("`", "%60"), ("\\", "%5C")):
        url = url.replace(ch, code)
    return url


def citation_line(c: Citation, *, max_title: int = 120) -> str:
    """`— Title (date), ¶N · [link]`: where the quote stands, escaped.

    No emphasis around the title: a title that ends in an escape (`\\`) next to a
    closing `*` is where markdown goes wrong, and the dash already sets it apart."""
    where = f"¶{c.paragraph}" if c.paragraph > 0 else "header"
    title = clean(c.title, max_title) or clean(c.document, max_title) or "untitled article"
    line = f"— {title}"
    date = clean(c.date_text or "", 40)
    if date:
        line += f" ({date})"
    line += f", {where}"
    url = _safe_url(c.url)
    if url:
        line += f" · [link](<{url}>)"
    return line


def render_quote(q: Quote, terms: Sequence[str] = (), budget: int = QUOTE_BUDGET) -> str:
    """One quote as a block quote plus its citation line, within `budget` characters."""
    cite = citation_line(q.citation)
    also = ""
    if q.also:
        names = ", ".join(
            f"{clean(c.title, 60) or clean(c.document, 60)} ¶{c.paragraph}" for c in q.also[:3]
        )
        also = f"\n-# also in: {names}"
        if len(cite) + len(also) > budget // 2:
            also = ""
    room = budget - len(cite) - len(also) - 3  # "> " and the newline
    text = _one_line(q.text)
    limit = len(text)
    body = ""
    while limit > 0:
        body = highlight(cut_plain(text, limit), terms)
        if len(body) <= room:
            break
        limit -= max(1, len(body) - room)
    if not body:
        body = ELLIPSIS
    return f"> {body}\n{cite}{also}"


def join_blocks(blocks: Sequence[str], limit: int, *, more_note: str = "…and {n} more not shown.") -> str:
    """Whole blocks separated by blank lines, as many as fit in `limit`, then a note."""
    out: list[str] = []
    used = 0
    for i, block in enumerate(blocks):
        sep = 2 if out else 0
        remaining = len(blocks) - i
        note = "\n\n" + more_note.format(n=remaining) if remaining > 1 else ""
        if used + sep + len(block) <= limit and (i == len(blocks) - 1 or used + sep + len(block) + len(note) <= limit):
            out.append(block)
            used += sep + len(block)
            continue
        if not out:  # the first block alone is too long: cut it, safely
            out.append(cut_markdown(block, limit - len(note) if note else limit))
            used = len(out[0])
            if i == len(blocks) - 1:
                break
            continue
        out.append(more_note.format(n=remaining))
        break
    return cut_markdown("\n\n".join(out), limit)


# --------------------------------------------------------------------------- embeds


def embed_length(embed: Embed) -> int:
    """What Discord counts toward the 6,000 total: title, description, field names
    and values, footer text, author name."""
    n = len(embed.get("title") or "") + len(embed.get("description") or "")
    for f in embed.get("fields") or []:
        n += len(f.get("name") or "") + len(f.get("value") or "")
    n += len((embed.get("footer") or {}).get("text") or "")
    n += len((embed.get("author") or {}).get("name") or "")
    return n


def limit_problems(embed: Embed) -> list[str]:
    """Every way `embed` breaks Discord's limits (empty list when it is valid)."""
    problems: list[str] = []

    def check(name: str, value: str | None, limit: int) -> None:
        if value is not None and len(value) > limit:
            problems.append(f"{name}: {len(value)} > {limit}")

    check("title", embed.get("title"), TITLE_LIMIT)
    check("description", embed.get("description"), DESCRIPTION_LIMIT)
    check("footer", (embed.get("footer") or {}).get("text"), FOOTER_LIMIT)
    check("author", (embed.get("author") or {}).get("name"), AUTHOR_NAME_LIMIT)
    fields = embed.get("fields") or []
    if len(fields) > MAX_FIELDS:
        problems.append(f"fields: {len(fields)} > {MAX_FIELDS}")
    for i, f in enumerate(fields):
        check(f"fields[{i}].name", f.get("name"), FIELD_NAME_LIMIT)
        check(f"fields[{i}].value", f.get("value"), FIELD_VALUE_LIMIT)
        if not (f.get("name") or "").strip() or not (f.get("value") or "").strip():
            problems.append(f"fields[{i}]: empty name or value")
    total = embed_length(embed)
    if total > EMBED_TOTAL_LIMIT:
        problems.append(f"total: {total} > {EMBED_TOTAL_LIMIT}")
    return problems


def fit_embed(embed: Embed) -> Embed:
    """Return `embed` cut to every limit (the last line of defence; renderers aim lower)."""
    out = dict(embed)
    if out.get("title"):
        out["title"] = cut_markdown(out["title"], TITLE_LIMIT)
    if out.get("footer"):
        out["footer"] = {**out["footer"], "text": cut_plain(out["footer"].get("text", ""), FOOTER_LIMIT)}
    if out.get("author"):
        out["author"] = {**out["author"], "name": cut_plain(out["author"].get("name", ""), AUTHOR_NAME_LIMIT)}
    fields = []
    for f in (out.get("fields") or [])[:MAX_FIELDS]:
        name = cut_markdown(f.get("name") or ZWSP, FIELD_NAME_LIMIT).strip() or ZWSP
        value = cut_markdown(f.get("value") or ZWSP, FIELD_VALUE_LIMIT).strip() or ZWSP
        fields.append({**f, "name": name, "value": value})
    if "fields" in out:
        out["fields"] = fields
    if out.get("description"):
        out["description"] = cut_markdown(out["description"], DESCRIPTION_LIMIT)
    # Over the total: shrink the description first, then drop fields from the end.
    over = embed_length(out) - EMBED_TOTAL_LIMIT
    if over > 0 and out.get("description"):
        keep = max(1, len(out["description"]) - over)
        out["description"] = cut_markdown(out["description"], keep)
    while embed_length(out) > EMBED_TOTAL_LIMIT and out.get("fields"):
        out["fields"] = out["fields"][:-1]
    return out


def fit_content(text: str) -> str:
    """Message content within 2,000 characters."""
    return cut_markdown(text, CONTENT_LIMIT)


def _title(prefix: str, text: str) -> str:
    """An embed title from user or article text: one line, escaped, ≤ 256."""
    plain = _one_line(text)
    room = TITLE_LIMIT - len(prefix)
    limit = room
    while True:
        t = escape(cut_plain(plain, limit))
        if len(t) <= room or limit <= 1:
            return cut_markdown(prefix + t, TITLE_LIMIT)
        limit -= len(t) - room


def _footer(*parts: str) -> dict[str, str]:
    return {"text": cut_plain(" · ".join(p for p in parts if p), FOOTER_LIMIT)}


def _elapsed(ms: float) -> str:
    return f"{ms:.0f} ms" if ms >= 1 else "<1 ms"


def answer_embed(answer: Answer, *, extra: Sequence[Quote] = ()) -> Embed:
    """`/ask`: the quotes as block quotes with citations, matched words in bold; or a
    clear "the articles don't say". `extra` are quotes added by the More button."""
    if not answer.answered:
        return fit_embed(
            {
                "title": "The articles don't say",
                "description": cut_markdown(escape(_one_line(answer.message) or "The articles don't say."), DESCRIPTION_LIMIT),
                "color": COLOUR_ABSTAIN,
                "footer": _footer("Only what the loaded articles say is answered", _elapsed(answer.elapsed_ms)),
            }
        )
    quotes = list(answer.quotes) + list(extra)
    blocks = [render_quote(q, answer.terms) for q in quotes]
    n = len(quotes)
    return fit_embed(
        {
            "title": _title("Q: ", answer.query),
            "description": join_blocks(blocks, DESCRIPTION_LIMIT - 100),
            "color": COLOUR_ANSWER,
            "footer": _footer(f"{n} quote{'s' if n != 1 else ''} from the articles", _elapsed(answer.elapsed_ms)),
        }
    )


def card_embed(card: EntityCard) -> Embed:
    """`/who`: name, role, other spellings, the defining quotes."""
    if not card.answered:
        return fit_embed(
            {
                "title": "The articles don't say",
                "description": cut_markdown(escape(_one_line(card.message) or "No one by that name in the articles."), DESCRIPTION_LIMIT),
                "color": COLOUR_ABSTAIN,
            }
        )
    head: list[str] = []
    role = clean(card.role, 200)
    if role:
        head.append(role)
    aliases = clean(", ".join(a for a in card.aliases if a.strip()), 400)
    if aliases:
        head.append("Also written: " + aliases)
    terms = tuple({t for part in (card.name, *card.aliases) for t in tokenize(part)})
    blocks = ["\n".join(head)] if head else []
    blocks += [render_quote(q, terms) for q in card.quotes]
    if not blocks:
        blocks = ["The articles name this, but say nothing more about it."]
    return fit_embed(
        {
            "title": _title("", card.name or card.query) or "Who?",
            "description": join_blocks(blocks, DESCRIPTION_LIMIT - 100),
            "color": COLOUR_CARD,
            "footer": _footer(f"{len(card.quotes)} quote(s) from the articles", _elapsed(card.elapsed_ms)),
        }
    )


def summary_embed(summary: Summary) -> Embed:
    """`/summary`: the extractive summary, each sentence cited."""
    blocks = [render_quote(q) for q in summary.quotes]
    description = join_blocks(blocks, DESCRIPTION_LIMIT - 100) if blocks else "No article is loaded."
    return fit_embed(
        {
            "title": _title("Summary: ", summary.title or "the story"),
            "description": description,
            "color": COLOUR_SUMMARY,
            "footer": _footer("Sentences quoted from the articles", _elapsed(summary.elapsed_ms)),
        }
    )


@dataclass(frozen=True)
class SourceRow:
    """What `/sources` shows of one article (built by chat/ from StoredDocument)."""

    id: str
    title: str
    date_text: str | None
    url: str | None
    passages: int


def sources_embed(rows: Sequence[SourceRow]) -> Embed:
    """`/sources`: every loaded article with date and link, as many as fit."""
    if not rows:
        return {"title": "Sources", "description": "No article is loaded.", "color": COLOUR_ADMIN}
    lines = []
    for r in rows:
        line = f"**{clean(r.title, 150) or clean(r.id, 150) or 'untitled article'}**"
        date = clean(r.date_text or "", 40)
        if date:
            line += f" — {date}"
        url = _safe_url(r.url)
        if url:
            line += f" · [link](<{url}>)"
        line += f"\n{clean(r.id, 100) or '(no id)'} · {r.passages} passages"
        lines.append(line)
    return fit_embed(
        {
            "title": f"Sources ({len(rows)} article{'s' if len(rows) != 1 else ''})",
            "description": join_blocks(lines, DESCRIPTION_LIMIT - 50),
            "color": COLOUR_ADMIN,
        }
    )


def _list_field(name: str, items: Sequence[str]) -> dict[str, Any]:
    value = join_blocks([clean(i, 300) or "(unnamed)" for i in items], FIELD_VALUE_LIMIT).replace("\n\n", "\n")
    return {"name": name, "value": cut_markdown(value, FIELD_VALUE_LIMIT) or ZWSP, "inline": False}


def report_embed(title: str, report: Any) -> Embed:
    """A build report (`/kb reload`, `/kb add`): added, changed, removed, failed with reasons.

    `report` is duck-typed (a BuildReport or the like) so this module needs no build import.
    """
    added = list(getattr(report, "added", []) or [])
    changed = list(getattr(report, "changed", []) or [])
    removed = list(getattr(report, "removed", []) or [])
    failed = list(getattr(report, "failed", []) or [])
    docs = getattr(report, "documents", None)
    passages = getattr(report, "passages", None)
    duration = float(getattr(report, "duration_ms", 0.0) or 0.0)
    lines = []
    if docs is not None:
        lines.append(f"{docs} article(s), {passages} passage(s) indexed in {duration:.0f} ms.")
    if not (added or changed or removed):
        lines.append(f"Nothing changed ({getattr(report, 'unchanged', 0)} unchanged).")
    fields = []
    for label, items in (("Added", added), ("Changed", changed), ("Removed", removed)):
        if items:
            fields.append(_list_field(f"{label} ({len(items)})", [str(i) for i in items]))
    if failed:
        fields.append(_list_field(f"Failed ({len(failed)})", [f"{f}: {r}" for f, r in failed]))
    return fit_embed(
        {
            "title": _title("", title),
            "description": "\n".join(lines) or ZWSP,
            "color": COLOUR_ERROR if failed else COLOUR_ADMIN,
            "fields": fields,
        }
    )


def status_embed(documents: int, passages: int, last_reload: str, last_duration_ms: float | None, extra: Sequence[tuple[str, str]] = ()) -> Embed:
    """`/kb status`: counts and the last reload."""
    fields = [
        {"name": "Articles", "value": str(documents), "inline": True},
        {"name": "Passages", "value": str(passages), "inline": True},
        {"name": "Last reload", "value": last_reload, "inline": False},
        {"name": "Reload took", "value": f"{last_duration_ms:.0f} ms" if last_duration_ms is not None else "—", "inline": True},
    ]
    fields += [{"name": clean(k, 200) or "—", "value": clean(v, 1000) or "—", "inline": False} for k, v in extra]
    return fit_embed({"title": "Knowledge base", "color": COLOUR_ADMIN, "fields": fields})


_TIDY_RE = re.compile(r"\\.|\*\*|<t:-?\d+(?::[tTdDfFR])?>|[*_~`|\\]", re.S)


def tidy_line(line: str) -> str:
    """Make one line of mixed markup safe: keep escapes, Discord timestamps and balanced
    `**` pairs; escape every other markdown marker and defuse mentions.

    For lists whose lines mix our bold with text that may not have been escaped
    (`/kb log`, `/kb gaps`): whatever a caller forgot, nothing can leak or ping.
    """
    line = escape_mentions(_one_line(line))
    out: list[str] = []
    bold_at: list[int] = []
    pos = 0
    for m in _TIDY_RE.finditer(line):
        out.append(line[pos:m.start()])
        tok = m.group(0)
        if tok == "**":
            bold_at.append(len(out))
            out.append(tok)
        elif tok.startswith("\\") and len(tok) == 2 or tok.startswith("<t:"):
            out.append(tok)
        else:
            out.append("\\" + tok)
        pos = m.end()
    out.append(line[pos:])
    if len(bold_at) % 2:
        out[bold_at[-1]] = "\\*\\*"
    return "".join(out)


def lines_embed(title: str, lines: Sequence[str], *, empty: str = "Nothing yet.") -> Embed:
    """A titled list of lines (`/kb log`, `/kb gaps`), one line each, tidied (`tidy_line`)."""
    description = join_blocks([tidy_line(x) for x in lines], DESCRIPTION_LIMIT - 50).replace("\n\n", "\n") if lines else empty
    return fit_embed({"title": _title("", title) or "List", "description": cut_markdown(description, DESCRIPTION_LIMIT), "color": COLOUR_ADMIN})


def choice_name(text: str) -> str:
    """An autocomplete choice name: one line, ≤ 100 characters, cut at a word."""
    return cut_plain(_one_line(text), CHOICE_NAME_LIMIT) or ELLIPSIS


__all__ = [
    "CONTENT_LIMIT", "DESCRIPTION_LIMIT", "EMBED_TOTAL_LIMIT", "FIELD_NAME_LIMIT", "FIELD_VALUE_LIMIT",
    "FOOTER_LIMIT", "MAX_FIELDS", "TITLE_LIMIT", "SourceRow",
    "answer_embed", "card_embed", "choice_name", "citation_line", "cut_markdown", "cut_plain",
    "embed_length", "escape", "escape_markdown", "escape_mentions", "fit_content", "fit_embed",
    "highlight", "limit_problems", "lines_embed", "render_quote", "report_embed", "sources_embed",
    "status_embed", "summary_embed",
]
