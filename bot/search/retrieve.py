"""Pick the passages that answer a question, or decide the articles do not.

Ranking: rank-bm25's BM25Plus (chosen by measurement, see README: Okapi's IDF
floor zeroes the story's main words in a one-article corpus) over sentences,
then principled adjustments on the top candidates:
- coverage: the share of the question's information (IDF-weighted terms) that
  the sentence holds, a word of the same family (bot.text.families: "owns" /
  "ownership") counting as held, a WordNet synonym ("call" / "name") a quarter,
  with its paragraph's other sentences counting half;
- the article is evidence: the document-level BM25 of the sentence's article
  (title included), normalised by the best article's, is mixed in, and the best
  articles' own best sentences join the candidates;
- kind evidence: a "when" question prefers a sentence with a date, "how many"
  one with a number, "where" a place, "who" a name — one the question does not
  already hold;
- a question word the articles never use, one typing slip from a word they use
  (stems of MIN_RESPELL letters or more), is read as that word;
- metadata lines (byline, date) only answer "who wrote" / "when published";
- a quote carries the next sentence of its paragraph when that sentence holds
  question words the quoted one lacks, or alone holds the date / number / place /
  name a typed question wants (bot/search/neighbours.py): the question's words in
  one sentence, the answer in the next.

Abstention (README "Abstention, calibrated"): a question of only vague words
is not answered, nor one that names something (a capitalised word after the
first) the articles never use, unless its best sentence still holds
`UNKNOWN_NAME_COVERAGE` of it (a misspelt name). Otherwise two kinds are told apart:
- off-topic: the best *article* holds less than `MIN_DOC_COVERAGE` of the
  question's information; an unseen word weighs as much as the rarest word,
  a verb times its English specificity (bot/text/specificity.py: "vetoed"
  three quarters, "held" a fifth), so a question about a story that is not loaded cannot
  borrow a few shared words, and a paraphrased predicate does not refuse;
- near-miss: the article fits but no sentence (with its paragraph) holds
  `MIN_COVERAGE` of the question's information; or the question asks what did
  *not* happen ("not", "never", "n't") and none of the top sentences negates
  anything; or it asks "how many / how much" and none of them holds a number,
  or opens with "When" / "Where" and none holds a date / place;
  or the best sentence holds the opposite (a WordNet antonym) of a question
  word it lacks: "the *first* arm" where the text says "the second arm".
  A "why" question whose top sentences state a cause counts its unseen words
  at `ANSWER_TYPE_SHARE` ("Why is TikTok in trouble?": "… crisis stems from …").
These weights are for abstention only (`_unseen`, `evidence`);
ranking's coverage is untouched.
A long question (a pasted paragraph) is judged by its `KEY_TERMS` most
informative words that the articles use, once its unseen share passes the
off-topic test.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import AbstractSet, Callable, Iterable

import numpy as np

from bot.search.doc_score import best_score, best_share, doc_scores, scores_of, top_documents
from bot.search.neighbours import completes, next_sentences
from bot.search.question import Question, denies, kind_evidence, names_a_place, names_a_time, negated
from bot.search.snapshot import Snapshot
from bot.store import BYLINE_LINE, DATE_LINE, PassageRow
from bot.text.families import antonyms, family_stems, members, preload, synonyms
from bot.text.specificity import preload as preload_specificity, specificity
from bot.text.tokenize import tokenize

preload()  # the lexicon tables are read when retrieval is imported, not by the first question
preload_specificity()

# Calibrated on public data (README "Abstention, calibrated"); not per question.
MIN_COVERAGE = 0.30  # near-miss: the best sentence + paragraph context must hold this share (abstention weights)
MIN_DOC_COVERAGE = 0.35  # off-topic: the best article must hold this share of the question
UNKNOWN_NAME_COVERAGE = 0.5  # an unknown name is forgiven only when the best sentence holds this share
ANSWER_TYPE_SHARE = 0.25  # unseen words' share when a top sentence holds the answer type
ANSWER_TYPE_KINDS = ("why",)  # the kinds it applies to (measured: see README)
LONG_UNSEEN = 0.35  # a long question whose unseen words carry more than this share is off-topic
KEY_TERMS = 10  # a long question is judged by this many of its most informative known words
LONG_TERMS = 16  # distinct terms from which a question counts as long

SPELLING = True  # an unseen word one slip from a used one is read as it
MAX_RESPELL = 20  # longer is no word's slip
MIN_RESPELL = 7  # shorter stems have too many neighbours one slip away (5 let off-topic questions in)
CANDIDATES = 60
DOC_CANDIDATES = 3  # the best articles each add their best sentences
PER_DOC = 10
KIND_BONUS = 0.12
NOVEL_KIND = True  # kind evidence counts only a date / number / name / place the question does not already hold
CONTEXT_WEIGHT = 0.5
FAMILY_WEIGHT = 0.75  # a family word's share of a term's weight in coverage (measured: 1.0 lets off-topic in)
FAMILY_SEARCH = True  # family members of question words join the sentence BM25 query
FAMILY_RANK_WEIGHT = 1.0  # ... and in the ranking's own-coverage part
SYN_WEIGHT = 0.25  # a WordNet synonym's share of a term's weight in coverage
SYN_RANK_WEIGHT = 0.25  # ... and in the ranking's own-coverage part
SYN_SEARCH = False  # synonyms join the sentence BM25 query
DOC_WEIGHT = 0.15  # weight of the article's normalised BM25 in a sentence's score
OWN_WEIGHT = 1.0  # the sentence's own coverage of the question
COVER_WEIGHT = 0.5  # coverage with paragraph context
BM25_WEIGHT = 0.5  # weight of the sentence's own normalised BM25
CARRY = True  # a quote carries the next sentence when that one completes the match (neighbours.py)
CARRY_KIND = True  # ... or when it alone holds the kind of thing a typed question asks for
TYPED_KINDS = ("who", "when", "where", "quantity")
PAIR_CHARS = 480  # a quote with its next sentence stays within this (1.5 single quotes, bot/answers/model.py)
RELATIVE_KEEP = 0.55  # further quotes must score this fraction of the best


@dataclass(frozen=True)
class Hit:
    passage: PassageRow
    score: float
    bm25: float
    coverage: float
    follow: PassageRow | None = None  # the next sentence of the paragraph, quoted with this one (neighbours.py)


@dataclass(frozen=True)
class Retrieval:
    question: Question
    hits: tuple[Hit, ...]
    answered: bool
    coverage: float
    reason: str
    kind: str = ""  # why not answered: empty | vague | unknown-name | off-topic | near-miss
    signals: dict[str, float] = field(default_factory=dict, compare=False)


def _df(snapshot: Snapshot, term_id: int | None) -> int:
    df = snapshot.index.df
    return int(df[term_id]) if term_id is not None and term_id < df.shape[0] else 0


LIGHT_WEIGHT = 0.25  # a light word ("happen", "say") counts a quarter of its IDF


def information(snapshot: Snapshot, term_ids: dict[str, int], terms: tuple[str, ...]) -> dict[str, float]:
    """Each term's weight: log((N+1)/(df+0.5)); unseen terms weigh as df = 0;
    light words (no subject of their own) a quarter of that."""
    n = max(snapshot.passage_count, 1)
    out = {}
    for t in terms:
        df = _df(snapshot, term_ids.get(t))
        out[t] = math.log((n + 1) / (df + 0.5)) * (LIGHT_WEIGHT if t in LIGHT_TERMS else 1.0)
    return out


# Words that carry no subject on their own: a question made only of these
# ("what did she say?", "what happened?") is too vague to answer from quotes.
LIGHT_TERMS = frozenset(
    tokenize(
        "say said tell told do happen happened think know mean want talk get make go come take give see "
        "look thing things stuff anything something someone somebody everything news latest update"
    )
)

PREFER_BONUS = 0.1  # a follow-up prefers the article the previous answer quoted


Kin = dict[str, frozenset[str]]  # question term → every stem of its word family (bot.text.families)


def kin_of(terms: Iterable[str]) -> Kin:
    return {t: family_stems(t) for t in terms}


def held(terms: set[str] | tuple[str, ...], tokens: set[str], kin: Kin) -> tuple[set[str], set[str]]:
    """(question terms the tokens hold, terms held only through a word of their family).

    A term's family is held when the tokens meet `kin[t]`: the family of every token
    is not looked up (a candidate holds ~30 tokens, a family a few stems)."""
    exact = {t for t in terms if t in tokens}
    rest = [t for t in terms if t not in exact]
    if not rest:
        return exact, set()
    return exact, {t for t in rest if not tokens.isdisjoint(kin[t])}


def key_terms(question: Question, weights: dict[str, float], known: set[str]) -> tuple[str, ...]:
    """A long question's most informative words that the articles use, in question order."""
    ranked = sorted((t for t in question.terms if t in known and t not in LIGHT_TERMS), key=lambda t: -weights[t])
    keep = set(ranked[:KEY_TERMS])
    return tuple(t for t in question.terms if t in keep)


