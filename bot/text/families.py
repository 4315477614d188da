"""Word families: stems that WordNet records as forms of one another.

"owns" / "ownership" / "owner", "founded" / "founder", "extended" /
"extension", "sell" / "sale" stem differently, yet a sentence that says one
answers a question that says another. The table (stem → family id) is derived
from WordNet 3.0's derivational links by tools/build_families.py and shipped
beside this module (licence: WORDNET-LICENSE.txt), so nothing needs WordNet
installed. Stems are the index's own (bot.text.tokenize). The same script
derives WordNet's antonym pairs (antonyms.tsv.gz), which tell a near-miss
question ("the *first* arm" where the text says "the second arm") from an answerable one.
"""

from __future__ import annotations

import functools
import gzip
from pathlib import Path

TABLE = Path(__file__).with_name("families.tsv.gz")


@functools.lru_cache(maxsize=1)
def _table() -> dict[str, str]:
    try:
        with gzip.open(TABLE, "rt", encoding="ascii") as fh:
            return dict(line.rstrip("\n").split("\t", 1) for line in fh if "\t" in line)
    except OSError:  # a broken install answers with stems alone rather than failing
        return {}


def family(stem: str) -> str:
    """The family id of an index stem; a stem outside every family is its own family."""
    return _table().get(stem, stem)


def families_of(stems: "set[str] | frozenset[str] | list[str]") -> frozenset[str]:
    """The family ids of many stems at once (one table look-up each)."""
    table = _table()
    return frozenset(table.get(s, s) for s in stems)


def members(stem: str) -> tuple[str, ...]:
    """Every stem of `stem`'s family, itself included (sorted)."""
    found = _by_family().get(family(stem))
    if not found:
        return (stem,)
    return found if stem in found else tuple(sorted(found + (stem,)))


@functools.lru_cache(maxsize=1)
def _by_family() -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for s, f in _table().items():
        out.setdefault(f, []).append(s)
    return {f: tuple(sorted(v)) for f, v in out.items()}


def preload() -> None:
    """Read the shipped tables now (about 50 ms) rather than during the first question."""
    _by_family()
    _antonyms()
    _synonyms()


def same_family(a: str, b: str) -> bool:
    return a == b or family(a) == family(b)


ANTONYMS = Path(__file__).with_name("antonyms.tsv.gz")


def _symmetric_pairs(path: Path) -> dict[str, frozenset[str]]:
    """A table of stem pairs (one `a<TAB>b` a line), read both ways. A missing or
    broken table gives no pairs: the bot answers without that relation rather than failing."""
    out: dict[str, set[str]] = {}
    try:
        with gzip.open(path, "rt", encoding="ascii") as fh:
            for line in fh:
                a, _, b = line.rstrip("\n").partition("\t")
                if a and b:
                    out.setdefault(a, set()).add(b)
                    out.setdefault(b, set()).add(a)
    except OSError:
        return {}
    return {k: frozenset(v) for k, v in out.items()}


@functools.lru_cache(maxsize=1)
def _antonyms() -> dict[str, frozenset[str]]:
    return _symmetric_pairs(ANTONYMS)


def antonyms(stem: str) -> frozenset[str]:
    """Stems WordNet records as the opposite of `stem` ("small" → "larg", "activ" → "inact")."""
    return _antonyms().get(stem, frozenset())


SYNONYMS = Path(__file__).with_name("synonyms.tsv.gz")


@functools.lru_cache(maxsize=1)
def _synonyms() -> dict[str, frozenset[str]]:
    return _symmetric_pairs(SYNONYMS)


def synonyms(stem: str) -> frozenset[str]:
    """Stems that share one of `stem`'s most frequent WordNet senses ("call" → "name",
    "troubl" → "distress"): a weaker relation than a family, counted at a reduced weight."""
    return _synonyms().get(stem, frozenset())
