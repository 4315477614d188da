"""Find the people and organisations a sentence names, offline and without a model.

No spaCy English model is available offline here, so entities come from
capitalised spans, with the titles in front of them split off as the role, and
a few rules for sentence-initial words. A title is everything up to the last
personal title word that has a name after it, so the portfolio goes with it:
"Agriculture Minister Adamu Bello" is Adamu Bello, role "Agriculture Minister";
"Secretary of State Colin Powell" is Colin Powell. Names never hold title words,
so a card for a person never gathers sentences about "Agriculture".
Good enough for a news story's cast: it is a look-up aid (entity cards,
autocomplete), never shown as text of its own: cards quote the sentences.
"""

from __future__ import annotations

import functools
import re
from itertools import accumulate, compress, count
from operator import itemgetter
from typing import NamedTuple
from dataclasses import dataclass

from bot.text.tokenize import STOPWORDS, normalize, stem

# Capitalised title words that introduce a name rather than being part of it.
TITLE_WORDS = frozenset(
    """
    president vice premier prime minister secretary chairman chairwoman chair ceo chief
    executive senator sen. rep. representative governor mayor judge justice mr. mrs. ms. dr.
    prof. professor king queen prince princess ambassador commissioner director spokesperson
    spokesman spokeswoman founder co-founder treasury commerce state foreign defense defence
    finance trade deputy acting former late general-secretary chancellor pope speaker leader
    mr mrs ms dr prof sir dame lord lady baroness baron attorney envoy cardinal bishop
    secretary-general president-elect mp mep msp mla councillor congressman congresswoman
    """.split()
)
# Title words that name a post held by a person: the role ends at the last of these
# that has a name after it. (Qualifiers like "Treasury" or "Foreign" only join a role.)
HEAD_TITLES = frozenset(
    """
    president premier minister secretary chairman chairwoman chair ceo executive senator sen.
    rep. representative governor mayor judge justice mr. mrs. ms. dr. prof. mr mrs ms dr prof
    professor king queen prince princess ambassador commissioner director spokesperson spokesman
    spokeswoman founder co-founder chancellor pope speaker general-secretary secretary-general
    sir dame lord lady baroness baron attorney envoy cardinal bishop president-elect
    mp mep msp mla councillor congressman congresswoman
    """.split()
)
# Words that continue a title after its head: "Attorney General", "Director General".
POST_TITLES = frozenset({"general"})
_NAME_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"})
NATIONALITIES = frozenset(
    """
    chinese american u.s. us british french german japanese korean indian russian
    european canadian australian taiwanese mexican brazilian italian spanish israeli iranian
    ukrainian
    """.split()
)
NOT_NAMES = frozenset(
    """
    monday tuesday wednesday thursday friday saturday sunday january february march april may
    june july august september october november december i
    """.split()
)
CORPORATE_SUFFIXES = frozenset("ltd ltd. inc inc. co co. corp corp. llc plc ag sa gmbh group limited".split())
_CONNECTORS = frozenset({"of", "de", "for", "van", "von", "der", "la", "le", "du", "&"})

_WORD_RE = re.compile(r"(?:[A-Z]\.){2,}|[\w][\w'’.\-&]*", re.UNICODE)


@dataclass(frozen=True)
class Mention:
    """A name as written (`name`), its look-up key, and the title written before it."""

    name: str
    key: str
    role: str
    start: int  # character offset in the sentence


_SUFFIX_WORDS = frozenset(s.strip(".") for s in CORPORATE_SUFFIXES)
# Both word functions below are pure and asked for every mention or word of a build:
# memoised, bounded (a build over a million sentences meets far more distinct words).
MEMO_SIZE = 200_000


@functools.lru_cache(maxsize=MEMO_SIZE)
def name_key(name: str) -> str:
    """Look-up key: folded, possessive and corporate suffixes off ("ByteDance Ltd." → "bytedance")."""
    words = [w.strip(".,") for w in normalize(name).replace("'s", "").split()]
    while len(words) > 1 and words[-1] in _SUFFIX_WORDS:
        words.pop()
    return " ".join(w for w in words if w)


def key_starts_with(key_words: list[str] | tuple[str, ...], prefix: str) -> bool:
    """Whether a typed prefix (already a `name_key`) matches a name: the start of any of
    its key words ("lif" → "He Lifeng") or of the whole key ("he l"). Autocomplete's rule."""
    return not prefix or any(w.startswith(prefix) for w in key_words) or " ".join(key_words).startswith(prefix)


def _is_capitalised(word: str) -> bool:
    # (Initials such as "U.S." start with a capital too: the first letter decides.)
    return word[:1].isupper()


_SPAN_ENDS = frozenset({",", ";", ":", "(", ")", "\"", "“", "”", "—", "–"})
_KEEP_PERIOD = re.compile(r"(?:[A-Za-z]\.)+|[A-Z][a-z]{0,3}\.")
@functools.lru_cache(maxsize=MEMO_SIZE)
def _clean_word(word: str) -> str:
    word = word.rstrip(",;:")
    for poss in ("’s", "'s"):
        if word.endswith(poss):
            return word[: -len(poss)]
    if word.endswith(".") and not _KEEP_PERIOD.fullmatch(word):
        word = word[:-1]
    return word