def retrieve(
    snapshot: Snapshot,
    question: Question,
    k: int = 3,
    document: str | None = None,
    prefer_document: str | None = None,
    *,
    abstain: bool = True,
) -> Retrieval:
    """`abstain=False` ranks even what the rules would refuse (for calibration)."""
    if not question.terms:
        return Retrieval(question, (), False, 0.0, "the question has no searchable words", "vague")
    if all(t in LIGHT_TERMS for t in question.terms):
        return Retrieval(question, (), False, 0.0, "the question names no subject", "vague")
    term_ids = snapshot.reader.term_ids(question.terms)
    if SPELLING:
        question, term_ids = _respell(snapshot, question, term_ids)
    long = len(question.terms) >= LONG_TERMS
    all_weights = information(snapshot, term_ids, question.terms)
    signals = _Signals()
    terms = question.terms
    if long:
        known = {t for t in question.terms if _df(snapshot, term_ids.get(t)) > 0}
        unseen = sum(w for t, w in all_weights.items() if t not in known) / (sum(all_weights.values()) or 1.0)
        signals["unseen"] = unseen
        if abstain and unseen > LONG_UNSEEN:
            return Retrieval(question, (), False, 0.0, "most of the question's words are not in the articles",
                             "off-topic", signals)
        terms = key_terms(question, all_weights, known) or question.terms
    else:
        unknown_names = [t for t in question.names if t in question.terms and _df(snapshot, term_ids.get(t)) == 0]
        signals["unknown_names"] = float(len(unknown_names))
    weights = {t: all_weights[t] for t in terms}
    total = sum(weights.values()) or 1.0
    term_set = set(terms)
    ids = [term_ids.get(t) for t in terms]
    # A question word's family ("ownership" for "owns"): relative stem → question term.
    relatives = {m: t for t in terms for m in members(t) if m not in term_set}
    relative_ids = snapshot.reader.term_ids(tuple(relatives)) if relatives else {}
    if FAMILY_SEARCH:
        # Sentences that hold a question word only in another form are searched too.
        ids += [i for i in relative_ids.values() if _df(snapshot, i) > 0]
    # WordNet synonyms (a shared frequent sense: "call" / "name"), a weaker relation.
    synonyms_of = {t: synonyms(t) - term_set for t in terms}
    if SYN_SEARCH:
        syn_ids = snapshot.reader.term_ids(tuple({m for v in synonyms_of.values() for m in v}))
        ids += [i for i in syn_ids.values() if _df(snapshot, i) > 0]

    # The article is evidence: document-level BM25 over body and title.
    if document is not None:
        dscores = {document: 1.0}
    else:
        dscores = doc_scores(snapshot, terms, term_ids)
    best_doc = best_score(dscores) or 1.0

    position_range = snapshot.doc_ranges.get(document, (0, 0)) if document is not None else None
    top = snapshot.index.top_k(ids, CANDIDATES, position_range)
    if document is None and dscores:
        seen = {pos for pos, _ in top}
        for doc_id in top_documents(dscores, DOC_CANDIDATES):  # (the best first; ties in position order)
            rng = snapshot.doc_ranges.get(doc_id)
            if rng is not None:
                top.extend(x for x in snapshot.index.top_k(ids, PER_DOC, rng) if x[0] not in seen)
    if not top:
        return Retrieval(question, (), False, 0.0, "no passage shares a word with the question", "off-topic", signals)
    at = np.fromiter((pos for pos, _ in top), dtype=np.int64, count=len(top))
    pids = snapshot.passage_ids[at].tolist()
    kin = kin_of(term_set)
    cover = _Coverage(weights, term_set, kin, synonyms_of, total)
    # Ranking reads no row of a body sentence: its document and paragraph come from the
    # index's arrays, the question stems it holds from its term list. Rows are read for
    # the byline and date lines (their words and kind) and the hits, the contenders' texts
    # for the kind regex (~15 rows and ~10 texts instead of ~70 rows at 1M sentences): from
    # the index's row files, slices of a mapped file (`Snapshot.rows_at`).
    positions = dict(zip(pids, at.tolist()))
    known = {**relative_ids, **term_ids}
    stem_ids = {t: known[t] for t in cover.stems if t in known}
    unknown = [t for t in cover.stems if t not in known]
    if unknown:
        stem_ids.update(snapshot.term_ids_memo(unknown))
    holds = snapshot.held_stems(at, stem_ids)
    rows: dict[int, PassageRow] = {}
    reader = _RowReader(snapshot, rows, positions)
    paras = snapshot.body_para[at].tolist()
    docs = snapshot.documents_at(at)
    # A byline or date line is read only when the question's kind uses it (`_meta_fits`);
    # a passage of another kind (or without a paragraph) is read, and ranked by its row.
    metas = {BYLINE_LINE: "byline", DATE_LINE: "date"}
    if not reader.read([pid for pid, para in zip(pids, paras)
                        if para < 0 and (para not in metas or _meta_fits(metas[para], question.kind))]):
        return Retrieval(question, (), False, 0.0, "the knowledge base is being updated")
    candidates: list[tuple[PassageRow | _Candidate, float]] = [
        (rows[pid] if pid in rows else _Candidate(pid, doc, para, reader) if para >= 0
         else _Candidate(pid, doc, None, reader, metas[para]), score)
        for pid, doc, para, (_, score) in zip(pids, docs, paras, top)]
    token_sets = _TokenSets(rows)  # (candidate_tokens, as sets, when asked: of rows read)
    # Paragraph context: the terms the paragraph's other candidate sentences hold (as
    # masks for ranking; as the question stems they hold for the few sentences whose
    # coverage is recomputed).
    para_tokens = _ParagraphStems(candidates, holds)
    # The article's part of each candidate's score, once per article (a DocScores look-up
    # is a Mapping call; ~66 candidates come from a handful of articles).
    doc_part = {doc: score / best_doc for doc, score in scores_of(dscores, {row.document for row, _ in candidates}).items()}
    best_bm25 = max(score for _, score in candidates) or 1.0
    floor = min(score for _, score in candidates)
    matched: dict[int, AbstractSet[str]] = {}  # passage id → question terms it holds (exact or family), for carrying
    typed: dict[int, bool] = {}  # passage id → holds the kind of thing the question asks for
    # Every candidate's score before the kind bonus: (row, bm25, score, coverage). A body
    # sentence's coverage depends only on which question terms it, its family words, its
    # synonyms and its paragraph hold: computed once per such pattern (`_Coverage`).
    scored: list[tuple[PassageRow | _Candidate, float, float, float]] = []
    masks = [cover.masks(held_here) for held_here in holds]
    para_masks: dict[tuple[str, int], tuple[int, int]] = {}  # (exact, family) of a paragraph's union
    for (row, _), (exact, family, _) in zip(candidates, masks):
        if row.kind == "body":
            key = (row.document, row.paragraph)
            got = para_masks.get(key)
            para_masks[key] = (exact, family) if got is None else (got[0] | exact, got[1] | family)
    for (row, score), (exact, family, syn) in zip(candidates, masks):
        if row.kind != "body":
            if not _meta_fits(row.kind, question.kind):
                continue
            own, own_fam = held(term_set, token_sets[row.id], kin)
            own |= _meta_terms(row.kind, question)
            own_w, fam_w, syn_w, ctx_w = _weighed(weights, term_set, own, own_fam, token_sets[row.id],
                                                  row, para_tokens, kin, synonyms_of)
            coverage = _with_context(own_w, fam_w, syn_w, ctx_w) / total
            own_coverage = (own_w + FAMILY_RANK_WEIGHT * fam_w + SYN_RANK_WEIGHT * syn_w) / total
            matched[row.id] = own | own_fam
        else:
            coverage, own_coverage, matched[row.id] = cover.of(exact, family, syn,
                                                               para_masks[(row.document, row.paragraph)])
        norm = (score - floor) / (best_bm25 - floor) if best_bm25 > floor else 1.0
        final = (BM25_WEIGHT * norm + OWN_WEIGHT * own_coverage + COVER_WEIGHT * coverage
                 + DOC_WEIGHT * doc_part[row.document])
        scored.append((row, score, final, coverage))
    # The kind bonus needs a regex over the sentence: only for the candidates that can still
    # reach the quoted set (RELATIVE_KEEP of the best) or the top few the abstention rules
    # read (`_contenders`); the others' scores stay without it, and no quote shows them.
    can_type = question.kind in KIND_BONUS_KINDS
    contenders = _contenders([(final + (PREFER_BONUS if prefer_document is not None and row.document == prefer_document
                                        else 0.0)) for row, _, final, _ in scored], max(k, 3)) if can_type else None
    texts = reader.texts([scored[i][0].id for i in contenders if scored[i][0].kind == "body"]) if contenders else {}
    if texts is None:
        return Retrieval(question, (), False, 0.0, "the knowledge base is being updated")
    ranked: list[tuple[float, PassageRow | _Candidate, float, float]] = []  # (score, row, bm25, coverage)
    for i, (row, score, final, coverage) in enumerate(scored):
        is_typed = row.kind == "body" and can_type and i in contenders and _typed(question, texts[row.id])
        typed[row.id] = is_typed
        if is_typed:
            final += KIND_BONUS
        if prefer_document is not None and row.document == prefer_document:
            final += PREFER_BONUS
        ranked.append((final, row, score, coverage))
    if not ranked:
        return Retrieval(question, (), False, 0.0, "no passage shares a word with the question", "off-topic", signals)
    ranked.sort(key=lambda r: (-r[0], r[1].id))
    # The keep rule: the quotes are those at or above RELATIVE_KEEP of the best score with
    # at least floor_cov of coverage (the best is always kept), 4 × k of them at most, in
    # rank order. Their rows and the first few hits' are read here, in one statement; the
    # rest are only ranked.
    line = RELATIVE_KEEP * ranked[0][0]
    floor_cov = min(MIN_COVERAGE / 2, ranked[0][3]) if abstain else 0.0
    first, room = max(k, 3), max(k, 1) * 4
    shown: list[int] = []
    quoted: list[int] = []  # (indices in `ranked` of the kept quotes)
    for i, (final, row, _, coverage) in enumerate(ranked):
        keep = final >= line and coverage >= floor_cov and len(quoted) < room
        if keep:
            quoted.append(i)
        if i < first or keep:
            shown.append(i)
        elif final < line or len(quoted) >= room:
            break
    if not reader.read([ranked[i][1].id for i in shown]):
        return Retrieval(question, (), False, 0.0, "the knowledge base is being updated")
    for i in shown:
        final, row, score, coverage = ranked[i]
        ranked[i] = (final, rows[row.id], score, coverage)
    # Hits are made for the first few (what the rules read, what an abstention shows) and
    # the quoted ones; the rest only rank.
    hits = [Hit(row, final, score, coverage) for final, row, score, coverage in ranked[: max(k, 3)]]
    best = hits[0]
    signals["coverage"] = best.coverage
    # A question about the opposite of what the best sentence says ("the *first* arm"
    # where it says "the second arm"; WordNet antonyms) is a near-miss.
    best_tokens = token_sets[best.passage.id]
    best_own, best_fam = held(term_set, best_tokens, kin)
    # (Not when the question names both sides: "abstract or concrete?")
    signals["opposite"] = float(any(antonyms(t) & best_tokens and not antonyms(t) & term_set
                                    for t in term_set - best_own - best_fam))
    # "How many / how much" is answered by a number: none in the top sentences, no answer.
    # The top sentences as they may be quoted: with the next sentence of their paragraph,
    # which a quote carries when it holds the wanted date, place or number (`_carry_next`).
    kept = [hits[i] if i < len(hits) else Hit(ranked[i][1], ranked[i][0], ranked[i][2], ranked[i][3])
            for i in quoted]
    following = {}
    nexts = None  # the next sentences of the top three and of the kept hits, read once
    if CARRY and CARRY_KIND and question.kind in ("when", "quantity"):
        nexts = next_sentences(snapshot, positions, {h.passage.id: h.passage for h in hits[:3] + kept}.values())
        following = {h.passage.id: nexts[h.passage.id][1].text for h in hits[:3]
                     if h.passage.id in nexts and _typed(question, nexts[h.passage.id][1].text)}
    reach = [f"{h.passage.text} {following[h.passage.id]}" if h.passage.id in following else h.passage.text
             for h in hits[:3]]
    signals["number_unmet"] = float(not long and question.kind == "quantity"
                                    and not any(kind_evidence("quantity", text) for text in reach))
    # "When" is answered by a date, "where" by a place: none in the top sentences, no answer.
    # Only a question that opens with the word: "what happens when …" asks for no date.
    opener = question.text.split(maxsplit=1)[0].lower() if question.text.split() else ""
    signals["when_unmet"] = float(not long and opener == "when" and not any(names_a_time(text) for text in reach))
    # (A place is looser evidence, "… to TikTok": only the sentence itself counts for "where".)
    signals["where_unmet"] = float(not long and opener == "where"
                                   and not any(names_a_place(h.passage.text) for h in hits[:3]))
    # A question about what did *not* happen is answered only by a sentence that says so.
    signals["negation_unmet"] = float(not long and negated(question.text, asserted_only=True)
                                      and not any(denies(h.passage.text) for h in hits[:3]))
    # Abstention weighs a verb the articles never use by how specific it is in English
    # ("held" about a fifth); nouns, adjectives and names keep their full weight. Ranking is unchanged.
    unseen_words = _unseen(snapshot, question, term_ids, weights)
    abstain_w = {t: w * specificity(t) if t in unseen_words else w for t, w in weights.items()}
    # A top sentence that holds what the question asks for (a cause for "why") answers its
    # wh-part: the question's unseen words, its own way of putting the predicate ("in
    # trouble"), then weigh ANSWER_TYPE_SHARE as much.
    signals["answer_type"] = float(not long and question.kind in ANSWER_TYPE_KINDS and any(
        h.passage.kind == "body" and kind_evidence(question.kind, h.passage.text, question.text) for h in hits[:3]))
    if signals["answer_type"]:
        abstain_w = {t: w * ANSWER_TYPE_SHARE if t in unseen_words else w for t, w in abstain_w.items()}
    signals["evidence"] = evidence(best, abstain_w, token_sets[best.passage.id], kin, para_tokens, synonyms_of)
    def doc_coverage() -> float:
        return _doc_coverage(snapshot, terms, {**relative_ids, **term_ids}, relatives, abstain_w, document)

    article_rule_holds = abstain and _article_rule_passes(best, best_own, abstain_w, document)
    if article_rule_holds:
        signals.later("doc_coverage", doc_coverage)  # (computed if a caller reads it)
    else:
        signals["doc_coverage"] = doc_coverage()
    if len(ranked) > 1:
        signals["margin"] = best.score - ranked[1][0]
    if abstain and signals.get("unknown_names") and best.coverage < UNKNOWN_NAME_COVERAGE:
        return Retrieval(question, tuple(hits[:k]), False, best.coverage,
                         "the question names something the articles never mention", "unknown-name", signals)
    if abstain and not article_rule_holds and signals["doc_coverage"] < MIN_DOC_COVERAGE:
        return Retrieval(question, tuple(hits[:k]), False, best.coverage,
                         f"no article covers more than {signals['doc_coverage']:.0%} of the question",
                         "off-topic", signals)
    if abstain and signals["opposite"]:
        return Retrieval(question, tuple(hits[:k]), False, best.coverage,
                         "the best passage says the opposite of what the question asks about", "near-miss", signals)
    if abstain and signals["number_unmet"]:
        return Retrieval(question, tuple(hits[:k]), False, best.coverage,
                         "the question asks for a number; the best passages hold none", "near-miss", signals)
    if abstain and (signals["when_unmet"] or signals["where_unmet"]):
        return Retrieval(question, tuple(hits[:k]), False, best.coverage,
                         "the question asks when or where; the best passages hold no date or place", "near-miss", signals)
    if abstain and signals["negation_unmet"]:
        return Retrieval(question, tuple(hits[:k]), False, best.coverage,
                         "the question asks what did not happen; no passage says anything did not", "near-miss", signals)
    if abstain and signals["evidence"] < MIN_COVERAGE:
        return Retrieval(question, tuple(hits[:k]), False, best.coverage,
                         f"the best passage covers {signals['evidence']:.0%} of the question", "near-miss", signals)
    if CARRY:
        kept = _carry_next(snapshot, kept, positions, question, term_set, matched, typed, kin, nexts)
    return Retrieval(question, tuple(kept), True, best.coverage, "", "", signals)


