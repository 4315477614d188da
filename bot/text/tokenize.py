"""The tokenizer shared by indexing and questions.

Rules (each one exists because the plain `str.split()` rank-bm25 expects got it wrong):
- NFKC plus a map for curly quotes and dashes, so "TikTok’s" and "TikTok's" agree;
- accents off Latin letters ("Schrödinger" = "Schrodinger"); other scripts untouched;
- case folding; dotted acronyms become one token ("U.S." → "us", kept: "us" is
  not a stopword here, because in news it is nearly always the country), and so
  do "United States", "United Kingdom", "European Union";
- numbers and percentages stay tokens ("270", "20%", "12.5"); "20 percent" → "20%",
  and a percentage also yields "percent", which is where "what percentage" meets it;
- possessive "'s" is dropped ("TikTok's" → "tiktok");
- a short stopword list (long lists drop news words such as "bill" or "may", the month);
- a small table of irregular verb forms ("spoke" → "speak"), then Porter2 stemming
  via PyStemmer. Stems are for matching only; nothing shown to people is stemmed.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from itertools import chain

import Stemmer

_TRANSLATE = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
        "\u2212": "-", "\u00a0": " ", "\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "",
        "\ufeff": "",
    }
)

STOPWORDS: frozenset[str] = frozenset(
    """
    a an the and or but nor so yet of to in on at by for with from into onto over under about
    as than then that this these those there here it its it's is are was were be been being am
    do does did doing done have has had having i me my we our you your he him his she her they
    them their theirs what which who whom whose when where why how whether if not no yes
    can could would should shall will might must
    s t d ll re ve also just very too any some such each other more most same only all both
    up out off again further once per via many much
    """.split()
)
_CONTENT_KEEP = frozenset({"us"})

# Irregular forms Porter2 cannot reach; news questions ask "speak" of a text that says "spoke".
IRREGULAR: dict[str, str] = {
    "spoke": "speak", "spoken": "speak", "wrote": "write", "written": "write", "met": "meet",
    "said": "say", "says": "say", "told": "tell", "took": "take", "taken": "take",
    "gave": "give", "given": "give", "made": "make", "led": "lead", "won": "win",
    "lost": "lose", "sold": "sell", "bought": "buy", "paid": "pay", "began": "begin",
    "begun": "begin", "came": "come", "went": "go", "gone": "go", "saw": "see", "seen": "see",
    "knew": "know", "known": "know", "thought": "think", "brought": "bring", "held": "hold",
    "left": "leave", "kept": "keep", "felt": "feel", "found": "find", "got": "get",
    "gotten": "get", "grew": "grow", "grown": "grow", "rose": "rise", "risen": "rise",
    "fell": "fall", "fallen": "fall", "shut": "shut", "struck": "strike", "sought": "seek",
    "spent": "spend", "built": "build", "sent": "send", "set": "set", "ran": "run",
    "chose": "choose", "chosen": "choose", "drew": "draw", "drawn": "draw", "froze": "freeze",
    "frozen": "freeze", "withdrew": "withdraw", "bore": "bear", "borne": "bear",
    "children": "child", "men": "man", "women": "woman", "people": "person",
    # A question says "percentage" where the text says "20%": both meet at "percent".
    "percentage": "percent", "percentages": "percent", "pct": "percent",
}

_NUMBER_WORDS = {"percent": "%", "per cent": "%", "pct": "%"}

# Spelled small numbers are the digits a text or a question may use instead ("three
# layers" / "3 layers"). "one" is left alone: it is far more often a pronoun ("one of").
SPELLED_NUMBERS: dict[str, str] = {
    w: str(i) for i, w in enumerate(
        "zero _ two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen twenty".split()) if w != "_"
} | {w: str(10 * i) for i, w in enumerate("_ _ _ thirty forty fifty sixty seventy eighty ninety".split(), 0)
     if w != "_"}

_TOKEN_RE = re.compile(
    r"""
    (?P<acronym>(?:[^\W\d_]\.){2,})                      # U.S.  a.m.  E.U.
    | (?P<number>\d+(?:[.,]\d+)*(?:\s?(?:%|percent\b|per\ cent\b|pct\b))?)
    | (?P<word>[^\W_]+(?:['-][^\W_]+)*)
    """,
    re.VERBOSE | re.IGNORECASE,
)


@functools.lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def normalize(text: str) -> str:
    """NFKC, typographic quotes and dashes folded, case folded."""
    text = unicodedata.normalize("NFKC", text)
    # (Every character `_TRANSLATE` maps is outside ASCII: most sentences skip the pass.)
    return (text if text.isascii() else text.translate(_TRANSLATE)).casefold()


def _number_token(raw: str) -> str:
    raw = raw.replace(",", "")
    for word, sign in _NUMBER_WORDS.items():
        if raw.endswith(word):
            raw = raw[: -len(word)].strip() + sign
    raw = raw.replace(" ", "")
    if raw.endswith(".0"):
        raw = raw[:-2]
    return raw


# Names news writes several ways: "the United States" is "the U.S." is "the US".
_PHRASES = re.compile(r"\b(?:united\s+states(?:\s+of\s+america)?|united\s+kingdom|european\s+union)\b")
_PHRASE_TOKENS = {"united states": "us", "united kingdom": "uk", "european union": "eu"}


def _phrase(match: re.Match[str]) -> str:
    words = " ".join(match.group(0).split()[:2])
    return _PHRASE_TOKENS[words]


@functools.lru_cache(maxsize=4096)
def _latin_base(ch: str) -> str:
    """"ö" → "o", "ç" → "c": a Latin letter without its accents; any other character unchanged."""
    parts = unicodedata.normalize("NFKD", ch)
    if len(parts) > 1 and parts[0].isascii() and parts[0].isalpha() and all(unicodedata.combining(c) for c in parts[1:]):
        return parts[0]
    return ch


def fold_accents(text: str) -> str:
    """Accents off Latin letters ("Schrödinger" → "schrodinger"): people type names without
    them. Other scripts keep their marks (an Arabic or Devanagari vowel sign is a letter)."""
    if text.isascii():
        return text
    return "".join(_latin_base(ch) if not ch.isascii() else ch for ch in text)


def raw_tokens(text: str) -> list[str]:
    """Normalised surface tokens before stopwords and stemming (used by question analysis)."""
    out: list[str] = []
    # findall's (acronym, number, word) tuples: half the cost of finditer + group() per token.
    for match in _TOKEN_RE.findall(_surface(text)):
        _add_raw(out, match)
    return out


def _surface(text: str) -> str:
    text = fold_accents(normalize(text))
    # (Every phrase holds one of these words: most sentences skip the regex.)
    return _PHRASES.sub(_phrase, text) if "united" in text or "european" in text else text


def _add_raw(out: list[str], match: tuple[str, str, str]) -> None:
    """The surface tokens of one `_TOKEN_RE` match (its (acronym, number, word) groups)."""
    acronym, number, word = match
    if acronym:
        out.append(acronym.replace(".", ""))
    elif number:
        number = _number_token(number)
        out.append(number)
        if number.endswith("%"):
            out.append("percent")
    elif "'" not in word and "-" not in word:
        out.append(SPELLED_NUMBERS.get(word, word))
    else:
        if word.endswith("'s"):
            word = word[:-2]
        elif word.endswith("'"):
            word = word[:-1]
        # Hyphenated words count as their parts too ("non-discriminatory").
        parts = word.split("-") if "-" in word else [word]
        out.extend(SPELLED_NUMBERS.get(p, p).replace("'", "") for p in parts if p)


_STEMS: dict[str, str] = {}  # word → stem, memoised (a pure function); cleared when large


def stem(word: str) -> str:
    if word[0].isdigit():
        return word
    out = _STEMS.get(word)
    if out is None:
        if len(_STEMS) >= 500_000:
            _STEMS.clear()
        out = _STEMS[word] = _stemmer().stemWord(IRREGULAR.get(word, word))
    return out


def is_stopword(word: str) -> bool:
    return word in STOPWORDS and word not in _CONTENT_KEEP


# One `_TOKEN_RE` match → its index terms (surface tokens, stopwords out, stemmed):
# memoised, as a pure function of the match, so the loop below is one look-up per
# token of every build. Cleared when large.
_TERMS: dict[tuple[str, str, str], tuple[str, ...]] = {}


def _terms_of(match: tuple[str, str, str]) -> tuple[str, ...]:
    raw: list[str] = []
    _add_raw(raw, match)
    terms = tuple(stem(w) for w in raw if not (w in STOPWORDS and w not in _CONTENT_KEEP))
    if len(_TERMS) >= 100_000:
        _TERMS.clear()
    _TERMS[match] = terms
    return terms


@functools.lru_cache(maxsize=65_536)
def _tokenize(text: str) -> tuple[str, ...]:
    matches = _TOKEN_RE.findall(_surface(text))
    # One memo look-up per match and the terms chained, in C (a build tokenises every
    # sentence; most of their matches are in the memo).
    found = list(map(_TERMS.get, matches))
    if None in found:
        found = [terms if terms is not None else _terms_of(match) for terms, match in zip(found, matches)]
    return tuple(chain.from_iterable(found))


def tokenize(text: str) -> list[str]:
    """Index terms for `text`: normalised, stopwords out, stemmed. Order and repeats kept.

    Memoised per text (answering re-tokenises the same candidate sentences
    question after question); each call returns a new list.
    """
    return list(_tokenize(text))
