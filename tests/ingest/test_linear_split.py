"""Sentence and paragraph splitting do work linear in the text's size: the sentence
splitter never receives more than MAX_SEGMENT_CHARS at once, and in all it reads each
character a bounded number of times (counted, not timed)."""

from __future__ import annotations

import re

import pytest

from bot.ingest import sentences
from bot.ingest.parse import parse_document
from bot.ingest.sentences import MAX_SEGMENT_CHARS, split_sentences

SENTENCES = [
    "Mr. Smith met U.S. officials at 3 p.m. on Friday.",
    "ByteDance Ltd., TikTok's parent, welcomed the remarks.",
    "\u201cWe thank President Xi,\u201d the company said.",
    "The plan centers on TikTok U.S. equity and licensing of its core algorithm.",
    "It cost $12.50 and No. 2 was second.",
]


class Recorder:
    """Stands in for pysbd: splits after '. ' before a capital, and records what it was given."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    def __call__(self, text: str) -> list[str]:
        self.sizes.append(len(text))
        return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", text) if s]


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    """The recorder in pysbd's place; the fast path off, so every piece reaches it (these
    tests are about the windows; tests/ingest/test_fast_split.py covers the fast path)."""
    rec = Recorder()
    monkeypatch.setattr(sentences, "segment_window", rec)
    monkeypatch.setattr(sentences, "FAST_PATH", False)
    return rec


def test_splitter_never_sees_more_than_the_bound(recorder: Recorder) -> None:
    text = " ".join(f"Sentence number {i} says something plain about the talks." for i in range(40_000))
    parts = split_sentences(text)
    assert len(parts) == 40_000
    assert max(recorder.sizes) <= MAX_SEGMENT_CHARS
    assert sum(recorder.sizes) <= 2 * len(text)  # each character read at most about twice


def test_one_endless_sentence_is_cut_at_spaces(recorder: Recorder) -> None:
    text = " ".join(["word"] * 100_000)  # 500 KB, no sentence end anywhere
    parts = split_sentences(text)
    assert max(recorder.sizes) <= MAX_SEGMENT_CHARS
    assert sum(recorder.sizes) <= 2 * len(text)
    assert all(p.split() == ["word"] * len(p.split()) for p in parts)  # no word cut in two
    assert sum(len(p.split()) for p in parts) == 100_000


def test_windows_give_the_same_sentences_as_one_pass() -> None:
    # Real pysbd: a paragraph far over the bound splits exactly as its sentences were written.
    written = [SENTENCES[i % len(SENTENCES)] for i in range(400)]
    text = " ".join(written)
    assert len(text) > 4 * MAX_SEGMENT_CHARS
    assert split_sentences(text) == written


def test_single_line_breaks_become_paragraphs_in_one_pass(recorder: Recorder) -> None:
    lines = [f"Paragraph {i} reports one thing. It adds another." for i in range(20_000)]
    doc = parse_document("big", "Big File\n" + "\n".join(lines), ".txt")
    assert len(doc.paragraphs) == 20_000
    assert doc.sentence_count == 40_000
    assert max(recorder.sizes) <= MAX_SEGMENT_CHARS


def test_long_paragraph_is_cut_at_sure_ends_into_small_pieces(recorder: Recorder) -> None:
    # pysbd costs least per character on a sentence or two: a paragraph over one window
    # is first cut where no rule of pysbd's could join two sentences, so each piece is
    # read once and is small.
    sentence = "Sentence number {} says something plain about the talks."
    text = " ".join(sentence.format(i) for i in range(5_000))
    parts = split_sentences(text)
    assert parts == [sentence.format(i) for i in range(5_000)]
    longest = max(len(p) for p in parts)
    assert max(recorder.sizes) <= sentences.PIECE_CHARS + longest + 1
    assert sum(recorder.sizes) <= len(text)


def test_sure_ends_skip_pysbd_abbreviations() -> None:
    text = ("The fund holds shares in many firms approx. Twenty of them are banks. " * 200).strip()
    pieces = sentences._sure_pieces(text)
    assert all(not p.endswith("approx.") for p in pieces)
    assert split_sentences(text) == split_sentences(text, max_chars=len(text) + 1)  # as one pass would split it
