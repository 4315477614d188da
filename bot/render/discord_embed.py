"""The Discord renderers, re-exported in one place for existing imports.

The code lives in `bot/render/discord/`, one small module per thing rendered
(limits, markup, quote, answer, who, summary, sources, kb). New code should
import from there; this module only keeps older imports working.
"""

from __future__ import annotations

from bot.answers.model import Quote
from bot.render.discord.answer import (
    ABSTAIN_TITLE, COLOUR_ABSTAIN, COLOUR_ANSWER, PAGE_SIZE, Suggestions, abstain_embed, answer_embed, answer_pages,
)
from bot.render.discord.kb import (
    COLOUR_ADMIN, COLOUR_ERROR, audit_line, count_line, display_name, handful, lines_embed, report_embed, status_embed,
)
from bot.render.discord.limits import (
    AUTHOR_NAME_LIMIT, CHOICE_NAME_LIMIT, CHOICE_VALUE_LIMIT, CONTENT_LIMIT, DESCRIPTION_LIMIT, ELLIPSIS,
    EMBED_TOTAL_LIMIT, FIELD_NAME_LIMIT, FIELD_VALUE_LIMIT, FOOTER_LIMIT, MAX_CHOICES, MAX_EMBEDS, MAX_FIELDS,
    TITLE_LIMIT, ZWSP, Embed, cut_markdown, cut_plain, embed_length, fit_content, fit_embed, limit_problems, one_line,
    plural,
)
from bot.render.discord.markup import (
    choice_name, clean, escape, escape_markdown, escape_mentions, footer, highlight, join_blocks, link, mark,
    safe_url, tidy_line, title,
)
from bot.render.discord.quote import QUOTE_BUDGET, render_quotes, source_label
from bot.render.discord.sources import SourceRow, sources_embed
from bot.render.discord.summary import COLOUR_SUMMARY, summary_embed
from bot.render.discord.who import COLOUR_CARD, card_embed


def render_quote(q: Quote, terms: object = (), budget: int = QUOTE_BUDGET) -> str:
    """One quote block with its quiet citation line (`terms` is ignored: the answering
    span, `Quote.marks`, is what is bold)."""
    return render_quotes([q], budget=budget)[0]


__all__ = [
    "ABSTAIN_TITLE", "AUTHOR_NAME_LIMIT", "CHOICE_NAME_LIMIT", "CHOICE_VALUE_LIMIT", "COLOUR_ABSTAIN", "COLOUR_ADMIN",
    "COLOUR_ANSWER", "COLOUR_CARD", "COLOUR_ERROR", "COLOUR_SUMMARY", "CONTENT_LIMIT", "DESCRIPTION_LIMIT", "ELLIPSIS",
    "EMBED_TOTAL_LIMIT", "Embed", "FIELD_NAME_LIMIT", "FIELD_VALUE_LIMIT", "FOOTER_LIMIT", "MAX_CHOICES", "MAX_EMBEDS",
    "MAX_FIELDS", "PAGE_SIZE", "SourceRow", "Suggestions", "TITLE_LIMIT", "ZWSP", "abstain_embed", "answer_embed",
    "answer_pages", "audit_line", "card_embed", "choice_name", "clean", "count_line", "cut_markdown", "cut_plain",
    "display_name", "embed_length", "escape", "escape_markdown", "escape_mentions", "fit_content", "fit_embed",
    "footer", "handful", "highlight", "join_blocks", "limit_problems", "lines_embed", "link", "mark", "one_line",
    "plural", "render_quote", "render_quotes", "report_embed", "safe_url", "source_label", "sources_embed",
    "status_embed", "summary_embed", "tidy_line", "title",
]
