"""`who`: an entity card built from the mentions the build recorded.

Aliases resolve by words: a query matches every recorded name whose words
include the query's ("Xi" → "Xi Jinping", "ByteDance Ltd." → "ByteDance").
The most defining sentence comes first: one that says what the entity is
(an apposition, "is a … of", a title written before the name).
"""

from __future__ import annotations

import re
from collections import Counter

from bot.answers.cite import citation_for
from bot.answers.model import EntityCard, Quote, clip_quote
from bot.ingest.entities import entity_kind, name_key
from bot.search.snapshot import Snapshot
from bot.text.tokenize import STOPWORDS
from bot.store import PassageRow

MAX_CARD_QUOTES = 6
MAX_NAME_CHARS = 100
ROLE_NOUNS = (
    "founder|co-founder|chairman|chairwoman|chair|ceo|chief executive|president|premier|minister|"
    "secretary|spokesperson|spokesman|spokeswoman|director|head|leader|owner|parent company|parent|"
    "subsidiary|unit|investor|analyst|lawyer|official|ambassador|governor|senator|envoy|negotiator|"
    "reporter|editor|professor|economist|company|firm|group|regulator|agency|ministry|app|platform|"
    "portal|outlet|media group|publication|newspaper|bank|fund|startup|maker|giant|operator"
)
_ROLE_BEFORE = re.compile(rf"\b({ROLE_NOUNS})\s+$", re.IGNORECASE)
_OF_BEFORE = re.compile(rf"\b({ROLE_NOUNS})\s+(of|at|for)\s+$", re.IGNORECASE)


def _match_keys(snapshot: Snapshot, words: list[str]) -> list[str]:
    """Recorded name keys whose words include every query word."""
    return snapshot.mention_keys_with(words)


def _defining_score(text: str, name: str) -> float:
    """How much the sentence says what `name` is."""
    i = text.find(name)
    if i < 0:
        i = text.lower().find(name.lower())
    if i < 0:
        return 0.0
    before, after = text[:i], text[i + len(name) :]
    score = 0.0
    after_clean = re.sub(r"^(\s+(Ltd|Inc|Co|Corp)\.?)", "", after)
    if re.match(r"^[’']s?\s", after_clean):
        after_clean = ""
    if re.match(r"^,\s+[^,]{3,80}?,", after_clean) and re.search(rf"\b({ROLE_NOUNS})\b", after_clean.split(",")[1], re.I):
        score += 3.0  # apposition: "ByteDance Ltd., TikTok's parent company,"
    if re.match(r"^\s+(is|was|are|were|remains)\s+(a|an|the)\b", after_clean):
        score += 3.0  # "Caixin is a media group"
    if _OF_BEFORE.search(before) or re.search(r"\b(is|was|are)\s+(a|an|the)\s+[\w\s-]{0,40}\b(of|at|for)\s+$", before):
        score += 2.5  # "a subsidiary of ByteDance", "founder of X"
    if _ROLE_BEFORE.search(before):
        score += 2.0  # "founder Zhang Yiming", "Vice Premier He Lifeng"
    return score


