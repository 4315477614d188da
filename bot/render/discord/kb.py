"""Moderators' embeds: a reload report, the status, the audit log and other lists.

Counts first ("911 added, 2 changed, 1 refused"), then at most `HANDFUL` names
per kind with "and N more": a reload of 900 files is a summary, not a wall.
"""

from __future__ import annotations

import re
from typing import Any, Sequence

from bot.render.discord.limits import (
    DESCRIPTION_LIMIT, FIELD_VALUE_LIMIT, ZWSP, Embed, cut_markdown, fit_embed, one_line, plural,
)
from bot.render.discord.markup import clean, join_blocks, tidy_line, title

COLOUR_ADMIN = 0xB7791F
COLOUR_ERROR = 0xC53030
HANDFUL = 5


def count_line(report: Any) -> str:
    """"911 added, 2 changed, 1 removed, 1 refused", or "Nothing changed"."""
    parts = [f"{len(getattr(report, k, []) or []):,} {label}"
             for k, label in (("added", "added"), ("changed", "changed"), ("removed", "removed"), ("failed", "refused"))
             if getattr(report, k, None)]
    return ", ".join(parts) if parts else "Nothing changed"


def handful(items: Sequence[str], n: int = HANDFUL) -> str:
    """"a, b, c, d, e and 906 more"."""
    shown = ", ".join(items[:n])
    return shown + (f" and {len(items) - n:,} more" if len(items) > n else "")


def report_embed(heading: str, report: Any) -> Embed:
    """A build report (`/kb reload`, `/kb add`). `report` is duck-typed (a BuildReport)."""
    added = [str(i) for i in getattr(report, "added", []) or []]
    changed = [str(i) for i in getattr(report, "changed", []) or []]
    removed = [str(i) for i in getattr(report, "removed", []) or []]
    failed = list(getattr(report, "failed", []) or [])
    lines = [f"**{count_line(report)}**"]
    docs = getattr(report, "documents", None)
    if docs is not None:
        lines.append(f"{plural(int(docs), 'article')} and {plural(int(getattr(report, 'passages', 0) or 0), 'sentence')} now answer questions.")
    fields = []
    for label, items in (("Added", added), ("Changed", changed), ("Removed", removed)):
        if items:
            fields.append({"name": label, "value": cut_markdown(clean(handful(items), FIELD_VALUE_LIMIT), FIELD_VALUE_LIMIT), "inline": False})
    if failed:
        shown = [f"{clean(str(f), 80)}: {clean(str(r), 150)}" for f, r in failed[:HANDFUL]]
        if len(failed) > HANDFUL:
            shown.append(f"and {len(failed) - HANDFUL:,} more")
        fields.append({"name": "Refused", "value": cut_markdown("\n".join(shown), FIELD_VALUE_LIMIT), "inline": False})
    return fit_embed({
        "title": title("", heading),
        "description": "\n".join(lines),
        "color": COLOUR_ERROR if failed else COLOUR_ADMIN,
        "fields": fields,
    })


def status_embed(documents: int, passages: int, last_reload: str, last_duration_ms: float | None,
                 extra: Sequence[tuple[str, str]] = ()) -> Embed:
    """`/kb status` (moderators only, ephemeral): counts and the last reload."""
    fields = [
        {"name": "Articles", "value": str(documents), "inline": True},
        {"name": "Passages", "value": str(passages), "inline": True},
        {"name": "Last reload", "value": last_reload, "inline": False},
        {"name": "Reload took", "value": f"{last_duration_ms:.0f} ms" if last_duration_ms is not None else "—", "inline": True},
    ]
    fields += [{"name": clean(k, 200) or "—", "value": clean(v, 1000) or "—", "inline": False} for k, v in extra]
    return fit_embed({"title": "Knowledge base", "color": COLOUR_ADMIN, "fields": fields})


_ID_SUFFIX_RE = re.compile(r"\s*\(\d{5,}\)\s*$")


def display_name(actor: str) -> str:
    """The moderator's name as stored ("alice (123456789012345678)") without the raw id."""
    return _ID_SUFFIX_RE.sub("", one_line(actor)) or "someone"


def audit_line(at: float, actor: str, action: str, target: str, result: str, detail: str = "") -> str:
    """One `/kb log` line: when, who (no raw id), what, result."""
    line = f"<t:{int(at)}:R> **{clean(display_name(actor), 80)}** {clean(action, 40)}"
    if target:
        line += f" {clean(target, 120)}"
    line += f": {clean(result, 40)}"
    if detail:
        line += f" — {clean(detail, 200)}"
    return line


def lines_embed(heading: str, lines: Sequence[str], *, empty: str = "Nothing yet.") -> Embed:
    """A titled list of lines (`/kb log`, `/kb gaps`), one line each, tidied (`tidy_line`)."""
    description = join_blocks([tidy_line(x) for x in lines], DESCRIPTION_LIMIT - 50).replace("\n\n", "\n") if lines else empty
    return fit_embed({"title": title("", heading) or "List", "description": cut_markdown(description, DESCRIPTION_LIMIT),
                      "color": COLOUR_ADMIN})


__all__ = ["ZWSP", "audit_line", "count_line", "display_name", "handful", "lines_embed", "report_embed", "status_embed"]
