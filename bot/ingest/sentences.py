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
from pysbd.exclamation_words import ExclamationWords
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


# Characters that `re.IGNORECASE` matches to an ASCII letter although their `lower()`
# is not that letter ("ſ" matches "s"): a text holding one takes pysbd's own search.
_ODD_CASE = frozenset("\u0130\u0131\u017f\u212a")


class _GatedAbbreviationReplacer(English.AbbreviationReplacer):
    """pysbd's abbreviation pass, minus the searches that cannot change anything.

    pysbd looks for each of its 188 abbreviations wherever the letters occur ("al" in
    "also", "a" in almost every word): a regex search per abbreviation, then one
    rewrite of the whole text per occurrence. Every rewrite turns "abbr." into
    "abbr∯", so a text where no whitespace-delimited token begins with the
    abbreviation and a period cannot be changed by it: that abbreviation is skipped
    before any regex runs. Skipped work only; the rewrites that can happen run as
    pysbd's code runs them, in its order. (Rewrites only ever remove periods, so the
    tokens read once from the text given are a superset of what later rewrites see.)
    """

    def search_for_abbreviations_in_string(self, text: str) -> str:
        if _ODD_CASE.intersection(text):
            return super().search_for_abbreviations_in_string(text)
        before_period = {t[: t.index(".")].lower() for t in text.split() if "." in t}
        if not before_period:
            return text
        lowered = text.lower()
        plain, dotted = _abbreviation_order(tuple(self.lang.Abbreviation.ABBREVIATIONS))
        # pysbd's order, restricted to the abbreviations that can rewrite something.
        todo = sorted(
            [i for w in before_period if (i := plain.get(w)) is not None]
            + [i for i, stripped in dotted if stripped in lowered and _dotted_gate(stripped).search(text)]
        )
        abbreviations = self.lang.Abbreviation.ABBREVIATIONS
        for i in todo:
            # (From here on, pysbd's loop body unchanged.)
            stripped = abbreviations[i].strip()
            abbrev_match = re.findall(r"(?:^|\s|\r|\n){}".format(stripped), text, flags=re.IGNORECASE)
            if not abbrev_match:
                continue
            next_word_start = r"(?<={" + str(re.escape(stripped)) + "} ).{1}"
            char_array = re.findall(next_word_start, text)
            for ind, match in enumerate(abbrev_match):
                text = self.scan_for_replacements(text, match, ind, char_array)
        return text


@functools.lru_cache(maxsize=4)
def _abbreviation_order(abbreviations: tuple[str, ...]) -> tuple[dict[str, int], tuple[tuple[int, str], ...]]:
    """pysbd's abbreviations by their place in its list: the plain ones by text, and the
    dotted ones ("u.s"), whose pattern is a regex (pysbd does not escape it)."""
    plain: dict[str, int] = {}
    dotted: list[tuple[int, str]] = []
    for i, abbr in enumerate(abbreviations):
        stripped = abbr.strip()
        if "." in stripped:
            dotted.append((i, stripped))
        else:
            plain.setdefault(stripped, i)
    return plain, tuple(dotted)


@functools.lru_cache(maxsize=64)
def _dotted_gate(stripped: str) -> re.Pattern[str]:
    return re.compile(r"(?:^|\s){}\.".format(stripped), re.IGNORECASE)


class _English(English):
    """pysbd's English rules with the gated abbreviation pass."""

    AbbreviationReplacer = _GatedAbbreviationReplacer


def _pysbd_sentences(text: str) -> list[str]:
    """pysbd's sentences for `text` (at most MAX_SEGMENT_CHARS), as it post-processes them."""
    _install_pattern_cache()
    return Processor(text, _English, char_span=False).process()


