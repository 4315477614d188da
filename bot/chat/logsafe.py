"""A logging filter that takes interaction tokens out of every record.

Why: at STORYBOT_LOG_LEVEL=DEBUG discord.py logs each HTTP route (the interaction
callback and followup webhook URLs carry the interaction token in their path) and
each raw gateway payload (whose `"token"` field is that token). A token lets anyone
answer, edit or delete the bot's replies for 15 minutes, so none may reach a log
file or `docker logs`. The filter sits on the handler (`runner.configure_logging`),
so it sees records from every logger, discord.py's included, and rewrites the
formatted message (and a traceback's text) with the token replaced.
"""

from __future__ import annotations

import logging
import re
import traceback

REDACTED = "<redacted>"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # /webhooks/<application id>/<interaction token>[/messages/...]
    (re.compile(r"(/webhooks/\d+/)[^/\s'\"?]+"), r"\1" + REDACTED),
    # /interactions/<id>/<token>/callback
    (re.compile(r"(/interactions/\d+/)[^/\s'\"?]+"), r"\1" + REDACTED),
    # "token": "..." in JSON or a repr'd dict (gateway payloads, IDENTIFY, READY)
    (re.compile(r"""(["']token["']\s*:\s*["'])[^"']*(["'])"""), r"\1" + REDACTED + r"\2"),
    (re.compile(r"""(\btoken=)[^\s,)&]+"""), r"\1" + REDACTED),
    # "Authorization: Bot <token>" should it ever be printed
    (re.compile(r"(\bBot\s+)[A-Za-z0-9_\-]{20,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{20,}"), r"\1" + REDACTED),
)


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactTokens(logging.Filter):
    """Rewrites each record so its message and traceback hold no interaction token."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string: keep the raw text
            message = str(record.msg)
        clean = redact(message)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install(handler: logging.Handler) -> None:
    """Put the filter on `handler` (once)."""
    if not any(isinstance(f, RedactTokens) for f in handler.filters):
        handler.addFilter(RedactTokens())
