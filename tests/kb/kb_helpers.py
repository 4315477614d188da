"""Helpers shared by the knowledge-base tests (import as `kb.kb_helpers`)."""

from __future__ import annotations

import os
from pathlib import Path

KB_DATA = Path(__file__).resolve().parent / "data"
SECOND_ID = "tiktok-us-joint-venture-oracle"
SECOND_MD = KB_DATA / f"{SECOND_ID}.md"
SECOND_TITLE = "Oracle to Anchor New TikTok U.S. Joint Venture as Deal Terms Emerge"
SEED_TITLE = "TikTok Discussions Advance as Xi and Trump Speak by Phone"


def article(title: str, date: str, *paragraphs: str, authors: str = "Test Desk") -> bytes:
    """A small Markdown article with front matter."""
    body = "\n\n".join(paragraphs)
    return f"---\ntitle: {title}\ndate: {date}\nauthors: [{authors}]\n---\n{body}\n".encode()


def write_file(path: Path, data: bytes) -> None:
    """Replace a file atomically (what an editor or `cp` + `mv` does)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
