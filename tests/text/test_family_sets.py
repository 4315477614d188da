"""family_stems reads a family's line instead of inverting the whole table: that is
right only while the shipped table is a partition (a stem on one line)."""

from collections import Counter

from bot.text.families import _families, family, family_stems


def test_the_families_table_is_a_partition() -> None:
    table, groups = _families()
    counts = Counter(s for stems in groups.values() for s in stems)
    assert counts and max(counts.values()) == 1
    assert all(table[s] == fam for fam, stems in groups.items() for s in stems)


def test_family_stems_equals_the_inverse_of_the_table() -> None:
    table, _ = _families()
    inverse: dict[str, set[str]] = {}
    for stem, fam in table.items():
        inverse.setdefault(fam, set()).add(stem)
    for stem in list(table)[::7] + ["zzzunknownstem", "own", "sell"]:
        want = inverse.get(family(stem), {stem}) | {stem}
        assert family_stems(stem) == want, stem