def _carry_next(snapshot: Snapshot, hits: list[Hit], positions: dict[int, int], question: Question,
                term_set: set[str], matched: dict[int, AbstractSet[str]], typed: dict[int, bool], kin: Kin | None = None,
                nexts: dict[int, tuple[int, PassageRow]] | None = None) -> list[Hit]:
    """Quotes that carry the next sentence of their paragraph when it completes them
    (bot/search/neighbours.py); a carried sentence is not quoted again on its own.
    `nexts`: next_sentences already read for (at least) these hits."""
    following = nexts if nexts is not None else next_sentences(snapshot, positions, (h.passage for h in hits))
    out: list[Hit] = []
    shown: set[int] = set()
    for h in hits:
        if h.passage.id in shown:
            continue
        nxt = following.get(h.passage.id)
        if nxt is not None and nxt[1].id not in shown:
            row = nxt[1]
            # (as quoted: spaces squashed, which only shortens: the raw lengths decide most pairs)
            size = len(h.passage.text) + 1 + len(row.text)
            if size > PAIR_CHARS:
                size = len(" ".join(h.passage.text.split())) + 1 + len(" ".join(row.text.split()))
            if size <= PAIR_CHARS:
                toks = set(row_tokens(row))
                own_fam = held(term_set, toks, kin if kin is not None else kin_of(term_set))
                adds = completes(term_set, matched.get(h.passage.id, set()), own_fam[0] | own_fam[1])
                # (the kind regex only when the words do not already carry it)
                if adds or (CARRY_KIND and question.kind in TYPED_KINDS and not typed.get(h.passage.id)
                            and _typed(question, row.text)):
                    h = Hit(h.passage, h.score, h.bm25, h.coverage, row)  # (dataclasses.replace: ~3 µs more)
                    shown.add(row.id)
        shown.add(h.passage.id)
        out.append(h)
    return out


