"""Which part of a quote answers the question: character spans for every renderer.

Why here and not in a renderer: Discord (bold), the terminal (bold on a tty) and
`--json` (`marks`) must agree on what the answer is, so the span is found once,
on the engine side, and carried on the `Quote`.

What is marked, by the kind of question (`bot.search.question.question_kind`):
- how many / how much: the number (with its scale word: "$14 billion", "45%"),
- when: the date ("Friday", "Sept. 26", "early next year"),
- where: the place after in / at / to / from,
- who (and who said, who wrote): a whole name, from the same name finder the
  entity cards use, so a name is never half marked ("He Lifeng", not "Lifeng").
Whatever the question itself already says is not the answer and is never marked.
Nothing is marked when no such part is found: no bold is better than a wrong bold.
"""

from __future__ import annotations

import functools
import re
from dataclasses import replace
from typing import Iterable, Sequence

from bot.answers.model import Answer, EntityCard, Quote
from bot.ingest.entities import NATIONALITIES, TITLE_WORDS, extract_mentions, name_key
from bot.search.question import question_kind
from bot.text.tokenize import tokenize

Span = tuple[int, int]

_SCALE = r"(?:\s?(?:%|per\s?cent|percent|million|billion|trillion|thousand|hundred|bn|mn|m\b|k\b))"
_NUMBER_PATTERN = (
    rf"(?<![\w.])(?:[$€£¥]\s?)?\d+(?:[,.]\d+)*(?:{_SCALE})?(?![\w])"
    r"|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"hundred|a\s+dozen|dozens|half|a\s+third|a\s+quarter|a\s+majority)\b"
    rf"(?:{_SCALE})?"
)


@functools.lru_cache(maxsize=1)
def _number_re() -> re.Pattern[str]:
    """Compiled by the first how-many question (~10 ms: a cold CLI `ask` of another kind never needs it)."""
    return re.compile(_NUMBER_PATTERN, re.IGNORECASE)
_MONEY_Q_RE = re.compile(r"\b(worth|cost|costs|price|priced|paid|pay|pays|value|valued|fine|fined|spend|spent|raise|raised)\b", re.IGNORECASE)
_SHARE_Q_RE = re.compile(r"\b(share|percent|percentage|proportion|stake|fraction|rate)\b", re.IGNORECASE)
_YEAR_RE = re.compile(r"^(?:19|20)\d\d$")
_MONTH = (r"(?:Jan(?:uary|\.)?|Feb(?:ruary|\.)?|Mar(?:ch|\.)?|Apr(?:il|\.)?|May|June?|July?|Aug(?:ust|\.)?|"
          r"Sept?(?:ember|\.)?|Oct(?:ober|\.)?|Nov(?:ember|\.)?|Dec(?:ember|\.)?)")
_DATE_RE = re.compile(
    rf"\b(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+(?:19|20)\d\d)?"
    rf"|\d{{1,2}}\s+{_MONTH}(?:\s+(?:19|20)\d\d)?"
    rf"|(?:(?:early|mid|late|earlier|later)[\s-]+(?:this\s+|next\s+|last\s+)?)?{_MONTH}(?:\s+(?:19|20)\d\d)?"
    r"|(?:early|mid|late|earlier|later)(?:\s+|-)(?:this|next|last)\s+(?:week|month|year)"
    r"|(?:this|next|last)\s+(?:week|month|year|spring|summer|autumn|fall|winter)"
    r"|(?:on\s+)?(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
    r"|yesterday|today|tomorrow|tonight"
    r"|(?:19|20)\d\d)\b"
)
_PLACE_RE = re.compile(r"\b(?:in|at|to|from|near|inside|outside)\s+(?:the\s+)?((?:[A-Z][\w.’'-]*)(?:\s+(?:of\s+)?[A-Z][\w.’'-]*)*)")
_SAID_RE = re.compile(r"\b(?:said|says|say|told|added|stated|wrote|announced|according\s+to|urged|noted)\b", re.IGNORECASE)
# (compiled once: `re.search(pattern, …)` looks its pattern up in re's cache at every call)
_QWORD_RE = re.compile(r"[\w.]+")
_WORD_RE = re.compile(r"\w+")
_DIGIT_RE = re.compile(r"\d")
_YEARS_RE = re.compile(r"\byears?\b", re.IGNORECASE)
_AFTER_RE = re.compile(r"\s*([A-Za-z]+)")
_PERCENT_RE = re.compile(r"%|per\s?cent", re.IGNORECASE)
_QUOTED_RE = re.compile(r"[“\"][^”\"]*(?:[”\"]|$)")
_KEEP_STOP_RE = re.compile(r"[A-Z]\.[A-Z]\.$|\b(?:Ltd|Inc|Co|Corp|Jr|Sr)\.$")
_TITLE_WORD_RE = re.compile(r"[A-Za-z][\w.-]*")


