"""Sentence splitting with pysbd, in time linear in the paragraph's length.

pysbd is rule-based, pure Python and offline; measured here it keeps "U.S.",
"Ltd.", "Mr." and quotations intact where a regex does not. Two of its costs
grow with the square of the text it is given: every abbreviation it finds
rewrites the whole text, and `Segmenter.segment` finds each sentence again by
searching the whole text with a new regular expression. So:

- the splitter never sees more than `MAX_SEGMENT_CHARS` (2,000): a longer paragraph is
  split window by window, each window starting at the first sentence the
  previous one could not be sure of (its last), so no sentence is cut unless a
  single "sentence" is longer than a window (then it is cut at a space);
- sentences are found back in the text with `str.find` from a moving cursor
  (pysbd's `Processor` output; the same sentences `segment` gives, measured on
  800 news paragraphs), not with one regex per sentence;
- pysbd's modules get a `re` whose compiled patterns are cached for them
  (`_PatternCache`), instead of enlarging the `re` module's own cache for the
  whole process: pysbd builds several hundred distinct patterns from its
  abbreviation list, more than `re` keeps.
"""

from __future__ import annotations

import functools
import re
import sys
import types
from typing import Callable

import pysbd
from pysbd.lang.english import English
from pysbd.processor import Processor

# Longest text handed to pysbd at once. Most news paragraphs are shorter (the
# seed's longest is ~600 characters) and go through whole. Measured on a 300 KB
# paragraph: windows of 1,000 / 2,000 / 4,000 / 6,000 characters cost 1.6 / 1.8 /
# 2.4 / 3.0 s of CPU, with the same sentences every time.
MAX_SEGMENT_CHARS = 2000


class _PatternCache(types.ModuleType):
    """A stand-in for `re` inside pysbd's modules: the same functions, with the
    compiled patterns kept in a bounded LRU of their own."""

    def __init__(self) -> None:
        super().__init__("re")
        self.__dict__.update({k: v for k, v in vars(re).items() if not k.startswith("__")})

        @functools.lru_cache(maxsize=8192)
        def compile_(pattern: object, flags: int = 0) -> re.Pattern:
            if isinstance(pattern, re.Pattern):
                return pattern
            return re.compile(pattern, flags)  # type: ignore[arg-type]

        self.compile = compile_  # type: ignore[method-assign]
        self.sub = lambda p, r, s, count=0, flags=0: compile_(p, flags).sub(r, s, count)
        self.subn = lambda p, r, s, count=0, flags=0: compile_(p, flags).subn(r, s, count)
        self.search = lambda p, s, flags=0: compile_(p, flags).search(s)
        self.match = lambda p, s, flags=0: compile_(p, flags).match(s)
        self.fullmatch = lambda p, s, flags=0: compile_(p, flags).fullmatch(s)
        self.findall = lambda p, s, flags=0: compile_(p, flags).findall(s)
        self.finditer = lambda p, s, flags=0: compile_(p, flags).finditer(s)
        self.split = lambda p, s, maxsplit=0, flags=0: compile_(p, flags).split(s, maxsplit)


@functools.lru_cache(maxsize=1)
def _install_pattern_cache() -> None:
    shim = _PatternCache()
    for name, module in list(sys.modules.items()):
        if (name == "pysbd" or name.startswith("pysbd.")) and getattr(module, "re", None) is re:
            module.re = shim  # type: ignore[attr-defined]


def _pysbd_sentences(text: str) -> list[str]:
    """pysbd's sentences for `text` (at most MAX_SEGMENT_CHARS), as it post-processes them."""
    _install_pattern_cache()
    return Processor(text, English, char_span=False).process()


# What the windowing calls; tests swap it to count the work the splitter is given.
segment_window: Callable[[str], list[str]] = _pysbd_sentences


