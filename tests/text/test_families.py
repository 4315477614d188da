"""Word families from WordNet's derivational links (bot/text/families.py)."""

from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path

import pytest

from bot.text import families
from bot.text.families import family, members, same_family
from bot.text.tokenize import tokenize

ROOT = Path(__file__).resolve().parents[2]


def _stem(word: str) -> str:
    (t,) = tokenize(word)
    return t


@pytest.mark.parametrize(
    "a, b",
    [("owns", "ownership"), ("owned", "owner"), ("founded", "founder"), ("extended", "extension"),
     ("sell", "sale"), ("sold", "sales"), ("decided", "decision"), ("invested", "investor")],
)
def test_same_family(a: str, b: str) -> None:
    assert _stem(a) != _stem(b)  # stemming alone does not join them
    assert same_family(_stem(a), _stem(b))


@pytest.mark.parametrize("a, b", [("own", "sell"), ("founder", "extension"), ("bakery", "ferry"), ("sale", "owner")])
def test_different_families(a: str, b: str) -> None:
    assert not same_family(_stem(a), _stem(b))


def test_unknown_stem_is_its_own_family() -> None:
    assert family("zzqxv") == "zzqxv"
    assert members("zzqxv") == ("zzqxv",)
    assert set(members(_stem("ownership"))) >= {"own", "owner", "ownership"}


