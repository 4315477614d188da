"""Question analysis: what kind of answer a question wants, and its content terms.

The kind only nudges ranking (a "when" question prefers a sentence that holds a
date); it never decides an answer on its own.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from bot.text.tokenize import STOPWORDS, normalize, stem, tokenize

MAX_QUESTION_CHARS = 6000  # Discord's own option limit; a long question is judged by its key terms (retrieve.py)


@dataclass(frozen=True)
class Question:
    text: str
    kind: str  # who | when | where | quantity | why | author | published | other
    terms: tuple[str, ...]  # distinct index terms, in order
    names: tuple[str, ...] = ()  # index terms of capitalised words written mid-question


_KIND_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("author", re.compile(r"\b(who\s+(wrote|writes|authored|reported)|authors?|authored|byline|writers?|"
                          r"reporters?\s+(who|wrote)|journalists?\s+(who|wrote))\b")),
    ("published", re.compile(r"\b(when|what\s+date|which\s+day)\b.*\b(publish\w*|written|released|dated|appear\w*)\b"
                             r"|\bpublication\s+date\b|\bdate\s+of\s+(the\s+|this\s+)?(article|story|piece|report)\b"
                             r"|\b(article|story|piece|report)('s)?\s+date\b")),
    ("quantity", re.compile(r"\bhow\s+(many|much|long|large|big|old)\b|\bwhat\s+(share|percentage|percent|proportion|number|amount|fraction)\b|\bhow\s+high\b")),
    ("when", re.compile(r"\bwhen\b|\bwhat\s+(time|day|date|month|year)\b|\bwhich\s+(day|date|month|year)\b"
                        r"|\b(what|which)\s+(is|was|are|were)\s+the\s+(\w+\s+)?(day|date|month|year|decade|century)\b")),
    ("where", re.compile(r"\bwhere\b|\bwhich\s+(city|country|place|venue|summit|platform)\b|\bin\s+which\s+(city|country)\b")),
    ("who", re.compile(r"\bwho\b|\bwhom\b|\bwhose\b|\bwhich\s+(company|companies|person|people|firm|firms|officials?|investors?|leaders?)\b")),
    ("why", re.compile(r"\bwhy\b|\bwhat\s+(caused|causes|led\s+to)\b|\breason\b")),
]


@functools.lru_cache(maxsize=256)
def question_kind(text: str) -> str:
    """(Cached: `analyse` and the answer's highlighting, bot/answers/highlight.py, ask it
    of the same text; ~13 µs of regex searches.)"""
    folded = normalize(text)
    for kind, pattern in _KIND_PATTERNS:
        if pattern.search(folded):
            return kind
    return "other"


# Negated auxiliaries ("doesn't" → "doesnt") are stopwords with a suffix: as terms they
# would count as words the articles never use. Their negation is read by `negated`.
_CONTRACTIONS = frozenset(stem(w + "nt") for w in STOPWORDS if w.isalpha()) | frozenset(
    stem(w) for w in ("cant", "wont", "shant", "aint", "dont")
)


def analyse(text: str) -> Question:
    """Normalise a raw question (cut to MAX_QUESTION_CHARS) and find its kind and terms."""
    text = " ".join(text.split())[:MAX_QUESTION_CHARS]
    terms = tuple(t for t in dict.fromkeys(tokenize(text)) if t not in _CONTRACTIONS)
    return Question(text=text, kind=question_kind(text), terms=terms, names=named_terms(text))


def named_terms(text: str) -> tuple[str, ...]:
    """Terms of the capitalised words after the first: the names a question asks about.

    Used for abstention: a question about a name the articles never use
    ("the president of France") cannot be answered from them.
    """
    words = re.findall(r"[^\W\d_][\w'’.-]*", text)
    out: list[str] = []
    for word in words[1:]:
        if word[0].isupper() and word.lower() not in ("i",):
            out.extend(t for t in tokenize(word) if t not in out)
    return tuple(out)


# Evidence a sentence can carry for a kind of question.
_MONTH = r"(jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(t(ember)?)?|oct(ober)?|nov(ember)?|dec(ember)?)"
_DATE_RE = re.compile(
    rf"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday|today|tonight|tomorrow"
    rf"|{_MONTH}|(19|20)\d\d|last\s+(week|month|year)|next\s+(week|month|year)|this\s+(week|month|year)"
    rf"|\d+\s+(days?|weeks?|months?|years?)\s+(ago|later|earlier)|days?\s+(after|before)|earlier|later)\b"
)
_NUMBER_RE = re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|dozen|hundred|thousand|million|billion|half)\b")
_PLACE_RE = re.compile(r"\b(in|at|to|from|near)\s+(the\s+)?[A-Z][\w.-]+")
# A name not opening the text or a sentence: (?<!^)(?<![.!?]\s)\b[A-Z][a-z]+(?:\s+[A-Z][\w.-]+)+,
# written with the capital first and the three look-behinds after it (each one character
# longer): the same matches, and the regex engine skips to the next capital instead of
# trying every position (~4x faster; tested equal, tests/search/test_retrieve_tail.py).
_NAME_RE = re.compile(r"[A-Z](?<!^.)(?<![.!?]\s.)(?<!\w.)[a-z]+(?:\s+[A-Z][\w.-]+)+")
_CAUSE_RE = re.compile(r"\b(because|since|due to|after|stems? from|caused|reason|so that|in order to|amid|following)\b")


# Grammatical negators. "X or not" is a disjunction ("whether or not"), not a
# negation, and a negation inside a condition ("what if it did not divest?")
# describes a hypothetical rather than asserting that something did not happen.
_NEGATION_RE = re.compile(r"\b(?:not|never|no|cannot|neither|nor|none|nobody|nothing)\b|n't\b")
_OR_NOT_RE = re.compile(r"\bor\s+(?:\w+\s+)?not\b")  # "or not", "may or may not", "is or is not"
_CONDITION_RE = re.compile(r"\b(?:if|unless|whether|suppose|supposing)\b.*$")


# Words that deny without a grammatical negator ("fails to distinguish", "lacks",
# "without"): a sentence holding one can answer a question about what did not happen.
_IMPLICIT_NEGATION_RE = re.compile(r"\b(?:fail(?:s|ed|ing|ure)?|unable|lacks?|lacked|lacking|without|absen(?:t|ce))\b")


def denies(text: str) -> bool:
    """Whether a sentence says something is not so, in grammar or in words."""
    return negated(text) or bool(_IMPLICIT_NEGATION_RE.search(normalize(text)))


def negated(text: str, *, asserted_only: bool = False) -> bool:
    """Whether a text says something is not so ("What does X not do?", "never", "isn't").

    `asserted_only` ignores negations inside a condition ("if … not …")."""
    folded = _OR_NOT_RE.sub(" ", normalize(text))
    if asserted_only:
        folded = _CONDITION_RE.sub(" ", folded)
    return bool(_NEGATION_RE.search(folded))


def kind_evidence(kind: str, text: str, question: str | None = None) -> bool:
    """Whether a sentence holds the sort of thing this kind of question asks for.

    With `question`, the thing must be *new*: a "when" question that already
    says "in 2015" is not answered by the sentence's "2015", nor "who met Xi?"
    by "Xi". A date, number, place or name counts only when some word of it
    is not in the question."""
    if kind == "why":
        return bool(_CAUSE_RE.search(text.lower()))
    pattern = _EVIDENCE_RE.get(kind)
    if pattern is None:
        return False
    if kind in ("when", "quantity"):
        text = text.lower()
    if question is None:
        return pattern.search(text) is not None
    # The matches in order, up to the first new one: the rest of the sentence is not
    # scanned (a sentence that holds one new date stops there).
    asked = _asked(question)
    return any(_word_set(m.group(0)) - asked - _PLACE_WORDS for m in pattern.finditer(text))


@functools.lru_cache(maxsize=4096)
def _word_set(found: str) -> frozenset[str]:
    """The words of a date / number / place / name a sentence holds ("2015", "one",
    "in Paris"): the same few recur in sentence after sentence."""
    return frozenset(_words(found))


@functools.lru_cache(maxsize=64)
def _asked(question: str) -> frozenset[str]:
    """The question's words (kind_evidence asks this once per candidate sentence)."""
    return frozenset(_words(question))


