"""How specific a word is in English at large: "soybeans" is, "held" is not.

Why: the articles never using a question word is evidence that they do not
cover the question only when the word names a subject. Common words ("held",
"trouble", "intend", "travel") are how people paraphrase what an article says
in its own words; counting them as fully missing refused answerable questions
on a short article, where every unseen word weighed as much as the rarest.

The table (index stem → Zipf frequency: log10 occurrences per billion words)
is derived from wordfreq's English list by tools/build_english_freq.py and
shipped beside this module (data licence: WORDFREQ-LICENSE.txt).
"""

from __future__ import annotations

import functools
import gzip
from pathlib import Path

TABLE = Path(__file__).with_name("english_freq.tsv.gz")

# A stem at or below RARE_ZIPF is fully specific (1.0); at COMMON_ZIPF and above
# it keeps COMMON_SHARE; linear in between. Chosen from the curve in README
# "Abstention, calibrated".
RARE_ZIPF = 3.0
COMMON_ZIPF = 6.0
COMMON_SHARE = 0.1


@functools.lru_cache(maxsize=1)
def _table() -> dict[str, float]:
    out: dict[str, float] = {}
    try:
        with gzip.open(TABLE, "rt", encoding="utf-8") as fh:
            for line in fh:
                stem, _, z = line.rstrip("\n").partition("\t")
                try:
                    out[stem] = float(z)
                except ValueError:
                    continue
    except OSError:  # a broken install treats every word as specific (the old behaviour)
        return {}
    return out


def zipf(stem: str) -> float:
    """The stem's Zipf frequency in English; 0.0 when it is rarer than the table holds."""
    return _table().get(stem, 0.0)


def specificity(stem: str) -> float:
    """1.0 for a rare (specific) word, down to COMMON_SHARE for the commonest."""
    z = zipf(stem)
    if z <= RARE_ZIPF:
        return 1.0
    if z >= COMMON_ZIPF:
        return COMMON_SHARE
    return 1.0 - (1.0 - COMMON_SHARE) * (z - RARE_ZIPF) / (COMMON_ZIPF - RARE_ZIPF)


def preload() -> None:
    """Read the table now rather than during the first question."""
    _table()
