"""The build's shortcuts in finding names and speakers give what the plain code gives:
one word scan per sentence (`scan_words`, read by `capitalised_words` and
`extract_mentions`), the mentions' loop that jumps over lowercase words, and the speech
verbs grouped by first letter. Each is compared with the straightforward version on
sentences made to trip it (connectors, possessives, initials, punctuation after names,
sentence-initial words) and on a generated corpus."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from bench.corpus import generate
from bot.ingest import entities
from bot.ingest.attribution import SPEECH_VERBS, _VERB_RE, _VERB_TRIE_RE
from bot.ingest.entities import (
    _CONNECTORS, NOT_NAMES, STOPWORDS, NATIONALITIES, TITLE_WORDS, Mention, _clean_word, _is_capitalised,
    _looks_like_name, _WORD_RE, capitalised_words, extract_mentions, name_key, role_end, scan_words,
)
from bot.ingest.files import read_article, scan_folder

ROOT = Path(__file__).resolve().parents[2]

SENTENCES = [
    "Chinese Vice Premier He Lifeng met U.S. Treasury Secretary Scott Bessent in Madrid on Monday.",
    "The Bank of England Governor said rates would stay, according to the Bank of the North.",
    "ByteDance Ltd., TikTok’s parent company, declined to comment; Oracle's board met (again).",
    "“We thank the president,” said Ursula von der Leyen of the European Commission.",
    "If Charles Kennedy wins, the party gains. Vote Blair, the posters said — Mr Howard agreed.",
    "U.S.-based firms and the E.U. talked with Martin Luther King Jr. and J.K. Rowling's agent.",
    "Secretary of State Colin Powell met the President of China on Friday, in Beijing.",
    "Caixin learned that the Ministry of Commerce and the Ministry of the Interior disagreed.",
    "I said Monday that the firm of the year was Acme & Sons, not Smith & Wesson Inc.",
    "“Trade is fair,” Priya Raman wrote: “fairer than ever”.",
    "a lowercase start then Names Later Here, and De La Rue of the Bank.",
    "Údarás na Gaeltachta met Zoë Ångström’s team at Saint-Étienne’s stadium.",
    "",
    "   ",
    "1,200 people attended; 45% of them were from the U.K. Mr. and Mrs. Smith led.",
]


def _old_extract_mentions(sentence: str, known_capitalised: frozenset[str] = frozenset()) -> list[Mention]:
    """`extract_mentions` as it was before the shared scan: a match object per word, every
    word looked at in turn (the reference the faster loop must equal)."""
    words = [(m.group(0), m.start()) for m in _WORD_RE.finditer(sentence)]
    spans: list[list[tuple[str, int, str]]] = []
    current: list[tuple[str, int, str]] = []
    for i, (raw, start) in enumerate(words):
        if not current and not raw[0].isupper():
            continue
        word = _clean_word(raw)
        if not word:
            continue
        low = word.lower()
        if _is_capitalised(word) and low not in NOT_NAMES:
            current.append((word, start, raw))
        elif current and (
            (low in _CONNECTORS and i + 1 < len(words) and _is_capitalised(words[i + 1][0]))
            or (low == "of" and i + 2 < len(words) and words[i + 1][0] == "the" and _is_capitalised(words[i + 2][0]))
            or (low == "the" and current[-1][0].lower() == "of" and i + 1 < len(words)
                and _is_capitalised(words[i + 1][0]))
        ):
            current.append((word, start, raw))
            continue
        else:
            if current:
                spans.append(current)
            current = []
            continue
        after = sentence[start + len(raw) : start + len(raw) + 1]
        possessive = raw.endswith(("’s", "'s"))
        if possessive or after in {",", ";", ":", "(", ")", "\"", "“", "”", "—", "–"}:
            spans.append(current)
            current = []
    if current:
        spans.append(current)
    mentions: list[Mention] = []
    for span in spans:
        while span and (span[-1][0].lower() in _CONNECTORS or span[-1][0].lower() == "the"):
            span.pop()
        if not span:
            continue
        sentence_initial = span[0][1] == words[0][1] if words else False
        if sentence_initial and len(span) > 1 and span[0][0].lower() in STOPWORDS:
            span.pop(0)
            sentence_initial = False
        cut = role_end([w for w, _, _ in span])
        role_words = [w for w, _, _ in span[:cut]]
        if cut:
            span = span[cut:]
            sentence_initial = False
            while span and span[0][0].lower() in _CONNECTORS | {"the"}:
                span.pop(0)
                role_words = []
        if sentence_initial and span[0][0].lower() in STOPWORDS:
            span.pop(0)
            sentence_initial = False
        if (sentence_initial and len(span) > 1 and known_capitalised and span[0][0] not in known_capitalised
                and not any(ch.isupper() for ch in span[0][0][1:])):
            span.pop(0)
            sentence_initial = False
        if not span:
            continue
        first = span[0][0]
        if len(span) == 1:
            low = first.lower()
            if low in STOPWORDS or low in NATIONALITIES or low in TITLE_WORDS or len(first) < 2:
                continue
            if sentence_initial and not _looks_like_name(first, known_capitalised):
                continue
        name = " ".join(w for w, _, _ in span)
        mentions.append(Mention(name=name, key=name_key(name), role=" ".join(role_words), start=span[0][1]))
    return mentions


def _old_capitalised_words(sentences: list[str]) -> frozenset[str]:
    seen: set[str] = set()
    for sentence in sentences:
        for raw in _WORD_RE.findall(sentence)[1:]:
            if raw[0].isupper():
                word = _clean_word(raw)
                if word[:1].isupper():
                    seen.add(word)
    return frozenset(seen)


def _fuzz_sentences(n: int, seed: int) -> list[str]:
    """Sentences of capitalised words, connectors, titles and punctuation in random order."""
    rng = random.Random(seed)
    vocab = ("Smith of the Bank de la Rue van Der and The I Monday U.S. E.U. U.S.-based Mr. Mr Dr. "
             "President Minister Foreign Chinese Agriculture General Jr. Ltd. Inc. Group ByteDance TikTok's "
             "Oracle’s Acme & Sons 2025 45% said he met in on a of the for — – ( ) “ ” \" , ; : . Zoë "
             "Étienne x_y A.B. a.b. Co. St. ’s 's -").split()
    out = []
    for _ in range(n):
        words = [rng.choice(vocab) for _ in range(rng.randint(1, 25))]
        joined = ""
        for w in words:
            joined += ("" if rng.random() < 0.15 else " ") + w
        out.append(joined.strip() if rng.random() < 0.9 else joined)
    return out


def test_scan_words_finds_the_words_and_offsets_finditer_finds() -> None:
    for sentence in SENTENCES + _fuzz_sentences(2000, 1):
        words, starts, capitals = scan_words(sentence)
        assert words == _WORD_RE.findall(sentence)
        assert starts == [m.start() for m in _WORD_RE.finditer(sentence)]
        assert capitals == [k for k, w in enumerate(words) if w[0].isupper()]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_mentions_and_capitalised_words_equal_the_word_by_word_code(seed: int) -> None:
    sentences = SENTENCES + _fuzz_sentences(1500, seed)
    scans = [scan_words(s) for s in sentences]
    known = capitalised_words(sentences, scans)
    assert known == capitalised_words(sentences) == _old_capitalised_words(sentences)
    assert "Lifeng" in known and "Monday" in known  # (a calendar word is capitalised, though not a name)
    for sentence, scan in zip(sentences, scans):
        expected = _old_extract_mentions(sentence, known)
        assert extract_mentions(sentence, known, scan) == expected, sentence
        assert extract_mentions(sentence) == _old_extract_mentions(sentence), sentence


def test_mentions_on_a_generated_corpus_equal_the_word_by_word_code(tmp_path: Path) -> None:
    folder = tmp_path / "k"
    generate(folder, 800, 5, n_questions=1)
    entries, _ = scan_folder(folder)
    checked = 0
    for entry in entries:
        loaded = read_article(entry)
        sentences = [s for p in loaded.document.paragraphs for s in p.sentences]  # type: ignore[union-attr]
        known = _old_capitalised_words(sentences)
        assert capitalised_words(sentences, [scan_words(s) for s in sentences]) == known
        for s in sentences:
            assert extract_mentions(s, known) == _old_extract_mentions(s, known)
            checked += 1
    assert checked > 500


def test_grouped_speech_verbs_match_what_the_plain_alternation_matches() -> None:
    verbs = SPEECH_VERBS.split("|")
    rng = random.Random(5)
    filler = ["the", "minister", "saidx", "resaid", "says-", "told.", "“", "”", "tweeted,", "a", "wrotes", "notes"]
    texts = [" ".join(rng.choice(verbs + filler) for _ in range(rng.randint(1, 12))) for _ in range(3000)]
    texts += [f"{v}" for v in verbs] + [f"x{v} {v}y {v}_ _{v} {v}" for v in verbs]
    for text in texts:
        assert [(m.span(), m.group(1)) for m in _VERB_TRIE_RE.finditer(text)] == \
               [(m.span(), m.group(1)) for m in _VERB_RE.finditer(text)], text
    assert all(_VERB_TRIE_RE.fullmatch(v) for v in verbs)
