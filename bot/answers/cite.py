"""`citation_for`: where a quoted passage stands (article, title, date, ¶, link).

Its own module, below ask, who and summary, because all three cite: when it
lived in ask.py, who.py imported ask.py while ask.py's definition questions
("Who is X?") imported who.py, an import circle.
"""

from __future__ import annotations

from bot.answers.model import Citation
from bot.search.snapshot import Snapshot


def citation_for(snapshot: Snapshot, document: str, paragraph: int) -> Citation:
    doc = snapshot.documents.get(document)
    if doc is None:
        return Citation(document, document, paragraph)
    return Citation(document, doc.title, paragraph, doc.date_text, doc.url, doc.source, tuple(doc.authors))
