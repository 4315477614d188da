"""Parse an article's text (Markdown with front matter, or the plain-text seed layout).

Both formats end up as the same `Document`. Parsing is pure: it takes text and
returns a record or raises `ParseError` with a one-line reason, so a reload can
report a broken file and keep the old version serving.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

import yaml

from bot.ingest.model import Document, Paragraph
from bot.ingest.sentences import split_sentences


class ParseError(ValueError):
    """The file is not a usable article; the message is one line for a report."""


FRONT_MATTER_KEYS = {"title", "date", "authors", "author", "source", "url"}
# The C loader when PyYAML was built with libyaml; the safe loader's rules either way.
_YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

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
# The same test, faster: the anchored patterns tried at the start only (`match`), the
# others searched for (one combined search tried every alternative at every character).
_CREDIT_START_RE = re.compile("|".join(p[1:] for p in _CREDIT_PATTERNS if p.startswith("^")), re.IGNORECASE)
_CREDIT_ANYWHERE_RE = re.compile("|".join(p for p in _CREDIT_PATTERNS if not p.startswith("^")), re.IGNORECASE)

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


# Control characters (other than newline and tab) and lone surrogates: Unicode's Cc and Cs.
_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def clean_text(text: str) -> str:
    """Normalise what files carry that readers do not see: NBSPs, BOMs, CRLF, controls."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    text = text.replace("\u00a0", " ").replace("\u202f", " ").replace("\u2009", " ").replace("\t", " ")
    return _CONTROL_RE.sub("", text)


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
    text = paragraph.strip()
    return bool(_CREDIT_START_RE.match(text) or _CREDIT_ANYWHERE_RE.search(text))


_HEADING_RE = re.compile(r"^#{1,6}\s")
# A line that ends a sentence: terminal punctuation, then closing quotes or brackets.
_SENTENCE_END_RE = re.compile(r"[.!?…:][\"'”’)\]]*$")
# Lines longer than this are not hard-wrapped (editors and mail wrap at 72–80).
_WRAP_WIDTH_MAX = 160


def _paragraph_blocks(body: str) -> list[str]:
    """Paragraphs, each folded to one line: blank lines separate them, and within a
    block single line breaks do too unless the block is hard-wrapped text.

    Linear in the body's length (one pass over the lines of each block).
    """
    out: list[str] = []
    for block in re.split(r"\n[ \t]*\n", body):
        lines = [line.rstrip() for line in block.split("\n") if line.strip()]
        for group in _group_lines(lines):
            out.append(" ".join(line.strip() for line in group))
    return out


def _group_lines(lines: list[str]) -> list[list[str]]:
    """Lines with no blank line between them, grouped into paragraphs.

    One paragraph per line when the lines are long (no one wraps at 160) or most
    of them end a sentence: a file written with single line breaks. Otherwise the
    text is hard-wrapped: a paragraph ends at a line that ends a sentence well
    short of the wrap width, before an indented line, and around headings.
    """
    if len(lines) <= 1:
        return [lines] if lines else []
    ends = [bool(_SENTENCE_END_RE.search(line)) for line in lines]
    width = max(len(line.strip()) for line in lines)
    if width > _WRAP_WIDTH_MAX or sum(ends[:-1]) >= 0.6 * (len(lines) - 1):
        return [[line] for line in lines]
    groups: list[list[str]] = []
    current: list[str] = []
    for k, line in enumerate(lines):
        heading = bool(_HEADING_RE.match(line.strip()))
        if current and (heading or line[:1].isspace()):
            groups.append(current)
            current = []
        current.append(line)
        if heading or (ends[k] and len(line.strip()) < 0.75 * width):
            groups.append(current)
            current = []
    if current:
        groups.append(current)
    return groups


def _strip_markdown(block: str) -> str:
    """Drop the Markdown that would otherwise be quoted literally (emphasis, links).
    (Each rule runs only when its mark is in the block: most news paragraphs hold none.)"""
    if "[" in block:
        block = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", block)  # images
        block = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", block)  # links keep their text
    if "**" in block or "__" in block:
        block = re.sub(r"(\*\*|__)(.+?)\1", r"\2", block)
    if "*" in block:
        block = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"\1", block)
    if block.startswith(">"):
        block = re.sub(r"^>\s?", "", block)
    return block.strip()


def _split_credits(blocks: list[str]) -> tuple[list[str], list[str]]:
    """Peel trailing credit/contact/image lines off the body."""
    credit = [is_credit_line(b) for b in blocks]
    end = len(blocks)
    while end > 0 and credit[end - 1]:
        end -= 1
    body = [b for b, c in zip(blocks[:end], credit) if not c]
    credits = [b for b, c in zip(blocks, credit) if c]
    return body, credits


def _make_paragraphs(blocks: list[str]) -> tuple[Paragraph, ...]:
    paragraphs: list[Paragraph] = []
    for block in blocks:
        sentences = tuple(split_sentences(block))
        if sentences:
            paragraphs.append(Paragraph(number=len(paragraphs) + 1, text=block, sentences=sentences))
    return tuple(paragraphs)


MAX_FRONT_MATTER_CHARS = 20_000


