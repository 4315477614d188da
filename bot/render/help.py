"""The help text: what StoryBot does, each command with an example, how to ask,
where the articles come from. One text for `/help` (Discord) and `python -m bot --help`.

Why plain records in, plain text out: the Discord layer lists the commands from
its own command tree (so a new command shows up by itself, with its own
description) and the CLI lists its subcommands; neither list is written twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

INTRO = (
    "StoryBot answers questions about a news story with quotes from the articles, each cited (article, paragraph).",
    "It never writes text of its own: when the articles don't answer, it says so.",
)

HOW_TO_ASK = (
    "Ask with a slash command, or mention the bot: “@StoryBot who is He Lifeng?”. "
    "Reply to one of its answers to follow up (“and what did he agree in Madrid?”); in a DM just type."
)


@dataclass(frozen=True)
class HelpCommand:
    """One command as the help shows it: `/name` (or `name` in a terminal), what it
    does, one example, and whether only moderators may use it."""

    name: str
    description: str
    example: str
    moderators_only: bool = False


@dataclass(frozen=True)
class ArticlesInfo:
    """Where the answers come from: how many articles are loaded and the latest one."""

    count: int
    latest_title: str | None = None
    latest_date: str | None = None


def articles_line(info: ArticlesInfo | None) -> str:
    if info is None:
        return "Articles: the knowledge base is not available right now."
    if info.count == 0:
        return "Articles: none loaded yet; moderators add them with /kb add."
    latest = ""
    if info.latest_title:
        when = f" ({info.latest_date})" if info.latest_date else ""
        latest = f"; the latest: “{info.latest_title}”{when}"
    plural = "article" if info.count == 1 else "articles"
    return f"Articles: {info.count} {plural} chosen by the moderators{latest}."


def command_lines(commands: Sequence[HelpCommand], *, moderator: bool, prefix: str = "/") -> list[str]:
    """One line per command the reader may use: `/name — description · e.g. example`."""
    lines = []
    for c in commands:
        if c.moderators_only and not moderator:
            continue
        example = f" · e.g. `{c.example}`" if c.example else ""
        lines.append(f"`{prefix}{c.name}` — {c.description}{example}")
    return lines


def help_text(commands: Sequence[HelpCommand], info: ArticlesInfo | None, *, moderator: bool) -> str:
    """The whole help as Markdown (Discord renders it; a terminal reads it fine)."""
    parts = ["\n".join(INTRO), "", "**Commands**", *command_lines(commands, moderator=moderator), "",
             "**Asking**", HOW_TO_ASK, "", articles_line(info)]
    return "\n".join(parts)


def cli_description() -> str:
    """The opening of `python -m bot --help`: the same intro, how to ask, and where
    the articles come from (the folder: --help opens no database)."""
    return ("\n".join(INTRO) + "\n\nOn Discord: " + HOW_TO_ASK + "\n\n"
            "Articles: the .md/.txt files in the knowledge folder (STORYBOT_KNOWLEDGE_DIR, default ./knowledge); "
            "`storybot sources` lists the loaded ones.")