@functools.lru_cache(maxsize=64)  # (asked once per quote of an answer: up to nine times)
def _question_words(question: str) -> frozenset[str]:
    return frozenset(tokenize(question)) | {w.casefold() for w in _QWORD_RE.findall(question)}


def _in_question(text: str, qwords: frozenset[str]) -> bool:
    """Every word of `text` is already in the question: it cannot be the answer."""
    words = _WORD_RE.findall(text.casefold())
    stems = tokenize(text)
    return bool(words) and (all(w in qwords for w in words) or (bool(stems) and all(s in qwords for s in stems)))


def _number_spans(text: str, qwords: frozenset[str], question: str) -> list[tuple[float, Span]]:
    asks_year = bool(_YEARS_RE.search(question))
    out: list[tuple[float, Span]] = []
    for m in _number_re().finditer(text):
        value = m.group(0).strip()
        if _in_question(value, qwords):
            continue
        if _YEAR_RE.match(value) and not asks_year:
            continue  # "the 2024 law": a year is a date, not a quantity
        score = 1.0
        after = _AFTER_RE.match(text, m.end())  # (= re.match on text[m.end():]: no anchor)
        if after and set(tokenize(after.group(1))) & qwords:
            score += 2.0  # "270 days" for "how many days"
        if any(ch.isdigit() for ch in value):
            score += 0.5
        if value[:1] in "$€£¥" and _MONEY_Q_RE.search(question):
            score += 1.0  # "how much is it worth": an amount of money
        if _PERCENT_RE.search(value) and _SHARE_Q_RE.search(question):
            score += 1.0  # "what share": a percentage
        out.append((score, (m.start(), m.end())))
    return out


def _date_spans(text: str, qwords: frozenset[str]) -> list[tuple[float, Span]]:
    out: list[tuple[float, Span]] = []
    for m in _DATE_RE.finditer(text):
        start = m.start() + (3 if m.group(0).startswith("on ") else 0)
        value = text[start:m.end()]
        if _in_question(value, qwords):
            continue
        score = 1.0 + (0.5 if _DIGIT_RE.search(value) else 0.0)
        out.append((score, (start, m.end())))
    return out


def _place_spans(text: str, qwords: frozenset[str]) -> list[tuple[float, Span]]:
    out: list[tuple[float, Span]] = []
    for m in _PLACE_RE.finditer(text):
        words = m.group(1).split()
        while words and words[-1].lower() in ("of",):
            words.pop()
        if not words or words[0].lower() in TITLE_WORDS or _DATE_RE.fullmatch(" ".join(words)):
            continue
        value = " ".join(words)
        start = m.start(1)
        end = start + len(value)
        value = value.rstrip(".’'")  # sentence end or possessive
        end = start + len(value)
        if _in_question(value, qwords):
            continue
        # "in" names a place more surely than "at" / "to" ("at the APEC summit in South Korea").
        out.append((1.5 if m.group(0).lower().startswith("in ") else 1.0, (start, end)))
    return out


def find_words(text: str, words: Sequence[str], pos: int) -> Span | None:
    r"""Where `words` (no whitespace in any) stand in `text`, at or after `pos`, separated
    by whitespace: what `re.compile(r"\s+".join(map(re.escape, words))).search(text, pos)`
    finds, without compiling a pattern per name (a new name's pattern costs ~100 µs; a
    first question meets many). `\s` is `str.isspace`; a greedy `\s+` before a word that
    does not start with whitespace never gives anything back, so one pass decides."""
    n = len(text)
    pos = min(max(pos, 0), n)  # (as `search` reads a position out of range)
    if not words:
        return (pos, pos)
    first = words[0]
    start = text.find(first, pos)
    while start != -1:
        at = start + len(first)
        for w in words[1:]:
            gap = at
            while at < n and text[at].isspace():
                at += 1
            if at == gap or not text.startswith(w, at):
                break
            at += len(w)
        else:
            return (start, at)
        start = text.find(first, start + 1)
    return None