def who(snapshot: Snapshot, raw_name: str) -> EntityCard:
    query = " ".join(raw_name.split())[:MAX_NAME_CHARS]
    key = name_key(query)
    words = [w for w in re.findall(r"[\w.&'-]+", key) if w]
    if not words:
        return EntityCard(query, False, query, "", (), 0.0, message="Give a name to look up.")
    keys = _match_keys(snapshot, words)
    full = ""
    if keys:
        full = max(keys, key=lambda k: (len(k.split()), k))
        if key in keys and full != key and not _is_person_key(snapshot, full):
            # "TikTok" is not "TikTok U.S.": a longer name extends a person's name
            # ("Xi" → "Xi Jinping"), not an organisation's.
            full = key
        # Shorter forms of the same name ("Xi" for "Xi Jinping") join when they are not common words.
        shorter = {
            k for (k,) in snapshot.reader.query("SELECT DISTINCT key FROM mentions WHERE key IN (%s)"
                                                % ",".join("?" * len(full.split())), full.split())
            if k not in STOPWORDS
        }
        keys = sorted(set(keys) | shorter)
        rows = snapshot.reader.query(
            f"SELECT passage, name, role, key FROM mentions WHERE key IN ({','.join('?' * len(keys))})", keys
        )
    else:
        rows = []
    passage_names: dict[int, list[str]] = {}
    names: Counter[str] = Counter()
    full_names: Counter[str] = Counter()
    roles: Counter[str] = Counter()
    for pid, name, role, name_key_ in rows:
        passage_names.setdefault(int(pid), []).append(name)
        names[name] += 1
        if name_key_ == full:
            full_names[name] += 1
            if role:
                roles[role] += 1
    passages = snapshot.reader.passages(passage_names)
    # Authors are named in bylines, which are not mentions.
    for doc_id, authors in snapshot.documents_by_author(words):
        for pid, row in _byline_rows(snapshot, doc_id).items():
            passages[pid] = row
            passage_names[pid] = list(authors)
            names.update(passage_names[pid])
    if not passages:
        return EntityCard(query, False, query, "", (), 0.0,
                          message=f"The articles don't mention “{query}”.")
    pool = full_names or names
    display = max(pool, key=lambda n: (len(n.split()), pool[n])) if pool else query
    scored: list[tuple[float, PassageRow]] = []
    for pid, row in passages.items():
        best = max((_defining_score(row.text, n) for n in passage_names.get(pid, [display])), default=0.0)
        scored.append((best, row))
    order = snapshot.document_rank
    scored.sort(key=lambda s: (-s[0], order.get(s[1].document, 0), s[1].paragraph, s[1].sentence))
    top = scored[:1] + sorted(scored[1:], key=lambda s: (order.get(s[1].document, 0), s[1].paragraph, s[1].sentence))
    quotes = tuple(
        Quote(clip_quote(row.text), citation_for(snapshot, row.document, row.paragraph), round(score, 3),
              passage=row.id)
        for score, row in top[:MAX_CARD_QUOTES]
    )
    role = max(roles, key=lambda r: (roles[r], len(r))) if roles else ""  # the fullest of the commonest titles
    aliases = tuple(sorted(n for n in names if n != display))
    return EntityCard(query, True, display, role, quotes, 0.0, aliases=aliases)


def _is_person_key(snapshot: Snapshot, key: str) -> bool:
    rows = snapshot.reader.query("SELECT name, role FROM mentions WHERE key = ? ORDER BY role DESC LIMIT 1", (key,))
    return bool(rows) and entity_kind(rows[0][0], rows[0][1] or "") == "person"


def _byline_rows(snapshot: Snapshot, document: str) -> dict[int, PassageRow]:
    rows = snapshot.reader.query(
        "SELECT id, document, paragraph, sentence, kind, text FROM passages WHERE document = ? AND kind = 'byline'",
        (document,),
    )
    return {r[0]: PassageRow(*r) for r in rows}


def entity_names(snapshot: Snapshot, prefix: str = "", limit: int = 25) -> list[str]:
    """Names for autocomplete: the most mentioned first, filtered by a typed prefix of any word."""
    prefix = name_key(prefix) if prefix.strip() else ""
    rows = snapshot.reader.query(
        "SELECT name, COUNT(*) AS n FROM mentions WHERE key LIKE ? GROUP BY key ORDER BY n DESC, name LIMIT 400",
        (f"%{prefix}%",),
    )
    out: list[str] = []
    for name, _ in rows:
        key_words = name_key(name).split()
        if prefix and not any(w.startswith(prefix) for w in key_words) and not name_key(name).startswith(prefix):
            continue
        if name not in out:
            out.append(name)
        if len(out) >= limit:
            break
    return out
