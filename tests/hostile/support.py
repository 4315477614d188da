"""Shared pieces of the hostile suite: the counters the summary prints, the
hostile text strategies, and the checks that a rendered reply is valid for Discord.

Imported as `hostile.support` (pytest puts `tests/` on sys.path), so every test
module and the conftest share one `COUNTS`.
"""

from __future__ import annotations

import contextlib
import re
from collections import Counter
from typing import Any, Iterable, Iterator

from hypothesis import strategies as st

# Discord's documented limits, written out here rather than imported from the
# renderer, so a wrong constant there cannot make these checks agree with it.
CONTENT_LIMIT = 2000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
AUTHOR_LIMIT = 256
MAX_FIELDS = 25
EMBED_TOTAL_LIMIT = 6000


def embed_length(embed: dict[str, Any]) -> int:
    """What Discord counts toward the 6,000 total."""
    n = len(embed.get("title") or "") + len(embed.get("description") or "")
    for f in embed.get("fields") or []:
        n += len(f.get("name") or "") + len(f.get("value") or "")
    n += len((embed.get("footer") or {}).get("text") or "")
    n += len((embed.get("author") or {}).get("name") or "")
    return n

# inputs tried, interactions sent, faults injected, answers lost
COUNTS: Counter[str] = Counter()
# worst cases seen, for the summary: longest input, slowest first response
WORST: dict[str, float] = {"longest_input": 0, "slowest_response_s": 0.0}


@contextlib.contextmanager
def attack(name: str) -> Iterator[None]:
    """Count one attack from issue 12's list (or a new one): tried on entry, survived
    when the block ends without an exception (a failed assert is a lost attack)."""
    COUNTS["attacks"] += 1
    ATTACKS.append(name)
    yield
    COUNTS["survived"] += 1


ATTACKS: list[str] = []


def note_input(*texts: str) -> None:
    COUNTS["inputs"] += 1
    WORST["longest_input"] = max([WORST["longest_input"], *(len(t) for t in texts)])

MAX_INPUT = 6000

# Fragments a public server throws at a bot, plus words the seed article answers
# (so some answers are real quotes rendered next to hostile text).
HOSTILE_FRAGMENTS = [
    "@everyone", "@here", "@EVERYONE", "<@123>", "<@!123456789012345678>", "<@&456>", "<@&123456789012345678>",
    "<#123456789012345678>", "@123456789012345678", "```", "```py\nprint(1)\n```", "`", "``", "**", "*", "__", "_",
    "~~", "||", "> ", ">>> ", "# ", "-# ", "1. ", "- ", "[link](https://evil.example/x)", "https://example.com/a_b*c",
    "http://x.y/(z)", "<https://a.b>", "\\", "\\*", "\n", "\r\n", "\t", "\x00", "\x1b[31m", "\u200b", "\u200d",
    "\u200e", "\u200f", "\u202e", "\u2066", "\ufeff", "👩\u200d👩\u200d👧", "🇺🇸", "e\u0301\u0301\u0301", "Z̴̡̪͉a̶l̷g̸o̵",
    "ﷺ", "𝕏", "．", "“", "”", "—", "¶", "…",
    "ByteDance", "Xi Jinping", "Trump", "TikTok", "Oracle", "divest", "270 days", "Who is", "What did",
    "When did", "How many", "?",
]

_any_char = st.characters(blacklist_categories=("Cs",))  # every code point Python strings allow


