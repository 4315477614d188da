"""Follow-up questions: "and what did he agree in Madrid?" after an answer about He Lifeng.

A follow-up is rewritten before retrieval: pronouns ("he", "she", "they", "it")
and stand-ins ("the company", "the firm") are replaced by the most salient
entity of the previous exchange that fits (a person for "he"/"she", an
organisation for "it"/"the company"), and the article the previous answer
quoted is preferred. The context is a small frozen record; the chat layer keeps
a bounded, expiring map of them (see bot/chat), never an unbounded history.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.answers.model import Answer
from bot.ingest.entities import entity_kind, extract_mentions, name_key
from bot.search.snapshot import Snapshot

_PERSON_PRONOUNS = {"he": "", "him": "", "his": "'s", "she": "", "her": "", "hers": "'s"}
_ORG_PRONOUNS = {"it": "", "its": "'s"}
_ORG_STANDINS = re.compile(r"\bthe\s+(company|firm|group|app|platform|parent company)\b", re.IGNORECASE)
# "the deal" names no one, but it is the deal of the organisation just discussed.
_DEAL_STANDINS = re.compile(r"\bthe\s+(deal|agreement|talks|negotiations|sale|plan)\b", re.IGNORECASE)
_PLURAL_PRONOUNS = {"they": "", "them": "", "their": "'s", "theirs": "'s"}
_LEADING = re.compile(r"^\s*(and|so|but|also|then|ok|okay)\b[\s,]*", re.IGNORECASE)


@dataclass(frozen=True)
class ContextEntity:
    name: str
    kind: str  # person | org | other


@dataclass(frozen=True)
class FollowUpContext:
    """What a follow-up may refer to: the previous question, its entities, its article."""

    question: str
    entities: tuple[ContextEntity, ...]
    document: str | None


def build_context(snapshot: Snapshot, question: str, answer: Answer) -> FollowUpContext:
    """Entities named in the question first, then those in the quoted sentences."""
    seen: dict[str, ContextEntity] = {}

    def add(name: str, role: str) -> None:
        key = name_key(name)
        if not key or key in seen:
            return
        full = _full_name(snapshot, key) or (name, role)
        if any(e.name == full[0] for e in seen.values()):
            return
        seen[key] = ContextEntity(full[0], entity_kind(full[0], full[1] or role))

    for m in extract_mentions(question):
        add(m.name, m.role)
    if answer.quotes:
        ids = [q.passage for q in answer.quotes if q.passage]
        if ids:
            for name, role in snapshot.reader.mentions_in(ids):
                add(name, role)
    document = answer.quotes[0].citation.document if answer.quotes else None
    return FollowUpContext(question, tuple(seen.values())[:12], document)


def _full_name(snapshot: Snapshot, key: str) -> tuple[str, str] | None:
    """The longest recorded name that contains `key`'s words ("Xi" → "Xi Jinping"), with its role."""
    words = set(key.split())
    rows = snapshot.reader.mentions_containing(max(words, key=len))
    best: tuple[str, str] | None = None
    best_len = 0
    roles: dict[str, str] = {}
    for name, k, role in rows:
        if words <= set(k.split()):
            if role:
                roles.setdefault(k, role)
            if len(k.split()) > best_len:
                best, best_len = (name, role or ""), len(k.split())
    if best is not None and not best[1]:
        best = (best[0], roles.get(name_key(best[0]), ""))
    return best


def _first(context: FollowUpContext, kinds: tuple[str, ...]) -> ContextEntity | None:
    for kind in kinds:
        for entity in context.entities:
            if entity.kind == kind:
                return entity
    return None


def rewrite(question: str, context: FollowUpContext) -> str:
    """Replace references to the previous exchange with the names they stand for."""
    text = _LEADING.sub("", question).strip() or question
    person = _first(context, ("person",))
    org = _first(context, ("org",))
    plural = org or person

    def sub(pronouns: dict[str, str], entity: ContextEntity | None, s: str) -> str:
        if entity is None:
            return s
        pattern = re.compile(r"\b(" + "|".join(pronouns) + r")\b", re.IGNORECASE)
        return pattern.sub(lambda m: entity.name + pronouns[m.group(1).lower()], s)

    text = sub(_PERSON_PRONOUNS, person, text)
    text = sub(_ORG_PRONOUNS, org, text)
    text = sub(_PLURAL_PRONOUNS, plural, text)
    if org is not None:
        text = _ORG_STANDINS.sub(org.name, text)
        if org.name.lower() not in text.lower():
            text = _DEAL_STANDINS.sub(lambda m: f"the {org.name} {m.group(1)}", text, count=1)
    return text
