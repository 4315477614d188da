"""Small talk and noise: messages that are not questions about the articles.

"thanks!", "hello", "lol", "?", "@everyone what?" hold no word a question about
a story needs. Searching them quotes whatever shares a word ("thanks" → "We
thank President Xi …"), and saying "the articles don't say" treats them as
questions. They get a short friendly reply instead, decided here once, for the
command line and Discord alike.

The rule is by vocabulary, not by message: a message is small talk when, with
mentions, links, emoji and punctuation taken off, every word left is a
greeting, thanks, farewell, acknowledgement or laugh, or one of the few
function words small talk uses ("thank *you so much*", "*what*?"). One word
outside that ("thanks, who owns TikTok?", "what did he do?") makes it a question.
"""

from __future__ import annotations

import re
import unicodedata

_MARKUP_RE = re.compile(
    r"@(?:everyone|here)\b|<(?:@[!&]?|#)\d+>|<a?:\w+:\d+>|:[a-z0-9_+-]+:|https?://\S+", re.IGNORECASE
)
# Words and numbers: a number is never small talk's ("What is 270?" asks about the text).
_WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")

THANKS = frozenset("thanks thank thankyou thx ty tysm tyvm cheers appreciated appreciate grateful".split())
GREETINGS = frozenset("hi hello hey heya hiya hallo yo sup wassup howdy greetings morning afternoon evening gm".split())
FAREWELLS = frozenset("bye goodbye byebye cya goodnight gn later ciao".split())
_FILLER = frozenset(
    """
    ok okay k kk cool nice great good awesome amazing wow yes yeah yep yup ya no nope nah sure alright
    right fine perfect lol lmao lmfao rofl omg hmm hm huh oh ah uh um er wtf bro dude guys folks
    everyone everybody all bot storybot please pls plz again lot lots well thx man mate friend
    there dear sir ty np
    """.split()
)
# Function words that small talk uses; any other ("did", "he", "when") makes a question.
_SMALL_TALK_GLUE = frozenset("a an the you u your it it's this that so much very too me i my what what's all again for "
                             "there up s are is and to of".split())
_LAUGH_RE = re.compile(r"^(?:a?(?:h+a+)+h*|(?:h+e+)+h*|(?:h+i+)+|l+o+l+[sz]?|l+m+f*a+o+|x+d+|ro+fl|hm+|u+h+|o+h+|a+h+)$")

SMALL_TALK_REPLIES = {
    "thanks": "You're welcome! Ask me anything else about the articles.",
    "greeting": "Hello! Ask me a question about the articles and I'll answer with quotes from them.",
    "farewell": "Bye! Ask me about the articles any time.",
    "noise": "I answer questions about the articles with quotes from them: ask me one.",
}


def _words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", _MARKUP_RE.sub(" ", text)).lower().replace("’", "'")
    return _WORD_RE.findall(text)


def small_talk_kind(text: str) -> str | None:
    """"thanks" / "greeting" / "farewell" / "noise" for a message that asks nothing
    about the articles; None for anything that may be a question."""
    words = _words(text)
    for w in words:
        base = w.split("'")[0]
        if not (w in _SMALL_TALK_GLUE or base in _SMALL_TALK_GLUE or w in THANKS or w in GREETINGS or w in FAREWELLS
                or w in _FILLER or _LAUGH_RE.match(w)):
            return None
    found = set(words)
    if found & THANKS:
        return "thanks"
    if found & FAREWELLS:
        return "farewell"
    if found & GREETINGS:
        return "greeting"
    return "noise"


def small_talk_reply(text: str) -> str | None:
    """The friendly reply to small talk, or None when the message may be a question."""
    kind = small_talk_kind(text)
    return SMALL_TALK_REPLIES[kind] if kind else None
