"""`ask`: turn retrieved passages into 1–3 cited quotes, or an honest abstention."""

from __future__ import annotations

import re

from bot.answers.cite import citation_for, prefetch_citations
from bot.answers.model import MAX_QUOTE_CHARS, Answer, Quote, clip_quote
from bot.search.question import analyse
from bot.search.retrieve import PAIR_CHARS, Hit, retrieve
from bot.search.snapshot import Snapshot
from bot.text.smalltalk import small_talk_reply
from bot.text.tokenize import tokenize

DUPLICATE_OVERLAP = 0.7  # token-set Jaccard above which two sentences "say the same thing"
MORE_QUOTES = 6


def focus_clip(text: str, terms: frozenset[str], limit: int = MAX_QUOTE_CHARS) -> str:
    """A long sentence cut to `limit` around the part that holds the question's words.

    `clip_quote` keeps the start; when the question's words sit past the cut
    ("… on the banks of the Charles River" at character 400), whole words around
    them are shown instead, the first of them about a third of the way in, with
    "…" where the sentence was cut.
    """
    text = " ".join(text.split())
    if len(text) <= limit:
        return text  # (what clip_quote gives a squashed text within the limit)
    if not terms:
        return clip_quote(text, limit)
    words = [(m.start(), m.end(), set(tokenize(m.group(0))) & terms) for m in re.finditer(r"\S+", text)]
    room = limit - 2  # two ellipses at most

    def window(i: int) -> int:  # index past the last word that fits from word i
        j = i
        while j < len(words) and words[j][1] - words[i][0] <= room:
            j += 1
        return j

    best_i, best_found = 0, -1
    for i in range(len(words)):
        found = set().union(*(w[2] for w in words[i:window(i)]))
        if len(found) > best_found:
            best_i, best_found = i, len(found)
    if best_found <= 0 or window(0) >= len(words):
        return clip_quote(text, limit)
    first = next(k for k in range(best_i, len(words)) if words[k][2])
    lead = words[first][0] - room // 3
    i = next(k for k in range(best_i, first + 1) if words[k][0] >= lead)
    if i == 0:
        return clip_quote(text, limit)
    j = window(i)
    return "…" + text[words[i][0]:words[j - 1][1]] + ("…" if j < len(words) else "")


def quote_for(snapshot: Snapshot, hit: Hit, terms: frozenset[str] = frozenset()) -> Quote:
    row = hit.passage
    text, limit = row.text, MAX_QUOTE_CHARS
    if hit.follow is not None:  # the next sentence completes the match (bot/search/neighbours.py)
        text, limit = " ".join(row.text.split()) + " " + " ".join(hit.follow.text.split()), PAIR_CHARS
    return Quote(focus_clip(text, terms, limit), citation_for(snapshot, row.document, row.paragraph),
                 round(hit.score, 4), passage=row.id)


def merge_duplicates(snapshot: Snapshot, hits: list[Hit], terms: frozenset[str] = frozenset()) -> list[Quote]:
    """Keep the best of near-identical sentences; the others become `also` citations."""
    kept: list[tuple[set[str], Quote]] = []
    prefetch_citations(snapshot, (hit.passage.document for hit in hits))
    for hit in hits:
        # the build's stored tokenize(text) (PassageRow.tokens), when read with the row
        tokens = set(hit.passage.tokens) if hit.passage.tokens is not None else set(tokenize(hit.passage.text))
        quote = quote_for(snapshot, hit, terms)
        size = len(tokens)
        for i, (other_tokens, other) in enumerate(kept):
            # Jaccard is at most (smaller set) / (larger set): sets of unlike sizes are not
            # intersected (the same bound in the same float division, so never a different verdict).
            other_size = len(other_tokens)
            if (size / other_size if size < other_size else other_size / size if size else 1.0) < DUPLICATE_OVERLAP:
                continue
            common = len(tokens & other_tokens)
            union = size + other_size - common  # |tokens ∪ other_tokens|
            if union and common / union >= DUPLICATE_OVERLAP:
                if quote.citation.document != other.citation.document and quote.citation not in other.also:
                    kept[i] = (other_tokens, Quote(other.text, other.citation, other.score,
                                                   other.also + (quote.citation,), other.passage))
                break
        else:
            kept.append((tokens, quote))
    return [q for _, q in kept]