def name_spans(text: str) -> list[tuple[Span, str]]:
    """Whole names in `text` (titles and nationalities split off), with their keys."""
    out: list[tuple[Span, str]] = []
    for mention in extract_mentions(text):
        m = find_words(text, mention.name.split(), mention.start)
        if m is None:
            continue
        start, end = m
        if text[start:end].endswith((".",)) and not _KEEP_STOP_RE.search(text[start:end]):
            end -= 1  # a sentence's full stop is not part of the name
        out.append(((start, end), mention.key))
    return out


def _quoted_regions(text: str) -> list[Span]:
    """Spans inside quotation marks (an unclosed one runs to the end)."""
    return [(m.start(), m.end()) for m in _QUOTED_RE.finditer(text)]


def _name_scored(text: str, qwords: frozenset[str], question: str = "") -> list[tuple[float, Span]]:
    out: list[tuple[float, Span]] = []
    # For "who said …", a name inside the quotation is what was said, not who said it.
    quoted = _quoted_regions(text) if _SAID_RE.search(question) else []
    for (start, end), key in name_spans(text):
        if any(a <= start < b for a, b in quoted):
            continue
        value = text[start:end]
        low = value.lower()
        if low in NATIONALITIES or low in TITLE_WORDS or _in_question(value, qwords):
            continue
        if key and all(w in qwords for w in key.split()):
            continue  # "ByteDance Ltd." when the question says "ByteDance"
        if _DATE_RE.fullmatch(value):
            continue
        score = 1.0 + 0.3 * min(len(key.split()), 3)
        near = text[max(0, start - 40):start] + " " + text[end:end + 40]
        if _SAID_RE.search(near):
            score += 1.0  # the speaker, for "who said"
        out.append((score, (start, end)))
    return out


_DEFINE_RE = re.compile(r"^\s*(?:who|what)\s+(?:is|are|was|were)\s+(?P<name>[^?]{1,100}?)\s*\??\s*$", re.IGNORECASE)
# An apposition says what something is: "ByteDance Ltd., TikTok’s parent company," —
# not a relative clause ("…, whose shareholders …,") or the next item of a list.
_APPOSITION_START = re.compile(r"(?:a|an|the|its|his|her|their)\s|[\w.-]+[’']s\s", re.IGNORECASE)
_CORP = r"(?:\s+(?:Ltd|Inc|Co|Corp|LLC|PLC)\.?)?"


def _definition_spans(text: str, subject: str) -> tuple[Span, ...]:
    """For "Who is X?" / "What is X?": what the quote says X is: the title written
    before the name ("Chinese Vice Premier"), an apposition ("ByteDance Ltd., TikTok's
    parent company,"), or "X is a …". Nothing else: the other names are not the answer."""
    wanted = set(name_key(subject).split())
    if not wanted:
        return ()
    for mention in extract_mentions(text):
        if not wanted & set(mention.key.split()):
            continue
        found = find_words(text, mention.name.split(), mention.start)
        if found is None:
            continue
        start, end = found
        if mention.role:
            role = re.search(r"\s+".join(re.escape(w) for w in mention.role.split()) + r"\s+$", text[:start])
            if role:
                return ((role.start(), role.start() + len(role.group(0).rstrip())),)
        titles = list(_TITLE_WORD_RE.finditer(text[max(0, start - 60):start]))
        offset = max(0, start - 60)
        lead = []
        for w in reversed(titles):  # "founder Zhang Yiming", "chief executive Shou Chew"
            gap = text[offset + w.end():start if not lead else offset + lead[-1].start()]
            if w.group(0).lower() not in TITLE_WORDS or gap.strip():
                break
            lead.append(w)
        if lead:
            return ((offset + lead[-1].start(), offset + lead[0].end()),)
        after = text[end:]
        appos = re.match(_CORP + r",\s+([^,]{3,80}?),", after)
        if appos and _APPOSITION_START.match(appos.group(1)):
            return ((end + appos.start(1), end + appos.end(1)),)
        copula = re.match(_CORP + r"\s+(?:is|was|are|were|remains)\s+((?:a|an|the)\s+[^,.;:“”\"]{2,80})", after)
        if copula:
            value = copula.group(1).rstrip()
            return ((end + copula.start(1), end + copula.start(1) + len(value)),)
    return ()


