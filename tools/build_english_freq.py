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

    pip install wordfreq && python tools/build_english_freq.py
"""

from __future__ import annotations

import gzip
import math
from pathlib import Path

from wordfreq import top_n_list, word_frequency

from bot.text.tokenize import tokenize

OUT = Path(__file__).resolve().parent.parent / "bot" / "text" / "english_freq.tsv.gz"
WORDS = 60000  # below this rank words are rarer than Zipf ~2.5: they count as fully specific anyway
MIN_ZIPF = 2.5


def main() -> None:
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
                fh.write(f"{t}\t{z:.1f}\n")
    print(f"{OUT}: {sum(1 for _, z in rows if z >= MIN_ZIPF)} stems")


if __name__ == "__main__":
    main()