def hostile_text(max_size: int = MAX_INPUT) -> st.SearchStrategy[str]:
    """0 to `max_size` characters: all of Unicode, markdown, mentions, URLs, controls."""
    piece = st.one_of(
        st.sampled_from(HOSTILE_FRAGMENTS),
        st.text(_any_char, max_size=40),
        st.text(st.sampled_from("*_`~|>#-\\@<>&!:[]() \n"), max_size=20),
    )
    composed = st.lists(piece, max_size=60).map("".join)
    long = st.tuples(st.sampled_from(HOSTILE_FRAGMENTS + ["a", " ", "**", "`", "Xi "]), st.integers(0, max_size)).map(
        lambda t: (t[0] * (t[1] // max(1, len(t[0])) + 1))[: t[1]]
    )
    return st.one_of(composed, st.text(_any_char, max_size=200), long).map(lambda s: s[:max_size])


# ------------------------------------------------------------------ validity checks

_ESCAPED = re.compile(r"\\.", re.DOTALL)
_RAW_MASS_MENTION = re.compile(r"@(everyone|here)", re.IGNORECASE)
_RAW_ID_MENTION = re.compile(r"<@[!&]?\d+>|<#\d+>")


_LINK_TARGET = re.compile(r"\]\(<[^>\s]*>\)")


def _unescaped(text: str) -> str:
    """`text` with every backslash-escaped character and every masked-link target
    replaced by a neutral letter: what is left is what can still format."""
    return _ESCAPED.sub("x", _LINK_TARGET.sub("](x)", text))


def markdown_problems(block: str, where: str) -> list[str]:
    """Formatting that could leak out of `block` into the next one, or ping."""
    problems: list[str] = []
    raw = _unescaped(block)
    bold = italic = 0
    for run in re.findall(r"\*+", raw):
        bold += len(run) // 2
        italic += len(run) % 2
    if bold % 2:
        problems.append(f"{where}: unbalanced ** in {block[:120]!r}")
    if italic % 2:
        problems.append(f"{where}: unbalanced * in {block[:120]!r}")
    for marker in ("`", "__", "~~", "||"):
        if raw.count(marker) % 2:
            problems.append(f"{where}: unbalanced {marker} in {block[:120]!r}")
    if _RAW_MASS_MENTION.search(block):
        problems.append(f"{where}: raw @everyone/@here in {block[:120]!r}")
    if _RAW_ID_MENTION.search(raw):
        problems.append(f"{where}: raw id mention in {block[:120]!r}")
    return problems


def embed_problems(embed: dict[str, Any]) -> list[str]:
    """Every Discord limit, checked independently of the renderer's own checker,
    and markdown balance per quote block (blocks are separated by blank lines)."""
    problems: list[str] = []

    def check(name: str, value: Any, limit: int) -> None:
        if value is None:
            return
        if not isinstance(value, str):
            problems.append(f"{name}: not a string ({type(value).__name__})")
        elif len(value) > limit:
            problems.append(f"{name}: {len(value)} > {limit}")

    check("title", embed.get("title"), TITLE_LIMIT)
    check("description", embed.get("description"), DESCRIPTION_LIMIT)
    check("footer", (embed.get("footer") or {}).get("text"), FOOTER_LIMIT)
    check("author", (embed.get("author") or {}).get("name"), AUTHOR_LIMIT)
    fields = embed.get("fields") or []
    if len(fields) > MAX_FIELDS:
        problems.append(f"fields: {len(fields)} > {MAX_FIELDS}")
    for i, f in enumerate(fields):
        check(f"fields[{i}].name", f.get("name"), FIELD_NAME_LIMIT)
        check(f"fields[{i}].value", f.get("value"), FIELD_VALUE_LIMIT)
        if not str(f.get("name") or "").strip() or not str(f.get("value") or "").strip():
            problems.append(f"fields[{i}]: empty name or value")
    if embed_length(embed) > EMBED_TOTAL_LIMIT:
        problems.append(f"total: {embed_length(embed)} > {EMBED_TOTAL_LIMIT}")
    if not (embed.get("title") or embed.get("description") or fields):
        problems.append("empty embed")
    for name in ("title",):
        if embed.get(name):
            problems += markdown_problems(embed[name], name)
    for i, block in enumerate((embed.get("description") or "").split("\n\n")):
        problems += markdown_problems(block, f"description block {i}")
    for i, f in enumerate(fields):
        problems += markdown_problems(str(f.get("name") or ""), f"fields[{i}].name")
        problems += markdown_problems(str(f.get("value") or ""), f"fields[{i}].value")
    if (embed.get("footer") or {}).get("text"):
        problems += markdown_problems(embed["footer"]["text"], "footer")
    return problems


def content_problems(content: str | None) -> list[str]:
    if content is None:
        return []
    problems = [f"content: {len(content)} > {CONTENT_LIMIT}"] if len(content) > CONTENT_LIMIT else []
    return problems + markdown_problems(content, "content")


def all_text(values: Iterable[Any]) -> str:
    return "\n".join(str(v) for v in values)
