"""Files → Document records: parsing, sentence splitting and file safety checks.

The names below are loaded on first use (PEP 562), so a module that needs only
`bot.ingest.entities` or `bot.ingest.files`' scan does not import the parser
(PyYAML, pysbd): a CLI `ask` never parses a file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.ingest.model import Document, Paragraph
    from bot.ingest.parse import ParseError, parse_document

__all__ = ["Document", "Paragraph", "ParseError", "parse_document"]


def __getattr__(name: str) -> Any:
    if name in ("Document", "Paragraph"):
        from bot.ingest import model

        return getattr(model, name)
    if name in ("ParseError", "parse_document"):
        from bot.ingest import parse

        return getattr(parse, name)
    raise AttributeError(f"module 'bot.ingest' has no attribute {name!r}")