@functools.lru_cache(maxsize=64)  # (asked once per quote of an answer: up to nine times)
def _defined(question: str) -> str | None:
    """X of "Who is X?" / "What is X?", or None (the regex tries every length of X)."""
    definition = _DEFINE_RE.match(question)
    return definition.group("name") if definition else None


def answer_spans(text: str, kind: str, question: str = "") -> tuple[Span, ...]:
    """The span of `text` that answers a question of this `kind` (at most one), or ()."""
    if kind in ("who", "other") and (subject := _defined(question)) is not None:
        return _definition_spans(text, subject)
    if kind not in ("quantity", "when", "published", "where", "who", "author"):
        return ()
    qwords = _question_words(question)
    if kind == "quantity":
        found = _number_spans(text, qwords, question)
    elif kind in ("when", "published"):
        found = _date_spans(text, qwords)
    elif kind == "where":
        found = _place_spans(text, qwords)
    else:
        found = _name_scored(text, qwords, question)
    if not found:
        return ()
    if kind == "author":  # a byline's every author answers "who wrote it"
        return tuple(sorted(span for _, span in found))
    best = max(found, key=lambda s: (s[0], -s[1][0]))  # the highest score, then the first
    return (best[1],)


def _occurrences(text: str, names: Iterable[str]) -> tuple[Span, ...]:
    """Whole-name occurrences of any of `names` in `text` (by name key, so "Xi" in
    "Xi Jinping" is one span "Xi Jinping", never half of it)."""
    keys = {name_key(n) for n in names if n.strip()}
    keys.discard("")
    spans = [span for span, key in name_spans(text) if key in keys or any(k in key.split() for k in keys)]
    return tuple(sorted(spans))


def mark_quote(q: Quote, kind: str, question: str) -> Quote:
    marks = answer_spans(q.text, kind, question)
    # (the quote itself when nothing changes: most quotes of a "why" / "what about"
    # question, or with no span found, keep `()`; a dataclass copy costs ~6 µs)
    return q if marks == q.marks else Quote(q.text, q.citation, q.score, q.also, q.passage, marks)


def mark_answer(answer: Answer) -> Answer:
    """The answer with each quote's answering span set (`Quote.marks`); the answer
    itself when no quote's marks change."""
    if not answer.answered:
        return answer
    kind = question_kind(answer.query)  # (cached: analyse asked the same text)
    quotes = tuple(mark_quote(q, kind, answer.query) for q in answer.quotes)
    more = tuple(mark_quote(q, kind, answer.query) for q in answer.more)
    if all(a is b for a, b in zip(quotes, answer.quotes)) and all(a is b for a, b in zip(more, answer.more)):
        return answer
    return replace(answer, quotes=quotes, more=more)


def mark_card(card: EntityCard) -> EntityCard:
    """An entity card's quotes with the entity's own name marked wherever it is written in full."""
    if not card.answered:
        return card
    names: Sequence[str] = (card.name, *card.aliases)
    return replace(card, quotes=tuple(replace(q, marks=_occurrences(q.text, names)) for q in card.quotes))


def segments(text: str, marks: Sequence[Span]) -> list[tuple[str, bool]]:
    """`text` cut into (piece, marked?) runs: what every renderer walks."""
    out: list[tuple[str, bool]] = []
    pos = 0
    for start, end in sorted(marks):
        start, end = max(start, pos), min(end, len(text))
        if end <= start:
            continue
        if start > pos:
            out.append((text[pos:start], False))
        out.append((text[start:end], True))
        pos = end
    if pos < len(text):
        out.append((text[pos:], False))
    return out


__all__ = ["answer_spans", "mark_answer", "mark_card", "mark_quote", "name_spans", "segments"]
