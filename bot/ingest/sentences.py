"""Sentence splitting with pysbd.

pysbd is rule-based, pure Python and offline; measured here it keeps "U.S.",
"Ltd.", "Mr.", "a.m." and quotations intact where a regex does not.
"""

from __future__ import annotations

import functools

import pysbd


@functools.lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False)


def split_sentences(paragraph: str) -> list[str]:
    """Split one paragraph into stripped, non-empty sentences."""
    text = paragraph.strip()
    if not text:
        return []
    parts = [s.strip() for s in _segmenter().segment(text)]
    return _merge_fragments([p for p in parts if p])


def _merge_fragments(parts: list[str]) -> list[str]:
    """Glue back pieces that cannot stand alone (a closing quote, a lone bracket)."""
    merged: list[str] = []
    for part in parts:
        if merged and (len(part) <= 2 or not any(ch.isalnum() for ch in part)):
            merged[-1] = f"{merged[-1]} {part}".strip()
        else:
            merged.append(part)
    return merged
