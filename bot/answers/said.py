"""Who said what: statements in the articles attributed to their speaker.

The rules (bot/ingest/attribution.py) read one article at a time, in order; the
build runs them once per article and stores the statements (bot/store.py,
`statements`), so a "What did X say …" question reads at most MAX_DOCUMENTS
articles' stored statements in one statement (its first call used to attribute
two dozen articles: ~170 ms). An article stored without them is attributed
here, once per snapshot.
Engine-side: no Discord imports; renderers live in bot/render/story.py.
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass
from typing import Iterable

import numpy as np

from bot.answers.cite import citation_for, prefetch_citations
from bot.answers.model import Quote, clip_quote
from bot.ingest.attribution import (  # noqa: F401  (re-exported: the rules' home moved to ingest)
    ATTRIBUTION_VERSION,
    SPEECH_VERBS,
    Statement,
    _DocumentReader,
    speaker_kind,
)
from bot.ingest.entities import name_key
from bot.search.doc_score import doc_stats
from bot.search.snapshot import Snapshot
from bot.text.tokenize import tokenize

MAX_NAME_CHARS = 100
MAX_STATEMENTS = 25
# Articles read for one name. Attributing one article costs ~2-5 ms (its mentions, then
# every sentence), and a name can be in thousands: when more articles name it, the ones
# whose sentences best match the name (and the question's topic) are read, so a "What
# did X say …" question costs the same at any corpus size. Fewer candidates: all are read.
MAX_DOCUMENTS = 24


@dataclass(frozen=True)
class SaidResult:
    query: str
    name: str
    statements: tuple[Statement, ...]
    message: str = ""

    @property
    def answered(self) -> bool:
        return bool(self.statements)


# ---------------------------------------------------------------------------- corpus level


CACHE_DOCUMENTS = 20_000  # a long-running bot's per-snapshot cache of articles' statements stays bounded


def _cache(snapshot: Snapshot, name: str = "_said_cache") -> dict:
    """A dict kept on the snapshot under `name` (facts of this snapshot: retired with it)."""
    cache = snapshot.__dict__.get(name)
    if cache is None:
        cache = snapshot.__dict__[name] = {}
    return cache


def _unread(cache: dict, documents: list[str]) -> list[str]:
    """The documents a per-document cache must read: those it lacks, or, when adding them
    would pass CACHE_DOCUMENTS, every one of `documents` after emptying it (the caller
    then gives back each document asked, those it held before included)."""
    want = [d for d in documents if d not in cache]
    if want and len(cache) + len(want) > CACHE_DOCUMENTS:
        cache.clear()
        want = list(documents)
    return want


def documents_statements(snapshot: Snapshot, documents: Iterable[str]) -> dict[str, list[Statement]]:
    """Every statement in each document, in reading order (cached per snapshot): the
    build's stored statements, read for all of them in one statement; a document
    stored without them (an older database, other rules) is attributed here."""
    cache = _cache(snapshot)
    documents = list(dict.fromkeys(documents))
    want = _unread(cache, documents)
    if want:
        stored = snapshot.reader.statements(want, ATTRIBUTION_VERSION)
        for doc in want:
            found = stored.get(doc)
            if found is not None:
                cache[doc] = [Statement(*r) for r in found]
            else:
                rows = snapshot.reader.body_passages(doc)
                cache[doc] = _DocumentReader(rows).statements() if rows else []
    return {d: cache[d] for d in documents}


def document_statements(snapshot: Snapshot, document: str) -> list[Statement]:
    """Every statement in one document, in reading order (cached per snapshot)."""
    return documents_statements(snapshot, (document,))[document]


def all_statements(snapshot: Snapshot) -> list[Statement]:
    out: list[Statement] = []
    for doc in sorted(snapshot.documents, key=lambda d: snapshot.document_rank.get(d, 0)):
        out.extend(document_statements(snapshot, doc))
    return out


def _candidate_documents(snapshot: Snapshot, words: list[str], topic: tuple[str, ...] = ()) -> list[str]:
    """Documents that could hold statements by this name: those whose text names it, in
    article order; at most MAX_DOCUMENTS (`_most_relevant`)."""
    keys, terms, named = _named_documents(snapshot, words)
    docs = set(named)
    if len(docs) > MAX_DOCUMENTS:
        docs = set(_most_relevant(snapshot, docs, terms, topic, keys))
    return sorted(docs, key=lambda d: snapshot.document_rank.get(d, 0))


NAMES_CACHED = 2_000  # per snapshot: names whose documents are kept


def _named_documents(snapshot: Snapshot, words: list[str]) -> tuple[list[str], list[str], frozenset[str]]:
    """(the name's mention keys, its index terms, the documents that mention it or hold
    its words among their best 200 sentences): a fact of the snapshot, kept per name,
    as "What did officials say about …" questions keep asking about the same speakers."""
    cache = _cache(snapshot, "_said_names")
    key = tuple(words)
    found = cache.get(key)
    if found is not None:
        return found
    docs: set[str] = set()
    keys = snapshot.mention_keys_with(words)
    if keys:
        docs.update(snapshot.reader.documents_mentioning(keys))
    terms = tokenize(" ".join(words))
    if terms:
        ids = snapshot.reader.term_ids(terms)
        if len(ids) == len(set(terms)):
            docs.update(_documents_at(snapshot, snapshot.index.top_k(list(ids.values()), 200, None)))
    found = (keys, terms, frozenset(d for d in docs if d in snapshot.documents))
    if len(cache) >= NAMES_CACHED:
        cache.clear()
    cache[key] = found
    return found


def _documents_at(snapshot: Snapshot, hits: list[tuple[int, float]]) -> list[str]:
    """The documents of ranked index positions, best first, each once: one gather in the
    per-snapshot position → document table retrieval keeps (bot/search/doc_score.py)."""
    if not hits:
        return []
    stats = doc_stats(snapshot)
    table = stats.doc_of_pos
    if table is not None and table.shape[0]:
        pos = np.fromiter((p for p, _ in hits), dtype=np.int64, count=len(hits))
        which = np.full(pos.shape[0], -1, dtype=np.int64)
        inside = (pos >= 0) & (pos < table.shape[0])
        which[inside] = table[pos[inside]]
        ids = stats.ids
        return list(dict.fromkeys(ids[i] for i in which.tolist() if i >= 0))
    cached = snapshot.__dict__.get("_said_starts")
    if cached is None:  # once per snapshot: the documents' position ranges, in position order
        starts = sorted((a, b, doc) for doc, (a, b) in snapshot.doc_ranges.items())
        cached = snapshot.__dict__["_said_starts"] = (starts, [a for a, _, _ in starts])
    starts, firsts = cached
    out: dict[str, None] = {}
    for pos, _ in hits:
        i = bisect.bisect_right(firsts, pos) - 1
        if i >= 0 and starts[i][0] <= pos < starts[i][1]:
            out.setdefault(starts[i][2], None)
    return list(out)


def _most_relevant(snapshot: Snapshot, docs: set[str], name_terms: list[str], topic: tuple[str, ...],
                   keys: list[str]) -> list[str]:
    """MAX_DOCUMENTS of `docs`: first those holding the best BM25 sentences for the name and
    the topic together, then those that name it most often, then the newest."""
    order: dict[str, None] = {}
    query = list(dict.fromkeys([*name_terms, *topic]))
    ids = snapshot.reader.term_ids(query) if query else {}
    if ids:
        for doc in _documents_at(snapshot, snapshot.index.top_k(list(ids.values()), 400, None)):
            if doc in docs:
                order.setdefault(doc, None)
    if len(order) < MAX_DOCUMENTS and keys:
        for doc in _most_mentioning(snapshot, keys):
            if doc in docs:
                order.setdefault(doc, None)
                if len(order) >= MAX_DOCUMENTS:
                    break
    if len(order) < MAX_DOCUMENTS:
        for doc in sorted(docs, key=lambda d: -snapshot.document_rank.get(d, 0)):
            order.setdefault(doc, None)
            if len(order) >= MAX_DOCUMENTS:
                break
    return list(order)[:MAX_DOCUMENTS]


def _most_mentioning(snapshot: Snapshot, keys: list[str]) -> list[str]:
    """The documents that mention these name keys, those that name them most often first,
    then the newest: a fact of the snapshot, kept per name (at 1M every "What did
    officials say about …" question read the same 240 counts again: ~1.5 ms)."""
    cache = _cache(snapshot, "_said_counts")
    key = tuple(keys)
    found = cache.get(key)
    if found is None:
        counts = snapshot.reader.mention_counts_by_document(keys)
        rank = snapshot.document_rank
        found = [doc for doc, _ in sorted(counts, key=lambda dc: (-dc[1], -rank.get(dc[0], 0)))]
        if len(cache) >= NAMES_CACHED:
            cache.clear()
        cache[key] = found
    return found


@functools.lru_cache(maxsize=8192)
def _key_words(speaker_key: str) -> frozenset[str]:
    """A speaker key's words (a "What did X say" question tests every statement of up
    to MAX_DOCUMENTS articles, and the same few speakers' keys recur)."""
    return frozenset(speaker_key.replace("’", "'").split())


def speaker_matches(words: list[str], speaker_key: str) -> bool:
    have = _key_words(speaker_key)
    return bool(words) and all(w in have for w in words)


def query_words(raw_name: str) -> list[str]:
    key = name_key(" ".join(raw_name.split())[:MAX_NAME_CHARS])
    return [w for w in re.findall(r"[\w.&'-]+", key) if w and w not in ("the", "a", "an")]


def said(snapshot: Snapshot, raw_name: str, *, limit: int = MAX_STATEMENTS, topic: tuple[str, ...] = ()) -> SaidResult:
    """What the articles report `raw_name` said, in article order (oldest first), from at
    most MAX_DOCUMENTS articles (those that fit the name, and `topic`'s terms, best)."""
    query = " ".join(raw_name.split())[:MAX_NAME_CHARS]
    words = query_words(query)
    if not words:
        return SaidResult(query, query, (), "Give a name to look up.")
    documents = _candidate_documents(snapshot, words, topic)
    speakers, found = _spoken_by(snapshot, documents, words, limit)
    if not speakers:
        return SaidResult(query, query, (), f"The articles don't report anything said by “{query}”.")
    names: dict[str, int] = {}
    for speaker in speakers:
        names[speaker] = names.get(speaker, 0) + 1
    display = max(names, key=lambda n: (names[n], len(n)))
    return SaidResult(query, display, tuple(found))


def _spoken_by(snapshot: Snapshot, documents: list[str], words: list[str], limit: int
               ) -> tuple[list[str], list[Statement]]:
    """(the speaker of every statement in `documents` whose speaker is `words`, the first
    `limit` of those statements), in article and reading order.

    Only the speakers of the articles' stored statements are read (`statement_speakers`,
    cached per snapshot), then the sentences of the first `limit` matches (`passages`):
    two dozen articles hold ~300 statements, of which a few dozen are X's. An article
    stored without statements is attributed (`documents_statements`); a matched
    sentence whose row is gone (the database changed under this snapshot) gives what
    reading every statement whole gives."""
    cache = _cache(snapshot, "_said_speakers")
    want = _unread(cache, documents)
    if want:
        stored = snapshot.reader.statement_speakers(want, ATTRIBUTION_VERSION)
        for doc in want:
            cache[doc] = stored.get(doc)  # None: not stored by these rules (attributed when asked)
    matches: dict[str, bool] = {}  # speaker key → speaker_matches (a few keys recur in an article)
    speakers: list[str] = []
    found: list[Statement | tuple[str, str, str, int, str]] = []
    for doc in documents:
        rows = cache[doc]
        if rows is None:
            for st in document_statements(snapshot, doc):
                if speaker_matches(words, st.speaker_key):
                    speakers.append(st.speaker)
                    found.append(st)
            continue
        for speaker, key, passage, kind in rows:
            ok = matches.get(key)
            if ok is None:
                ok = matches[key] = speaker_matches(words, key)
            if ok:
                speakers.append(speaker)
                found.append((speaker, key, doc, passage, kind))
    found = found[:limit]
    wanted = [f[3] for f in found if isinstance(f, tuple)]
    rows_of = snapshot.reader.passages(wanted) if wanted else {}
    terms = _stored_terms(snapshot)
    out: list[Statement] = []
    for f in found:
        if isinstance(f, Statement):
            out.append(f)
            continue
        speaker, key, doc, passage, kind = f
        row = rows_of.get(passage)
        if row is None or row.document != doc:
            return _spoken_by_whole(snapshot, documents, words, limit)
        out.append(Statement(speaker, key, row.text, doc, int(row.paragraph), int(row.sentence), passage, kind))
        if row.tokens is not None:
            terms[passage] = row.tokens
    return speakers, out


def _stored_terms(snapshot: Snapshot) -> dict[int, tuple[str, ...]]:
    """Passage id → its stored index terms (`PassageRow.tokens`, the build's tokenize(text)),
    for the statements `_spoken_by` read: said_answer weighs them against the topic without
    tokenising each sentence again (~1 ms a question at 1M, most sentences new to the process)."""
    terms = _cache(snapshot, "_said_terms")
    if len(terms) >= CACHE_DOCUMENTS:
        terms.clear()
    return terms


def _spoken_by_whole(snapshot: Snapshot, documents: list[str], words: list[str], limit: int
                     ) -> tuple[list[str], list[Statement]]:
    """`_spoken_by` from every statement read whole (`documents_statements`)."""
    found: list[Statement] = []
    for statements in documents_statements(snapshot, documents).values():
        found.extend(s for s in statements if speaker_matches(words, s.speaker_key))
    return [s.speaker for s in found], found[:limit]


def statements_in(snapshot: Snapshot, passage_ids: set[int]) -> dict[int, list[Statement]]:
    """Statements attributed in these passages (for re-ranking answers)."""
    if not passage_ids:
        return {}
    rows = snapshot.reader.passages(passage_ids)
    out: dict[int, list[Statement]] = {}
    for statements in documents_statements(snapshot, sorted({r.document for r in rows.values()})).values():
        for s in statements:
            if s.passage in passage_ids:
                out.setdefault(s.passage, []).append(s)
    return out


_SAID_QUESTION_RE = re.compile(
    r"^\s*what\s+(?:did|does|do|has|have|had|was|were)\s+(?P<name>.{1,100}?)\s+"
    r"(?:say|said|saying|tell|told|write|wrote|written|urge|urged|announce|announced|claim|claimed|state|stated|"
    r"post|posted|argue|argued|warn|warned)\b(?P<rest>.*)$",
    re.IGNORECASE,
)


@functools.lru_cache(maxsize=8192)
def _terms_of(text: str) -> frozenset[str]:
    """A statement's index terms (questions about one speaker keep reading the same statements)."""
    return frozenset(tokenize(text))


def said_answer(snapshot: Snapshot, question: str, k: int) -> list[Quote] | None:
    """"What did X say (about Y)?": X's own statements first, not sentences that merely
    mention X. With a topic, only statements that share a word with it. None when the
    question is not of this form or nothing attributed to X fits (normal retrieval answers)."""
    m = _SAID_QUESTION_RE.match(question)
    if not m:
        return None
    topic_terms = tokenize(re.sub(r"^\s*(?:about|on|regarding|of|concerning)\b", "", m.group("rest")))
    result = said(snapshot, m.group("name"), topic=tuple(topic_terms))
    if not result.statements:
        return None
    topic = set(topic_terms)
    terms = _stored_terms(snapshot)
    ranked: list[tuple[int, int, Statement]] = []
    for i, st in enumerate(result.statements):
        if topic:
            stored = terms.get(st.passage)
            overlap = len(topic.intersection(stored) if stored is not None else topic & _terms_of(st.text))
        else:
            overlap = 0
        if topic and not overlap:
            continue
        ranked.append((-overlap, i, st))
    if not ranked:
        return None
    ranked.sort(key=lambda r: (r[0], r[1]))
    prefetch_citations(snapshot, (st.document for _, _, st in ranked))
    quotes: list[Quote] = []
    seen: set[int] = set()
    for overlap, _, st in ranked:
        if st.passage in seen:
            continue
        seen.add(st.passage)
        quotes.append(Quote(clip_quote(st.text), citation_for(snapshot, st.document, st.paragraph),
                            float(-overlap) + 1.0, passage=st.passage))
    return quotes


__all__ = ["SaidResult", "said_answer", "Statement", "all_statements", "document_statements", "said", "speaker_kind",
           "speaker_matches", "statements_in", "query_words"]
