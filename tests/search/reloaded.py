"""A generated knowledge base that a test edits between reloads, for the tests of what the
index keeps per position (tests/search/test_row_free_ranking.py, test_row_files.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def live_mask(snap) -> np.ndarray:  # type: ignore[no-untyped-def]
    """True at every position a live document of the snapshot holds."""
    live = np.zeros(len(snap.passage_ids), dtype=np.bool_)
    for s, e in zip(snap.doc_starts.tolist(), snap.doc_ends.tolist()):
        live[s:e] = True
    return live


def edit_three_articles(kb: Path) -> None:
    """One article grows a paragraph, one loses half its text, one is new: a reload then
    writes a delta segment and marks passages deleted in the old one."""
    files = sorted(kb.glob("*.md"))
    files[2].write_text(files[2].read_text() + "\nThe harbour board approved a sixth crane on Friday.\n\n"
                        "Dockers said the crane would arrive in May.\n")
    text = files[5].read_text()
    files[5].write_text(text[: len(text) // 2])
    (kb / "zz-new.md").write_text("---\ntitle: A new pier\ndate: 2025-10-01\nauthor: Ann Example\n---\n\n"
                                  "The council opened a new pier on Monday.\n\nIt cost four million pounds.\n")