def _pysbd_sentences_ungated(text: str) -> list[str]:
    """The same with pysbd's own abbreviation pass (for tests and `bench.split_identity`)."""
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
    in ordinary paragraphs costs, with no window read twice. Each paragraph or piece
    then takes the fast path (`_fast_split`) where it can."""
    text = paragraph.strip()
    if not text:
        return []
    if len(text) > max_chars:
        pieces = _sure_pieces(text)
        if len(pieces) > 1:
            return _merge_fragments([s for piece in pieces for s in _split_piece(piece, max_chars)])
    return _merge_fragments(_split_piece(text, max_chars))


def _split_piece(text: str, max_chars: int) -> list[str]:
    if FAST_PATH and len(text) <= max_chars:
        fast = _fast_split(text, max_chars)
        if fast is not None:
            return fast
    return _split_window_by_window(text, max_chars)


# The fast path. pysbd costs about 0.7 ms per call of fixed work (some 120 regex passes
# over the text), whatever the text holds, while most news sentences hold nothing for
# its rules to decide: words, commas, one final period. So a paragraph is cut where
# sentences surely end, and pysbd is given only the runs of pieces that hold something
# ambiguous (an abbreviation, initials, a decimal, a quotation, brackets, an ellipsis,
# "!" or "?" inside); a plain piece is its own sentence. The cuts and the plain test are
# narrow on purpose: `python -m bench.split_identity` measured the same sentences as
# pysbd alone on every paragraph of the corpora we have (see the README).
FAST_PATH = True
# A sure end: a word of three or more letters, lowercase but for its first (not a pysbd
# abbreviation, checked below), one ".", "!" or "?", whitespace, a capital or a double
# quote and a capital.
# Or a number that no list rule of pysbd's reads as an item number: three or more
# digits, thousands ("78,365"), a percentage ("89%").
_FAST_CUT = re.compile(
    r"(?<![\w.,'’\-$£€])([A-Z]?[a-z]{2,}|\d{3,}|\d{1,3}(?:,\d{3})+|\d+(?:,\d{3})*%)[.!?](?=\s+[\"“]?[A-Z])"
)
# Words whose "!" is part of them for pysbd ("Yahoo!"): never a sure end.
_EXCLAIMING = frozenset(w for w in ExclamationWords.EXCLAMATION_WORDS if w.endswith("!"))
# What makes a whole paragraph pysbd's alone: list markers ("1.", "2)", "a.", "(b)",
# "iv)"), which pysbd numbers across sentences; single quotes that open after a space
# (pysbd keeps what they enclose together); line breaks; pysbd's placeholder characters.
_REFUSE_AFTER_SPACE = r"(?:\d{1,2}[.)]|[a-z]\.|(?:[a-z]|[ivx]{1,5})\)|['‘])"
_FAST_REFUSE = re.compile(
    r"\s" + _REFUSE_AFTER_SPACE + r"|\((?:[a-z]|[ivx]{1,5})\)|\d\)\s|-\d{1,2}\.|[⁃\r\n\t\f\v∯ȸȹ☉☈☇☄♨☝✂⌬ᓴᓷᓰᓱᓳᓸ⎋&«»]"
    r"|[\u0130\u0131\u017f\u212a]"  # letters `re.IGNORECASE` matches to ASCII ones: pysbd's context
    # pairs pysbd finds across a whole text: "-- … --", '” ( … ) “', escapes, "{abbr} "
    r"|--|[\"”]\s\(|[\\{}]"
)
_FAST_REFUSE_AT_START = re.compile(_REFUSE_AFTER_SPACE)  # (a search tries no `^` branch fast)
# Inside a plain piece (before its final mark) none of these may occur. Double quotes
# may, when each one that closes follows a comma (`"…," he said.`): pysbd's rules for
# quotations act on the marks inside them, or on a closing quote after another character.
# A period between two digits (a decimal: "$252.4 billion") may: pysbd's number rules
# protect every period before a digit, and give such a piece back whole.
_NOT_PLAIN = re.compile(r"[!?。．！？…()（）「」\[\]{}‘`]|(?<!\d)\.|\.(?!\d)|--|'(?![a-zA-Z])|(?<![a-zA-Z])'")


def _fast_split(text: str, max_chars: int) -> list[str] | None:
    """`text`'s sentences, with pysbd given only what needs it; None: give it all to pysbd."""
    if _FAST_REFUSE.search(text) or _FAST_REFUSE_AT_START.match(text) or _dotted_context(text):
        return None
    abbreviations = _abbreviations()
    cuts: list[int] = []
    last = 0
    # Pairing state before each candidate cut, as pysbd's regexes pair marks left to
    # right: a curly quotation runs from a "“" to the next "”" (a stray "”" closes
    # nothing); brackets pair innermost, so a stray closing one is dropped; straight
    # quotes pair in turn. A cut is only made where nothing is open.
    curly_open = False
    straight = parens = brackets = 0
    for m in _FAST_CUT.finditer(text):
        seen = text[last : m.end()]
        last = m.end()
        if "\u201c" in seen or "\u201d" in seen or "(" in seen or ")" in seen or "[" in seen or "]" in seen:
            for ch in seen:
                if ch == "\u201c":
                    curly_open = True
                elif ch == "\u201d":
                    curly_open = False
                elif ch == "(":
                    parens += 1
                elif ch == ")":
                    parens = max(0, parens - 1)
                elif ch == "[":
                    brackets += 1
                elif ch == "]":
                    brackets = max(0, brackets - 1)
        straight += seen.count('"')
        if (m.group(1).lower() not in abbreviations and m.group(0) not in _EXCLAIMING
                and not curly_open and straight % 2 == 0
                and parens == 0 and brackets == 0):
            cuts.append(m.end())
    out: list[str] = []
    start = 0
    run_start = -1  # start of the current run of pieces that need pysbd
    for end in [*cuts, len(text)]:
        piece = text[start:end].strip()
        if piece and _is_plain(piece):
            if run_start >= 0:
                out += _split_window_by_window(text[run_start:start].strip(), max_chars)
                run_start = -1
            out.append(piece)
        elif piece and run_start < 0:
            run_start = start
        start = end
    if run_start >= 0:
        out += _split_window_by_window(text[run_start:].strip(), max_chars)
    return out


