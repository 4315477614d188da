"""Build bot/text/families.txt.gz: word families from WordNet's derivational links.

    apt-get install wordnet-base          # Princeton WordNet 3.0 data files
    python tools/build_families.py [/usr/share/wordnet] [bot/text/families.txt.gz]

A family is a set of index stems that WordNet links as derivationally related
forms ("+": own/owner/ownership, sell/sale, extend/extension) or as an adverb's
adjective ("\\": quickly/quick), and nouns whose gloss defines them as the act
of a verb ("sale: the general activity of selling"). Each lemma is stemmed with the same Porter2
stemmer the index uses (the lemma is already a base form, so the tokenizer's
irregular-verb table is not applied: "found" the verb stays "found").

Families are joined transitively (union-find), but a join that would make a
family larger than MAX_FAMILY is refused: chains through homonyms
("found" → "foundation" → "base" …) would otherwise merge unrelated words.
Pairs are joined in order of how alike the two stems are (longest common prefix
first), so the closest derivations win a place before distant ones.

Also bot/text/antonyms.txt.gz: adjective and adverb stem pairs WordNet records
as antonyms ("!" between words: small/large, active/inactive), and
bot/text/synonyms.txt.gz: stems that share one of their most frequent senses.

Output, laid out so that the runtime (bot/text/families.py) starts in a few
milliseconds rather than ~0.1 s (every CLI question reads all three; README
"Cold start at any size"): families.txt.gz has one family a line, its stems
sorted and space-separated (families of two or more; the first stem is the
family's id); antonyms.txt.gz and synonyms.txt.gz have one line per stem,
"stem<TAB>related stems", both directions of every pair, lines sorted, so a
look-up is a binary search over the file's lines and nothing is built at load.
WordNet is not needed at run time.
"""

from __future__ import annotations

import gzip
import re
import os
import sys
from pathlib import Path

import Stemmer

MAX_FAMILY = 6
POINTERS = {"+", "\\"}


def lemmas_and_links(wordnet: Path) -> list[tuple[str, str]]:
    """(word, related word) for every lexical "+" or "\\" pointer in the data files."""
    synsets: dict[tuple[str, str], list[str]] = {}
    glosses: dict[str, str] = {}
    links: list[tuple[tuple[str, str], int, tuple[str, str], int]] = []
    for pos, letter in (("noun", "n"), ("verb", "v"), ("adj", "a"), ("adv", "r")):
        with open(wordnet / f"data.{pos}", encoding="latin-1") as fh:
            for line in fh:
                if line.startswith("  "):  # the licence header
                    continue
                fields = line.split(" | ")[0].split()
                offset, w_cnt = fields[0], int(fields[3], 16)
                synsets[(letter, offset)] = [fields[4 + 2 * i].lower() for i in range(w_cnt)]
                if letter == "n" and " | " in line:
                    glosses[offset] = line.split(" | ", 1)[1].lower()
                at = 4 + 2 * w_cnt
                for j in range(int(fields[at])):
                    sym, target, tpos, st = fields[at + 1 + 4 * j : at + 5 + 4 * j]
                    if sym in POINTERS and st != "0000":  # 0000: a link between synsets, not words
                        tletter = "a" if tpos == "s" else tpos
                        links.append(((letter, offset), int(st[:2], 16), (tletter, target), int(st[2:], 16)))
    out: list[tuple[str, str]] = []
    verbs = {w for (letter, _), words in synsets.items() if letter == "v" for w in words}
    linked = {synsets[key][src - 1] for key, src, _, _ in links if src <= len(synsets[key])}
    for (letter, offset), words in synsets.items():
        if letter == "n" and (verb := _gloss_verb(glosses.get(offset, ""), verbs)):
            # Only nouns WordNet left without any derivational link, and only when the
            # noun starts like the verb: "sale"/"sell", not "theft"/"take".
            out.extend((w, verb) for w in words if w not in linked and w[0] == verb[0])
    for src_key, src, tgt_key, tgt in links:
        a, b = synsets.get(src_key), synsets.get(tgt_key)
        if a and b and src <= len(a) and tgt <= len(b):
            out.append((a[src - 1], b[tgt - 1]))
    return out


