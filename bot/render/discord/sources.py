"""`/sources`: the articles answers come from, for readers: title, outlet, date,
authors, link. Paged (`PAGE_SIZE` a page) so 900 articles are all reachable, never
"…and 850 more not shown". No file ids or passage counts: those are for the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from bot.render.discord.limits import DESCRIPTION_LIMIT, Embed, fit_embed, plural
from bot.render.discord.markup import clean, footer, join_blocks, link

COLOUR_SOURCES = 0xB7791F
PAGE_SIZE = 10


@dataclass(frozen=True)
class SourceRow:
    """What `/sources` shows of one article (built by chat/ from StoredDocument)."""

    id: str
    title: str
    date_text: str | None
    url: str | None
    passages: int = 0
    outlet: str | None = None
    authors: tuple[str, ...] = field(default=())


def page_count(n: int) -> int:
    return max(1, -(-n // PAGE_SIZE))


def source_line(r: SourceRow) -> str:
    name = clean(r.title, 150) or "untitled article"
    head = f"**{link(name, r.url)}**"
    meta = [clean(r.outlet or "", 60), clean(r.date_text or "", 40), clean(", ".join(r.authors[:4]), 120)]
    meta = [m for m in meta if m]
    return head + ("\n-# " + " · ".join(meta) if meta else "")


def sources_embed(rows: Sequence[SourceRow], page: int = 0) -> Embed:
    """One page of the list; newest first is the caller's order."""
    if not rows:
        return {"title": "Sources", "description": "No article is loaded.", "color": COLOUR_SOURCES}
    pages = page_count(len(rows))
    page = max(0, min(page, pages - 1))
    shown = rows[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
    embed: Embed = {
        "title": f"Sources: {plural(len(rows), 'article')}",
        "description": join_blocks([source_line(r) for r in shown], DESCRIPTION_LIMIT - 50),
        "color": COLOUR_SOURCES,
    }
    if pages > 1:
        embed["footer"] = footer(f"Page {page + 1} of {pages}")
    return fit_embed(embed)
