"""Who said what, attributed per document: the rules behind bot/answers/said.py.

Rules, not a model (no parser is available offline), read one document at a
time in order so that references can be resolved against what came before:

- a speech verb outside quotation marks ("said", "wrote", "urged", "told", …)
  takes as speaker the noun phrase just before it (past auxiliaries, adverbs
  and a parenthesis like ", in turn," or ", who chairs …,"), or, inverted, the
  name right after it ("…,” said Priya Raman");
- "according to X", "X learned from Y that" (Y is the source);
- "he"/"she" → the person the text was last about; "the company"/"the firm"
  → the organisation the text last named as a subject (not a possessive:
  in "ByteDance Ltd., TikTok's parent company," the subject is ByteDance);
- a sentence that is only a quotation, right after a direct statement,
  continues it (same speaker);
- a statement is "direct" when quotation marks hold most of the sentence,
  "reported" otherwise ("Trump said the U.S. wanted …").

Short names resolve to the fullest form the articles use for a person
("Xi" → "Xi Jinping"); organisations keep their own name ("TikTok" is not
"TikTok U.S."). Names inside quotation marks are never speakers.

Why in ingest: attributing one article costs milliseconds (its names, then
every sentence in order), and a "What did X say …" question may need two dozen
articles. The build attributes each article once, as it writes it
(`attribute_document`, stored by bot/store.py's `statements` table); answering
reads the stored statements and runs these rules only for an article stored
without them (a database written before the table, or by other rules:
`ATTRIBUTION_VERSION`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple, Protocol, Sequence

from bot.ingest.entities import (
    CORPORATE_SUFFIXES,
    Mention,
    capitalised_words,
    entity_kind,
    extract_mentions,
    name_key,
)
from bot.text.tokenize import is_stopword

# Bump when a rule below changes what is attributed: statements stored under another
# version are not trusted (answering attributes those articles itself until a build
# rewrites them).
ATTRIBUTION_VERSION = "1"


class Sentence(NamedTuple):
    """A body sentence as the build holds it (before the store gives it an id)."""

    id: int
    document: str
    paragraph: int
    sentence: int
    text: str


class SentenceRow(Protocol):
    """What attribution reads of a sentence (bot.store.SentenceRow has these)."""

    @property
    def id(self) -> int: ...
    @property
    def document(self) -> str: ...
    @property
    def paragraph(self) -> int: ...
    @property
    def sentence(self) -> int: ...
    @property
    def text(self) -> str: ...


SPEECH_VERBS = (
    "said|says|say|told|tells|wrote|writes|added|adds|urged|urges|stated|states|noted|notes|argued|argues|"
    "warned|warns|claimed|claims|announced|announces|reiterated|reiterates|stressed|stresses|insisted|"
    "insists|explained|explains|confirmed|confirms|denied|denies|suggested|suggests|predicted|predicts|"
    "countered|replied|responded|posted|tweeted|declared|declares|vowed|vows|pledged|promised|acknowledged|"
    "admitted|emphasized|emphasised|cautioned|complained|maintained|maintains|conceded|estimated|repeated|"
    "asserted|contended|recalled|remarked|commented|retorted|answered"
)
_VERB_RE = re.compile(rf"\b({SPEECH_VERBS})\b")
# The same matches, faster: the verbs grouped by first letter (at most one verb fits
# between two word boundaries at any place, so the order of the alternatives cannot
# change what matches; tests/ingest check it against `_VERB_RE`). The build searches
# every sentence for them.
_VERB_TRIE_RE = re.compile(r"\b(" + "|".join(
    f"{first}(?:{'|'.join(sorted((v[1:] for v in SPEECH_VERBS.split('|') if v[0] == first), key=len, reverse=True))})"
    for first in dict.fromkeys(v[0] for v in SPEECH_VERBS.split("|"))) + r")\b")
_ACCORDING_RE = re.compile(r"\b[Aa]ccording to\s+(?P<np>[^,;:“”\"]{2,120}?)(?=\s*[,;:“”\"]|\.?\s*$)")
_LEARNED_RE = re.compile(r"\b(?:learned|learnt|heard|was told|were told)\s+from\s+(?P<np>.{2,120}?)\s+that\b")
_QUOTE_RE = re.compile(r"“[^”]*”?|\"[^\"]*\"?")
# Between a subject and its verb: auxiliaries and adverbs.
_FILLER = frozenset(
    "had has have would will also later then previously again earlier once repeatedly publicly separately "
    "privately recently initially first reportedly has't had been never already still just further "
    "subsequently then".split()
)
_BOUNDARY_RE = re.compile(
    r"[,;:—–()“”\"]|\b(?:and|but|while|after|before|that|when|as|because|although|whereas|or|since|"
    r"which|who|where|if|though|until)\b"
)
_PRONOUNS = {"he": "person", "she": "person", "they": "group", "it": "org"}
_COMPANY_NOUNS = frozenset(
    "company firm group startup start-up business maker giant conglomerate platform app operator bank "
    "carrier retailer lender insurer automaker chipmaker developer owner parent".split()
)
# Head nouns of speakers the articles do not name ("Chinese officials said", "the ministry said").
_SPEAKER_NOUNS = frozenset(
    "official officials spokesperson spokesman spokeswoman spokespeople administration ministry department "
    "government regulator regulators agency analysts analyst lawmakers legislators executives executive "
    "sources source negotiators diplomats investors experts critics people residents users authorities "
    "committee commission council embassy office court prosecutors lawyers union employees staff statement "
    "secretary minister president ceo chairman board senators representatives democrats republicans "
    "campaign spokespersons observers economists researchers".split()
)
_FAMILIAR_RE = re.compile(
    r"^(?:(?:a|an|the|two|three|several|some|other)\s+)?(?:people|persons?|sources?|officials?|someone|those|"
    r"insiders?)\s+(?:familiar with|close to|briefed on|with knowledge of|involved in|knowledgeable about|"
    r"with direct knowledge of)\b",
    re.IGNORECASE,
)
_LEAD_WORDS = frozenset("the a an spokesperson spokesman spokeswoman analyst economist lawyer official".split())
# Where a reported statement's content ends and a new clause may have its own speaker.
_RESET_RE = re.compile(r";|,\s*(?:while|but|whereas|and)\s|\.\s|[”\"]\s*[,.]?\s*$")
_GERUND_RE = re.compile(r"\b(?:saying|adding|claiming|arguing|insisting|noting|warning|stressing|explaining)\b")
_WHO_RE = re.compile(r",\s*who(?:\s+(?:also|later|then|had|has|have))*\s*$")
_ORG_HEADS = frozenset("house congress senate ministry department office council court agency commission".split())


@dataclass(frozen=True)
class Statement:
    """One attributed sentence. `speaker` is the name as the articles write it in full."""

    speaker: str
    speaker_key: str
    text: str
    document: str
    paragraph: int
    sentence: int
    passage: int
    kind: str  # "direct" | "reported"


# ---------------------------------------------------------------------------- helpers


# What every attribution rule needs in a sentence without quotation marks: a speech verb,
# "according to", "learned from", or a gerund ("saying"). Without one, `_sentence` finds
# no speaker (it looks for each once, and returns early when none is there).


def _quote_spans(text: str) -> list[tuple[int, int]]:
    if "“" not in text and '"' not in text:
        return []  # most sentences: no opening mark, no quotation (the build reads every one)
    return [(m.start(), m.end()) for m in _QUOTE_RE.finditer(text)]


def _inside(pos: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= pos < b for a, b in spans)


def _masked(text: str, spans: list[tuple[int, int]]) -> str:
    """The sentence with quoted words replaced by a boundary mark of the same length."""
    out = list(text)
    for a, b in spans:
        for i in range(a, b):
            out[i] = "”" if i in (a, b - 1) else " "
    return "".join(out)


def _quoted_share(text: str, spans: list[tuple[int, int]]) -> float:
    letters = sum(1 for ch in text if ch.isalnum())
    quoted = sum(1 for a, b in spans for ch in text[a:b] if ch.isalnum())
    return quoted / letters if letters else 0.0


_OPENING_QUOTE_RE = re.compile(r"^\s*[“\"][^”\"]{8,}?[,?!.—-]\s*[”\"]")
_CLOSING_QUOTE_RE = re.compile(r"[:,]\s*[“\"][^”\"]*\s[^”\"]*\s[^”\"]*\s[^”\"]*[”\"]?\s*$")


_COLON_QUOTE_RE = re.compile(r":\s*[“\"](?:[^\s“”\"]+\s+){4,}")  # X told …: "I understand why …


def _is_direct(text: str, spans: list[tuple[int, int]]) -> bool:
    """Quoted words *are* the statement: the sentence opens with a quotation closed by a
    comma or stop ("“We thank …,” the company said"), ends with one introduced by a colon
    or comma ("X said: “…”"), or is nothing but quotations. A few quoted words inside
    reported speech ("he had a “very productive call”") are reported."""
    if not spans:
        return False
    if _OPENING_QUOTE_RE.match(text) or _CLOSING_QUOTE_RE.search(text) or _COLON_QUOTE_RE.search(text):
        return True
    return _quoted_share(text, spans) >= 0.9


def _strip_suffix(name: str) -> str:
    words = name.split()
    while len(words) > 1 and words[-1].lower() in CORPORATE_SUFFIXES:
        words.pop()
    return " ".join(words).rstrip(",")


def speaker_kind(name: str, role: str = "") -> str:
    """person / org / other, with institutions named like people ("White House") as org."""
    words = name.lower().split()
    if words and words[-1] in _ORG_HEADS:
        return "org"
    return entity_kind(name, role)


_HONORIFICS = frozenset("mr mr. mrs mrs. ms ms. dr dr. sir dame lord lady baroness baron".split())


def _split_of(m: Mention) -> Mention:
    """"Marcus Webb of Eastline Capital" speaks as Marcus Webb (a person of an organisation);
    "Mr Howard" as Howard, titled (British style writes "Mr" without a stop)."""
    words = m.name.split()
    if len(words) >= 2 and words[0].lower() in _HONORIFICS:
        rest = " ".join(words[1:])
        return Mention(rest, name_key(rest), m.role or words[0], m.start + len(m.name) - len(rest))
    parts = m.name.split(" of ", 1)
    if len(parts) == 2 and len(parts[0].split()) >= 2 and all(w[:1].isupper() for w in parts[0].split()):
        return Mention(parts[0], name_key(parts[0]), m.role, m.start)
    return m


class _Cast:
    """The names one document uses, to resolve a short name to its fullest person form."""

    def __init__(self, mentions: list[Mention]) -> None:
        self.full: dict[str, str] = {}
        self._resolved: dict[tuple[str, str, str], tuple[str, str, str]] = {}
        by_key: dict[str, str] = {}
        titled: dict[str, str] = {}
        for m in mentions:
            m = _split_of(m)
            if m.key and m.key not in by_key:
                by_key[m.key] = _strip_suffix(m.name)
            if m.key and m.role:
                titled.setdefault(m.key, m.role)
        self.kind = {k: speaker_kind(n, titled.get(k, "")) for k, n in by_key.items()}
        for k, role in titled.items():  # "Mr" / "Baroness" make a person of a one-word name
            if role.lower() in _HONORIFICS and self.kind.get(k) == "other":
                self.kind[k] = "person"
        # "the home secretary" → the person written with that title ("Home Secretary David Blunkett").
        self.by_role: dict[str, str] = {}
        for k, role in titled.items():
            if role.lower() not in _HONORIFICS and self.kind.get(k) == "person":
                self.by_role.setdefault(" ".join(role.lower().split()), k)
        persons = [(other, set(other.split())) for other in by_key if self.kind[other] == "person"]
        for key in by_key:
            words = set(key.split())
            best = key
            for other, other_words in persons:
                if other == key or not words <= other_words:
                    continue
                # A surname ("Trump" → "Donald Trump"), or any part of a titled person's
                # name ("Xi" → President Xi Jinping); not "Harvard" → "Harvard Yard".
                if (other in titled and titled[other].lower() not in _HONORIFICS) or other.split()[-1] == key:
                    if len(other.split()) > len(best.split()):
                        best = other
            self.full[key] = best
        self.names = by_key

    def resolve(self, m: Mention) -> tuple[str, str, str]:
        """(display name, key, kind) of a mention (the same for every mention of one
        name, key and title: remembered, as every sentence's mentions are resolved)."""
        seen = self._resolved.get((m.name, m.key, m.role))
        if seen is None:
            seen = self._resolved[(m.name, m.key, m.role)] = self._resolve(m)
        return seen

    def _resolve(self, m: Mention) -> tuple[str, str, str]:
        m = _split_of(m)
        key = self.full.get(m.key, m.key)
        name = self.names.get(key, _strip_suffix(m.name))
        kind = self.kind.get(key) or speaker_kind(name, m.role)
        if m.role and kind == "other":
            kind = speaker_kind(name, m.role)
        return name, key, kind


@dataclass
class _State:
    person: tuple[str, str] | None = None  # (name, key) the text was last about
    org: tuple[str, str] | None = None
    last_direct: Statement | None = None


_WORDS_RE = re.compile(r"[\w’'.-]+")
_LEADING_CLOSE_RE = re.compile(r"^[”\"]\s")
_INITIAL_NAME_RE = re.compile(r"([A-Z][\w’'-]{2,})\s+([a-z]+)\b")
_NOT_ORG_RE = re.compile(r"\d+|[A-Z][a-z]+day")


def _last_boundary_end(text: str, window: int = 80) -> int:
    """Where the last `_BOUNDARY_RE` match in `text` ends (0: none). Its last `window`
    characters are searched first: a boundary is one mark or one whole word, so the
    matches that start there are the same as in a scan from the start (`\\b` reads the
    character before the search position)."""
    start = 0
    if len(text) > window:
        for b in _BOUNDARY_RE.finditer(text, len(text) - window):
            start = b.end()
        if start:
            return start
    for b in _BOUNDARY_RE.finditer(text):
        start = b.end()
    return start


def _words(text: str) -> list[str]:
    return _WORDS_RE.findall(text)


def _np_speaker(tail: str) -> str | None:
    """An unnamed speaker written as a noun phrase ("Chinese officials", "the commerce
    ministry", "people familiar with the talks"), in lower case after a sentence start."""
    tail = " ".join(tail.split()).strip(" ,")
    if not tail:
        return None
    words = tail.split()
    if not _FAMILIAR_RE.match(tail):
        if len(words) > 6 or words[-1].lower().strip(".’'") not in _SPEAKER_NOUNS:
            return None
    if words[0].lower() in ("the", "a", "an", "people", "sources", "source", "officials", "official", "insiders",
                            "someone", "persons", "person", "those", "some", "several", "two", "three", "other"):
        words[0] = words[0].lower()
    return " ".join(words)


def _initial_names(texts: list[str]) -> frozenset[str]:
    """Sentence-initial words that read as names: "Oracle declined to comment." The entity
    rules only trust a sentence-initial word seen capitalised elsewhere; a subject right
    before a lower-case verb, not an English function word or an inflected form, is one."""
    out: set[str] = set()
    for text in texts:
        m = _INITIAL_NAME_RE.match(text)
        if not m:
            continue
        word, nxt = m.group(1), m.group(2)
        low = word.lower()
        if is_stopword(low) or low.endswith(("s", "ing", "ly", "ed")) or low in _PRONOUNS:
            continue
        if nxt in ("of", "and", "to", "for", "in", "on", "with"):
            continue
        out.add(word)
    return frozenset(out)


class _DocumentReader:
    """Reads one document's sentences in order and yields its statements."""

    def __init__(self, rows: list[SentenceRow], mentions: "Sequence[list[Mention]] | None" = None,
                 known: frozenset[str] | None = None) -> None:
        self.rows = rows
        texts = [r.text for r in rows]
        base = capitalised_words(texts) if known is None else known
        extra = _initial_names(texts) - base
        self.known = base | extra
        if mentions is None or len(mentions) != len(rows) or (extra and not base):
            self.mentions = {r.id: extract_mentions(r.text, self.known) for r in rows}
        else:
            # `known` only decides a sentence-initial word's fate: a sentence holding none
            # of the extra words has the mentions the build found with `base`.
            self.mentions = {r.id: extract_mentions(r.text, self.known) if extra and any(w in r.text for w in extra)
                             else list(found) for r, found in zip(rows, mentions)}
        self.cast = _Cast([m for r in rows for m in self.mentions[r.id]])

    def statements(self) -> list[Statement]:
        state = _State()
        out: list[Statement] = []
        prev: SentenceRow | None = None
        for row in self.rows:
            found = self._sentence(row, state, prev)
            out.extend(found)
            self._update_state(row, state, found)
            prev = row
        return out

    # -- one sentence ----------------------------------------------------------------
    def _sentence(self, row: SentenceRow, state: _State, prev: SentenceRow | None) -> list[Statement]:
        text = row.text
        if _LEADING_CLOSE_RE.match(text):
            # A closing mark left over from the sentence before: not the start of a quotation.
            text = " " + text[1:]
        spans = _quote_spans(text)
        masked = _masked(text, spans) if spans else text
        # Each cue is looked for once (the rules below read these matches); a literal every
        # match must hold is checked first, as most sentences hold no cue.
        phrases = [m for rx, needle in ((_ACCORDING_RE, "ccording to"), (_LEARNED_RE, "from")) if needle in masked
                   for m in rx.finditer(masked)]
        gerund = _GERUND_RE.search(masked) if "ing" in masked else None
        verbs = list(_VERB_TRIE_RE.finditer(masked))
        if not spans and not (verbs or gerund or phrases):
            return []  # no quotation and no cue any rule below starts from: nobody speaks here
        kind = "direct" if _is_direct(text, spans) else "reported"
        mentions = [m for m in self.mentions[row.id] if not _inside(m.start, spans)] if spans \
            else list(self.mentions[row.id])
        speakers: list[tuple[str, str]] = []

        def add(found: tuple[str, str] | None) -> None:
            if found and found[1] and found not in speakers:
                speakers.append(found)

        for m in phrases:
            add(self._from_phrase(m.group("np"), m.start("np"), mentions, state, allow_np=True, head_only=True))
        open_from: int | None = None  # inside what someone is reported to have said
        for m in verbs:
            if gerund is not None and open_from is None and gerund.end() <= m.start():
                open_from = gerund.end()
            if open_from is not None and not _RESET_RE.search(masked, open_from, m.start()):
                continue  # "X said Y had complained …": Y's words are X's report, not a statement of Y's
            found = self._subject_before(masked, m.start(), mentions, state) or self._subject_after(masked, m.end(), mentions, state)
            add(found)
            if found:
                open_from = m.end()

        if not speakers and gerund is not None and mentions and mentions[0].start <= 4:
            # "Mr Blunkett declined to comment, saying …": the sentence's subject speaks.
            first = mentions[0]
            name, key, k = self.cast.resolve(first)
            if k in ("person", "org") and first.start + len(first.name) < gerund.start():
                speakers.append((name, key))
        if not speakers and kind == "direct" and self._quote_only(text, spans):
            last = state.last_direct
            if last is not None and prev is not None and last.passage == prev.id:
                speakers.append((last.speaker, last.speaker_key))
        return [Statement(name, key, row.text, row.document, row.paragraph, row.sentence, row.id, kind)
                for name, key in speakers]

    @staticmethod
    def _quote_only(text: str, spans: list[tuple[int, int]]) -> bool:
        outside = _masked(text, spans)
        return not re.search(r"[A-Za-z]{2,}", outside.replace("”", ""))

    def _subject_before(self, masked: str, verb_at: int, mentions: list[Mention], state: _State) -> tuple[str, str] | None:
        pre = masked[:verb_at].rstrip()
        who = _WHO_RE.search(pre)
        if who:  # "… by Mr Mandelson, who said …": the name before the relative pronoun
            before = [m for m in mentions if m.start + len(m.name) <= who.start() and
                      not pre[m.start + len(m.name) : who.start()].strip(" .")]
            if before:
                name, key, _ = self.cast.resolve(before[-1])
                return name, key
            return None
        # Drop a parenthesis between subject and verb: ", in turn," / ", who chairs …,".
        for _ in range(2):
            if pre.endswith(","):
                inner = pre[:-1]
                cut = max(inner.rfind(","), inner.rfind("”"))
                if cut <= 0:
                    break
                pre = inner[:cut].rstrip()
        words = pre.split()
        while words and words[-1].lower() in _FILLER:
            words.pop()
        if not words:
            return None
        pre = pre[: pre.rfind(words[-1]) + len(words[-1])]
        start = _last_boundary_end(pre)
        tail = pre[start:]
        if not tail.strip():
            return None
        return self._from_phrase(tail, start, mentions, state, allow_np=True, ends_at=len(pre))

    def _subject_after(self, masked: str, verb_end: int, mentions: list[Mention], state: _State) -> tuple[str, str] | None:
        """Inverted attribution: "…,” said Priya Raman, an analyst" / "said the company"."""
        before = masked[:verb_end].rstrip()
        head = masked[:max(0, verb_end - 12)].rstrip()
        if not (head.endswith(("”", ",", "\"")) or before.endswith(("”", ","))):
            # "said" must follow a quotation or a comma to be inverted
            if not re.search(r"[”\"],?\s*\w+$", before):
                return None
        rest = masked[verb_end:]
        m = re.match(r"\s*(?P<np>[^,;:.”“\"]{2,80})", rest)
        if not m:
            return None
        np = m.group("np")
        at = verb_end + m.start("np")
        for mention in mentions:
            if at <= mention.start < at + 4:
                name, key, _ = self.cast.resolve(mention)
                return name, key
        return self._from_phrase(np, at, [], state, allow_np=True)

    def _from_phrase(
        self,
        phrase: str,
        at: int,
        mentions: list[Mention],
        state: _State,
        *,
        allow_np: bool,
        ends_at: int | None = None,
        head_only: bool = False,
    ) -> tuple[str, str] | None:
        """The speaker a short phrase names: a recorded name, a pronoun, "the company", or a noun phrase.
        `head_only`: the name must head the phrase ("according to Rep. Tom Hadley", not
        "according to terms of the deal that emerged after President Donald Trump signed …")."""
        end = at + len(phrase)
        inside = [m for m in mentions if at <= m.start < end]
        if head_only and inside:
            lead = phrase[: inside[0].start - at]
            if any(w[:1].islower() and w.lower() not in _LEAD_WORDS for w in _words(lead)):
                inside = []
            else:
                inside = inside[:1]
        if inside:
            m = inside[-1]
            # Only auxiliaries may stand between the name and the verb.
            tail_after = phrase[m.start - at + len(m.name) :] if ends_at is not None else ""
            extra = [w for w in _words(tail_after) if w.lower() not in _FILLER and w.lower() not in ("ltd.", "inc.", "corp.", "co.")]
            if not extra or ends_at is None:
                name, key, _ = self.cast.resolve(m)
                return name, key
        words = _words(phrase)
        if not words:
            return None
        low = [w.lower() for w in words]
        if len(low) == 1 and low[0] in _PRONOUNS:
            want = _PRONOUNS[low[0]]
            if want == "person":
                return state.person
            return None  # "it said" / "they said" are too often not who was last named
        if len(low) <= 3 and low[0] in ("the", "this") and low[-1] in _COMPANY_NOUNS:
            return state.org
        if low[0] == "the" and 2 <= len(low) <= 4:
            role = " ".join(low[1:])
            titled = next((k for r, k in self.cast.by_role.items() if r == role or r.endswith(" " + role)), None)
            if titled is not None:
                return self.cast.names[titled], titled
        if allow_np:
            np = _np_speaker(phrase)
            if np:
                return np, name_key(np)
        return None

    # -- what the text is about, for the next sentence's "he" and "the company" -----------
    def _update_state(self, row: SentenceRow, state: _State, found: list[Statement]) -> None:
        if not found and not self.mentions[row.id]:
            state.last_direct = None  # nobody named, nobody speaking: only the quotation chain ends
            return
        spans = _quote_spans(row.text)
        persons: list[tuple[str, str]] = []
        orgs: list[tuple[str, str]] = []
        for m in self.mentions[row.id]:
            if _inside(m.start, spans):
                continue
            after = row.text[m.start + len(m.name) : m.start + len(m.name) + 2]
            possessive = after.startswith(("’s", "'s"))
            name, key, kind = self.cast.resolve(m)
            if kind == "person":
                persons.append((name, key))
            elif not possessive and not _NOT_ORG_RE.fullmatch(name):
                orgs.append((name, key))
        named_speakers = [(s.speaker, s.speaker_key) for s in found if self.cast.kind.get(s.speaker_key) == "person"]
        if named_speakers:
            state.person = named_speakers[-1]
        elif persons:
            state.person = persons[0]
        if orgs:
            org_first = sorted(orgs, key=lambda o: 0 if self.cast.kind.get(o[1]) == "org" else 1)
            state.org = org_first[0] if not named_speakers else state.org or org_first[0]
            if not named_speakers:
                state.org = org_first[0]
        direct = [s for s in found if s.kind == "direct"]
        state.last_direct = direct[-1] if direct else None


def attribute_document(rows: "Sequence[SentenceRow]",
                       mentions: "Sequence[list[Mention]] | None" = None,
                       known: frozenset[str] | None = None) -> list[Statement]:
    """Every statement in one document's body sentences (in reading order).

    `mentions` / `known`: what the build already found per sentence with
    `extract_mentions(text, capitalised_words(texts))`; only the sentences that
    `_initial_names` could change are read again (the result is the same)."""
    return _DocumentReader(list(rows), mentions, known).statements()