def _spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence pysbd finds in `text`, located with a moving cursor."""
    out: list[tuple[int, int]] = []
    cursor = 0
    for sentence in segment_window(text):
        s = sentence.strip()
        if not s:
            continue
        i = text.find(s, cursor)
        if i < 0:  # pysbd changed the text (it should not with clean=False): keep going from here
            continue
        out.append((i, i + len(s)))
        cursor = i + len(s)
    if not out:
        stripped = text.strip()
        if stripped:
            start = text.find(stripped)
            out.append((start, start + len(stripped)))
    return out


# A boundary no rule of pysbd's would keep together: a word of three or more lowercase
# letters that is not one of pysbd's own abbreviations ("approx.", "dept."), then ".", "!"
# or "?", an optional closing quote or bracket, space, and a capital or an opening quote.
_SURE_END = re.compile(r"(?<![\w.])([a-z]{3,})[.!?][\"”’)]?(?=\s+[\"“‘(]?[A-Z])")
# Pieces cut at sure boundaries for a long paragraph: a sentence or two, where pysbd
# costs least per character (its abbreviation pass rewrites the whole text it is given
# once per abbreviation it finds; a call of its own costs too). Measured on 500 KB of
# news on one line, CPU: 1 → 1.73 s, 100 → 1.61, 200 → 1.55, 400 → 1.72, 600 → 2.30;
# windows alone 2.64.
PIECE_CHARS = 200


@functools.lru_cache(maxsize=1)
def _abbreviations() -> frozenset[str]:
    return frozenset(a.lower() for a in English.Abbreviation.ABBREVIATIONS)


def _sure_pieces(text: str, target: int = PIECE_CHARS) -> list[str]:
    """`text` cut at sure sentence ends into pieces of about `target` characters (a piece
    with no sure end in it stays whole, however long: the windows below take it)."""
    abbreviations = _abbreviations()
    pieces: list[str] = []
    start = 0
    for m in _SURE_END.finditer(text):
        if m.end() - start >= target and m.group(1) not in abbreviations:
            pieces.append(text[start : m.end()])
            start = m.end()
    pieces.append(text[start:])
    return [p for p in (piece.strip() for piece in pieces) if p]


def split_sentences(paragraph: str, max_chars: int = MAX_SEGMENT_CHARS) -> list[str]:
    """Split one paragraph into stripped, non-empty sentences; linear in its length.

    A paragraph longer than one window is first cut at sure sentence ends
    (`_sure_pieces`), so a 5 MB article written on one line costs what the same text
    in ordinary paragraphs costs, with no window read twice."""
    text = paragraph.strip()
    if not text:
        return []
    if len(text) > max_chars:
        pieces = _sure_pieces(text)
        if len(pieces) > 1:
            return _merge_fragments([s for piece in pieces for s in _split_window_by_window(piece, max_chars)])
    return _merge_fragments(_split_window_by_window(text, max_chars))


def _split_window_by_window(text: str, max_chars: int) -> list[str]:
    """The sentences of `text`, giving pysbd at most `max_chars` at once."""
    parts: list[str] = []
    pos = 0
    n = len(text)
    while pos < n:
        if n - pos <= max_chars:
            parts += [text[pos + a : pos + b] for a, b in _spans(text[pos:])]
            break
        end = pos + max_chars
        cut = text.rfind(" ", pos + max_chars // 2, end)  # never cut a word
        end = cut if cut > pos else end
        window = text[pos:end]
        spans = _spans(window)
        if len(spans) >= 2:
            # The last sentence may go on past the window: start the next window there.
            parts += [window[a:b] for a, b in spans[:-1]]
            pos += spans[-1][0]
        else:
            # One "sentence" longer than a window: cut it at the space.
            parts.append(window.strip())
            pos = end
        while pos < n and text[pos].isspace():
            pos += 1
    return [p.strip() for p in parts if p.strip()]


def _merge_fragments(parts: list[str]) -> list[str]:
    """Glue back pieces that cannot stand alone (a closing quote, a lone bracket)."""
    merged: list[str] = []
    for part in parts:
        if merged and (len(part) <= 2 or not any(ch.isalnum() for ch in part)):
            merged[-1] = f"{merged[-1]} {part}".strip()
        else:
            merged.append(part)
    return merged


def segmenter() -> pysbd.Segmenter:
    """pysbd's own segmenter (for comparisons in tests and benchmarks)."""
    return pysbd.Segmenter(language="en", clean=False)
