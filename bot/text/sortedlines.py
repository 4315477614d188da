"""A sorted "key<TAB>…" table searched in its raw bytes (bot/text/families.py, specificity.py).

Why: every question reads these tables, and a CLI question is a fresh process.
Splitting the decompressed text into a list of ~30k line strings was most of their
load (~15 ms of a cold `ask` for the synonym and frequency tables); here the text
stays one bytes object, numpy finds the line starts in one pass, and a look-up
bisects over them, decoding only the line it finds. UTF-8 orders bytes as code
points order characters, so the order is the one the sorted text lines had.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np


class SortedLines(Sequence[str]):
    """The lines of `data` (UTF-8, "\\n"-separated, sorted), without a list of them."""

    def __init__(self, data: bytes) -> None:
        data = data.rstrip(b"\n")
        self._data = data
        breaks = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
        self._starts = np.concatenate(([0], breaks + 1)).astype(np.int64) if data else np.zeros(0, np.int64)
        self._ends = np.concatenate((breaks, [len(data)])).astype(np.int64) if data else np.zeros(0, np.int64)

    def __len__(self) -> int:
        return int(self._starts.shape[0])

    def _raw(self, i: int) -> bytes:
        return self._data[int(self._starts[i]) : int(self._ends[i])]

    def __getitem__(self, i: int) -> str:  # type: ignore[override]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return self._raw(i).decode("utf-8")

    def __iter__(self) -> Iterator[str]:
        return iter(self._data.decode("utf-8").split("\n") if self._data else ())

    def find(self, key: str) -> str | None:
        """The first line starting with `key` + TAB, or None (a tab sorts before every
        character a key holds, so that line is the first one not below key + TAB)."""
        want = (key + "\t").encode("utf-8", "surrogatepass")
        lo, hi = 0, len(self)
        while lo < hi:
            mid = (lo + hi) // 2
            if self._raw(mid) < want:
                lo = mid + 1
            else:
                hi = mid
        if lo < len(self):
            line = self._raw(lo)
            if line.startswith(want):
                try:
                    return line.decode("utf-8")
                except UnicodeDecodeError:
                    return None
        return None
