"""`timeline`: the dated events in the articles, in date order, each a cited sentence.

A sentence's date words are found by patterns (weekdays, "Sept. 12", "in
January", "early next year", "this winter", "two weeks ago", years, "days
after …") and resolved against the publication date of the article that
wrote them, because news dates are relative to the day of writing:

- a weekday is the last such day on or before publication ("spoke by phone
  Friday" in a Friday article is that Friday), the next one when the clause
  speaks of the future ("will meet on Tuesday");
- a month without a year is the last such month (past tense) or the next one
  (future tense);
- "next year", "last month", "this week" move from the publication date, and
  keep their qualifier ("early next year" is 2026, precision year);
- explicit dates and "N days ago" go to dateparser with the publication date
  as its relative base (no network, English only);
- "days after <something>" has no date of its own: it is shown as written,
  precision "relative", with what it is relative to. Nothing is guessed: a
  date that cannot be resolved is shown as written (an article without a
  publication date still gives its dates that carry a year).

Precision says how much the date pins down: day, week, month, season, year
or relative. Engine-side; rendered by bot/render/story.py.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from bot.answers.cite import citation_for
from bot.answers.model import Citation, Quote, clip_quote
from bot.search.snapshot import Snapshot
from bot.store import PassageRow
from bot.text.tokenize import tokenize

MAX_EVENTS = 60
PRECISION_RANK = {"day": 0, "week": 1, "month": 2, "season": 3, "year": 4, "relative": 5}
SEASON_MONTH = {"spring": 3, "summer": 6, "fall": 9, "autumn": 9, "winter": 12}
QUALIFIER_MONTH = {"early": 1, "mid": 6, "late": 10}

_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
          r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)")
_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_WEEKDAYS = {d: i for i, d in enumerate(
    ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"])}
_NUM = r"(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a few|several|a couple of)"

# (name, pattern), most specific first; a later match overlapping an earlier one is dropped.
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("full", re.compile(rf"\b(?:{_MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}\s+{_MONTH}\.?,?\s+\d{{4}})\b")),
    ("month_day", re.compile(rf"\b{_MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?!\s*[,]?\s*\d)")),
    ("month_year", re.compile(rf"\b(?:(?P<q>early|late|mid)[\s-]+)?{_MONTH}\.?\s+(?:of\s+)?\d{{4}}\b")),
    ("end_of", re.compile(r"\b(?:by |before |at |until )?the (?P<edge>end|start|beginning|middle) of (?:the |this |next |last )?(?P<unit>month|year|week)\b", re.I)),
    ("period", re.compile(r"\b(?:(?P<q>early|late|mid|later|earlier)[\s-]+)?(?:in\s+)?(?P<rel>next|last|this|the coming|the past)\s+(?P<unit>year|month|week)\b", re.I)),
    ("season", re.compile(r"\b(?:(?P<q>early|late|mid)[\s-]+)?(?:(?P<rel>this|last|next|the|in the|in)\s+)(?P<season>spring|summer|fall|autumn|winter)(?:\s+(?:of\s+)?(?P<year>\d{4}))?\b", re.I)),
    ("season_year", re.compile(r"\b(?P<season>[Ss]pring|[Ss]ummer|[Ff]all|[Aa]utumn|[Ww]inter)\s+(?:of\s+)?(?P<year>\d{4})\b")),
    ("ago", re.compile(rf"\b{_NUM}\s+(?:days?|weeks?|months?|years?)\s+ago\b", re.I)),
    ("deictic", re.compile(r"\b(?:yesterday|today|tonight|tomorrow)\b", re.I)),
    ("weekday", re.compile(rf"\b(?:(?P<rel>last|next|this|on|early|late)\s+)?(?P<day>{_WEEKDAY})(?:\s+(?:morning|afternoon|evening|night))?\b")),
    ("month", re.compile(rf"\b(?P<prep>in|since|by|until|from|through|during|early|late|mid-|mid|last|next|this|before|after|the)\s+(?P<month>{_MONTH})\b(?!\.?\s*\d)")),
    ("anchored", re.compile(rf"\b(?:(?:just|only|shortly|soon|hours|days|weeks|months|years|moments|{_NUM}\s+(?:hours?|days?|weeks?|months?|years?))\s+)(?P<dir>after|before)\s+(?P<anchor>(?:[^,;.]|(?<=\b[A-Z])\.){{3,160}})", re.I)),
    ("next_day", re.compile(r"\b(?:the (?:next|following|previous) (?:day|week|month)|the day (?:before|after)|a (?:day|week) later|days later|weeks later)\b", re.I)),
    ("year", re.compile(r"(?<![\d$£€.,/-])\b(?P<year>19[5-9]\d|20\d\d)\b(?!\s*%|[.,]\d|-\d)")),
]
_FUTURE_RE = re.compile(
    r"\b(will|shall|plans?|planned|planning|expects?|expected|scheduled|set to|upcoming|coming|hopes?|hoped|"
    r"intends?|aims?|would|could|is to|are to|going to)\b", re.I)
_WORD_NUMS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
              "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}


@dataclass(frozen=True)
class DateMention:
    """A date in a sentence, resolved or not."""

    text: str  # the words it came from
    date: str | None  # 2025-09-26 / 2025-W40 / 2025-01 / 2025-summer / 2026; None when relative
    precision: str
    start: dt.date | None  # the first day it covers, for ordering
    relative_to: str | None = None
    offset: int = 0  # character offset in the sentence


@dataclass(frozen=True)
class TimelineEvent:
    date: str | None
    precision: str
    date_text: str
    quote: Quote
    relative_to: str | None = None
    sort_key: tuple = field(default=(), compare=False)


@dataclass(frozen=True)
class Timeline:
    topic: str
    events: tuple[TimelineEvent, ...]
    message: str = ""
    elapsed_ms: float = 0.0

    @property
    def answered(self) -> bool:
        return bool(self.events)


# ----------------------------------------------------------------------------- resolution


def _month_num(word: str) -> int:
    return _MONTHS[word.lower()[:3]]


def _is_future(sentence: str, at: int) -> bool:
    """Does the clause before the date speak of the future?"""
    clause = re.split(r"[.;]|,\s*(?:while|but|and)\b", sentence[max(0, at - 80) : at])[-1]
    return bool(_FUTURE_RE.search(clause))


def _shift_months(d: dt.date, months: int) -> dt.date:
    y, m = divmod(d.month - 1 + months, 12)
    return dt.date(d.year + y, m + 1, 1)


def _dateparser(text: str, base: dt.date, future: bool) -> tuple[dt.date, str] | None:
    """dateparser with the publication date as its base; None when it cannot say."""
    try:
        from dateparser.date import DateDataParser  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    parser = DateDataParser(languages=["en"], settings={
        "RELATIVE_BASE": dt.datetime(base.year, base.month, base.day, 12),
        "PREFER_DATES_FROM": "future" if future else "past",
        "STRICT_PARSING": False,
    })
    cleaned = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", text)
    try:
        data = parser.get_date_data(cleaned)
    except Exception:  # noqa: BLE001 - a date library's corner case must not fail a timeline
        return None
    if data is None or data.date_obj is None:
        return None
    return data.date_obj.date(), data.period or "day"


def _number(word: str) -> int | None:
    word = word.lower()
    if word.isdigit():
        return int(word)
    return _WORD_NUMS.get(word)


def _resolve(kind: str, m: re.Match[str], sentence: str, base: dt.date, earlier: list[DateMention]) -> DateMention | None:
    text = m.group(0).strip()
    at = m.start()
    future = _is_future(sentence, at)
    if kind in ("full", "month_day"):
        got = _dateparser(text, base, future)
        if got is None:
            return None
        d, _ = got
        return DateMention(text, d.isoformat(), "day", d, offset=at)
    if kind == "month_year":
        words = re.findall(r"[A-Za-z]+|\d{4}", text)
        month = next(_month_num(w) for w in words if w.lower()[:3] in _MONTHS and not w.lower() in ("early", "late", "mid"))
        year = int(re.findall(r"\d{4}", text)[-1])
        return DateMention(text, f"{year:04d}-{month:02d}", "month", dt.date(year, month, 1), offset=at)
    if kind == "month":
        month = _month_num(m.group("month"))
        prep = m.group("prep").lower()
        year = base.year
        if prep == "next" or (future and prep not in ("since", "last")):
            if month <= base.month:
                year += 1
        elif month > base.month:
            year -= 1
        return DateMention(text if prep in ("early", "late", "mid", "mid-", "last", "next", "this") else m.group("month"),
                           f"{year:04d}-{month:02d}", "month", dt.date(year, month, 1), offset=at)
    if kind == "weekday":
        rel = (m.group("rel") or "").lower()
        day = _WEEKDAYS[m.group("day").lower()]
        if rel == "next" or (rel != "last" and future):
            delta = (day - base.weekday()) % 7 or 7
            d = base + dt.timedelta(days=delta)
        else:
            delta = (base.weekday() - day) % 7
            if rel == "last" and delta == 0:
                delta = 7
            d = base - dt.timedelta(days=delta)
        shown = text if rel and rel != "on" else m.group(0)[m.start("day") - m.start():].strip()
        return DateMention(shown, d.isoformat(), "day", d, offset=at)
    if kind == "deictic":
        shift = {"yesterday": -1, "today": 0, "tonight": 0, "tomorrow": 1}[text.lower()]
        d = base + dt.timedelta(days=shift)
        return DateMention(text, d.isoformat(), "day", d, offset=at)
    if kind == "ago":
        n_word, unit = text.split()[0], text.split()[-2].rstrip("s").lower()
        n = _number(n_word)
        if n is None:
            return DateMention(text, None, "relative", None, "the publication date", offset=at)
        if unit == "day":
            d = base - dt.timedelta(days=n)
            return DateMention(text, d.isoformat(), "day", d, offset=at)
        if unit == "week":
            d = base - dt.timedelta(weeks=n)
            iso = d.isocalendar()
            return DateMention(text, f"{iso[0]:04d}-W{iso[1]:02d}", "week", d - dt.timedelta(days=d.weekday()), offset=at)
        if unit == "month":
            d = _shift_months(base, -n)
            return DateMention(text, f"{d.year:04d}-{d.month:02d}", "month", d, offset=at)
        return DateMention(text, f"{base.year - n:04d}", "year", dt.date(base.year - n, 1, 1), offset=at)
    if kind in ("period", "end_of"):
        unit = m.group("unit").lower()
        if kind == "period":
            rel = m.group("rel").lower()
            step = {"next": 1, "the coming": 1, "last": -1, "the past": -1, "this": 0}[rel]
            q = (m.group("q") or "").lower()
        else:
            low = text.lower()
            step = 1 if "next" in low else -1 if "last" in low else 0
            q = {"end": "late", "start": "early", "beginning": "early", "middle": "mid"}[m.group("edge").lower()]
        if unit == "year":
            y = base.year + step
            return DateMention(text, f"{y:04d}", "year", dt.date(y, QUALIFIER_MONTH.get(q, 1), 1), offset=at)
        if unit == "month":
            d = _shift_months(base, step)
            return DateMention(text, f"{d.year:04d}-{d.month:02d}", "month", d, offset=at)
        d = base + dt.timedelta(weeks=step)
        iso = d.isocalendar()
        return DateMention(text, f"{iso[0]:04d}-W{iso[1]:02d}", "week", d - dt.timedelta(days=d.weekday()), offset=at)
    if kind in ("season", "season_year"):
        season = m.group("season").lower()
        season = "fall" if season == "autumn" else season
        if m.group("year"):
            y = int(m.group("year"))
        else:
            rel = (m.groupdict().get("rel") or "").lower()
            y = base.year
            current = _season_of(base)
            if rel == "next":
                y += 1 if SEASON_MONTH[season] <= SEASON_MONTH[current] else 0
            elif rel == "last":
                y -= 1 if SEASON_MONTH[season] >= SEASON_MONTH[current] else 0
            elif rel in ("the", "in the", "in") and not future and SEASON_MONTH[season] > SEASON_MONTH[current]:
                y -= 1
        return DateMention(text, f"{y:04d}-{season}", "season", dt.date(y, SEASON_MONTH[season], 1), offset=at)
    if kind == "year":
        y = int(m.group("year"))
        return DateMention(text, f"{y:04d}", "year", dt.date(y, 1, 1), offset=at)
    if kind == "next_day":
        low = text.lower()
        day_before = [e for e in earlier if e.precision == "day" and e.start is not None]
        if day_before and ("day" in low and "days" not in low):
            step = -1 if ("previous" in low or "before" in low) else 1
            anchor_day = day_before[-1].start
            assert anchor_day is not None
            d = anchor_day + dt.timedelta(days=step)
            return DateMention(text, d.isoformat(), "day", d, offset=at)
        return DateMention(text, None, "relative", None, day_before[-1].text if day_before else "an earlier date in the text", offset=at)
    if kind == "anchored":
        anchor = m.group("anchor").strip()
        return DateMention(text, None, "relative", None, anchor, offset=at)
    return None


def _season_of(d: dt.date) -> str:
    return {12: "winter", 1: "winter", 2: "winter", 3: "spring", 4: "spring", 5: "spring",
            6: "summer", 7: "summer", 8: "summer"}.get(d.month, "fall")


# Cheap tests (one C-speed search each) that skip a pattern whose key words are absent.
_T = lambda pattern: re.compile(pattern).search  # noqa: E731
_HAS_MONTH = _T(r"jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec")
_HAS_SEASON = _T(r"spring|summer|fall|autumn|winter")
_TRIGGERS = {
    "full": _HAS_MONTH,
    "month_day": _HAS_MONTH,
    "month_year": _HAS_MONTH,
    "month": _HAS_MONTH,
    "end_of": _T(r"(?:end|start|beginning|middle) of"),
    "period": _T(r"year|month|week"),
    "season": _HAS_SEASON,
    "season_year": _HAS_SEASON,
    "ago": _T(r" ago\b"),
    "deictic": _T(r"yesterday|today|tonight|tomorrow"),
    "weekday": _T(r"day\b"),
    "anchored": _T(r"\b(?:after|before) "),
    "next_day": _T(r"day|week|month|later"),
    "year": _T(r"\d{4}"),
}
_ABSOLUTE = frozenset({"full", "month_year", "season_year", "year", "anchored", "next_day"})
NO_DATE = "the article's publication date, which it does not give"


def find_dates(sentence: str, published: dt.date | None) -> list[DateMention]:
    """The dates one sentence holds, resolved against its article's publication date.
    Without one, only dates that carry their year resolve; the others are shown as written."""
    taken: list[tuple[int, int]] = []
    found: list[tuple[str, re.Match[str]]] = []
    low = sentence.lower()
    for kind, rx in _PATTERNS:
        if not _TRIGGERS[kind](low):
            continue  # the pattern's key words are absent: skip the slower regex
        for m in rx.finditer(sentence):
            a, b = m.span()
            if any(a < y and x < b for x, y in taken):
                continue
            taken.append((a, b))
            found.append((kind, m))
    found.sort(key=lambda f: f[1].start())
    out: list[DateMention] = []
    for kind, m in found:
        if kind == "anchored" and any(k not in ("anchored", "next_day") and m.start("anchor") <= o.start() < m.end()
                                      for k, o in found):
            continue  # "two days after Sept. 12": the anchor has its own date
        if published is None and kind not in _ABSOLUTE and not (kind == "season" and m.group("year")):
            shown = re.sub(r"^(?:on|in|since|by|until|from|through|during|the)\s+", "", m.group(0).strip())
            out.append(DateMention(shown, None, "relative", None, NO_DATE, offset=m.start()))
            continue
        mention = _resolve(kind, m, sentence, published or dt.date(2000, 1, 1), out)
        if mention is not None:
            out.append(mention)
    return out


# ----------------------------------------------------------------------------- timeline


def _sort_key(date: DateMention, published: dt.date | None, row: PassageRow) -> tuple:
    """Oldest first; an event relative to something undated stands at its article's date
    (it was reported by then), or last when the article has no date either."""
    last = dt.date.max.toordinal()
    start = date.start or published
    return (start.toordinal() if start else last, PRECISION_RANK[date.precision],
            published.toordinal() if published else last, row.document, row.paragraph, row.sentence)


def _document_events(snapshot: Snapshot, document: str) -> list[tuple[DateMention, PassageRow]]:
    cache = snapshot.__dict__.setdefault("_timeline_cache", {})
    if document in cache:
        return cache[document]
    doc = snapshot.documents.get(document)
    out: list[tuple[DateMention, PassageRow]] = []
    published = _published(doc.date if doc else None)
    if doc is not None:
        rows = snapshot.reader.query(
            "SELECT id, document, paragraph, sentence, kind, text FROM passages "
            "WHERE document = ? AND kind = 'body' ORDER BY paragraph, sentence", (document,))
        for r in rows:
            row = PassageRow(*r)
            for date in find_dates(row.text, published):
                out.append((date, row))
    cache[document] = out
    return out


def _published(iso: str | None) -> dt.date | None:
    if not iso:
        return None
    try:
        return dt.date.fromisoformat(iso[:10])
    except ValueError:
        return None


def _topic_filter(snapshot: Snapshot, topic: str):  # noqa: ANN202 - a small predicate
    terms = set(tokenize(topic))
    if not terms:
        return None

    def keep(row: PassageRow, paragraph_text: str) -> bool:
        """The sentence names the topic; its paragraph may hold the rest of the topic's words."""
        own = set(tokenize(row.text))
        if not terms & own:
            return False
        have = own | set(tokenize(paragraph_text))
        need = len(terms) if len(terms) <= 2 else (len(terms) + 1) // 2
        return len(terms & have) >= need

    return keep


