"""`summary`: 3–5 sentences that cover the story's main points.

Extractive and cited. Each sentence gets a score from signals that hold for
news writing in general, then sentences are picked greedily with a penalty for
repeating what is already picked (maximal marginal relevance). The picked
sentences are shown in reading order.

The signals, and why:
- position in its article (news puts the point first; the prior decays as
  1/sqrt(1 + index), so later sentences still compete);
- similarity to the article's own title (IDF-weighted cosine): the headline is
  the editor's summary of the story;
- similarity to the whole text (centrality), a small weight: it keeps a
  story-wide summary on the common thread;
- reported statements ("…, the minister said") are what news summaries keep;
- direct quotations (a sentence that opens with a quote mark, or quotes after a
  colon) and sentences that open with a pronoun or a connective ("He", "But")
  read badly out of context; very short and very long sentences too.

The weights are round numbers, checked on public news data (a reference
extract set, fitted on one half and measured on the other, both ways); see the
README's "Summaries" section for the figures.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from bot.answers.cite import citation_for
from bot.answers.model import Quote, Summary, clip_quote
from bot.search.snapshot import Snapshot
from bot.store import PassageRow
from bot.text.tokenize import tokenize

MMR_LAMBDA = 0.7
MAX_DOCUMENTS = 12  # a story-wide summary reads the latest articles only

W_POSITION = 1.0
W_TITLE = 3.5
W_CENTRAL = 0.5
W_REPORTED = 1.1
W_LENGTH_OK = 0.6
W_OPENS_QUOTE = -1.0
W_COLON = -1.5
W_DANGLING = -0.5
MIN_TOKENS, MAX_TOKENS = 8, 30  # index terms: outside this, a sentence is a fragment or a run-on

_REPORTED = re.compile(r"\b(said|says|told|added|announced|according to)\b", re.IGNORECASE)
_OPENS_QUOTE = re.compile(r"^[\"“‘'«]")
_DANGLING = re.compile(r"^(he|she|it|they|this|these|that|those|but|and|so|also|however|meanwhile|yet)\b",
                       re.IGNORECASE)


def _vector(tokens: list[str], idf: dict[str, float]) -> dict[str, float]:
    counts = Counter(tokens)
    vec = {t: (1 + math.log(c)) * idf.get(t, 0.0) for t, c in counts.items()}
    norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
    return {t: v / norm for t, v in vec.items()}


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(t, 0.0) for t, v in a.items())


def summary_size(sentences: int) -> int:
    return max(3, min(5, round(sentences / 5)))


def sentence_score(text: str, tokens: list[str], index: int, title_sim: float, centrality: float) -> float:
    """How much one body sentence belongs in a summary (see the module docstring)."""
    score = W_POSITION / math.sqrt(1 + index) + W_TITLE * title_sim + W_CENTRAL * centrality
    if _REPORTED.search(text):
        score += W_REPORTED
    if MIN_TOKENS <= len(tokens) <= MAX_TOKENS:
        score += W_LENGTH_OK
    if _OPENS_QUOTE.match(text):
        score += W_OPENS_QUOTE
    if ":" in text:
        score += W_COLON
    if _DANGLING.match(text):
        score += W_DANGLING
    return score


def summarise(snapshot: Snapshot, document: str | None = None) -> Summary:
    if document is not None:
        docs = [document]
        title = snapshot.documents[document].title
    else:
        docs = sorted(snapshot.documents, key=lambda d: (snapshot.documents[d].date or "", d), reverse=True)
        docs = docs[:MAX_DOCUMENTS]
        title = "The story so far" if len(docs) > 1 else (snapshot.documents[docs[0]].title if docs else "")
    if not docs:
        return Summary(document, title, ())
    rows: list[PassageRow] = []
    index_in_doc: dict[int, int] = {}
    for doc_id in docs:
        body = snapshot.reader.body_passages(doc_id)
        index_in_doc.update({r.id: k for k, r in enumerate(body)})
        rows += body
    tokens = {r.id: tokenize(r.text) for r in rows}
    df: Counter[str] = Counter()
    for toks in tokens.values():
        df.update(set(toks))
    n = len(rows)
    idf = {t: math.log((n + 1) / (c + 0.5)) for t, c in df.items()}
    vectors = {r.id: _vector(tokens[r.id], idf) for r in rows}
    centroid = _vector([t for toks in tokens.values() for t in toks], idf)
    titles = {d: _vector(tokenize(snapshot.documents[d].title), idf) for d in docs}
    relevance = {
        r.id: sentence_score(r.text, tokens[r.id], index_in_doc[r.id], _cosine(vectors[r.id], titles[r.document]),
                             _cosine(vectors[r.id], centroid))
        for r in rows
    }
    picked: list[PassageRow] = []
    want = summary_size(n)
    candidates = list(rows)
    while candidates and len(picked) < want:
        def mmr(r: PassageRow) -> float:
            redundancy = max((_cosine(vectors[r.id], vectors[p.id]) for p in picked), default=0.0)
            return MMR_LAMBDA * relevance[r.id] - (1 - MMR_LAMBDA) * redundancy

        best = max(candidates, key=lambda r: (mmr(r), -r.id))
        picked.append(best)
        candidates = [r for r in candidates if r.id != best.id]
    order = {d: i for i, d in enumerate(reversed(docs))}
    picked.sort(key=lambda r: (order[r.document], r.paragraph, r.sentence))
    quotes = tuple(
        Quote(clip_quote(r.text), citation_for(snapshot, r.document, r.paragraph), round(relevance[r.id], 4),
              passage=r.id)
        for r in picked
    )
    return Summary(document, title, quotes, documents=tuple(docs))