def _builder():
    spec = importlib.util.spec_from_file_location("build_families", ROOT / "tools" / "build_families.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_table_is_shipped_with_its_licence() -> None:
    assert families.TABLE.is_file()
    assert (families.TABLE.parent / "WORDNET-LICENSE.txt").read_text().count("Princeton") >= 2
    with gzip.open(families.TABLE, "rt") as fh:
        rows = [line.split() for line in fh]
    assert len(rows) > 3000 and all(len(r) >= 2 for r in rows)
    assert all(r == sorted(r) for r in rows)  # the first stem is the family's id
    stems = [s for r in rows for s in r]
    assert len(stems) == len(set(stems)) > 10000  # a stem is in one family
    assert max(len(r) for r in rows) <= _builder().MAX_FAMILY  # no chains through homonyms


def _eager(path: Path) -> dict[str, frozenset[str]]:
    """The relation read the plain way, every line into a dict: what the bisecting reader must equal."""
    with gzip.open(path, "rt", encoding="ascii") as fh:
        return {stem: frozenset(rest.split()) for stem, _, rest in (line.rstrip("\n").partition("\t") for line in fh)}


@pytest.mark.parametrize("name", ["ANTONYMS", "SYNONYMS"])
def test_relation_tables_lookups_equal_a_full_read(name: str) -> None:
    """The shipped relation is symmetric, its lines sorted, and a look-up by bisection finds
    exactly what reading the whole file into a dict finds, also for near-miss keys (a stem's
    prefix, a stem with a letter more, keys that sort before and after every line)."""
    path = getattr(families, name)
    look = families.antonyms if name == "ANTONYMS" else families.synonyms
    eager = _eager(path)
    assert len(eager) > 1000
    with gzip.open(path, "rt", encoding="ascii") as fh:
        lines = fh.read().splitlines()
    assert lines == sorted(lines)
    for stem, related in eager.items():
        assert related and stem not in related
        assert all(stem in eager.get(r, ()) for r in related)  # symmetric
    probes = set(eager) | {s[:-1] for s in eager} | {s + "a" for s in eager} | {"", "a", "zzzzzz", "~"}
    misses = 0
    for s in probes:
        assert look(s) == eager.get(s, frozenset()), s
        misses += s not in eager
    assert misses > 1000


def test_families_table_lookups_equal_a_full_read() -> None:
    with gzip.open(families.TABLE, "rt", encoding="ascii") as fh:
        groups = [tuple(line.split()) for line in fh]
    for group in groups:
        for stem in group:
            assert family(stem) == group[0]
            assert members(stem) == group
    everything = [s for g in groups for s in g]
    assert families.families_of(everything + ["zzqxv"]) == frozenset([g[0] for g in groups] + ["zzqxv"])


def test_written_tables_read_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What tools/build_families.py writes is what the runtime reads (a tiny table)."""
    mod = _builder()
    mod.write_families(tmp_path / "f.txt.gz", {"own": "own", "owner": "own", "ownership": "own", "sale": "sale",
                                               "sell": "sale"})
    mod.write_groups(tmp_path / "s.txt.gz", [("buy", "purchas"), ("call", "name"), ("buy", "acquir")])
    monkeypatch.setattr(families, "TABLE", tmp_path / "f.txt.gz")
    monkeypatch.setattr(families, "_SYNONYMS", families._Relation(tmp_path / "s.txt.gz"))
    families._families.cache_clear()
    try:
        assert families.members("owner") == ("own", "owner", "ownership")
        assert families.family("sell") == "sale" and families.family("buy") == "buy"
        assert families.synonyms("buy") == {"acquir", "purchas"}
        assert families.synonyms("purchas") == {"buy"}
        assert families.synonyms("bu") == frozenset() and families.synonyms("buyer") == frozenset()
    finally:
        families._families.cache_clear()


def test_a_missing_table_answers_with_stems_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(families, "TABLE", tmp_path / "missing.txt.gz")
    (tmp_path / "broken.txt.gz").write_bytes(b"not gzip at all")
    monkeypatch.setattr(families, "_ANTONYMS", families._Relation(tmp_path / "broken.txt.gz"))
    families._families.cache_clear()
    try:
        assert families.family("own") == "own" and families.members("own") == ("own",)
        assert families.antonyms("small") == frozenset()
    finally:
        families._families.cache_clear()


def test_builder_on_a_tiny_wordnet(tmp_path: Path) -> None:
    """The derivation script reads WordNet's data-file format ('+' links between words)."""
    mod = _builder()
    (tmp_path / "data.noun").write_text(
        "  1 licence header line\n"
        "00000001 04 n 01 ownership 0 001 + 00000002 v 0101 | the act of owning\n"
        "00000003 04 n 01 sale 0 000 | the general activity of selling\n", encoding="latin-1")
    (tmp_path / "data.verb").write_text(
        "00000002 40 v 01 own 0 001 + 00000001 n 0101 | have ownership\n"
        "00000004 40 v 01 sell 0 000 | exchange for money\n", encoding="latin-1")
    (tmp_path / "data.adj").write_text("", encoding="latin-1")
    (tmp_path / "data.adv").write_text("", encoding="latin-1")
    table = mod.build(tmp_path)
    assert table["own"] == table["ownership"]
    assert table["sale"] == table["sell"]  # the gloss "activity of selling"
    assert table["own"] != table["sell"]


def test_antonyms_from_wordnet() -> None:
    from bot.text.families import antonyms

    assert _stem("large") in antonyms(_stem("small"))
    assert _stem("small") in antonyms(_stem("large"))
    assert _stem("second") in antonyms(_stem("first"))
    assert _stem("closed") in antonyms(_stem("open")) or _stem("close") in antonyms(_stem("open"))
    assert _stem("large") not in antonyms(_stem("big"))
    assert antonyms("zzqxv") == frozenset()


def test_synonyms_from_wordnet() -> None:
    from bot.text.families import synonyms

    assert _stem("named") in synonyms(_stem("call"))
    assert _stem("call") in synonyms(_stem("name"))  # symmetric
    assert _stem("purchased") in synonyms(_stem("bought"))
    assert _stem("sell") not in synonyms(_stem("own"))
    assert _stem("ownership") not in synonyms(_stem("own"))  # a family, not a synonym
    assert synonyms("zzqxv") == frozenset()


def test_synonym_builder_keeps_only_frequent_senses(tmp_path: Path) -> None:
    """A pair is kept only when the shared synset is among both words' most frequent senses."""
    mod = _builder()
    # call: senses 1 (name), 2 (phone), 3 (visit); name: sense 1 (name); visit: senses 1 (visit), 2 (tour)
    (tmp_path / "index.verb").write_text(
        "  1 licence header line\n"
        "call v 3 0 3 0 00000001 00000002 00000003  \n"
        "name v 1 0 1 0 00000001  \n"
        "phone v 1 0 1 0 00000002  \n"
        "visit v 2 0 2 0 00000003 00000004  \n", encoding="latin-1")
    for pos in ("noun", "adj", "adv"):
        (tmp_path / f"index.{pos}").write_text("", encoding="latin-1")
    pairs = set(mod.synonym_pairs(tmp_path, senses=2))
    assert ("call", "name") in pairs and ("call", "phone") in pairs
    assert ("call", "visit") not in pairs  # the third sense of "call": too rare