def _dotted_context(text: str) -> bool:
    """Whether pysbd would read one part of `text` differently for what another holds.

    pysbd looks for its dotted abbreviations ("u.s", "e.g") only when the text holds
    one, and then with the dot as a regex wildcard: "ups." is protected as "U.S." is
    when "U.S." occurs anywhere in the text. Such a paragraph goes to pysbd whole."""
    lowered = text.lower()
    for _, stripped in _abbreviation_order(tuple(English.Abbreviation.ABBREVIATIONS))[1]:
        if stripped in lowered:
            for m in _dotted_gate(stripped).finditer(text):
                if m.group(0).strip().lower() != stripped + ".":
                    return True
    return False


def _is_plain(piece: str) -> bool:
    """No mark inside for pysbd to decide on: one sentence as written."""
    body = piece[:-1] if piece[-1] in ".!?" else piece
    if len(body) < 3 or not (body[-1].isalnum() or body[-1] == "%") or _NOT_PLAIN.search(body):
        return False
    if "\u201c" in body or "\u201d" in body:
        if body.count("\u201c") != body.count("\u201d") or _closing_without_comma(body, "\u201d"):
            return False
    if '"' in body:
        if body.count('"') % 2 or _closing_without_comma(body, '"', every_other=True):
            return False
    return True


def _closing_without_comma(body: str, mark: str, every_other: bool = False) -> bool:
    """Whether a closing `mark` follows anything but a comma (for straight quotes, every
    second one closes)."""
    n = 0
    i = body.find(mark)
    while i >= 0:
        n += 1
        if (not every_other or n % 2 == 0) and (i == 0 or body[i - 1] != ","):
            return True
        i = body.find(mark, i + 1)
    return False


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