def timeline(snapshot: Snapshot, topic: str = "", *, document: str | None = None, limit: int = MAX_EVENTS) -> Timeline:
    """Every dated event (optionally about `topic`), oldest first."""
    topic = " ".join((topic or "").split())[:200]
    keep = _topic_filter(snapshot, topic) if topic else None
    if topic and keep is None:
        return Timeline(topic, (), "Give a topic with some words in it, or none for the whole story.")
    docs = [document] if document else sorted(snapshot.documents, key=lambda d: snapshot.document_rank.get(d, 0))
    events: list[TimelineEvent] = []
    for doc_id in docs:
        found = _document_events(snapshot, doc_id)
        if not found:
            continue
        published = _published(snapshot.documents[doc_id].date)
        paragraphs: dict[int, str] = {}
        if keep is not None:
            for p, text in snapshot.reader.query(
                "SELECT paragraph, group_concat(text, ' ') FROM passages WHERE document = ? GROUP BY paragraph", (doc_id,)
            ):
                paragraphs[int(p)] = text
        for date, row in found:
            if keep is not None and not keep(row, paragraphs.get(row.paragraph, "")):
                continue
            quote = Quote(clip_quote(row.text), citation_for(snapshot, row.document, row.paragraph), 0.0, passage=row.id)
            events.append(TimelineEvent(date.date, date.precision, date.text, quote, date.relative_to,
                                        _sort_key(date, published, row)))
    events.sort(key=lambda e: e.sort_key)
    events = _merge_same(events)
    if not events:
        if topic:
            return Timeline(topic, (), f"The articles give no dated events about “{topic}”.")
        return Timeline(topic, (), "The articles give no dated events.")
    return Timeline(topic, tuple(events[:limit]))


