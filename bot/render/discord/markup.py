"""Markdown for Discord: escaping untrusted text, bold that cannot leak, one-line pieces.

Three rules every renderer keeps through these helpers:
- text from articles and from users is escaped (markdown and mentions), so an
  article's asterisks or a question's `@everyone` cannot format or ping;
- bold is added *after* escaping, one `**…**` span per marked run inside one
  quote, so it can never stay open into the next quote;
- a URL is only ever shown as a masked link `[text](<url>)` of a checked http(s) URL.
"""

from __future__ import annotations

import re
from typing import Iterable, Sequence

from bot.answers.highlight import segments
from bot.render.discord.limits import (
    CHOICE_NAME_LIMIT, ELLIPSIS, ZWSP, FOOTER_LIMIT, TITLE_LIMIT, cut_markdown, cut_plain, one_line,
)
from bot.text.tokenize import tokenize

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


def clean(text: str, limit: int) -> str:
    """Untrusted text for one line of an embed: whitespace collapsed (a blank line would
    split a block), cut to `limit` plain characters, escaped."""
    return escape(cut_plain(one_line(text), limit))


def safe_url(url: str | None) -> str | None:
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


def title(prefix: str, text: str) -> str:
    """An embed title from user or article text: one line, escaped, ≤ 256."""
    plain = one_line(text)
    room = TITLE_LIMIT - len(prefix)
    limit = room
    while True:
        t = escape(cut_plain(plain, limit))
        if len(t) <= room or limit <= 1:
            return cut_markdown(prefix + t, TITLE_LIMIT)
        limit -= len(t) - room


def footer(*parts: str) -> dict[str, str]:
    return {"text": cut_plain(" · ".join(p for p in parts if p), FOOTER_LIMIT)}


_TIDY_RE = re.compile(r"\\.|\*\*|<t:-?\d+(?::[tTdDfFR])?>|[*_~`|\\]", re.S)


def tidy_line(line: str) -> str:
    """Make one line of mixed markup safe: keep escapes, Discord timestamps and balanced
    `**` pairs; escape every other markdown marker and defuse mentions.

    For lists whose lines mix our bold with text that may not have been escaped
    (`/kb log`, `/kb gaps`): whatever a caller forgot, nothing can leak or ping.
    """
    line = escape_mentions(one_line(line))
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




def mark(text: str, marks: Sequence[tuple[int, int]]) -> str:
    """Escape `text` and bold exactly the spans in `marks` (the answering part, see
    bot/answers/highlight.py). Each span is opened and closed here, on escaped text."""
    # A mark that splits a mention ("@" | "everyone") would keep each piece from being
    # defused: such a mark is dropped (real marks are whole names, numbers, dates).
    mentions = [m.span() for rx in (_MENTION_RE, _ID_MENTION_RE) for m in rx.finditer(text)]
    marks = [(a, b) for a, b in marks
             if not any((s < a < e) or (s < b < e) for s, e in mentions)]
    out: list[str] = []
    for piece, bold in segments(text, marks):
        esc = escape(piece)
        out.append(f"**{esc}**" if bold and esc.strip() else esc)
    return "".join(out)


def link(text: str, url: str | None) -> str:
    """`text` (already escaped) as a masked link when `url` is a safe http(s) URL."""
    safe = safe_url(url)
    return f"[{text}](<{safe}>)" if safe else text

def choice_name(text: str) -> str:
    """An autocomplete choice name: one line, ≤ 100 characters, cut at a word."""
    return cut_plain(one_line(text), CHOICE_NAME_LIMIT) or ELLIPSIS