# A noun WordNet defines as the act of a verb ("sale: the general activity of
# selling") is that verb's noun even where no "+" link was recorded.
_ACT_GLOSS = re.compile(r"^(?:an? |the )?(?:particular |general )?(?:act|activity|action|process|instance)s? of (\w+?)ing\b")


def _gloss_verb(gloss: str, verbs: set[str]) -> str | None:
    m = _ACT_GLOSS.match(gloss)
    if not m:
        return None
    base = m.group(1)
    for cand in (base, base + "e", base[:-1] if len(base) > 2 and base[-1] == base[-2] else ""):
        if cand in verbs:
            return cand
    return None


def clean(lemma: str) -> str | None:
    lemma = lemma.split("(")[0]  # adjective markers: "big(a)"
    return lemma if lemma.isalpha() and lemma.isascii() and len(lemma) >= 2 else None


def common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def build(wordnet: Path) -> dict[str, str]:
    stemmer = Stemmer.Stemmer("english")
    edges: set[tuple[str, str]] = set()
    for a, b in lemmas_and_links(wordnet):
        a, b = clean(a), clean(b)
        if not a or not b:
            continue
        sa, sb = stemmer.stemWord(a), stemmer.stemWord(b)
        if sa != sb:
            edges.add((min(sa, sb), max(sa, sb)))
    parent: dict[str, str] = {}
    size: dict[str, int] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        size.setdefault(x, 1)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in sorted(edges, key=lambda e: (-common_prefix(*e), e)):
        ra, rb = find(a), find(b)
        if ra == rb or size[ra] + size[rb] > MAX_FAMILY:
            continue
        if size[ra] < size[rb]:
            ra, rb = rb, ra
        parent[rb] = ra
        size[ra] += size[rb]
    groups: dict[str, list[str]] = {}
    for x in parent:
        groups.setdefault(find(x), []).append(x)
    table: dict[str, str] = {}
    for members in groups.values():
        if len(members) < 2:
            continue
        fid = min(members)
        for m in members:
            table[m] = fid
    return table


def antonym_pairs(wordnet: Path) -> list[tuple[str, str]]:
    """Stem pairs WordNet records as antonyms ("!" between words) among adjectives and
    adverbs: small/large, active/inactive, first/second. (Verb and noun antonyms
    — pass/fail, win/loss — describe events, where the text's wording varies freely.)"""
    stemmer = Stemmer.Stemmer("english")
    synsets: dict[tuple[str, str], list[str]] = {}
    links: list[tuple[tuple[str, str], int, tuple[str, str], int]] = []
    for pos, letter in (("adj", "a"), ("adv", "r")):
        with open(wordnet / f"data.{pos}", encoding="latin-1") as fh:
            for line in fh:
                if line.startswith("  "):
                    continue
                fields = line.split(" | ")[0].split()
                offset, w_cnt = fields[0], int(fields[3], 16)
                synsets[(letter, offset)] = [fields[4 + 2 * i].lower() for i in range(w_cnt)]
                at = 4 + 2 * w_cnt
                for j in range(int(fields[at])):
                    sym, target, tpos, st = fields[at + 1 + 4 * j : at + 5 + 4 * j]
                    if sym == "!" and st != "0000" and tpos in ("a", "s", "r"):
                        tletter = "a" if tpos == "s" else tpos
                        links.append(((letter, offset), int(st[:2], 16), (tletter, target), int(st[2:], 16)))
    pairs: set[tuple[str, str]] = set()
    for src_key, src, tgt_key, tgt in links:
        a, b = synsets.get(src_key), synsets.get(tgt_key)
        if a and b and src <= len(a) and tgt <= len(b):
            wa, wb = clean(a[src - 1]), clean(b[tgt - 1])
            if wa and wb:
                sa, sb = stemmer.stemWord(wa), stemmer.stemWord(wb)
                if sa != sb:
                    pairs.add((min(sa, sb), max(sa, sb)))
    return sorted(pairs)


SYNONYM_SENSES = 2  # a synset counts for a word only among its most frequent senses (index order)


