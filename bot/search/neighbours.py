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

import numpy as np

from bot.search.snapshot import Snapshot
from bot.store import BYLINE_LINE, DATE_LINE, PassageRow


def next_sentences(snapshot: Snapshot, positions: dict[int, int], rows: Iterable[PassageRow]
                   ) -> dict[int, tuple[int, PassageRow]]:
    """For each body row whose position is known: (position, row) of the next sentence
    of the same paragraph, when there is one. One read for all of them (`Snapshot.rows_at`:
    the index's row files), and only of positions the index places in the same article
    and paragraph (a body sentence's paragraph is in `body_para`)."""
    n = len(snapshot.passage_ids)
    want: dict[int, PassageRow] = {}  # next position → the row before it
    for row in rows:
        pos = positions.get(row.id)
        if row.kind == "body" and pos is not None and pos + 1 < n:
            want[pos + 1] = row
    if not want:
        return {}
    at = list(want)
    paras = snapshot.body_para[np.fromiter(at, dtype=np.int64, count=len(at))].tolist()
    ranges = snapshot.doc_ranges
    read: list[int] = []
    for pos, para in zip(at, paras):
        prev = want[pos]
        # (a byline or date line, another body paragraph or another article: not read; a
        # passage of another kind, OTHER_LINE, is read and judged by its row)
        if para in (BYLINE_LINE, DATE_LINE) or (para >= 0 and para != prev.paragraph) \
                or (prev.document in ranges and pos >= ranges[prev.document][1]):
            continue
        read.append(pos)
    if not read:
        return {}
    found = snapshot.rows_at(read)
    out: dict[int, tuple[int, PassageRow]] = {}
    for pos in read:
        prev = want[pos]
        row = found.get(int(snapshot.passage_ids[pos]))
        if row is not None and row.kind == "body" and (row.document, row.paragraph) == (prev.document, prev.paragraph):
            out[prev.id] = (pos, row)
    return out


def completes(terms: set[str], held_before: set[str], held_next: set[str]) -> set[str]:
    """The question terms the next sentence holds that the first one lacks."""
    return (held_next - held_before) & terms
