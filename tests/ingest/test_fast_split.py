"""The sentence splitter's shortcuts give pysbd's sentences: the fast path (cut at sure
ends, plain pieces skip pysbd) and the gated abbreviation pass, each compared with
pysbd alone on paragraphs chosen to trip them (abbreviations, initials, quotations,
ellipses, decimals, URLs, lists, brackets)."""

from __future__ import annotations

import re

import pytest
from pysbd.lang.english import English
from pysbd.processor import Processor

from bot.ingest import sentences
from bot.ingest.sentences import split_sentences

TRICKY = [
    "Mr. Smith met U.S. officials at 3 p.m. on Friday. They talked for an hour.",
    "The deal was struck in the U.S. Officials said it would close soon.",
    "He moved to Washington D.C. last year. His family stayed behind.",
    "J. K. Rowling wrote the books. The films came later. Warner Bros. made them.",
    "Shares rose 3.5 percent on Monday. Analysts expected 2.1 percent. The index fell.",
    "\u201cWe are ready. We will win,\u201d the minister said. The crowd cheered loudly.",
    "\u201cWe are ready\u201d Trump told reporters. Nobody answered him at all.",
    '"Is this the end?" she asked. Nobody knew the answer. It was late.',
    "He paused... Then he spoke again. The room was quiet. Wait... what happened?",
    "Visit https://example.com/news.html for details. The page lists every change.",
    "The plan has three parts: 1. cut tariffs 2. open markets 3. sign the deal. Talks go on.",
    "Options are a) wait, b) sell, or c) buy. Investors chose the third one.",
    "Prices rose (see Fig. 3 in the report). Traders were surprised by the move.",
    "The company (ByteDance Ltd.) owns TikTok. It is based in Beijing. Sales grew.",
    "It cost $12.50 and No. 2 was second. The winner took home 125. Everyone clapped.",
    "Growth was 45%. Inflation was 2%! Was it enough? Nobody could say for sure.",
    "The vote was 78,365. The turnout was 1,200,000. Officials called it historic.",
    "She said \u2018enough is enough. We leave now\u2019 and walked out. The hall emptied.",
    "Stocks fell in Jan. Then they rose in Feb. Markets were calm by the end of Mar.",
    "The talks were held in Madrid etc. They resumed in Geneva the next week.",
    "He earned a Ph.D. in physics. Later he joined Acme Inc. as a researcher.",
    "Approx. Forty firms applied. Most of them were banks. Few were accepted.",
    "Yahoo! Inc. posted results. Investors were pleased. The stock rose sharply.",
    "The report [see page 4. Appendix B] was long. Nobody read it in full.",
    "The meeting ended at 5 a.m. Reporters waited outside for hours.",
    "Caf\u00e9 owners protested. Their union backed them. The city council listened.",
    "\u201cThis is historic,\u201d said Sen. Warren. \u201cWe did it.\u201d The bill passed.",
    "Plain sentence one. Plain sentence two follows here. And a third ends it.",
    # pysbd reads "u.s" as a regex (the dot a wildcard) once "U.S." is in the text: "ups."
    # is then protected too, though the two are sentences apart.
    "He said ups. and left. The talks went on. Officials in the U.S. agreed.",
    "St. Louis won. The talks went on. They met at the \u017ft. office today.",
    "Rates fell to -12. Then they rose. Prices hit -13. Markets calmed.",
    "He said\u201d and \u201cWe rose. Next is big,\u201d she said. The talks went on.",
    "The firm) grew (fast. Next year) it fell. The talks went on.",
    "Prices rose -- a lot. Then they -- fell. The talks went on.",
    "The plan (drafted in 2019) was shelved. Another came. The new plan (drafted in 2020) was adopted.",
    "The \u017ft. Louis office closed. Staff moved to the main site in town.",
    "Spending rose by $252.4 billion. Officials cut 3.5 percent and 12.75% of it. The rest was 1.2.3 and v1.2 funds.",
    "The index hit 99.9 on 4.4. It fell. Costs were 1,234.56 and -2.5 and 6.02e23 in total. Prices rose 0.5.",
    "Growth slowed to 2.5 per cent in the second quarter, the lowest since 2019. "
    "Economists at Capital Economics said the figure was weaker than expected. "
    "\u201cThe economy is losing steam,\u201d said Dr. Mark Williams. The central bank meets on Thursday.",
]


def reference(paragraph: str) -> list[str]:
    """What the splitter gave before its shortcuts: pysbd alone, its own abbreviation pass."""
    old_window, old_fast = sentences.segment_window, sentences.FAST_PATH
    sentences.segment_window, sentences.FAST_PATH = sentences._pysbd_sentences_ungated, False
    try:
        return split_sentences(paragraph)
    finally:
        sentences.segment_window, sentences.FAST_PATH = old_window, old_fast


@pytest.mark.parametrize("paragraph", TRICKY)
def test_fast_path_gives_pysbds_sentences(paragraph: str) -> None:
    assert split_sentences(paragraph) == reference(paragraph)


