"""A sentence's neighbours in its paragraph: writers set a subject up in one
sentence and state the fact in the next ("Northern Telecom sold DATAPAC clones
to foreign PTTs. X.75 and X.121 allowed the interconnection of national X.25
networks."). The question's words then sit in the first sentence and the answer
in the second, so retrieval looks one sentence on (bot/search/retrieve.py):

- a quote *carries* the next sentence of its paragraph when that sentence holds
  question words the quoted one lacks (the pair is the real match), or, for a
  question that wants a date / number / place / name, when the quoted sentence
  has none and the next one has one. The two are consecutive text of one
  paragraph, so the quote stays real and its citation (article, paragraph) holds.

Positions are the index's (one document's passages are contiguous and in
reading order), so the next sentence is position + 1 when it shares the
document and paragraph.
"""

from __future__ import annotations

from typing import Iterable

from bot.search.snapshot import Snapshot
from bot.store import PassageRow


def next_sentences(snapshot: Snapshot, positions: dict[int, int], rows: Iterable[PassageRow]
                   ) -> dict[int, tuple[int, PassageRow]]:
    """For each body row whose position is known: (position, row) of the next sentence
    of the same paragraph, when there is one. One read for all of them."""
    n = len(snapshot.passage_ids)
    want: dict[int, tuple[int, PassageRow]] = {}  # next passage id → (its position, the row before it)
    for row in rows:
        pos = positions.get(row.id)
        if row.kind == "body" and pos is not None and pos + 1 < n:
            want[int(snapshot.passage_ids[pos + 1])] = (pos + 1, row)
    if not want:
        return {}
    found = snapshot.reader.passages(want)
    out: dict[int, tuple[int, PassageRow]] = {}
    for pid, (pos, prev) in want.items():
        row = found.get(pid)
        if row is not None and row.kind == "body" and (row.document, row.paragraph) == (prev.document, prev.paragraph):
            out[prev.id] = (pos, row)
    return out


def completes(terms: set[str], held_before: set[str], held_next: set[str]) -> set[str]:
    """The question terms the next sentence holds that the first one lacks."""
    return (held_next - held_before) & terms
