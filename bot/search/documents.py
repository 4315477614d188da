"""The document table as a snapshot sees it, read lazily.

A cold CLI `ask` used to read every document row into a `StoredDocument` (~13 µs a
row: 15 columns, JSON authors, a frozen dataclass), ~0.17 s at 300k sentences and
growing with the archive, while an answer cites a handful of articles. The snapshot
now keeps only what retrieval and the freshness check need for every document:
its id, date (the order) and (path, size, mtime_ns); a full row is read by id the
first time an answer asks for it (a citation, an entity card), and every row at
once when a caller walks all values (sources, summaries, a reload's comparison).

Rows read later come from the database's latest committed state, as passage rows
do (bot/store.py `PassageReader`): a row gone meanwhile marks the reader failed
(the engine replaces the snapshot at the next reload) and is answered from what
the snapshot kept, with the article's id as its title.
"""

from __future__ import annotations

import threading
from collections.abc import ItemsView, Iterable, Iterator, Mapping, ValuesView

from typing import TYPE_CHECKING

import numpy as np

from bot.store import PassageReader, StoredDocument

if TYPE_CHECKING:
    from bot.search.indexfiles import FileTable


def _order_key(row: tuple) -> tuple:
    # What the eager table's `ORDER BY date, id` gave: undated first, then by date, id.
    return (row[1] is not None, row[1] or "", row[0])


