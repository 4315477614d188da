"""`/ask` (and questions by mention): an answer in pages of quotes, or a useful "no".

Pages, not walls: the first page holds the best quotes; "More" pages through the
rest `PAGE_SIZE` at a time, so each page fits a phone's first screen with its
buttons. No timings in public text: they stay in logs and `--json`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from bot.answers.model import Answer, Quote
from bot.render.discord.limits import DESCRIPTION_LIMIT, Embed, cut_markdown, fit_embed, plural
from bot.render.discord.markup import clean, footer, join_blocks, title
from bot.render.discord.quote import render_quotes

COLOUR_ANSWER = 0x2B6CB0
COLOUR_ABSTAIN = 0x718096
PAGE_SIZE = 3
ABSTAIN_TITLE = "The articles don't say"


@dataclass(frozen=True)
class Suggestions:
    """What a user can try after a "no": names `/who` knows, article titles."""

    names: tuple[str, ...] = ()
    titles: tuple[str, ...] = ()


def answer_pages(answer: Answer) -> list[tuple[Quote, ...]]:
    """The first page is the answer's own quotes; "More" pages through the rest."""
    pages = [tuple(answer.quotes)]
    more = list(answer.more)
    for i in range(0, len(more), PAGE_SIZE):
        pages.append(tuple(more[i:i + PAGE_SIZE]))
    return pages


def abstain_embed(suggestions: Suggestions | None = None) -> Embed:
    """One sentence saying so, then what to do next (never the question echoed back, cut)."""
    steps: list[str] = []
    s = suggestions or Suggestions()
    if s.names:
        steps.append("Ask about someone they cover: " + ", ".join(f"`/who {clean(n, 60)}`" for n in s.names[:2]))
    if s.titles:
        steps.append("Or about an article: " + "; ".join(f"*{clean(t, 90)}*" for t in s.titles[:2]))
    steps.append("`/sources` lists every article I answer from.")
    return fit_embed({
        "title": ABSTAIN_TITLE,
        "description": "\n".join(f"- {x}" for x in steps),
        "color": COLOUR_ABSTAIN,
    })


def answer_embed(answer: Answer, *, page: int = 0, extra: Sequence[Quote] = (),
                 suggestions: Suggestions | None = None) -> Embed:
    """One page of an answer (page 0: the answer itself). `extra` adds quotes to page 0
    (kept for callers that show everything at once)."""
    if answer.small_talk or answer.empty:  # "thanks!", or no article loaded: a short reply, no abstention title
        return fit_embed({"description": answer.message, "color": COLOUR_ANSWER})
    if not answer.answered:
        return abstain_embed(suggestions)
    pages = answer_pages(answer)
    page = max(0, min(page, len(pages) - 1))
    quotes = list(pages[page]) + (list(extra) if page == 0 else [])
    blocks = render_quotes(quotes)
    n = len(quotes)
    articles = len({q.document for q in quotes})
    note = f"{plural(n, 'quote')} from {plural(articles, 'article')}"
    if len(pages) > 1:
        note = f"Page {page + 1} of {len(pages)} · " + note
    return fit_embed({
        "title": title("Q: ", answer.query),
        "description": cut_markdown(join_blocks(blocks, DESCRIPTION_LIMIT - 100), DESCRIPTION_LIMIT - 100),
        "color": COLOUR_ANSWER,
        "footer": footer(note),
    })
