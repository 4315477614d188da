"""Random passages whose word frequencies follow a Zipf-Mandelbrot law, as news text
does: the corpora the BM25 tests compare our index with rank-bm25 and brute force on."""

from __future__ import annotations

import numpy as np


def zipf_corpus(seed: int, n_passages: int, vocab: int, max_len: int = 30) -> list[list[str]]:
    """`n_passages` passages of 1 to `max_len` - 1 words "w<k>" over `vocab` words."""
    rng = np.random.default_rng(seed)
    p = 1.0 / (np.arange(vocab) + 2.7) ** 1.1
    p /= p.sum()
    lengths = rng.integers(1, max_len, n_passages)
    words = rng.choice(vocab, size=int(lengths.sum()), p=p)
    out, at = [], 0
    for n in lengths:
        out.append([f"w{w}" for w in words[at : at + n]])
        at += n
    return out