NO_ARTICLES = "No articles are loaded yet, so there is nothing to quote: a moderator adds them to the knowledge folder."


def abstention(question: str) -> str:
    shown = question if len(question) <= 120 else question[:119] + "…"
    return f"The articles don't say. Nothing in them answers “{shown}”."


_DEFINE_RE = re.compile(r"^\s*(?:who|what)\s+(?:is|are|was|were)\s+(?P<name>[^?]{1,100}?)\s*\??\s*$", re.IGNORECASE)


def definition_answer(snapshot: Snapshot, question: str, k: int) -> list[Quote] | None:
    """"Who is X?" / "What is X?" about a name the articles record: the entity card's
    quotes, whose first one says what X is. None when X is not a recorded name."""
    m = _DEFINE_RE.match(question)
    if not m:
        return None
    from bot.answers.who import who  # (imported by the questions that need it: a cold CLI call pays for one)

    card = who(snapshot, m.group("name"))
    if not card.answered or not card.quotes:
        return None
    if card.quotes[0].score <= 0 and card.quotes[0].citation.paragraph != 0:  # 0: named in a byline
        return None
    return list(card.quotes[:k])


# Every "What did X say …?" form starts so (the start of bot/answers/said.py's
# `_SAID_QUESTION_RE`, tested): other questions do not import the statements path
# (said.py, bot/ingest/attribution.py), ~10 ms of a cold CLI call.
_SAID_START_RE = re.compile(r"^\s*what\s+(?:did|does|do|has|have|had|was|were)\s+", re.IGNORECASE)


def _said_answer(snapshot: Snapshot, question: str, k: int) -> list[Quote] | None:
    if not _SAID_START_RE.match(question):
        return None
    from bot.answers.said import said_answer

    return said_answer(snapshot, question, k)


def ask(
    snapshot: Snapshot,
    question: str,
    *,
    k: int = 3,
    document: str | None = None,
    prefer_document: str | None = None,
) -> Answer:
    analysed = analyse(question)
    if (reply := small_talk_reply(analysed.text)) is not None:  # "thanks!", "hello", "?": not a question
        return Answer(analysed.text, False, (), 0.0, (), reply, small_talk=True)
    if not snapshot.documents:  # a new server, or every article removed: say that, not "they don't say"
        return Answer(analysed.text, False, (), 0.0, (), NO_ARTICLES, empty=True)
    if document is None and (defined := definition_answer(snapshot, analysed.text, k)):
        return Answer(analysed.text, True, tuple(defined), 0.0, analysed.terms)
    attributed = _said_answer(snapshot, analysed.text, k) if document is None else None
    if attributed:
        # "What did X say?": the answer is X's own statements (bot/answers/said.py); what
        # retrieval finds (sentences that mention X) only follows behind "More", so it is
        # not run when X's statements fill the answer and "More" (~12 ms of a 1M "What did
        # officials say …" question).
        rest: list[Quote] = []
        if len(attributed) < k + MORE_QUOTES:
            found = retrieve(snapshot, analysed, k=k, document=document, prefer_document=prefer_document)
            own = {q.passage for q in attributed}
            if found.answered:
                rest = [q for q in merge_duplicates(snapshot, list(found.hits)) if q.passage not in own]
        return Answer(analysed.text, True, tuple(attributed[:k]), 0.0, analysed.terms,
                      more=tuple((attributed[k:] + rest)[:MORE_QUOTES]))
    result = retrieve(snapshot, analysed, k=k, document=document, prefer_document=prefer_document)
    if not result.answered:
        return Answer(analysed.text, False, (), 0.0, analysed.terms, abstention(analysed.text))
    quotes = merge_duplicates(snapshot, list(result.hits), frozenset(result.question.terms))
    return Answer(analysed.text, True, tuple(quotes[:k]), 0.0, analysed.terms,
                  more=tuple(quotes[k : k + MORE_QUOTES]))
