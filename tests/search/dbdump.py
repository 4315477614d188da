"""A database's derived content as plain data, to compare two builds (sequential and
parallel, parse-first and streaming) or a database before and after a stopped build."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np


def dump_database(db: Path, *, generation: bool = False) -> dict[str, object]:
    """Passages, mentions, documents and postings (term ids resolved to terms, so two
    builds that numbered terms differently compare equal); with `generation`, the meta
    row a stopped build must leave unchanged too."""
    conn = sqlite3.connect(db)
    terms = dict(conn.execute("SELECT id, term FROM terms"))
    postings = {}
    for doc, pids, lens, tids, local, tfs in conn.execute("SELECT * FROM postings"):
        triples = sorted(zip([terms[int(t)] for t in np.frombuffer(tids, np.int32)],
                             np.frombuffer(local, np.int32).tolist(), np.frombuffer(tfs, np.uint16).tolist()))
        postings[doc] = (pids, lens, triples)
    out: dict[str, object] = {
        "passages": conn.execute("SELECT * FROM passages ORDER BY id").fetchall(),
        "mentions": conn.execute("SELECT * FROM mentions ORDER BY rowid").fetchall(),
        "documents": conn.execute("SELECT id, title, date, authors, content_hash, passages FROM documents "
                                  "ORDER BY id").fetchall(),
        "postings": postings,
    }
    if generation:
        out["generation"] = conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
    conn.close()
    return out
