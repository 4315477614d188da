"""Discord's limits, and the cutting that keeps every body within them.

Why its own module: a body Discord would refuse (400, code 50035) is a lost
answer, so every renderer ends in `fit_embed` / `fit_content`, and tests check
what was sent with `limit_problems`. Cuts fall at a sentence end when one is
near, else at a word boundary, always with a visible "…", and repair markdown
the cut left open (a `**`, a trailing backslash, a masked link).
"""

from __future__ import annotations

import re
from typing import Any

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
Embed = dict[str, Any]

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




def one_line(text: str) -> str:
    """Whitespace collapsed: a blank line inside a block would split it."""
    return " ".join(str(text).split())


def plural(n: int, word: str, many: str | None = None) -> str:
    """"1 quote", "3 quotes": never "quote(s)"."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"
