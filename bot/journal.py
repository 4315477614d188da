"""The moderators' records: the audit trail, unanswered questions, feedback.

All three live in the same SQLite file as the index (tables `audit`, `gaps`,
`feedback`, created by `Store`). Writes go through the store's connection under
its lock, each in its own short transaction, so they never land inside a
build's transaction and a build never waits long on them.

Privacy: nothing here stores who asked a question or who voted. Gaps keep the
question text and a normalised key so rephrasings of one question group
together; the audit trail keeps the moderator's display name (`actor`)
because "who changed the knowledge base" is its whole point.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import time
import unicodedata
from dataclasses import dataclass
from typing import Iterable

from bot.text.tokenize import tokenize
from bot.store import Store, StoreError

log = logging.getLogger(__name__)

MAX_ANSWERS = 5000  # answers whose buttons survive a restart
MAX_TEXT = 500  # questions and details are clipped to this many characters


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: float  # Unix time
    actor: str
    action: str  # "add", "replace", "remove", "restore", "reload", ...
    target: str  # a file name or document id ("" for a whole reload)
    result: str  # "ok", "refused", "error", "unchanged"
    detail: str = ""


@dataclass(frozen=True)
class GapEntry:
    question: str  # the most recent wording
    count: int
    last_asked: float  # Unix time


@dataclass(frozen=True)
class FeedbackCounts:
    up: int
    down: int

    @property
    def total(self) -> int:
        return self.up + self.down


def _clip(text: str, limit: int = MAX_TEXT) -> str:
    """One line, no control characters, at most `limit` characters."""
    text = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in str(text))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def gap_key(question: str) -> str:
    """A grouping key: the question's stemmed content words, sorted and unique.

    "Who owns TikTok?" and "who OWNS tiktok" share a key. A question with no
    content words falls back to its lower-cased letters and digits.
    """
    terms = sorted(set(tokenize(question)))
    if terms:
        return " ".join(terms)[:MAX_TEXT]
    text = unicodedata.normalize("NFKC", question).casefold()
    return " ".join(re.findall(r"\w+", text))[:MAX_TEXT]


class Journal:
    """Reads and writes the audit, gaps and feedback tables of one `Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- plumbing -------------------------------------------------------------------------
    def _write(self, sql: str, params: tuple) -> int:
        store = self.store
        with store.lock:
            try:
                with store.conn:  # one short transaction
                    cur = store.conn.execute(sql, params)
                store.checkpoint()  # into the main file: losing the -wal loses no record
                return int(cur.lastrowid or 0)
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"cannot write the journal: {exc}") from exc

    def _read(self, sql: str, params: tuple = ()) -> list[tuple]:
        store = self.store
        with store.lock:
            try:
                return store.conn.execute(sql, params).fetchall()
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"cannot read the journal: {exc}") from exc

    # -- audit ------------------------------------------------------------------------------
    def audit(self, actor: str, action: str, target: str, result: str, detail: str = "") -> AuditEntry:
        """Record one change to the knowledge base (who, when, what, result)."""
        entry = AuditEntry(0, time.time(), _clip(actor, 100) or "unknown", _clip(action, 40),
                           _clip(target, 300), _clip(result, 40), _clip(detail))
        rowid = self._write(
            "INSERT INTO audit (at, actor, action, target, result, detail) VALUES (?, ?, ?, ?, ?, ?)",
            (entry.at, entry.actor, entry.action, entry.target, entry.result, entry.detail),
        )
        return AuditEntry(rowid, entry.at, entry.actor, entry.action, entry.target, entry.result, entry.detail)

    def try_audit(self, actor: str, action: str, target: str, result: str, detail: str = "") -> AuditEntry | None:
        """`audit`, but a database that refuses the write is logged, not raised
        (a failed reload on a full disk must still report its own error)."""
        try:
            return self.audit(actor, action, target, result, detail)
        except StoreError as exc:
            log.warning("audit not recorded (%s %s %s: %s): %s", actor, action, target, result, exc)
            return None

    def recent_audit(self, limit: int = 10) -> list[AuditEntry]:
        """The latest entries, newest first."""
        rows = self._read(
            "SELECT id, at, actor, action, target, result, detail FROM audit ORDER BY id DESC LIMIT ?",
            (max(0, int(limit)),),
        )
        return [AuditEntry(int(r[0]), float(r[1]), r[2] or "", r[3] or "", r[4] or "", r[5] or "", r[6] or "")
                for r in rows]

    # -- gaps (questions the articles could not answer) --------------------------------------------------------
    def record_gap(self, question: str, articles: int) -> None:
        """Note an unanswered question. `articles` is how many articles were loaded
        when it was asked. No user id is stored."""
        question = _clip(question, 300)
        if not question:
            return
        self._write(
            "INSERT INTO gaps (question, key, asked_at, articles) VALUES (?, ?, ?, ?)",
            (question, gap_key(question), time.time(), int(articles)),
        )

    def top_gaps(self, limit: int = 10) -> list[GapEntry]:
        """The most often unanswered questions (grouped by key), most asked first;
        each shown in its most recent wording."""
        rows = self._read(
            """
            SELECT g.key, COUNT(*) AS n, MAX(g.asked_at) AS last,
                   (SELECT question FROM gaps AS h WHERE h.key = g.key ORDER BY h.asked_at DESC, h.id DESC LIMIT 1)
            FROM gaps AS g GROUP BY g.key ORDER BY n DESC, last DESC LIMIT ?
            """,
            (max(0, int(limit)),),
        )
        return [GapEntry(r[3], int(r[1]), float(r[2])) for r in rows]

    # -- feedback ---------------------------------------------------------------------------------------------------
    def record_feedback(self, query: str, answered: bool, vote: int, passages: Iterable[object] = ()) -> None:
        """A 👍 (`vote` > 0) or 👎 (`vote` < 0) on an answer. `passages` identifies what
        was shown (e.g. "doc¶3" strings or passage ids); stored as JSON."""
        if vote == 0:
            raise ValueError("vote must be positive (up) or negative (down)")
        self._write(
            "INSERT INTO feedback (at, query, answered, vote, passages) VALUES (?, ?, ?, ?, ?)",
            (time.time(), _clip(query, 300), int(bool(answered)), 1 if vote > 0 else -1,
             json.dumps([p if isinstance(p, (int, float)) else str(p) for p in passages])),
        )

    def feedback_counts(self) -> FeedbackCounts:
        row = self._read(
            "SELECT COALESCE(SUM(vote > 0), 0), COALESCE(SUM(vote < 0), 0) FROM feedback"
        )[0]
        return FeedbackCounts(int(row[0]), int(row[1]))

    # -- answers shown with buttons ------------------------------------------------------------------------
    def save_answer(self, key: str, body: str, keep: int = MAX_ANSWERS) -> None:
        """Keep an answer (JSON, `bot.answers.model.answer_to_dict`) under `key`, so its
        buttons still page and record feedback after a restart. Only the newest `keep`
        answers are kept; no user id is stored."""
        self._write("INSERT OR REPLACE INTO answers (key, at, body) VALUES (?, ?, ?)", (key, time.time(), body))
        self._write("DELETE FROM answers WHERE key NOT IN (SELECT key FROM answers ORDER BY at DESC LIMIT ?)",
                    (max(1, int(keep)),))

    def load_answer(self, key: str) -> str | None:
        rows = self._read("SELECT body FROM answers WHERE key = ?", (key,))
        return rows[0][0] if rows else None


__all__ = ["AuditEntry", "FeedbackCounts", "GapEntry", "Journal", "gap_key"]
