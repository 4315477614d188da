"""`who`: an entity card built from the mentions the build recorded.

Aliases resolve by words: a query matches every recorded name whose words
include the query's ("Xi" → "Xi Jinping", "ByteDance Ltd." → "ByteDance").
A shorter form joins a name only when it is a name itself: a person's first
name or surname ("Bello" for "Adamu Bello"), or an organisation's name without
its trailing organisation words ("HongShan" for "HongShan Capital Group"),
never a title or a common word; titles are roles, split off at ingest.
The most defining sentence comes first: one that says what the entity is
(an apposition, "is a … of", a title written before the name).
"""

from __future__ import annotations

import re
from collections import Counter

from bot.answers.cite import citation_for, prefetch_citations
from bot.answers.model import EntityCard, Quote, clip_quote
from bot.ingest.entities import HEAD_TITLES, NATIONALITIES, ORG_WORDS, TITLE_WORDS, entity_kind, key_starts_with, name_key
from bot.search.snapshot import Snapshot
from bot.text.tokenize import STOPWORDS, tokenize
from bot.store import PassageRow

MAX_CARD_QUOTES = 6
# A fuller person name stands for a recorded short name only if it is mentioned at least
# once for every this many mentions of the short name itself.
_RARE_EXPANSION = 10
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
    if not keys:
        # "Ms Hewitt", "President Xi": the articles may record the name without the
        # title that the question puts in front of it.
        bare = words
        while len(bare) > 1 and bare[0].rstrip(".") in _TITLE_PREFIXES:
            bare = bare[1:]
        if bare != words and (bare_keys := _match_keys(snapshot, bare)):
            words, key, keys = bare, " ".join(bare), bare_keys
    full = ""
    rows: list[tuple[int, str, str, str]] = []
    if keys:
        kinds = {k: _key_kind(snapshot, k) for k in keys}
        counts = snapshot.reader.mention_key_counts(keys)
        # A person's fuller name first ("Xi" → "Xi Jinping"), the most mentioned of them,
        # then the longest name.
        full = max(keys, key=lambda k: (kinds[k] == "person" and len(k.split()) > 1, counts.get(k, 0)
                                        if kinds[k] == "person" else 0, len(k.split()), k))
        if key in keys and full != key and (
                kinds[full] != "person" or counts.get(full, 0) * _RARE_EXPANSION < counts.get(key, 0)):
            # "TikTok" is not "TikTok U.S.": a longer name extends a person's name
            # ("Xi" → "Xi Jinping"), not an organisation's; and a one-off span that
            # happens to hold a common name ("Whitehall Labour") is not what "Labour" means.
            full = key
        forms = set(keys) if kinds.get(full) != "person" else {k for k in keys if _is_form_of(k, full)}
        rows = snapshot.reader.mentions_of(sorted(forms | {full}))
        present = {k for _, _, _, k in rows}
        shorter = [k for k in _short_forms(full, kinds.get(full, "other")) if k not in present]
        if shorter:
            rows += snapshot.reader.mentions_of(shorter)
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
        return EntityCard(query, False, query, "", (), 0.0, message=_not_a_name(snapshot, query))
    pool = full_names or names
    display = max(pool, key=lambda n: (len(n.split()), pool[n])) if pool else query
    scored: list[tuple[float, PassageRow]] = []
    for pid, row in passages.items():
        best = max((_defining_score(row.text, n) for n in passage_names.get(pid, [display])), default=0.0)
        scored.append((best, row))
    order = snapshot.document_rank
    scored.sort(key=lambda s: (-s[0], order.get(s[1].document, 0), s[1].paragraph, s[1].sentence))
    top = scored[:1] + sorted(scored[1:], key=lambda s: (order.get(s[1].document, 0), s[1].paragraph, s[1].sentence))
    prefetch_citations(snapshot, (row.document for _, row in top[:MAX_CARD_QUOTES]))
    quotes = tuple(
        Quote(clip_quote(row.text), citation_for(snapshot, row.document, row.paragraph), round(score, 3),
              passage=row.id)
        for score, row in top[:MAX_CARD_QUOTES]
    )
    role = max(roles, key=lambda r: (roles[r], len(r))) if roles else ""  # the fullest of the commonest titles
    aliases = tuple(sorted(n for n in names if n != display))
    return EntityCard(query, True, display, role, quotes, 0.0, aliases=aliases)


_NOT_SHORT_FORMS = STOPWORDS | TITLE_WORDS | HEAD_TITLES | NATIONALITIES
_TITLE_PREFIXES = frozenset(t.rstrip(".") for t in TITLE_WORDS | HEAD_TITLES)


def _not_a_name(snapshot: Snapshot, query: str) -> str:
    """Why there is no card: the words never occur, or they do but name no one ("the law",
    "tariffs"): saying "don't mention" then would be false, so point to a question instead."""
    terms = set(tokenize(query))
    if terms and len(snapshot.reader.term_ids(terms)) == len(terms):
        return f"“{query}” is not a person or organisation the articles name, but they mention it: ask a question about it."
    return f"The articles don't mention “{query}”."


def _key_kind(snapshot: Snapshot, key: str) -> str:
    """person, org or other for a recorded name key: a role written with it counts."""
    name, role = snapshot.reader.mention_with_role(key) or (key, "")
    return entity_kind(name, role)


def _is_form_of(short: str, full: str) -> bool:
    """`short` is `full` itself or its first name or surname part ("xi" / "xi jinping")."""
    s, f = short.split(), full.split()
    return s == f or (len(s) < len(f) and (f[: len(s)] == s or f[-len(s) :] == s)
                      and not any(w in _NOT_SHORT_FORMS for w in s))


def _short_forms(full: str, kind: str) -> list[str]:
    """The shorter keys that may stand for `full`: a person's first name and surname;
    an organisation's name without trailing organisation words. Never a title or a
    common word."""
    words = full.split()
    if len(words) < 2:
        return []
    if kind == "person":
        forms = [words[-1], words[0]]
    elif kind == "org":
        forms = [" ".join(words[:i]) for i in range(len(words) - 1, 0, -1)
                 if all(w in ORG_WORDS for w in words[i:])]
    else:
        forms = []
    return [f for f in forms if f not in _NOT_SHORT_FORMS and len(f) > 1]


def _byline_rows(snapshot: Snapshot, document: str) -> dict[int, PassageRow]:
    return {r.id: r for r in snapshot.reader.byline_passages(document)}


def entity_names(snapshot: Snapshot, prefix: str = "", limit: int = 25) -> list[str]:
    """Names for autocomplete: the most mentioned first, filtered by a typed prefix of any word."""
    prefix = name_key(prefix) if prefix.strip() else ""
    rows = snapshot.reader.mention_counts(f"%{prefix}%", 400)
    out: list[str] = []
    for name, _ in rows:
        if not key_starts_with(name_key(name).split(), prefix):
            continue
        if name not in out:
            out.append(name)
        if len(out) >= limit:
            break
    return out
