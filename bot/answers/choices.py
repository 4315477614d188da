"""Autocomplete lists kept in memory, one set per snapshot.

Why: Discord gives an autocomplete 3 s and it cannot defer. Answering it through
the worker threads that answer questions made it queue behind a burst of /ask;
reading SQLite on the event loop would stall every other interaction. So the
lists are built once when a snapshot is swapped in (in the reloading thread) and
an autocomplete only filters small in-memory tuples on the event loop.

The filtering is the same as `Engine.documents` + `cogs.ask.article_choices`
(id or title contains what was typed) and `answers.who.entity_names` (a typed
prefix of any word of the name, most mentioned first).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.ingest.entities import key_starts_with, name_key
from bot.search.snapshot import Snapshot
from bot.store import StoredDocument

# entity_names looks at the 400 most mentioned matches; the same bound here.
_NAME_SCAN = 400


@dataclass(frozen=True)
class Choices:
    articles_newest_first: tuple[tuple[str, StoredDocument], ...]  # (casefolded "id title", doc)
    names_by_count: tuple[tuple[str, str, tuple[str, ...]], ...]  # (key, name, key words)

    @classmethod
    def build(cls, snap: Snapshot) -> "Choices":
        docs = sorted(snap.documents.values(), key=lambda d: (d.date or "", d.id), reverse=True)
        articles = tuple((f"{d.id}\n{d.title or ''}".casefold(), d) for d in docs)
        rows = snap.reader.query(
            "SELECT name, key, COUNT(*) AS n FROM mentions GROUP BY key ORDER BY n DESC, name"
        )
        names = tuple((str(key), str(name), tuple(name_key(name).split())) for name, key, _ in rows if name)
        return cls(articles, names)

    def articles(self, typed: str, limit: int = 25) -> list[StoredDocument]:
        needle = typed.casefold().strip()
        out: list[StoredDocument] = []
        for text, doc in self.articles_newest_first:
            if needle and needle not in text:
                continue
            if len(doc.id) > 100:
                continue  # a choice value over 100 characters would be refused
            out.append(doc)
            if len(out) >= limit:
                break
        return out

    def names(self, typed: str, limit: int = 25) -> list[str]:
        prefix = name_key(typed) if typed.strip() else ""
        out: list[str] = []
        scanned = 0
        for key, name, words in self.names_by_count:
            if prefix and prefix not in key:
                continue
            scanned += 1
            if scanned > _NAME_SCAN:
                break
            if not key_starts_with(words, prefix):
                continue
            if name not in out:
                out.append(name)
            if len(out) >= limit:
                break
        return out
