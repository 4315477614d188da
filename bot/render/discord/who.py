"""`/who`: an entity card: the name, its role, other spellings, the defining quotes."""

from __future__ import annotations

from bot.answers.model import EntityCard
from bot.render.discord.answer import ABSTAIN_TITLE, COLOUR_ABSTAIN
from bot.render.discord.limits import DESCRIPTION_LIMIT, Embed, fit_embed, plural
from bot.render.discord.markup import clean, footer, join_blocks, title
from bot.render.discord.quote import render_quotes

COLOUR_CARD = 0x2F855A


def card_embed(card: EntityCard) -> Embed:
    if not card.answered:  # the verdict once (the title), then what to do next
        return fit_embed({
            "title": ABSTAIN_TITLE,
            "description": "- Start typing a name in `/who` to see the people and organisations they mention.\n"
                           "- `/sources` lists every article I answer from.",
            "color": COLOUR_ABSTAIN,
        })
    head: list[str] = []
    role = clean(card.role, 200)
    if role:
        head.append(f"*{role}*")
    aliases = clean(", ".join(a for a in card.aliases if a.strip()), 400)
    if aliases:
        head.append("-# Also written: " + aliases)
    blocks = ["\n".join(head)] if head else []
    blocks += render_quotes(card.quotes)
    if not card.quotes:
        blocks.append("The articles name this, but say nothing more about it.")
    return fit_embed({
        "title": title("", card.name or card.query) or "Who?",
        "description": join_blocks(blocks, DESCRIPTION_LIMIT - 100),
        "color": COLOUR_CARD,
        "footer": footer(f"{plural(len(card.quotes), 'quote')} from the articles"),
    })
