"""Files → Document records: parsing, sentence splitting and file safety checks."""

from bot.ingest.model import Document, Paragraph
from bot.ingest.parse import ParseError, parse_document

__all__ = ["Document", "Paragraph", "ParseError", "parse_document"]
