"""`citation_for`: where a quoted passage stands (article, title, date, ¶, link).

Its own module, below ask, who and summary, because all three cite: when it
lived in ask.py, who.py imported ask.py while ask.py's definition questions
("Who is X?") imported who.py, an import circle.
"""

from __future__ import annotations

from typing import Iterable

from bot.answers.model import Citation
from bot.search.snapshot import Snapshot


def citation_for(snapshot: Snapshot, document: str, paragraph: int) -> Citation:
    doc = snapshot.documents.get(document)
    if doc is None:
        return Citation(document, document, paragraph)
    return Citation(document, doc.title, paragraph, doc.date_text, doc.url, doc.source, tuple(doc.authors))


def prefetch_citations(snapshot: Snapshot, documents: Iterable[str]) -> None:
    """Read the rows of the articles an answer is about to cite in one statement (the
    snapshot's document table reads a row on first use: one read per article otherwise)."""
    prefetch = getattr(snapshot.documents, "prefetch", None)
    if prefetch is not None:
        prefetch(documents)
