"""The English frequency table is read by bisection over its sorted lines (a fresh CLI
process no longer builds a 32k-row dict): every look-up must equal a full read's."""

from __future__ import annotations

import gzip

from bot.text import specificity


def _full_read() -> dict[str, tuple[float, float]]:
    out: dict[str, tuple[float, float]] = {}
    with gzip.open(specificity.TABLE, "rt", encoding="utf-8") as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            out[parts[0]] = (float(parts[1]), float(parts[2]) if len(parts) > 2 else -1.0)
    return out


def test_lookups_equal_a_full_read() -> None:
    table = _full_read()
    assert len(table) > 30_000
    lines = specificity._lines()
    assert list(lines) == sorted(lines) and len(lines) == len(list(lines))
    probes = set(table) | {s[:-1] for s in table} | {s + "q" for s in table} | {"", "zzzzzz", "\uffff"}
    for stem in probes:
        z, verb = table.get(stem, (0.0, -1.0))
        assert specificity.zipf(stem) == z, stem
        assert specificity.predicate(stem) == (verb >= specificity.PREDICATE_SHARE), stem