def synonym_pairs(wordnet: Path, senses: int = SYNONYM_SENSES) -> list[tuple[str, str]]:
    """Stem pairs that share a synset which is among the `senses` most frequent senses
    of *both* words (WordNet's index lists a word's synsets by frequency): "call"/"name"
    (to call = to name), "hold"/"take" never (their common synset is a rare sense of each).
    Single-word lemmas only; pairs already in one family are left to the family table."""
    stemmer = Stemmer.Stemmer("english")
    top: dict[tuple[str, str], set[str]] = {}  # (pos, lemma) → its most frequent synset offsets
    members_of: dict[tuple[str, str], list[str]] = {}  # (pos, offset) → lemmas
    for pos in ("noun", "verb", "adj", "adv"):
        with open(wordnet / f"index.{pos}", encoding="latin-1") as fh:
            for line in fh:
                if line.startswith("  "):
                    continue
                fields = line.split()
                lemma, synset_cnt, p_cnt = fields[0], int(fields[2]), int(fields[3])
                offsets = fields[6 + p_cnt : 6 + p_cnt + synset_cnt]
                top[(pos, lemma)] = set(offsets[:senses])
                for o in offsets[:senses]:
                    members_of.setdefault((pos, o), []).append(lemma)
    pairs: set[tuple[str, str]] = set()
    for (pos, offset), lemmas in members_of.items():
        words = [w for w in lemmas if clean(w)]
        for i, a in enumerate(words):
            for b in words[i + 1 :]:
                sa, sb = stemmer.stemWord(a), stemmer.stemWord(b)
                if sa != sb:
                    pairs.add((min(sa, sb), max(sa, sb)))
    return sorted(pairs)


def write_families(path: Path, table: dict[str, str]) -> int:
    """One family a line, sorted stems (the id, the alphabetically first, leads); returns the count."""
    groups: dict[str, list[str]] = {}
    for stem, fid in table.items():
        groups.setdefault(fid, []).append(stem)
    lines = sorted(" ".join(sorted(g)) for g in groups.values())
    _write(path, lines)
    return len(lines)


def write_family_index(path: Path, families: Path) -> int:
    """The families table by stem, for the runtime's look-ups (bot/text/families.py): one
    sorted line per stem, "stem<TAB>its family's line", so a question's few stems are
    found by bisection and no process builds a dict of every stem. Derived from the
    families table `families` (one family a line); returns the count."""
    with gzip.open(families, "rt", encoding="ascii") as fh:
        groups = [line.split() for line in fh]
    _write(path, sorted(f"{stem}\t{' '.join(g)}" for g in groups if len(g) >= 2 for stem in g))
    return sum(len(g) for g in groups if len(g) >= 2)


def write_groups(path: Path, pairs: list[tuple[str, str]]) -> int:
    """A symmetric relation as one sorted line per stem: "stem<TAB>related related …"."""
    related: dict[str, set[str]] = {}
    for a, b in pairs:
        related.setdefault(a, set()).add(b)
        related.setdefault(b, set()).add(a)
    _write(path, sorted(f"{s}\t{' '.join(sorted(v))}" for s, v in related.items()))
    return len(related)


def _write(path: Path, lines: list[str]) -> None:
    with gzip.GzipFile(path, "wb", mtime=0) as fh:  # mtime 0: the same input gives the same bytes
        fh.write("".join(line + "\n" for line in lines).encode("ascii"))


def main(argv: list[str]) -> int:
    wordnet = Path(argv[1] if len(argv) > 1 else os.environ.get("WNSEARCHDIR", "/usr/share/wordnet"))
    out = Path(argv[2] if len(argv) > 2 else Path(__file__).resolve().parent.parent / "bot/text/families.txt.gz")
    table = build(wordnet)
    n = write_families(out, table)
    print(f"{len(table)} stems in {n} families → {out}")
    index = out.with_name("family_index.txt.gz")
    print(f"{write_family_index(index, out)} stems → {index}")
    antonyms = out.with_name("antonyms.txt.gz")
    pairs = antonym_pairs(wordnet)
    n = write_groups(antonyms, pairs)
    print(f"{len(pairs)} antonym pairs ({n} stems) → {antonyms}")
    synonyms = out.with_name("synonyms.txt.gz")
    syn = [(a, b) for a, b in synonym_pairs(wordnet) if table.get(a, a) != table.get(b, b)]
    n = write_groups(synonyms, syn)
    print(f"{len(syn)} synonym pairs ({n} stems) → {synonyms}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