_LOCATED_RE = re.compile(r"\b(?:located|situated|based|held|headquartered|found|lies|lying|sits)\s+(?:in|at|on|near|inside|within)\b")


def names_a_place(text: str) -> bool:
    """Whether a sentence can answer "where": a capitalised place after a preposition
    ("in Madrid", "at the APEC summit") or a location verb ("located in the thymus")."""
    return bool(_PLACE_RE.search(text) or _LOCATED_RE.search(text.lower()))


_TIME_RE = re.compile(r"\b(?:\d{1,2}(?::\d\d)?\s*(?:a\.?m\b|p\.?m\b|o'clock)|noon|midnight|dawn|dusk|morning|afternoon|evening"
                      r"|night|weekend|(?:1[0-9]|20)\d\d|\d{1,2}(?:st|nd|rd|th)\s+century|centur(?:y|ies)|decades?|daily|weekly)")


def names_a_time(text: str) -> bool:
    """Whether a sentence can answer "when": a date, a year, a time of day ("4 o'clock",
    "at dawn"), a century."""
    return kind_evidence("when", text) or bool(_TIME_RE.search(normalize(text)))


_NUMBER_TOKEN_RE = re.compile(r"[\d][\d,.]*|\b(one|two|three|four|five|six|seven|eight|nine|ten|dozen|hundred|thousand|million|billion|half)\b")
_PLACE_WORDS = frozenset(("in", "at", "to", "from", "near", "the"))  # the preposition of a place is not the place
_EVIDENCE_RE = {"when": _DATE_RE, "quantity": _NUMBER_TOKEN_RE, "where": _PLACE_RE, "who": _NAME_RE}  # (text lower-cased for the first two)


def _words(text: str) -> list[str]:
    return [w.strip(".,") for w in re.findall(r"[\w.,]+", normalize(text).replace("'s", "")) if w.strip(".,")]
