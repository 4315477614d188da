"""Buttons that survive restarts: answer pages (More / Previous / Next), 👍 / 👎,
and `/sources` pages.

Why `discord.ui.DynamicItem`: a view held in memory dies with the process, and a
click on an answer from before a restart got "This interaction failed". Each
button's custom id carries what it needs: `sb:page:<key>:<page>`,
`sb:vote:<key>:<page>:<u|d>`, `sb:src:<page>`. `key` names the answer, kept in the
database (`answers` table, via the journal) and in a small in-memory cache, so a
click never re-runs the search and pages exactly what was answered, even after
the articles changed or the bot restarted. The classes are registered once at
start-up (`register`), so clicks on old messages find them.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections import OrderedDict
from typing import Any

import discord

from bot.answers.model import Answer, answer_from_dict, answer_to_dict
from bot.chat.errors import describe_error
from bot.chat.respond import NO_PINGS, to_discord
from bot.render.discord.answer import answer_embed, answer_pages
from bot.render.discord.sources import SourceRow, page_count, sources_embed
from bot.store import StoreError

log = logging.getLogger(__name__)

VIEW_TIMEOUT = None  # persistent: the buttons work as long as the answer is kept
RECENT_ANSWERS = 512  # in-memory cache in front of the database
_recent: "OrderedDict[str, Answer]" = OrderedDict()
_voted: "OrderedDict[tuple[str, int], None]" = OrderedDict()  # one vote per person per answer (this process)
_pending: set[asyncio.Task[Any]] = set()

GONE = "That answer is no longer kept; please ask again."


def answer_key(answer: Answer) -> str:
    """A stable name for an answer: the hash of what it shows (16 hex digits)."""
    body = json.dumps(answer_to_dict(answer), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]


def _journal(engine: Any) -> Any | None:
    if not hasattr(type(engine), "journal") and not hasattr(engine, "journal"):
        return None
    return engine


def remember(engine: Any, answer: Answer) -> str:
    """Keep `answer` for its buttons: in memory now, in the database in the background."""
    key = answer_key(answer)
    _recent[key] = answer
    _recent.move_to_end(key)
    while len(_recent) > RECENT_ANSWERS:
        _recent.popitem(last=False)
    if _journal(engine) is not None:
        body = json.dumps(answer_to_dict(answer), ensure_ascii=False)

        def save() -> None:
            journal = engine.journal  # may open the database: in the worker thread
            if hasattr(journal, "save_answer"):
                journal.save_answer(key, body)

        async def save_async() -> None:
            try:
                await asyncio.to_thread(save)
            except (StoreError, OSError) as exc:
                log.warning("answer %s not kept for its buttons: %s", key, exc)

        try:
            task = asyncio.get_running_loop().create_task(save_async())
        except RuntimeError:  # no loop (a synchronous caller): save now
            try:
                save()
            except (StoreError, OSError) as exc:
                log.warning("answer %s not kept for its buttons: %s", key, exc)
        else:
            _pending.add(task)
            task.add_done_callback(_pending.discard)
    return key


async def recall(engine: Any, key: str) -> Answer | None:
    """The answer a button names: from memory, else from the database."""
    if key in _recent:
        return _recent[key]
    if _journal(engine) is None:
        return None

    def load() -> str | None:
        journal = engine.journal
        return journal.load_answer(key) if hasattr(journal, "load_answer") else None

    body = await asyncio.to_thread(load)
    if body is None:
        return None
    answer = answer_from_dict(json.loads(body))
    _recent[key] = answer
    return answer


def passage_refs(answer: Answer, shown_more: bool | int) -> list[str]:
    """What was shown, as "document¶N" strings (the journal stores no user ids).
    `shown_more`: the last page seen (True means every page)."""
    pages = answer_pages(answer)
    last = len(pages) - 1 if shown_more is True else int(shown_more)
    quotes = [q for page in pages[: last + 1] for q in page]
    return [f"{q.document}¶{q.paragraph}" for q in quotes]


async def _reply_error(interaction: discord.Interaction, exc: Exception) -> None:
    reply = describe_error(exc)
    if reply.unexpected:
        log.error("unexpected error in a button", exc_info=exc)
    send = interaction.followup.send if interaction.response.is_done() else interaction.response.send_message
    try:
        await send(reply.message, ephemeral=True, allowed_mentions=NO_PINGS)
    except discord.HTTPException:
        pass


def _engine(interaction: discord.Interaction) -> Any:
    return getattr(interaction.client, "engine", None)


class PageButton(discord.ui.DynamicItem[discord.ui.Button], template=r"sb:page:(?P<key>[0-9a-f]{16}):(?P<page>\d{1,3})"):
    """More / Previous / Next: show page `page` of answer `key`."""

    def __init__(self, key: str, page: int, label: str = "More", disabled: bool = False) -> None:
        super().__init__(discord.ui.Button(label=label, style=discord.ButtonStyle.secondary,
                                           custom_id=f"sb:page:{key}:{page}", disabled=disabled))
        self.key, self.page = key, page

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button, match: Any) -> "PageButton":  # type: ignore[override]
        return cls(match["key"], int(match["page"]), item.label or "More", item.disabled)

    async def callback(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        try:
            answer = await recall(_engine(interaction), self.key)
            if answer is None:
                await interaction.response.send_message(GONE, ephemeral=True, allowed_mentions=NO_PINGS)
                return
            embed = answer_embed(answer, page=self.page)
            await interaction.response.edit_message(embed=to_discord(embed), view=answer_view(self.key, answer, self.page),
                                                    allowed_mentions=NO_PINGS)
        except Exception as exc:  # noqa: BLE001 - a dynamic item's errors are otherwise only logged
            await _reply_error(interaction, exc)


class VoteButton(discord.ui.DynamicItem[discord.ui.Button], template=r"sb:vote:(?P<key>[0-9a-f]{16}):(?P<page>\d{1,3}):(?P<vote>[ud])"):
    """👍 / 👎 on answer `key`, after its pages up to `page` were seen."""

    def __init__(self, key: str, page: int, vote: str) -> None:
        super().__init__(discord.ui.Button(emoji="👍" if vote == "u" else "👎", style=discord.ButtonStyle.secondary,
                                           custom_id=f"sb:vote:{key}:{page}:{vote}"))
        self.key, self.page, self.vote = key, page, vote

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button, match: Any) -> "VoteButton":  # type: ignore[override]
        return cls(match["key"], int(match["page"]), match["vote"])

    async def callback(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        try:
            await self._vote(interaction)
        except Exception as exc:  # noqa: BLE001
            await _reply_error(interaction, exc)

    async def _vote(self, interaction: discord.Interaction) -> None:
        who = (self.key, interaction.user.id)
        if who in _voted:
            await interaction.response.send_message("You already rated this answer. Thanks!", ephemeral=True, allowed_mentions=NO_PINGS)
            return
        engine = _engine(interaction)
        answer = await recall(engine, self.key)
        if answer is None or _journal(engine) is None:
            await interaction.response.send_message(GONE, ephemeral=True, allowed_mentions=NO_PINGS)
            return
        _voted[who] = None
        while len(_voted) > 10_000:
            _voted.popitem(last=False)
        refs = passage_refs(answer, self.page)
        vote = 1 if self.vote == "u" else -1
        try:
            await asyncio.to_thread(lambda: engine.journal.record_feedback(answer.query, answer.answered, vote, refs))
        except StoreError as exc:
            log.warning("feedback not recorded: %s", exc)
            _voted.pop(who, None)
            await interaction.response.send_message("I couldn't record that just now; please try later.", ephemeral=True, allowed_mentions=NO_PINGS)
            return
        await interaction.response.send_message("Thanks for the feedback!", ephemeral=True, allowed_mentions=NO_PINGS)


def answer_view(key: str, answer: Answer, page: int = 0, *, votes: bool = True) -> discord.ui.View:
    """The buttons for one page of an answer, all in one row (the first screen)."""
    view = discord.ui.View(timeout=None)
    pages = len(answer_pages(answer)) if answer.answered else 1
    if pages > 1:
        if page == 0:
            view.add_item(PageButton(key, 1, "More"))
        else:
            view.add_item(PageButton(key, page - 1, "Previous"))
            view.add_item(PageButton(key, page + 1, "Next", disabled=page + 1 >= pages))
    if votes:
        view.add_item(VoteButton(key, page, "u"))
        view.add_item(VoteButton(key, page, "d"))
    return view


class AnswerView(discord.ui.View):
    """The first page's buttons under an answer (`/ask`, mentions). Persistent: the
    buttons are dynamic items, so no state lives in this object."""

    def __init__(self, engine: Any, answer: Answer, *, timeout: float | None = None) -> None:
        super().__init__(timeout=timeout)
        self.engine = engine
        self.answer = answer
        self.key = remember(engine, answer)
        self.message: discord.Message | discord.InteractionMessage | None = None
        for item in answer_view(self.key, answer, 0, votes=_journal(engine) is not None).children:
            self.add_item(item)


class SourcesPageButton(discord.ui.DynamicItem[discord.ui.Button], template=r"sb:src:(?P<page>\d{1,4}):(?P<dir>[pn])"):
    """Previous / Next through `/sources`; the list is read afresh on each click."""

    def __init__(self, page: int, direction: str, disabled: bool = False) -> None:
        super().__init__(discord.ui.Button(label="Previous" if direction == "p" else "Next", style=discord.ButtonStyle.secondary,
                                           custom_id=f"sb:src:{page}:{direction}", disabled=disabled))
        self.page = page

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button, match: Any) -> "SourcesPageButton":  # type: ignore[override]
        return cls(int(match["page"]), match["dir"], item.disabled)

    async def callback(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        try:
            docs = await asyncio.to_thread(_engine(interaction).documents)
            rows = source_rows(docs)
            page = max(0, min(self.page, page_count(len(rows)) - 1))
            await interaction.response.edit_message(embed=to_discord(sources_embed(rows, page)),
                                                    view=sources_view(len(rows), page), allowed_mentions=NO_PINGS)
        except Exception as exc:  # noqa: BLE001
            await _reply_error(interaction, exc)


def source_rows(docs: Any) -> list[SourceRow]:
    """Newest article first."""
    rows = [SourceRow(d.id, d.title, d.date_text, d.url, d.passages, getattr(d, "source", None), tuple(getattr(d, "authors", ()) or ()))
            for d in docs]
    return list(reversed(rows))


def sources_view(n_rows: int, page: int) -> discord.ui.View | None:
    pages = page_count(n_rows)
    if pages <= 1:
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(SourcesPageButton(max(0, page - 1), "p", disabled=page == 0))
    view.add_item(SourcesPageButton(page + 1, "n", disabled=page + 1 >= pages))
    return view


DYNAMIC_ITEMS = (PageButton, VoteButton, SourcesPageButton)


def register(bot: discord.Client) -> None:
    """Make clicks on any earlier message find their buttons (call once at start-up)."""
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