class DocumentTable(Mapping[str, StoredDocument]):
    """Document id → `StoredDocument`, in (date, id) order; rows loaded on demand.

    `len`, `in` and iterating the ids never read the table; `[id]` reads one row
    (then kept); `values()` / `items()` read every row in one statement (then kept)."""

    def __init__(self, reader: PassageReader, files: Iterable[tuple[str, str | None, str, int, int]] | None = None,
                 *, table: "FileTable | None" = None) -> None:
        """`files`: the (id, date, path, size, mtime_ns) rows as read; or `table`, the same
        as the persisted index keeps them (bot/search/indexfiles.py), turned into rows only
        when something needs them (a CLI `ask` needs the ids and the file stamps only)."""
        self._reader = reader
        self.table = table
        # id → (id, date, path, size, mtime_ns); sorted on first iteration only
        # (a question that iterates no document list never pays for the sort).
        self._rows: dict[str, tuple] | None = None if table is not None else {r[0]: r for r in files or ()}
        self._ids: frozenset[str] | None = None
        self._order: list[str] | None = None
        self._loaded: dict[str, StoredDocument] = {}
        self._all = False
        self._lock = threading.Lock()

    @property
    def _light(self) -> dict[str, tuple]:
        rows = self._rows
        if rows is None:
            assert self.table is not None
            rows = self._rows = {r[0]: r for r in self.table.rows()}
        return rows

    def _id_set(self) -> "frozenset[str] | dict[str, tuple]":
        if self._rows is not None:
            return self._rows
        if self._ids is None:
            assert self.table is not None
            self._ids = frozenset(self.table.ids)
        return self._ids

    # -- what every snapshot needs, without reading rows --------------------------------
    def __len__(self) -> int:
        return len(self._rows) if self._rows is not None else len(self.table.ids)  # type: ignore[union-attr]

    def __iter__(self) -> Iterator[str]:
        order = self._order
        if order is None:
            order = self._order = [r[0] for r in sorted(self._light.values(), key=_order_key)]
        return iter(order)

    def __contains__(self, key: object) -> bool:
        return key in self._id_set()

    def unknown(self, ids: Iterable[str]) -> set[str]:
        """Those of `ids` that are not documents of this table: none, as a rule (a start
        asks about every indexed document: membership tests by `map`, no set of the ids)."""
        ids = ids if isinstance(ids, (list, tuple)) else list(ids)
        known = self._id_set()
        if all(map(known.__contains__, ids)):
            return set()
        return set(ids).difference(known)

    def date(self, doc_id: str) -> str | None:
        return self._light[doc_id][1]

    def date_rank(self) -> dict[str, int]:
        """Document id → its place when sorted by (date, id), undated as "". From the
        id and date columns as lists when the index keeps them (one sort of (date, id)
        pairs in C): a key function reading each document's row cost ~0.2 s of a cold
        "What did X say" at 1M sentences (34k documents)."""
        if self._rows is None and self.table is not None:
            ids, dates = self.table.ids, self.table.dates
        else:
            rows = self._light
            ids, dates = list(rows), [r[1] for r in rows.values()]
        pairs = sorted(zip([d or "" for d in dates], ids))
        return {d: i for i, (_, d) in enumerate(pairs)}

    def files(self) -> dict[str, tuple[str, int, int]]:
        """Document id → (path, size, mtime_ns) as stored: the full freshness comparison."""
        return {d: (r[2], r[3] or 0, r[4] or 0) for d, r in self._light.items()}

    def file_stamps(self) -> dict[str, tuple[int, int]]:
        """Stored path → (size, mtime_ns): the cheap freshness check (`files.unchanged_since`)."""
        return {r[2]: (r[3] or 0, r[4] or 0) for r in self._light.values()}

    @property
    def loaded_count(self) -> int:
        """How many full rows were read so far (tests count the work)."""
        return len(self._loaded)

    # -- full rows, read when asked for ---------------------------------------------------
    def __getitem__(self, key: str) -> StoredDocument:
        doc = self._loaded.get(key)
        if doc is not None:
            return doc
        if key not in self._id_set():
            raise KeyError(key)
        self.prefetch([key])
        return self._loaded[key]

    def prefetch(self, ids: Iterable[str]) -> None:
        """Read the rows of `ids` not read yet, in one statement per 500."""
        known = self._id_set()
        wanted = [d for d in dict.fromkeys(ids) if d in known and d not in self._loaded]
        if wanted:
            self._fill(wanted)

    def load_all(self) -> None:
        """Read every row not read yet: the few missing by id when most are held (rows
        carried over from the previous snapshot, `adopt`), else all in one statement."""
        if not self._all:
            known = self._id_set()
            missing = [d for d in known if d not in self._loaded] if self._loaded else None
            if missing is not None and len(missing) * 4 < len(known):
                if missing:
                    self._fill(missing)
            else:
                self._fill(None)
            self._all = True

    def as_dict(self) -> dict[str, StoredDocument]:
        """Every row, as a plain dict (a build looks each file's document up: the
        Mapping's Python-level `get` cost 2 µs a file)."""
        self.load_all()
        return dict(self._loaded)

    def adopt(self, previous: "DocumentTable | Mapping[str, StoredDocument]", changed: set[str]) -> int:
        """Take over rows already read for the state this one follows (the replaced
        snapshot's table, or the rows a reload read from the store), for the documents a
        build left alone: not in `changed` (written or removed), and with the same (path,
        size, mtime_ns) here. A reload then reads the rows of what it changed, not the
        whole table again (0.4 s at 1M sentences). Returns how many rows it holds now."""
        if isinstance(previous, DocumentTable):
            if previous._reader.failed:  # its rows may be stand-ins for rows gone meanwhile
                return 0
            a, loaded = previous.table, previous._loaded
        else:
            a, loaded = None, previous
        b = self.table
        if a is not None and b is not None and a.folder == b.folder and a.ids == b.ids and a.names == b.names:
            # The same files (the usual reload: some edited in place): compare the stamps as
            # arrays and copy the rows dict, instead of a Python line per document.
            moved = np.flatnonzero((a.sizes != b.sizes) | (a.mtimes != b.mtimes)).tolist()
            skip = set(changed).union(b.ids[i] for i in moved)
            with self._lock:
                rows = dict(loaded)
                for doc_id in skip:
                    rows.pop(doc_id, None)
                rows.update(self._loaded)
                self._loaded = rows
            return len(rows)
        light = self._light
        with self._lock:
            for doc_id, doc in list(loaded.items()):
                row = light.get(doc_id)
                if row is None or doc_id in changed or doc_id in self._loaded:
                    continue
                if (row[2], row[3] or 0, row[4] or 0) == (doc.path, doc.size, doc.mtime_ns):
                    self._loaded[doc_id] = doc
        return len(self._loaded)

    def values(self) -> ValuesView[StoredDocument]:  # (in iteration order, as a dict's)
        self.load_all()
        return ValuesView(self)

    def items(self) -> ItemsView[str, StoredDocument]:
        self.load_all()
        return ItemsView(self)

    def _fill(self, ids: list[str] | None) -> None:
        docs = self._reader.documents_by_id(ids)
        known = self._id_set()
        with self._lock:
            for doc in docs:
                if doc.id in known and doc.id not in self._loaded:
                    self._loaded[doc.id] = doc
            for doc_id in (known if ids is None else ids):
                if doc_id not in self._loaded:  # removed since the snapshot loaded
                    self._reader.failed = True
                    _, date, path, size, mtime_ns = self._light[doc_id]
                    self._loaded[doc_id] = StoredDocument(doc_id, doc_id, date, None, (), None, None, None,
                                                          path, "", size or 0, mtime_ns or 0, 0, 0, 0.0)
