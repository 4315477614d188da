"""How specific a word is in English at large: "soybeans" is, "held" is not.

Why: the articles never using a question word is evidence that they do not
cover the question only when the word names a subject. Common words ("held",
"trouble", "intend", "travel") are how people paraphrase what an article says
in its own words; counting them as fully missing refused answerable questions
on a short article, where every unseen word weighed as much as the rarest.

Only *verbs* are discounted: a common noun or adjective the articles never
use ("football", "chief financial officer") still names a subject they lack,
while a common verb ("held", "intend", "allow") is a way of saying what they
say. The table (index stem → Zipf frequency: log10 occurrences per billion
words, and the share of its uses that are verb senses in WordNet's
sense-tagged counts) is derived from wordfreq's English list and WordNet 3.0
by tools/build_english_freq.py and shipped beside this module (licences:
WORDFREQ-LICENSE.txt, WORDNET-LICENSE.txt).
"""

from __future__ import annotations

import functools
import gzip
from pathlib import Path

from bot.text.sortedlines import SortedLines

TABLE = Path(__file__).with_name("english_freq.tsv.gz")

# A stem at or below RARE_ZIPF is fully specific (1.0); at COMMON_ZIPF and above
# it keeps COMMON_SHARE; linear in between. Chosen from the curve in README
# "Abstention, calibrated".
RARE_ZIPF = 3.0
COMMON_ZIPF = 6.0
COMMON_SHARE = 0.1
PREDICATE_SHARE = 0.5  # a verb: at least this share of its tagged uses are verb senses


@functools.lru_cache(maxsize=1)
def _lines() -> SortedLines:
    """The table's lines, sorted by stem (tools/build_english_freq.py writes them sorted).

    Every question (and so every CLI call, a fresh process) reads this table; building
    a dict of its 32,516 rows took ~0.2 s, splitting it into lines a few ms more than
    finding where they start (bot/text/sortedlines.py); a look-up bisects."""
    try:
        return SortedLines(gzip.decompress(TABLE.read_bytes()))
    except (OSError, EOFError):  # a broken install: every word is specific
        return SortedLines(b"")


@functools.lru_cache(maxsize=65_536)
def _entry(stem: str) -> tuple[float, float]:
    """(Zipf frequency, verb share) of a stem; (0.0, -1.0) when the table lacks it."""
    line = _lines().find(stem)  # a tab sorts before every character a stem holds
    if line is not None:
        parts = line.split("\t")
        try:
            return float(parts[1]), float(parts[2]) if len(parts) > 2 else -1.0
        except (ValueError, IndexError):
            pass
    return 0.0, -1.0


def zipf(stem: str) -> float:
    """The stem's Zipf frequency in English; 0.0 when it is rarer than the table holds."""
    return _entry(stem)[0]


def predicate(stem: str) -> bool:
    """Whether the stem is mostly used as a verb (WordNet's counts); False for nouns,
    adjectives and stems WordNet has no counts for."""
    return _entry(stem)[1] >= PREDICATE_SHARE


def specificity(stem: str) -> float:
    """1.0 for a rare word or a non-verb, down to COMMON_SHARE for the commonest verbs."""
    z = zipf(stem)
    if z <= RARE_ZIPF or not predicate(stem):
        return 1.0
    if z >= COMMON_ZIPF:
        return COMMON_SHARE
    return 1.0 - (1.0 - COMMON_SHARE) * (z - RARE_ZIPF) / (COMMON_ZIPF - RARE_ZIPF)


def preload() -> None:
    """Read the table now rather than during the first question."""
    _lines()
