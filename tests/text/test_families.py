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


def test_table_is_shipped_with_its_licence() -> None:
    assert families.TABLE.is_file()
    assert (families.TABLE.parent / "WORDNET-LICENSE.txt").read_text().count("Princeton") >= 2
    with gzip.open(families.TABLE, "rt") as fh:
        rows = [line.rstrip("\n").split("\t") for line in fh]
    assert len(rows) > 5000 and all(len(r) == 2 for r in rows)
    sizes: dict[str, int] = {}
    for _, fid in rows:
        sizes[fid] = sizes.get(fid, 0) + 1
    spec = importlib.util.spec_from_file_location("build_families", ROOT / "tools" / "build_families.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert max(sizes.values()) <= mod.MAX_FAMILY  # no chains through homonyms


def test_builder_on_a_tiny_wordnet(tmp_path: Path) -> None:
    """The derivation script reads WordNet's data-file format ('+' links between words)."""
    spec = importlib.util.spec_from_file_location("build_families", ROOT / "tools" / "build_families.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
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
    spec = importlib.util.spec_from_file_location("build_families", ROOT / "tools" / "build_families.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
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
