"""Parse an article's text (Markdown with front matter, or the plain-text seed layout).

Both formats end up as the same `Document`. Parsing is pure: it takes text and
returns a record or raises `ParseError` with a one-line reason, so a reload can
report a broken file and keep the old version serving.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from bot.ingest.model import Document, Paragraph
from bot.ingest.sentences import split_sentences


class ParseError(ValueError):
    """The file is not a usable article; the message is one line for a report."""


FRONT_MATTER_KEYS = {"title", "date", "authors", "author", "source", "url"}

# Lines at the end of an article that are not part of the story: contact
# addresses, reprint credits, image and photo credits, editor tags.
_CREDIT_PATTERNS = [
    r"^contact (?:reporter|editor|us|the author)\b",
    r"^(?:image|photo|photograph|picture|illustration|video|graphic)s?(?: credit)?\s*:",
    r"^(?:editor|edited by|editing by|reporting by|additional reporting by|translated by)\b",
    r"\bis (?:authorized|authorised) to (?:reprint|republish)\b",
    r"\bis the english-language (?:online )?news portal\b",
    r"^(?:©|\(c\)|copyright\b)",
    r"^(?:download our app|subscribe\b|follow us\b|read more\b|related:)",
    r"^[\w.+-]+@[\w-]+\.[\w.]+$",
]
_CREDIT_RE = re.compile("|".join(_CREDIT_PATTERNS), re.IGNORECASE)

_BYLINE_RE = re.compile(r"^by\s+(?P<names>.+)$", re.IGNORECASE)
_MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
            ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
            ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for m in names
}


def clean_text(text: str) -> str:
    """Normalise what files carry that readers do not see: NBSPs, BOMs, CRLF, controls."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    text = text.replace("\u00a0", " ").replace("\u202f", " ").replace("\u2009", " ")
    out = []
    for ch in text:
        if ch == "\n" or ch == "\t":
            out.append(" " if ch == "\t" else ch)
        elif unicodedata.category(ch) in ("Cc", "Cs"):
            continue
        else:
            out.append(ch)
    return "".join(out)


def parse_date(value: str) -> str | None:
    """Return an ISO date for the common news formats, or None when it is not a date."""
    value = value.strip().rstrip(".")
    try:
        return dt.date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        pass
    # 26 Sep 2025 / 26 September 2025
    m = re.fullmatch(r"(\d{1,2})\s+([A-Za-z]+)\.?,?\s+(\d{4})", value)
    if m and m.group(2).lower() in _MONTHS:
        return _safe_date(int(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1)))
    # Sep 26, 2025 / September 26 2025
    m = re.fullmatch(r"([A-Za-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})", value)
    if m and m.group(1).lower() in _MONTHS:
        return _safe_date(int(m.group(3)), _MONTHS[m.group(1).lower()], int(m.group(2)))
    return None


def _safe_date(year: int, month: int, day: int) -> str | None:
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def format_date(iso: str) -> str:
    """The way the seed writes dates: `26 Sep 2025`."""
    d = dt.date.fromisoformat(iso)
    return f"{d.day} {d.strftime('%b')} {d.year}"


def split_authors(names: str) -> tuple[str, ...]:
    """`Guan Cong and Denise Jia` → ("Guan Cong", "Denise Jia")."""
    parts = re.split(r",\s*(?:and\s+)?|\s+and\s+|\s*&\s*|;\s*", names.strip())
    return tuple(p.strip() for p in parts if p.strip())


def is_credit_line(paragraph: str) -> bool:
    return bool(_CREDIT_RE.search(paragraph.strip()))


def _paragraph_blocks(body: str) -> list[str]:
    """Blank-line separated blocks, each folded to one line."""
    blocks = re.split(r"\n\s*\n", body)
    return [" ".join(line.strip() for line in b.strip().splitlines()) for b in blocks if b.strip()]


def _strip_markdown(block: str) -> str:
    """Drop the Markdown that would otherwise be quoted literally (emphasis, links)."""
    block = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", block)  # images
    block = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", block)  # links keep their text
    block = re.sub(r"(\*\*|__)(.+?)\1", r"\2", block)
    block = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"\1", block)
    block = re.sub(r"^>\s?", "", block)
    return block.strip()


def _split_credits(blocks: list[str]) -> tuple[list[str], list[str]]:
    """Peel trailing credit/contact/image lines off the body."""
    end = len(blocks)
    while end > 0 and is_credit_line(blocks[end - 1]):
        end -= 1
    body = [b for b in blocks[:end] if not is_credit_line(b)]
    credits = [b for b in blocks if is_credit_line(b)]
    return body, credits


def _make_paragraphs(blocks: list[str]) -> tuple[Paragraph, ...]:
    paragraphs: list[Paragraph] = []
    for block in blocks:
        sentences = tuple(split_sentences(block))
        if sentences:
            paragraphs.append(Paragraph(number=len(paragraphs) + 1, text=block, sentences=sentences))
    return tuple(paragraphs)