# The same words as `_WORD_RE.finditer` (one group around the whole pattern: `split`
# keeps each match between the text around it), read in C: `scan_words`.
_WORD_SPLIT_RE = re.compile(f"({_WORD_RE.pattern})", re.UNICODE)


class WordScan(NamedTuple):
    """One sentence's words (`_WORD_RE`'s matches, in order), where each starts, and
    which of them (their indices) start with a capital."""

    words: list[str]
    starts: list[int]
    capitals: list[int]


def scan_words(sentence: str) -> WordScan:
    """A sentence's words, where each starts, and which are capitalised.

    One scan per sentence that both `capitalised_words` and `extract_mentions` read (the
    build asks both of every sentence). `split` and `accumulate` stay in C: a match
    object per word, with `group()` and `start()`, cost more than all the rest of
    finding the names in a typical sentence, where most words are lowercase."""
    parts = _WORD_SPLIT_RE.split(sentence)  # [gap, word, gap, word, …, gap]
    words = parts[1::2]
    return WordScan(words, list(accumulate(map(len, parts)))[0:-1:2],
                    list(compress(count(), map(str.isupper, map(itemgetter(0), words)))))


def extract_mentions(sentence: str, known_capitalised: frozenset[str] = frozenset(),
                     scan: WordScan | None = None) -> list[Mention]:
    """Names in one sentence. `known_capitalised` holds words seen capitalised mid-sentence
    elsewhere in the document, which rescues names that start a sentence ("Caixin learned").
    `scan`: `scan_words(sentence)` when the caller has it already."""
    words, starts, capitals = scan if scan is not None else scan_words(sentence)
    n = len(words)
    spans: list[list[tuple[str, int, str]]] = []  # (cleaned word, offset, raw word)
    current: list[tuple[str, int, str]] = []
    # A name starts at a capitalised word: outside a span every other word is skipped
    # (jumped over here, not looked at one by one).
    next_capital = 0
    i = 0
    while True:
        if not current:
            while next_capital < len(capitals) and capitals[next_capital] < i:
                next_capital += 1
            if next_capital == len(capitals):
                break
            i = capitals[next_capital]
        elif i >= n:
            break
        raw = words[i]
        word = _clean_word(raw)
        if not word:
            i += 1
            continue
        low = word.lower()
        if word[:1].isupper() and low not in NOT_NAMES:
            current.append((word, starts[i], raw))
        elif current and (
            (low in _CONNECTORS and i + 1 < n and words[i + 1][:1].isupper())
            or (low == "of" and i + 2 < n and words[i + 1] == "the" and words[i + 2][:1].isupper())
            or (low == "the" and current[-1][0].lower() == "of" and i + 1 < n
                and words[i + 1][:1].isupper())
        ):
            current.append((word, starts[i], raw))
            i += 1
            continue
        else:
            if current:
                spans.append(current)
            current = []
            i += 1
            continue
        # A possessive, or punctuation right after the word, ends the span.
        end = starts[i] + len(raw)
        after = sentence[end : end + 1]
        if raw.endswith(("’s", "'s")) or after in _SPAN_ENDS:
            spans.append(current)
            current = []
        i += 1
    if current:
        spans.append(current)
    first_start = starts[0] if starts else -1

    mentions: list[Mention] = []
    for span in spans:
        while span and (span[-1][0].lower() in _CONNECTORS or span[-1][0].lower() == "the"):
            span.pop()
        if not span:
            continue
        sentence_initial = span[0][1] == first_start
        if sentence_initial and len(span) > 1 and span[0][0].lower() in STOPWORDS:
            span.pop(0)  # "The Bank of England Governor …"
            sentence_initial = False
        # Split the title off the front ("Chinese Vice Premier He Lifeng", "Agriculture Minister Adamu Bello").
        cut = role_end([w for w, _, _ in span])
        role_words = [w for w, _, _ in span[:cut]]
        if cut:
            span = span[cut:]
            sentence_initial = False
            while span and span[0][0].lower() in _CONNECTORS | {"the"}:
                span.pop(0)  # "President of China": the mention is China; the title is not its role
                role_words = []
        if sentence_initial and span[0][0].lower() in STOPWORDS:
            span.pop(0)
            sentence_initial = False
        if (sentence_initial and len(span) > 1 and known_capitalised and span[0][0] not in known_capitalised
                and not any(ch.isupper() for ch in span[0][0][1:])):
            # "If Charles Kennedy …", "Vote Blair …": a word capitalised only because it
            # starts the sentence, never written capitalised elsewhere in the article.
            span.pop(0)
            sentence_initial = False
        if not span:
            continue
        first = span[0][0]
        if len(span) == 1:
            low = first.lower()
            if low in STOPWORDS or low in NATIONALITIES or low in TITLE_WORDS or len(first) < 2:
                continue
            if sentence_initial and not _looks_like_name(first, known_capitalised):
                continue
        name = " ".join(w for w, _, _ in span)
        mentions.append(Mention(name=name, key=name_key(name), role=" ".join(role_words), start=span[0][1]))
    return mentions