def test_fast_path_gives_pysbds_sentences_when_tricky_sentences_meet() -> None:
    # Every tricky paragraph next to every other: a cut must never fall where pysbd
    # would have joined across the seam (a sentence ending in "U.S." then a capital).
    for a in TRICKY:
        for b in TRICKY[::3]:
            text = f"{a} {b}"
            assert split_sentences(text) == reference(text), text


@pytest.mark.parametrize("paragraph", TRICKY)
def test_gated_abbreviation_pass_rewrites_what_pysbds_does(paragraph: str) -> None:
    sentences._install_pattern_cache()
    ours = sentences._GatedAbbreviationReplacer(paragraph, sentences._English).replace()
    theirs = English.AbbreviationReplacer(paragraph, English).replace()
    assert ours == theirs
    assert Processor(paragraph, sentences._English).process() == Processor(paragraph, English).process()


def test_plain_paragraph_never_reaches_pysbd(monkeypatch: pytest.MonkeyPatch) -> None:
    given: list[str] = []
    monkeypatch.setattr(sentences, "segment_window", lambda text: given.append(text) or [text])
    text = ("The talks ended on Friday. Both sides said they would meet again in October. "
            "\u201cWe made progress,\u201d the envoy said. Shares rose by 125.")
    assert split_sentences(text) == [
        "The talks ended on Friday.", "Both sides said they would meet again in October.",
        "\u201cWe made progress,\u201d the envoy said.", "Shares rose by 125."]
    assert given == []


def test_a_piece_whose_only_inner_periods_are_decimals_never_reaches_pysbd(monkeypatch: pytest.MonkeyPatch) -> None:
    given: list[str] = []
    real = sentences.segment_window
    monkeypatch.setattr(sentences, "segment_window", lambda text: given.append(text) or real(text))
    # (" 3.5" would not do: a one- or two-digit number and a period after a space may be
    # a list item, and the whole paragraph is pysbd's.)
    text = ("Spending rose by $252.4 billion in Lima on Saturday. Officials expected $3.5 growth and "
            "a 1,234.56 rise. Release v1.2.3 shipped on Monday.")
    assert split_sentences(text) == [
        "Spending rose by $252.4 billion in Lima on Saturday.",
        "Officials expected $3.5 growth and a 1,234.56 rise.", "Release v1.2.3 shipped on Monday."]
    assert given == []
    assert reference(text) == split_sentences(text)
    # A period next to a digit on one side only is still pysbd's to read.
    for tricky in ("Shares rose by $3. percent in March. Analysts were surprised.",
                   "The rate fell to .5 percent in May. Traders sold.", "He scored $3.x points. Fans cheered."):
        given.clear()
        assert split_sentences(tricky) == reference(tricky)
        assert given


def test_only_the_ambiguous_run_reaches_pysbd(monkeypatch: pytest.MonkeyPatch) -> None:
    given: list[str] = []
    real = sentences.segment_window

    def record(text: str) -> list[str]:
        given.append(text)
        return real(text)

    monkeypatch.setattr(sentences, "segment_window", record)
    text = ("The talks ended on Friday. Mr. Smith met U.S. officials later. "
            "Both sides will meet again in October.")
    assert split_sentences(text) == reference(text)
    assert given == ["Mr. Smith met U.S. officials later."]


def test_fast_path_reads_a_long_paragraph_once(monkeypatch: pytest.MonkeyPatch) -> None:
    given: list[int] = []
    real = sentences.segment_window
    monkeypatch.setattr(sentences, "segment_window", lambda text: given.append(len(text)) or real(text))
    unit = "Mr. Lee spoke first. The talks went well for both sides. Shares rose 3.5 percent. "
    text = (unit * 3000).strip()
    parts = split_sentences(text)
    assert len(parts) == 3 * 3000
    assert sum(given) <= len(text)  # no character given to pysbd twice
    assert max(given) <= sentences.MAX_SEGMENT_CHARS


def test_refused_paragraphs_go_to_pysbd_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    # A list numbered across sentences is pysbd's to read as one text.
    given: list[str] = []
    real = sentences.segment_window
    monkeypatch.setattr(sentences, "segment_window", lambda text: given.append(text) or real(text))
    text = "There are steps. 1. Read the plan. 2. Sign the plan. The end is near."
    assert split_sentences(text) == reference(text)
    assert given == [text]


def test_identity_tool_counts_differences(tmp_path) -> None:
    import json

    from bench.split_identity import compare

    old = {"paragraphs": {"a b": ["a b"]}, "documents": {}, "questions": {"q": ["q"]}}
    new = {"paragraphs": {"a b": ["a", "b"]}, "documents": {}, "questions": {"q": ["q"]}}
    (tmp_path / "o.json").write_text(json.dumps(old))
    (tmp_path / "n.json").write_text(json.dumps(new))
    assert compare(tmp_path / "o.json", tmp_path / "o.json") == 0
    assert compare(tmp_path / "o.json", tmp_path / "n.json") == 1


def test_odd_case_letters_take_pysbds_own_search() -> None:
    # "ſ" matches "s" under re.IGNORECASE though "ſ".lower() is not "s".
    text = "They met at the \u017ft. office today. It was calm."
    assert re.search("st", text, re.IGNORECASE)
    assert split_sentences(text) == reference(text)