def _merge_same(events: list[TimelineEvent]) -> list[TimelineEvent]:
    """The same date said in the same words by two articles: one entry, the other cited as `also`.
    Two date words in one sentence that resolve to the same date: one entry."""
    out: list[TimelineEvent] = []
    tokens: list[frozenset[str]] = []
    by_date: dict[tuple[str | None, str], list[int]] = {}
    for e in events:
        own = frozenset(tokenize(e.quote.text))
        same = by_date.setdefault((e.date, e.precision), [])
        merged = False
        for i in same:
            other = out[i]
            if other.quote.passage == e.quote.passage:
                if e.date is not None:
                    merged = True
                    break
                continue
            union = own | tokens[i]
            if union and len(own & tokens[i]) / len(union) >= 0.7:
                also: tuple[Citation, ...] = other.quote.also
                if e.quote.citation not in also and e.quote.citation.document != other.quote.citation.document:
                    also = also + (e.quote.citation,)
                q = other.quote
                out[i] = TimelineEvent(other.date, other.precision, other.date_text,
                                       Quote(q.text, q.citation, q.score, also, q.passage), other.relative_to, other.sort_key)
                merged = True
                break
        if not merged:
            same.append(len(out))
            out.append(e)
            tokens.append(own)
    return out


__all__ = ["DateMention", "Timeline", "TimelineEvent", "find_dates", "timeline"]