def parse_front_matter(text: str) -> tuple[dict[str, object], str]:
    """Split `---` front matter off and read it with a YAML parser (safe loader: no
    objects, only plain values), so lists, comments, quoting and folded strings mean
    what they mean in YAML. Keys are folded to lower case."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, text
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() in ("---", "..."))
    except StopIteration:
        raise ParseError("front matter is not closed: no second '---' line") from None
    source = "\n".join(lines[1:end])
    if len(source) > MAX_FRONT_MATTER_CHARS:
        raise ParseError(f"front matter is longer than {MAX_FRONT_MATTER_CHARS:,} characters")
    try:
        data = yaml.load(source, Loader=_YamlLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 2}" if mark is not None else "YAML"
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise ParseError(f"front matter {where} is not 'key: value' YAML ({problem}); "
                         "quote a value that holds ': ' or '#'") from None
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:  # e.g. `date: 2025-13-45`
        raise ParseError(f"front matter holds a value YAML cannot read: {str(exc)[:80]}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ParseError("front matter is not a set of 'key: value' lines")
    meta = {str(k).strip().lower(): v for k, v in data.items()}
    return meta, "\n".join(lines[end + 1 :])


def _meta_text(value: object) -> str | None:
    """A scalar front matter value as text (YAML reads `2025` as a number, dates as dates)."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        text = " ".join(str(value).split())
        return text or None
    return None


def _meta_names(value: object) -> tuple[str, ...]:
    """`authors`: a YAML list, or one string of names ("A, B and C")."""
    if isinstance(value, list):
        names = [_meta_text(v) for v in value]  # nested lists or maps are not names: dropped
        return tuple(n for n in names if n)
    text = _meta_text(value)
    return split_authors(text) if text else ()


def _parse_markdown(doc_id: str, text: str) -> Document:
    meta, body = parse_front_matter(text)
    if not meta:
        # No front matter: the plain layout, with Markdown markup taken off the text.
        return _parse_plain(doc_id, body, markdown=True)
    blocks = _paragraph_blocks(body)
    title = _meta_text(meta.get("title"))
    # A leading `# Heading` is the title when the front matter has none.
    if blocks and blocks[0].startswith("#"):
        heading = blocks.pop(0).lstrip("#").strip()
        title = title or heading
    blocks = _markdown_body(blocks)
    if not title:
        raise ParseError("no title: add 'title:' to the front matter or a '# Heading' line")
    authors = _meta_names(meta.get("authors", meta.get("author", [])))
    date_value = meta.get("date")
    date_text = _meta_text(date_value)
    date_iso = parse_date(date_text) if date_text else None
    if date_text and date_iso is None:
        raise ParseError(f"front matter date {date_text[:40]!r} is not a date (use YYYY-MM-DD)")
    body_blocks, credits = _split_credits(blocks)
    return _finish(
        doc_id,
        title=title,
        date=date_iso,
        authors=authors,
        source=_meta_text(meta.get("source")),
        url=_meta_text(meta.get("url")),
        body_blocks=body_blocks,
        credits=credits,
    )


def _markdown_body(blocks: list[str]) -> list[str]:
    blocks = [b for b in blocks if not _HEADING_RE.match(b)]  # sub-headings are not quotes
    blocks = [_strip_markdown(b) for b in blocks]
    return [b for b in blocks if b and not re.fullmatch(r"[-*_\s]{3,}", b)]


# Words a name may hold in lower case ("Ursula von der Leyen", "Ibn Saud").
_NAME_PARTICLES = frozenset("de da di del della dos van von der den la le du bin al ibn y".split())


def byline_names(line: str) -> tuple[str, ...] | None:
    """The names of a `By …` line, or None when what follows "By" is not names
    ("By the end of the year, …", "By 2030 …" are body text)."""
    line = " ".join(line.split())
    m = _BYLINE_RE.match(line)
    if not m or len(line) > 200:
        return None
    names_text = re.sub(r"\s+in\s+[A-Z][\w .’'-]*$", "", m.group("names")).rstrip(". ")
    names = split_authors(names_text)
    if not names:
        return None
    for name in names:
        words = name.split()
        if not 1 <= len(words) <= 5:
            return None
        for word in words:
            if word.lower() in _NAME_PARTICLES:
                continue
            if not word[:1].isupper() or re.search(r"[.!?]$", word) and not re.fullmatch(r"[A-Z][a-z]?\.", word):
                return None
    return names


def _parse_plain(doc_id: str, text: str, *, markdown: bool = False) -> Document:
    """The seed layout: title line, date line, `By …` byline, body, trailing credits.

    The header is read line by line (blank lines between its lines optional), so a
    file written with single line breaks only has the same header as the seed.
    """
    lines = text.split("\n")
    i = 0

    def next_line() -> int:
        j = i
        while j < len(lines) and not lines[j].strip():
            j += 1
        return j

    i = next_line()
    if i >= len(lines):
        raise ParseError("the file has no text")
    title = " ".join(lines[i].split())
    if markdown:
        title = _strip_markdown(title.lstrip("#").strip())
    i += 1
    date_iso = None
    authors: tuple[str, ...] = ()
    byline = None
    # Date and byline may come in either order, each at most once, right after the title.
    for _ in range(2):
        j = next_line()
        if j >= len(lines):
            break
        line = " ".join(lines[j].split())
        if date_iso is None and (iso := parse_date(line)):
            date_iso = iso
            i = j + 1
        elif not authors and (names := byline_names(line)):
            byline, authors = line, names
            i = j + 1
        else:
            break
    blocks = _paragraph_blocks("\n".join(lines[i:]))
    if markdown:
        blocks = _markdown_body(blocks)
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
        return _parse_markdown(doc_id, text.lstrip("\n"))
    if suffix.lower() == ".txt":
        if text.lstrip().startswith("---\n"):
            return _parse_markdown(doc_id, text.lstrip())
        return _parse_plain(doc_id, text)
    raise ParseError(f"unsupported file type {suffix!r}: use .md or .txt")