def role_end(words: list[str]) -> int:
    """How many of a capitalised span's words are the title before the name (0: none).

    Leading title words and nationalities ("U.S. President"), then up to the last
    personal title that has a name after it, with the words before it (the
    portfolio: "Agriculture Minister", "Bank of England Governor"), then an
    "of [the] X" that completes the title ("Secretary of State") and qualifiers
    ("Attorney General"). A span that ends in an organisation word ("Justice
    Department", "Foreign Ministry") is an organisation: nothing is split off.
    """
    lows = [w.lower() for w in words]
    n = len(words)
    if n < 2 or lows[-1].strip(".") in _ORG_WORDS:
        return 0
    k = 0
    while k < n - 1 and (lows[k] in TITLE_WORDS or lows[k] in NATIONALITIES):
        k += 1
    heads = [i for i in range(n - 1) if lows[i] in HEAD_TITLES and lows[i + 1] not in _NAME_SUFFIXES]
    if heads and heads[-1] + 1 > k:
        k = heads[-1] + 1
    if 0 < k < n and lows[k] == "of":
        j = k + 1
        if j < n and lows[j] == "the":
            j += 1
        if j < n - 1:  # the title takes one word after "of" and any organisation words after it
            j += 1
            while j < n - 1 and lows[j].strip(".") in _ORG_WORDS:
                j += 1
            k = j
    while 0 < k < n - 1 and lows[k] in POST_TITLES:
        k += 1
    return k


def _looks_like_name(word: str, known_capitalised: frozenset[str]) -> bool:
    """A capitalised sentence-initial word is a name if seen capitalised mid-sentence,
    has inner capitals ("ByteDance"), or is not an inflected English word (the stemmer
    leaves names alone but changes "Details" and "Voting")."""
    if word in known_capitalised or any(ch.isupper() for ch in word[1:]):
        return True
    low = word.lower()
    return stem(low) == low and not low.endswith(("ly", "ing", "ed", "s"))


def capitalised_words(sentences: list[str], scans: list[WordScan] | None = None) -> frozenset[str]:
    """Words written capitalised somewhere other than at the start of a sentence.
    `scans`: `scan_words` of each sentence, when the caller has them."""
    seen: set[str] = set()
    if scans is not None:
        for words, _, capitals in scans:
            for k in capitals:
                if k:
                    word = _clean_word(words[k])
                    if word[:1].isupper():
                        seen.add(word)
        return frozenset(seen)
    for sentence in sentences:
        # Cleaning only trims a word's end, so its first letter says whether it counts.
        for raw in _WORD_RE.findall(sentence)[1:]:
            if raw[0].isupper():
                word = _clean_word(raw)
                if word[:1].isupper():
                    seen.add(word)
    return frozenset(seen)


_ORG_WORDS = frozenset(
    "ltd inc group capital bank ministry company corp corporation agency council committee university "
    "news media social partners holdings fund association party government office department "
    "commission union foundation institute court parliament congress senate assembly army navy police "
    "airlines airways motors systems technologies industries networks labs studios entertainment "
    "exchange securities investments ventures management services pharmaceuticals club league "
    "federation organisation organization school college academy hospital museum church times post "
    "journal press television radio network general global international national united digital".split()
)
# Words of place names: a name holding one is not a person ("South Korea", "New York").
_PLACE_WORDS = frozenset(
    "north south east west northern southern eastern western new city county province republic kingdom "
    "island islands valley river lake mountain mountains street road square bay gulf sea ocean coast "
    "atlantic pacific".split()
)


def entity_kind(name: str, role: str = "") -> str:
    """person, org or other, from the name's shape and the title written before it.

    A name is a person's when a personal title comes before it ("Minister"), or
    when it is two to four capitalised words none of which marks an
    organisation ("Capital", "Group", "General") or a place ("South", "Atlantic").
    """
    words = name.split()
    low = [w.lower().strip(".,") for w in words]
    if not words:
        return "other"
    if any(w in _ORG_WORDS or w in CORPORATE_SUFFIXES for w in low) or any(
        any(c.isupper() for c in w[1:]) and not w.isupper() for w in words
    ):
        return "org"
    if any(_is_acronym(w) for w in words):
        return "org"  # an acronym is no part of a person's name: APEC, "BBC One", "Universities UK"
    if any(w in _PLACE_WORDS for w in low):
        return "other"
    if role and any(r.lower() in HEAD_TITLES for r in role.split()):
        return "person"
    if 2 <= len(words) <= 4 and all(w[:1].isupper() or w.lower() in _CONNECTORS for w in words):
        return "person"
    return "other"


def _is_acronym(word: str) -> bool:
    """Two or more capitals and no dots ("BBC", "UK"); initials ("J.K.") are a person's."""
    letters = [c for c in word if c.isalpha()]
    return len(letters) >= 2 and "." not in word and all(c.isupper() for c in letters)


# Words that end an organisation's name ("Capital Group", "Ltd"): dropping them leaves its short name.
ORG_WORDS = _ORG_WORDS | frozenset(s.strip(".") for s in CORPORATE_SUFFIXES)
