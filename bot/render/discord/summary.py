"""`/summary`: the extractive summary, each sentence quoted and cited."""

from __future__ import annotations

from bot.answers.model import Summary
from bot.render.discord.limits import DESCRIPTION_LIMIT, Embed, fit_embed, plural
from bot.render.discord.markup import footer, join_blocks, title
from bot.render.discord.quote import render_quotes

COLOUR_SUMMARY = 0x6B46C1


def summary_embed(summary: Summary) -> Embed:
    blocks = render_quotes(summary.quotes)
    description = join_blocks(blocks, DESCRIPTION_LIMIT - 100) if blocks else "No article is loaded."
    return fit_embed({
        "title": title("Summary: ", summary.title or "the story"),
        "description": description,
        "color": COLOUR_SUMMARY,
        "footer": footer(f"{plural(len(summary.quotes), 'sentence')} quoted from the articles"),
    })
