"""Derive bot/text/english_freq.tsv.gz: how common each index stem is in English.

Why: a question word the articles never use is strong evidence that they do
not cover the question only when the word is *specific* ("soybeans",
"valuation"); a common predicate ("held", "trouble", "intend") is how people
paraphrase what the articles say in other words. Retrieval's abstention rules
(bot/search/specificity.py) read this table; nothing reads wordfreq at run time.

Source: wordfreq 3.1 (Robyn Speer; data CC BY-SA 4.0, see
bot/text/WORDFREQ-LICENSE.txt), its English list. A stem's frequency is the
sum over the words that stem to it (bot.text.tokenize's own stemmer), written
as a Zipf value (log10 of occurrences per billion words), one decimal.

Second column: the share of the stem's uses that are verbs, from WordNet
3.0's sense-tagged counts (cntlist.rev, SemCor; Debian's wordnet-base):
"held" 0.98, "football" 0.0. A common noun or adjective the articles never use
("football", "chief financial officer") still names a subject they lack; a
common verb ("held", "intend") is a way of saying what they say. Stems WordNet
has no counts for get -1.

    apt-get install wordnet-base && pip install wordfreq && python tools/build_english_freq.py [/usr/share/wordnet]
"""

from __future__ import annotations

import gzip
import math
import sys
from collections import defaultdict
from pathlib import Path

from wordfreq import top_n_list, word_frequency

from bot.text.tokenize import tokenize

OUT = Path(__file__).resolve().parent.parent / "bot" / "text" / "english_freq.tsv.gz"
WORDS = 60000  # below this rank words are rarer than Zipf ~2.5: they count as fully specific anyway
MIN_ZIPF = 2.5


def predicate_shares(wordnet: Path) -> dict[str, float]:
    """Stem → share of its SemCor-tagged uses that are verb senses."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    with open(wordnet / "cntlist.rev", encoding="latin-1") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) != 3 or "%" not in parts[0]:
                continue
            lemma, rest = parts[0].split("%", 1)
            terms = tokenize(lemma.replace("_", " "))
            if len(terms) != 1:
                continue
            counts[terms[0]][1 if rest.startswith("2:") else 0] += int(parts[2])
    return {t: p / (n + p) for t, (n, p) in counts.items() if n + p}


def main() -> None:
    wordnet = Path(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/wordnet")
    shares = predicate_shares(wordnet)
    freq: dict[str, float] = {}
    for word in top_n_list("en", WORDS):
        terms = tokenize(word)
        if len(terms) != 1:  # stopwords, and forms the tokenizer splits
            continue
        freq[terms[0]] = freq.get(terms[0], 0.0) + word_frequency(word, "en")
    rows = sorted((t, math.log10(f * 1e9)) for t, f in freq.items() if f > 0)
    with gzip.open(OUT, "wt", encoding="utf-8") as fh:
        for t, z in rows:
            if z >= MIN_ZIPF:
                fh.write(f"{t}\t{z:.1f}\t{shares.get(t, -1.0):.2f}\n")
    print(f"{OUT}: {sum(1 for _, z in rows if z >= MIN_ZIPF)} stems")


if __name__ == "__main__":
    main()
