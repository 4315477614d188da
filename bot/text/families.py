"""Word families: stems that WordNet records as forms of one another.

"owns" / "ownership" / "owner", "founded" / "founder", "extended" /
"extension", "sell" / "sale" stem differently, yet a sentence that says one
answers a question that says another. The table is derived from WordNet 3.0's
derivational links by tools/build_families.py and shipped beside this module
(licence: WORDNET-LICENSE.txt), so nothing needs WordNet installed. Stems are
the index's own (bot.text.tokenize). The same script derives WordNet's antonym
pairs (antonyms.txt.gz), which tell a near-miss question ("the *first* arm"
where the text says "the second arm") from an answerable one, and synonyms.

Every question reads all three tables, and a CLI question is a fresh process,
so they are laid out to load in milliseconds (they took ~0.1 s as pair lists
built into dicts of frozensets): families.txt.gz is one family a line, and
family_index.txt.gz the same by stem, sorted "stem<TAB>family" lines searched
for the few stems a question asks about (a dict of every stem, `_families`,
is built only for `families_of`); antonyms.txt.gz
and synonyms.txt.gz are sorted "stem<TAB>related …" lines, kept as their
bytes and searched by bisection only for the few stems a question asks about.
"""

from __future__ import annotations

import functools
import gzip
from pathlib import Path

from bot.text.sortedlines import SortedLines

TABLE = Path(__file__).with_name("families.txt.gz")
INDEX_NAME = "family_index.txt.gz"  # beside the table: the same families by stem
ANTONYMS = Path(__file__).with_name("antonyms.txt.gz")
SYNONYMS = Path(__file__).with_name("synonyms.txt.gz")


def _lines(path: Path) -> list[str]:
    """A shipped table's lines; a missing or broken table gives none: the bot
    answers without that relation rather than failing."""
    try:
        return gzip.decompress(path.read_bytes()).decode("ascii").splitlines()
    except (OSError, EOFError, UnicodeDecodeError):
        return []


@functools.lru_cache(maxsize=1)
def _families() -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """(stem → family id, family id → its stems), from one family a line."""
    table: dict[str, str] = {}
    groups: dict[str, tuple[str, ...]] = {}
    for line in _lines(TABLE):
        stems = tuple(line.split())
        if len(stems) < 2:
            continue
        groups[stems[0]] = stems
        table.update(dict.fromkeys(stems, stems[0]))
    return table, groups


def _table() -> dict[str, str]:
    return _families()[0]


def _read_sorted_lines(path: Path) -> SortedLines | None:
    """A shipped table of sorted ASCII lines, decompressed; None when it is missing or
    broken (what reading it as lines checked)."""
    try:
        data = gzip.decompress(path.read_bytes())
        data.decode("ascii")
    except (OSError, EOFError, UnicodeDecodeError):
        return None
    return SortedLines(data)


class _FamilyIndex:
    """The families table by stem (family_index.txt.gz, derived from the table by
    tools/build_families.py: sorted "stem<TAB>its family's line" lines), searched by
    bisection for the few stems a question asks about and kept: the dict of all 13k
    stems (`_families`) took ~16 ms of a cold CLI question. Without the index (a
    table given alone) the dict is built, as before."""

    def __init__(self, table: Path) -> None:
        self.lines = _read_sorted_lines(table.with_name(INDEX_NAME))
        self.found: dict[str, tuple[str, ...] | None] = {}

    def group(self, stem: str) -> tuple[str, ...] | None:
        """The stems of `stem`'s family line (`_families()[1][family(stem)]`), or None."""
        try:
            return self.found[stem]
        except KeyError:
            pass
        if self.lines is None:
            table, groups = _families()
            group = groups.get(table[stem]) if stem in table else None
        elif not stem or len(stem.split()) != 1 or stem.strip() != stem:  # (no stem holds a space)
            group = None
        else:
            line = self.lines.find(stem)
            group = tuple(line.split("\t", 1)[1].split()) if line is not None else None
        if len(self.found) > 50_000:  # a long-running bot: keep it bounded
            self.found.clear()
        self.found[stem] = group
        return group


@functools.lru_cache(maxsize=2)
def _family_index(table: Path) -> _FamilyIndex:
    return _FamilyIndex(table)


def _group(stem: str) -> tuple[str, ...] | None:
    return _family_index(TABLE).group(stem)


def family(stem: str) -> str:
    """The family id of an index stem; a stem outside every family is its own family."""
    group = _group(stem)
    return group[0] if group else stem


def families_of(stems: "set[str] | frozenset[str] | list[str]") -> frozenset[str]:
    """The family ids of many stems at once (one table look-up each)."""
    table = _families()[0]
    return frozenset(table.get(s, s) for s in stems)


@functools.lru_cache(maxsize=4096)
def _family_set(group: tuple[str, ...]) -> frozenset[str]:
    return frozenset(group)


def family_stems(stem: str) -> frozenset[str]:
    """Every stem s with `family(s) == family(stem)` (`stem` itself included): a set of
    tokens holds a word of `stem`'s family exactly when it meets this one, so a question
    term is checked against a sentence without finding the family of each of its words.

    The table is a partition (one family a line, a stem on one line), so a family's
    stems are its line: no inverse of the whole table is built (that dict of 13k
    stems took ~30 ms of a cold CLI question)."""
    group = _group(stem)
    return _family_set(group) if group else frozenset((stem,))


def members(stem: str) -> tuple[str, ...]:
    """Every stem of `stem`'s family, itself included (the family's line)."""
    return _group(stem) or (stem,)


def same_family(a: str, b: str) -> bool:
    return a == b or family(a) == family(b)


class _Relation:
    """A symmetric relation between stems, as sorted "stem<TAB>related …" lines.

    Loading decompresses the file and builds nothing else (bot/text/sortedlines.py);
    a look-up is a binary search (a tab sorts before every character a stem holds,
    so the line of `stem` is the first one not below "stem<TAB>")."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @functools.cached_property
    def lines(self) -> SortedLines:
        found = _read_sorted_lines(self.path)
        return found if found is not None else SortedLines(b"")  # (a broken table: no lines)

    def get(self, stem: str) -> frozenset[str]:
        return self._get(stem)

    @functools.lru_cache(maxsize=4096)  # (per relation: questions keep asking the same stems)
    def _get(self, stem: str) -> frozenset[str]:
        line = self.lines.find(stem)
        if line is None:
            return frozenset()
        return frozenset(line[len(stem) + 1 :].split())


_ANTONYMS = _Relation(ANTONYMS)
_SYNONYMS = _Relation(SYNONYMS)


def antonyms(stem: str) -> frozenset[str]:
    """Stems WordNet records as the opposite of `stem` ("small" → "larg", "activ" → "inact")."""
    return _ANTONYMS.get(stem)


def synonyms(stem: str) -> frozenset[str]:
    """Stems that share one of `stem`'s most frequent WordNet senses ("call" → "name",
    "troubl" → "distress"): a weaker relation than a family, counted at a reduced weight."""
    return _SYNONYMS.get(stem)


def preload() -> None:
    """Read the shipped tables now (a few ms) rather than during the first question
    (the families by stem: `_FamilyIndex`)."""
    _family_index(TABLE)
    _ANTONYMS.lines
    _SYNONYMS.lines