def parse_front_matter(text: str) -> tuple[dict[str, object], str]:
    """Split `---` front matter (a small YAML subset: `key: value`, `[a, b]`, `- item`)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, text
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() in ("---", "..."))
    except StopIteration:
        raise ParseError("front matter is not closed: no second '---' line") from None
    meta: dict[str, object] = {}
    current_list: list[str] | None = None
    for lineno, raw in enumerate(lines[1:end], start=2):
        line = raw.rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        item = re.match(r"^\s*-\s+(.*)$", line)
        if item and current_list is not None:
            current_list.append(_unquote(item.group(1)))
            continue
        kv = re.match(r"^([A-Za-z_][\w-]*)\s*:\s*(.*)$", line)
        if not kv:
            raise ParseError(f"front matter line {lineno} is not 'key: value': {line.strip()[:60]!r}")
        key, value = kv.group(1).lower(), kv.group(2).strip()
        if value == "":
            current_list = []
            meta[key] = current_list
        elif value.startswith("["):
            if not value.endswith("]"):
                raise ParseError(f"front matter line {lineno}: unclosed list for {key!r}")
            meta[key] = [_unquote(v) for v in value[1:-1].split(",") if v.strip()]
            current_list = None
        else:
            meta[key] = _unquote(value)
            current_list = None
    return meta, "\n".join(lines[end + 1 :])


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _parse_markdown(doc_id: str, text: str) -> Document:
    meta, body = parse_front_matter(text)
    blocks = _paragraph_blocks(body)
    title = meta.get("title")
    # A leading `# Heading` is the title when the front matter has none.
    if blocks and blocks[0].startswith("#"):
        heading = blocks.pop(0).lstrip("#").strip()
        title = title or heading
    blocks = [b for b in blocks if not re.match(r"^#{1,6}\s", b)]  # sub-headings are not quotes
    blocks = [_strip_markdown(b) for b in blocks]
    blocks = [b for b in blocks if b and not re.fullmatch(r"[-*_\s]{3,}", b)]
    if not isinstance(title, str) or not title.strip():
        raise ParseError("no title: add 'title:' to the front matter or a '# Heading' line")
    authors_value = meta.get("authors", meta.get("author", []))
    if isinstance(authors_value, str):
        authors = split_authors(authors_value)
    elif isinstance(authors_value, list):
        authors = tuple(str(a).strip() for a in authors_value if str(a).strip())
    else:
        authors = ()
    date_value = meta.get("date")
    date_iso = parse_date(date_value) if isinstance(date_value, str) and date_value else None
    if isinstance(date_value, str) and date_value and date_iso is None:
        raise ParseError(f"front matter date {date_value[:40]!r} is not a date (use YYYY-MM-DD)")
    body_blocks, credits = _split_credits(blocks)
    return _finish(
        doc_id,
        title=title.strip(),
        date=date_iso,
        authors=authors,
        source=_str_or_none(meta.get("source")),
        url=_str_or_none(meta.get("url")),
        body_blocks=body_blocks,
        credits=credits,
    )


def _str_or_none(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _parse_plain(doc_id: str, text: str) -> Document:
    """The seed layout: title line, date line, `By …` byline, body, trailing credits."""
    blocks = _paragraph_blocks(text)
    if not blocks:
        raise ParseError("the file has no text")
    title = blocks.pop(0)
    date_iso = None
    authors: tuple[str, ...] = ()
    byline = None
    # Date and byline may come in either order, each at most once, right after the title.
    for _ in range(2):
        if not blocks:
            break
        if date_iso is None and (iso := parse_date(blocks[0])):
            date_iso = iso
            blocks.pop(0)
        elif not authors and (m := _BYLINE_RE.match(blocks[0])) and len(blocks[0]) < 200:
            byline = blocks.pop(0)
            authors = split_authors(m.group("names"))
    body_blocks, credits = _split_credits(blocks)
    return _finish(doc_id, title=title, date=date_iso, authors=authors, source=None, url=None,
                   body_blocks=body_blocks, credits=credits, byline=byline)


def _finish(
    doc_id: str,
    *,
    title: str,
    date: str | None,
    authors: tuple[str, ...],
    source: str | None,
    url: str | None,
    body_blocks: list[str],
    credits: list[str],
    byline: str | None = None,
) -> Document:
    if len(title) > 300:
        raise ParseError("the title is longer than 300 characters: is the first line really a title?")
    paragraphs = _make_paragraphs(body_blocks)
    if not paragraphs:
        raise ParseError("no body paragraphs after the title and metadata")
    if byline is None and authors:
        byline = "By " + _join_names(authors)
    return Document(
        id=doc_id,
        title=title,
        date=date,
        date_text=format_date(date) if date else None,
        authors=authors,
        byline=byline,
        source=source,
        url=url,
        paragraphs=paragraphs,
        credits=tuple(credits),
    )


def _join_names(names: tuple[str, ...]) -> str:
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def parse_document(doc_id: str, text: str, suffix: str) -> Document:
    """Parse `text` of a `.md` or `.txt` file into a Document, or raise ParseError."""
    text = clean_text(text)
    if not text.strip():
        raise ParseError("the file is empty")
    if suffix.lower() in (".md", ".markdown"):
        return _parse_markdown(doc_id, text)
    if suffix.lower() == ".txt":
        if text.lstrip().startswith("---\n"):
            return _parse_markdown(doc_id, text)
        return _parse_plain(doc_id, text)
    raise ParseError(f"unsupported file type {suffix!r}: use .md or .txt")
