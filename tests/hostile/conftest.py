"""The hostile suite's fixtures and its summary line.

`pytest_terminal_summary` prints what the suite threw at the bot, e.g.
`hostile: inputs tried: 1234, interactions sent: 230, faults injected: 14, answers lost: 0`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from bot.engine import Engine
from conftest import opened_engine, seeded_folder
from hostile.support import COUNTS, WORST



def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config) -> None:
    if not any(COUNTS.values()):
        return
    terminalreporter.write_line(
        f"hostile: inputs tried: {COUNTS['inputs']}, interactions sent: {COUNTS['interactions']}, "
        f"faults injected: {COUNTS['faults']}, answers lost: {COUNTS['lost']}"
    )
    if COUNTS["attacks"]:
        terminalreporter.write_line(
            f"hostile: attacks tried: {COUNTS['attacks']}, survived: {COUNTS['survived']}"
        )
    terminalreporter.write_line(
        f"hostile: longest input: {int(WORST['longest_input'])} characters, slowest first response: "
        f"{WORST['slowest_response_s']:.2f} s (reported, not asserted: a wall-clock figure)"
    )


@pytest.fixture(scope="module")
def shared_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """One engine over the seed article for a whole module (hypothesis runs many examples)."""
    root = tmp_path_factory.mktemp("hostile-engine")
    yield from opened_engine(seeded_folder(root), root / "storybot.db")


@pytest.fixture
def kb(knowledge_dir: Path) -> Path:
    """A private knowledge folder holding the seed article."""
    return knowledge_dir
