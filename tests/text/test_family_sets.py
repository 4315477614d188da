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


def test_relations_find_what_a_list_of_lines_finds() -> None:
    """Synonyms and antonyms bisect the raw table (bot/text/sortedlines.py): every stem's
    look-up equals a search of the split lines."""
    import gzip

    from bot.text import families

    for relation in (families._SYNONYMS, families._ANTONYMS):
        lines = gzip.decompress(relation.path.read_bytes()).decode("ascii").splitlines()
        assert lines == sorted(lines) and list(relation.lines) == lines
        found = {line.split("\t", 1)[0]: frozenset(line.split("\t", 1)[1].split()) for line in lines}
        probes = set(found) | {s[:-1] for s in found} | {s + "a" for s in list(found)[::5]} | {"", "zzzz", "\uffff"}
        for stem in probes:
            assert relation.get(stem) == found.get(stem, frozenset()), stem


def test_sorted_lines_edges() -> None:
    from bot.text.sortedlines import SortedLines

    empty = SortedLines(b"")
    assert len(empty) == 0 and empty.find("a") is None and list(empty) == []
    one = SortedLines("a\t1\nb\t2\n\u00e9t\u00e9\t3\n".encode("utf-8"))
    assert len(one) == 3 and one[2] == "\u00e9t\u00e9\t3" and one[-1] == one[2]
    assert one.find("a") == "a\t1" and one.find("b") == "b\t2" and one.find("\u00e9t\u00e9") == "\u00e9t\u00e9\t3"
    assert one.find("") is None and one.find("c") is None and one.find("\u00e9") is None


def test_the_shipped_family_index_is_the_table_by_stem(tmp_path) -> None:
    """family_index.txt.gz (what the runtime bisects) is what tools/build_families.py
    derives from the shipped families table: regenerating one without the other fails."""
    import gzip
    import importlib.util
    from pathlib import Path

    from bot.text import families

    root = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location("build_families", root / "tools" / "build_families.py")
    assert spec is not None and spec.loader is not None
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    derived = tmp_path / families.INDEX_NAME
    assert builder.write_family_index(derived, families.TABLE) == len(_families()[0])
    shipped = families.TABLE.with_name(families.INDEX_NAME)
    assert gzip.decompress(shipped.read_bytes()) == gzip.decompress(derived.read_bytes())
    assert families._family_index(families.TABLE).lines is not None  # the runtime reads it


def test_a_table_without_its_index_is_read_whole(tmp_path, monkeypatch) -> None:
    import gzip

    from bot.text import families

    table = tmp_path / "families.txt.gz"
    table.write_bytes(gzip.compress(b"own owner ownership\nsale sell\nlonely\n"))
    monkeypatch.setattr(families, "TABLE", table)
    families._families.cache_clear()
    try:
        assert families._family_index(table).lines is None
        assert families.members("owner") == ("own", "owner", "ownership")
        assert families.family("sell") == "sale" and families.family("lonely") == "lonely"
        assert family_stems("ownership") == {"own", "owner", "ownership"}
    finally:
        families._families.cache_clear()