def _article_rule_passes(best: Hit, own: set[str], weights: dict[str, float], document: str | None) -> bool:
    """Whether the article rule (doc_coverage >= MIN_DOC_COVERAGE) holds without `best_share`:
    the best sentence's article holds every question term the sentence holds, so their share
    bounds doc_coverage from below (weights are positive; the margin covers the sums' order)."""
    if best.passage.kind != "body" or (document is not None and best.passage.document != document):
        return False
    if any(w < 0 for w in weights.values()):
        return False
    total = sum(weights.values()) or 1.0
    return sum(weights[t] for t in own if t in weights) / total >= MIN_DOC_COVERAGE + 1e-9


class _Signals(dict):
    """The abstention signals. One may be left to compute when first read (`later`): the
    article share (`best_share`, ~5 % of a question at 1M) is needed only when the best
    sentence does not already prove the article rule holds, or when a caller reads it.
    Any read of the whole dict (iteration, `get`, `in`, `==`, `**`) computes it first, in
    its place among the keys."""

    def __init__(self) -> None:
        super().__init__()
        self._later: tuple[str, Callable[[], float], int] | None = None

    def later(self, key: str, make: Callable[[], float]) -> None:
        self._later = (key, make, len(self))

    def _realize(self) -> None:
        if self._later is None:
            return
        key, make, at = self._later
        self._later = None
        value = make()
        items = list(dict.items(self))
        items.insert(at, (key, value))
        dict.clear(self)
        dict.update(self, items)

    def __missing__(self, key: str) -> float:
        if self._later is not None and self._later[0] == key:
            self._realize()
            return dict.__getitem__(self, key)
        raise KeyError(key)

    def get(self, key, default=None):  # type: ignore[no-untyped-def, override]
        if self._later is not None and self._later[0] == key:
            self._realize()
        return dict.get(self, key, default)

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or (self._later is not None and self._later[0] == key)

    def __iter__(self):  # type: ignore[no-untyped-def]
        self._realize()
        return dict.__iter__(self)

    def __len__(self) -> int:
        self._realize()
        return dict.__len__(self)

    def keys(self):  # type: ignore[no-untyped-def, override]
        self._realize()
        return dict.keys(self)

    def values(self):  # type: ignore[no-untyped-def, override]
        self._realize()
        return dict.values(self)

    def items(self):  # type: ignore[no-untyped-def, override]
        self._realize()
        return dict.items(self)

    def copy(self) -> dict[str, float]:  # type: ignore[override]
        self._realize()
        return dict(dict.items(self))

    def __eq__(self, other: object) -> bool:
        self._realize()
        if isinstance(other, _Signals):
            other._realize()
        return dict.__eq__(self, other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        self._realize()
        return dict.__repr__(self)


def _unseen(snapshot: Snapshot, question: Question, term_ids: dict[str, int], weights: dict[str, float]) -> set[str]:
    """The question words no article uses and that are not written as names: for abstention
    they weigh their (maximal) weight times their English specificity (bot/text/specificity.py:
    below 1 only for common verbs), and less again when a top sentence holds the answer type."""
    names = set(question.names)
    return {t for t in weights if t not in names and _df(snapshot, term_ids.get(t)) == 0}


def _typed(question: Question, text: str) -> bool:
    """Whether `text` holds the kind of thing the question asks for (new to the question
    when NOVEL_KIND): the ranking bonus, carrying the next sentence, the when/how-many checks."""
    return kind_evidence(question.kind, text, question.text if NOVEL_KIND else None)


def _weighed(weights: dict[str, float], term_set: set[str], own: set[str], own_fam: set[str], tokens: set[str],
             row: PassageRow, para_tokens: "_ParagraphStems | dict[tuple[str, int], set[str]]", kin: Kin,
             synonyms_of: dict[str, frozenset[str] | set[str]]) -> tuple[float, float, float, float]:
    """The weight of the question a sentence holds: (its own words, their family words,
    synonyms, the words its paragraph's other candidate sentences hold)."""
    key = (row.document, row.paragraph)
    rest = term_set - own - own_fam
    ctx_exact, ctx_fam = held(rest, para_tokens.get(key, set()), kin)
    own_w = sum(weights[t] for t in own)
    fam_w = sum(weights[t] for t in own_fam)
    syn_w = sum(weights[t] for t in rest if synonyms_of[t] & tokens)
    ctx_w = sum(weights[t] for t in ctx_exact) + FAMILY_WEIGHT * sum(weights[t] for t in ctx_fam)
    return own_w, fam_w, syn_w, ctx_w


def _with_context(own_w: float, fam_w: float, syn_w: float, ctx_w: float) -> float:
    """Coverage's numerator: family words, synonyms and paragraph context at their weights."""
    return own_w + FAMILY_WEIGHT * fam_w + SYN_WEIGHT * syn_w + CONTEXT_WEIGHT * ctx_w


KIND_BONUS_KINDS = ("who", "when", "where", "quantity", "why")  # the kinds kind_evidence can find (others: never)
_SLACK = 1e-9  # float rounding between a bound and the sum it bounds


def _contenders(base: list[float], top: int) -> set[int]:
    """The candidates (indices of `base`, their scores without the kind bonus) whose score
    with KIND_BONUS could reach the quoted set (RELATIVE_KEEP of the best score, which is
    at least max(base)) or the first `top` hits: any other one ranks below `top` others
    and below the keep line whatever its kind. Its kind is then never looked at."""
    if not base:
        return set()
    ranked = sorted(base, reverse=True)
    line = min(RELATIVE_KEEP * ranked[0], ranked[min(top, len(ranked)) - 1]) - KIND_BONUS - _SLACK
    return {i for i, b in enumerate(base) if b >= line}


class _TokenSets(dict):
    """Passage id → its token set (`candidate_tokens`, as a set), made when first asked:
    ranking reads the stored token tuples as they are; only a few sentences need sets."""

    def __init__(self, rows: dict[int, PassageRow]) -> None:
        super().__init__()
        self.rows = rows

    def __missing__(self, pid: int) -> set[str]:
        row = self.rows[pid]
        found = self[pid] = set(row_tokens(row))
        return found


class _RowReader:
    """Reads candidates' rows into `rows` (passage id → row) by id (`positions`: passage id
    → its position), from the index's row files (`Snapshot.rows_at`; the store for a row
    they do not hold), skipping those already read."""

    def __init__(self, snapshot: Snapshot, rows: dict[int, PassageRow], positions: dict[int, int]) -> None:
        self.snapshot, self.rows, self.positions = snapshot, rows, positions

    def read(self, ids: Iterable[int]) -> bool:
        """False when a row the snapshot indexes is gone (the database changed under it)."""
        wanted = list(dict.fromkeys(i for i in ids if i not in self.rows))
        if not wanted:
            return True
        got = self.snapshot.rows_at([self.positions[i] for i in wanted])
        self.rows.update(got)
        return len(got) == len(wanted)

    def texts(self, ids: list[int]) -> dict[int, str] | None:
        """Passage id → its text: a row read already, else the row files' text (no row made:
        the kind regex of the contenders reads nothing else), else the row. None when a row
        the snapshot indexes is gone."""
        out = {i: self.rows[i].text for i in ids if i in self.rows}
        wanted = [i for i in ids if i not in out]
        missing: list[int] = []
        for i, text in zip(wanted, self.snapshot.texts_at([self.positions[i] for i in wanted])):
            if text is None:
                missing.append(i)
            else:
                out[i] = text
        if missing:
            if not self.read(missing):
                return None
            out.update((i, self.rows[i].text) for i in missing)
        return out


class _Candidate:
    """A candidate as ranking sees it before its row is read: id, document, kind and a
    body sentence's paragraph (from the index's arrays). Its other fields read the row,
    should anything ask."""

    __slots__ = ("id", "document", "paragraph", "kind", "_reader")

    def __init__(self, pid: int, document: str, paragraph: int | None, reader: _RowReader,
                 kind: str = "body") -> None:
        self.id, self.document, self.kind, self._reader = pid, document, kind, reader
        if paragraph is not None:
            self.paragraph = paragraph

    def __getattr__(self, name: str) -> object:
        if self.id not in self._reader.rows and not self._reader.read([self.id]):
            raise LookupError(f"passage {self.id} is gone")
        return getattr(self._reader.rows[self.id], name)


class _ParagraphStems:
    """(document, paragraph) → the question stems (terms, their family words, synonyms)
    its body candidates hold, built when asked: what `held` reads of a paragraph's tokens
    (ranking reads paragraphs as masks; only the best sentence's and a metadata line's
    coverage read these)."""

    def __init__(self, candidates: "list[tuple[PassageRow | _Candidate, float]]", holds: list[list[str]]) -> None:
        self.holds = holds
        self.members: dict[tuple[str, int], list[int]] = {}
        for i, (row, _) in enumerate(candidates):
            if row.kind == "body":
                self.members.setdefault((row.document, row.paragraph), []).append(i)
        self.built: dict[tuple[str, int], set[str]] = {}

    def get(self, key: tuple[str, int], default: set[str] | None = None) -> set[str] | None:
        if key not in self.members:
            return default
        found = self.built.get(key)
        if found is None:
            found = self.built[key] = {t for i in self.members[key] for t in self.holds[i]}
        return found


class _Coverage:
    """A body sentence's (coverage, own coverage, matched terms), as the ranking computes
    them with `held` and `_weighed`, kept per pattern of what the sentence and its
    paragraph hold (bit masks over the question's terms). ~66 candidates share a handful
    of patterns; the sets are rebuilt from the masks in `term_set`'s order, as `held`
    builds them, so every sum adds the same floats in the same order."""

    def __init__(self, weights: dict[str, float], term_set: set[str], kin: Kin,
                 synonyms_of: dict[str, frozenset[str] | set[str]], total: float) -> None:
        self.weights, self.term_set, self.total = weights, term_set, total
        self.order = list(term_set)
        self.bit = {t: 1 << i for i, t in enumerate(self.order)}
        # stem → [terms it is, terms of whose family it is a word, terms it is a synonym of]
        self.probe: dict[str, list[int]] = {}
        for t, bit in self.bit.items():
            self.probe.setdefault(t, [0, 0, 0])[0] |= bit
            for m in kin[t]:
                self.probe.setdefault(m, [0, 0, 0])[1] |= bit
            for m in synonyms_of[t]:
                self.probe.setdefault(m, [0, 0, 0])[2] |= bit
        self.stems = frozenset(self.probe)
        self.memo: dict[tuple[int, int, int, int, int], tuple[float, float, frozenset[str]]] = {}
        self.owns: dict[tuple[int, int], tuple[float, float, set[str], frozenset[str]]] = {}
        self.seen: dict[tuple[int, int, int, tuple[int, int]], tuple[float, float, frozenset[str]]] = {}

    def masks(self, tokens: Iterable[str]) -> tuple[int, int, int]:
        """(terms the tokens hold, terms a word of whose family they hold — the term itself
        included —, terms a synonym of which they hold), as masks: a paragraph's masks
        are its sentences' or-ed together."""
        exact = family = syn = 0
        for stem in self.stems.intersection(tokens):
            e, f, s = self.probe[stem]
            exact |= e
            family |= f
            syn |= s
        return exact, family, syn

    def of(self, exact: int, family: int, syn: int, paragraph: tuple[int, int]
           ) -> tuple[float, float, frozenset[str]]:
        """(coverage, own coverage, matched terms) of a sentence with these masks in a
        paragraph with these (`held`: a term held exactly is not a family match)."""
        # (first by the masks as given: most candidates repeat another's exactly)
        found = self.seen.get((exact, family, syn, paragraph))
        if found is not None:
            return found
        found = self.seen[(exact, family, syn, paragraph)] = self._of(exact, family, syn, paragraph)
        return found

    def _of(self, exact: int, family: int, syn: int, paragraph: tuple[int, int]
            ) -> tuple[float, float, frozenset[str]]:
        fam = family & ~exact
        rest = ~(exact | fam)
        key = (exact, fam, syn & rest, paragraph[0] & rest, paragraph[1] & ~paragraph[0] & rest)
        found = self.memo.get(key)
        if found is None:
            found = self.memo[key] = self._compute(*key)
        return found

    def _own(self, exact: int, fam: int) -> tuple[float, float, set[str], frozenset[str]]:
        """(own weight, family weight, the terms not held, the terms held), per (exact, fam)."""
        found = self.owns.get((exact, fam))
        if found is None:
            bit, weights = self.bit, self.weights
            # held(term_set, tokens, kin), as sets built in the same order
            own = {t for t in self.term_set if bit[t] & exact}
            rest_list = [t for t in self.term_set if t not in own]
            own_fam = {t for t in rest_list if bit[t] & fam} if rest_list else set()
            rest = self.term_set - own - own_fam
            found = self.owns[(exact, fam)] = (sum(weights[t] for t in own), sum(weights[t] for t in own_fam), rest,
                                               frozenset(own | own_fam))
        return found

    def _compute(self, exact: int, fam: int, syn: int, ctx_exact_m: int, ctx_fam_m: int
                 ) -> tuple[float, float, frozenset[str]]:
        bit, weights = self.bit, self.weights
        own_w, fam_w, rest, matched = self._own(exact, fam)
        # then _weighed: held(rest, paragraph, kin) and the sums, in the same order
        ctx_exact = {t for t in rest if bit[t] & ctx_exact_m}
        ctx_rest = [t for t in rest if t not in ctx_exact]
        ctx_fam = {t for t in ctx_rest if bit[t] & ctx_fam_m} if ctx_rest else set()
        syn_w = sum(weights[t] for t in rest if bit[t] & syn)
        ctx_w = sum(weights[t] for t in ctx_exact) + FAMILY_WEIGHT * sum(weights[t] for t in ctx_fam)
        coverage = _with_context(own_w, fam_w, syn_w, ctx_w) / self.total
        own_coverage = (own_w + FAMILY_RANK_WEIGHT * fam_w + SYN_RANK_WEIGHT * syn_w) / self.total
        return coverage, own_coverage, matched

def evidence(
    hit: Hit,
    weights: dict[str, float],
    tokens: set[str],
    kin: Kin,
    para_tokens: "_ParagraphStems | dict[tuple[str, int], set[str]]",
    synonyms_of: dict[str, frozenset[str] | set[str]],
) -> float:
    """The share of the question (under `weights`) a sentence holds, with its paragraph's
    candidate sentences at CONTEXT_WEIGHT: the ranking's coverage, reweighed for abstention."""
    if hit.passage.kind != "body":
        return hit.coverage
    term_set = set(weights)
    own, own_fam = held(term_set, tokens, kin)
    parts = _weighed(weights, term_set, own, own_fam, tokens, hit.passage, para_tokens, kin, synonyms_of)
    return _with_context(*parts) / (sum(weights.values()) or 1.0)


def candidate_tokens(rows: Iterable[PassageRow]) -> dict[int, list[str]]:
    """Each candidate's token list (`tokenize(row.text)`), as `row_tokens` gives it."""
    return {row.id: list(row_tokens(row)) for row in rows}


def row_tokens(row: PassageRow) -> "tuple[str, ...] | list[str]":
    """A sentence's tokens (`tokenize(row.text)`): the copy the build stored with the row
    (bot/store.py, passages.tokens), so answering does not re-tokenise; the text is
    tokenised only for a row stored without it."""
    return row.tokens if row.tokens is not None else tokenize(row.text)


def _doc_coverage(
    snapshot: Snapshot,
    terms: tuple[str, ...],
    ids: dict[str, int],
    relatives: dict[str, str],
    weights: dict[str, float],
    document: str | None,
) -> float:
    """The largest share of the question's information one article holds (family words count)."""
    expanded = {**relatives, **{t: t for t in terms}}  # stem → the question term it stands for
    # = max over articles of sum(weights[t] for t in {expanded[f] for f in doc_term_sets(...)[doc]})
    #   / (sum(weights.values()) or 1.0), vectorised (tested equal)
    return best_share(snapshot, expanded, ids, weights, document)


_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _one_edit(word: str) -> set[str]:
    """Every string one deletion, transposition, substitution or insertion away."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return ({a + b[1:] for a, b in splits if b}
            | {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
            | {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
            | {a + c + b for a, b in splits for c in _LETTERS}) - {word}


def _respell(snapshot: Snapshot, question: Question, term_ids: dict[str, int]) -> tuple[Question, dict[str, int]]:
    """A question word the articles never use, one typing slip away from one they use
    ("accelerlations", "reconstrution"), is read as that word: the commonest such word wins.
    Names are left alone (the unknown-name rule reads them as written)."""
    fixes: dict[str, str] = {}
    if len(question.terms) >= LONG_TERMS:  # a pasted paragraph is judged by the words the articles use
        return question, term_ids
    for t in question.terms:
        if not MIN_RESPELL <= len(t) <= MAX_RESPELL or not (t.isascii() and t.isalpha()) or t in question.names \
                or _df(snapshot, term_ids.get(t)) > 0:
            continue
        edits = sorted(_one_edit(t))
        found: dict[str, int] = {}
        for i in range(0, len(edits), 400):  # SQLite's bound on variables per statement
            found.update(snapshot.reader.term_ids(edits[i : i + 400]))
        best = max(found, key=lambda c: (_df(snapshot, found[c]), c), default=None)
        if best is not None and _df(snapshot, found[best]) > 0:
            fixes[t] = best
            term_ids[best] = found[best]
    if not fixes:
        return question, term_ids
    terms = tuple(dict.fromkeys(fixes.get(t, t) for t in question.terms))
    return replace(question, terms=terms), term_ids


def _meta_fits(kind: str, question_kind: str) -> bool:
    return (kind == "byline" and question_kind == "author") or (kind == "date" and question_kind in ("published", "when"))


def _meta_terms(kind: str, question: Question) -> set[str]:
    """Question words the metadata line answers by its nature (its hint words)."""
    from bot.build import BYLINE_HINTS, DATE_HINTS

    hints = set(tokenize(BYLINE_HINTS if kind == "byline" else DATE_HINTS))
    return hints & set(question.terms)
