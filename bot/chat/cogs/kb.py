"""Moderator commands: /kb reload, status, add, remove, restore, log, gaps.

Why two permission layers: `default_permissions=manage_guild` hides `/kb` in the
client for people without Manage Server, but server admins can override that in
Integrations settings and a client can be bypassed, so `moderator_only()` checks
again on our side (Manage Server, or a role in STORYBOT_MOD_ROLE_IDS). `guild_only`
keeps `/kb` out of DMs, where there is no server to moderate.

Replies are ephemeral: they are for the moderator, not for the channel. Long work
(reload, upload) defers first: a reload of many articles can pass Discord's 3 s.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.ext import commands

from bot.build import BuildCancelled, KnowledgeFolderError
from bot.chat.checks import moderator_only
from bot.chat.cogs.ask import article_choices
from bot.chat.respond import actor_name, send
from bot.render.discord.kb import audit_line, lines_embed, report_embed, status_embed
from bot.render.discord.markup import choice_name, escape
from bot.store import StoreError

if TYPE_CHECKING:  # pragma: no cover
    from bot.chat.bot import StoryBot

log = logging.getLogger(__name__)

UPLOAD_SUFFIXES = (".md", ".txt")
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
LIST_LIMIT = 15


def discord_time(unix: float | None) -> str:
    """A Discord timestamp (`<t:…:R>`, shown in each reader's time zone), or "never"."""
    if unix is None:
        return "never"
    return f"<t:{int(unix)}:f> (<t:{int(unix)}:R>)"


def upload_problem(filename: str, size: int, limit: int = MAX_UPLOAD_BYTES) -> str | None:
    """Why an attachment is refused before downloading it, or None if it may be read."""
    suffix = PurePath(filename or "").suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        return f"Only .md and .txt articles can be added; {escape(filename[:80])} is not one."
    if size > limit:
        return f"{escape(filename[:80])} is {size / 1_048_576:.1f} MB; the limit is {limit / 1_048_576:.0f} MB."
    if size == 0:
        return f"{escape(filename[:80])} is empty."
    return None


class UploadRefused(Exception):
    """An attachment that cannot be taken; `message` is the one line for the moderator."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


DOWNLOAD_TIMEOUT = 60.0
_CHUNK = 64 * 1024


async def download_capped(url: str, filename: str, limit: int, *, timeout: float = DOWNLOAD_TIMEOUT) -> bytes:
    """The attachment's bytes, read in chunks and stopped at `limit` + 1 whatever its
    size metadata or Content-Length say; compressed transfer encodings are refused
    (nothing is inflated: a 50 KB gzip can hold 1 GB), and a download that breaks off
    is one UploadRefused line, never a traceback."""
    shown = escape(filename[:80])
    too_large = f"{shown} is larger than the limit of {limit / 1_048_576:.0f} MB."
    try:
        async with aiohttp.ClientSession(auto_decompress=False, timeout=aiohttp.ClientTimeout(total=timeout)) as session:
            # encoded=True: the URL is used as Discord gave it (no "../" folding by yarl).
            async with session.get(yarl.URL(url, encoded=True), headers={"Accept-Encoding": "identity"}) as resp:
                if resp.status != 200:
                    raise UploadRefused(f"I couldn't download {shown} ({resp.status}); please try again.")
                encoding = (resp.headers.get("Content-Encoding") or "identity").strip().lower()
                if encoding not in ("", "identity"):
                    raise UploadRefused(f"{shown} came compressed ({escape(encoding[:20])}); "
                                        "upload the plain .md or .txt file.")
                if resp.content_length is not None and resp.content_length > limit:
                    raise UploadRefused(too_large)
                data = bytearray()
                async for chunk in resp.content.iter_chunked(_CHUNK):
                    data += chunk
                    if len(data) > limit:
                        raise UploadRefused(too_large)
                return bytes(data)
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError, ValueError) as exc:
        raise UploadRefused(f"The download of {shown} broke off ({type(exc).__name__}); please try again.") from None


class KbCog(commands.Cog, name="Knowledge base"):
    """Moderators manage the articles the bot answers from."""

    kb = app_commands.Group(
        name="kb",
        description="Moderators: manage the articles the bot answers from",
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )

    def __init__(self, bot: "StoryBot") -> None:
        self.bot = bot

    @property
    def engine(self) -> Any:
        return self.bot.engine

    def _journal(self) -> Any | None:
        return getattr(self.engine, "journal", None)

    # -- reload / status --------------------------------------------------------------------
    @kb.command(name="reload", description="Re-read the knowledge folder and report what changed")
    @moderator_only()
    async def reload(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        actor = actor_name(interaction.user)
        try:
            report = await asyncio.to_thread(self._reload, actor)
        except (KnowledgeFolderError, BuildCancelled) as exc:
            await send(interaction, content=f"Reload failed: {escape(str(exc))}", ephemeral=True)
            return
        except StoreError as exc:
            log.warning("/kb reload: %s", exc)
            await send(interaction, content=f"Reload failed; the previous articles keep serving. {escape(str(exc))}", ephemeral=True)
            return
        log.info("/kb reload by %s: %s", actor, "; ".join(report.summary_lines()))
        await send(interaction, embed=report_embed("Knowledge base reloaded", report), ephemeral=True)

    def _reload(self, actor: str) -> Any:
        try:
            return self.engine.reload(actor=actor)
        except TypeError:  # an engine without the audit trail
            return self.engine.reload()

    @kb.command(name="status", description="Articles, passages and the last reload")
    @moderator_only()
    async def status(self, interaction: discord.Interaction) -> None:
        st = self.engine.status()
        extra: list[tuple[str, str]] = []
        journal = self._journal()
        if journal is not None and hasattr(journal, "feedback_counts"):
            try:
                counts = await asyncio.to_thread(journal.feedback_counts)
                extra.append(("Feedback", f"👍 {counts.up} · 👎 {counts.down}"))
            except StoreError as exc:
                log.warning("/kb status feedback: %s", exc)
        embed = status_embed(st.documents, st.passages, discord_time(st.last_reload_at), st.last_reload_ms, extra)
        # Discord timestamps are markup we made, not untrusted text: keep them unescaped.
        await send(interaction, embed=embed, ephemeral=True)

    # -- add / remove -----------------------------------------------------------------------
    @kb.command(name="add", description="Add an article (.md or .txt up to 5 MB, or a link to a web page)")
    @app_commands.describe(file="The article file", replace="Replace an article with the same name",
                           url="A link to the article's web page (fetched, extracted, saved as .md)")
    @moderator_only()
    async def add(self, interaction: discord.Interaction, file: discord.Attachment | None = None, replace: bool = False,
                  url: app_commands.Range[str, 1, 2000] | None = None) -> None:
        if url is not None or file is None:  # by link: bot/chat/cogs/story.py
            story = self.bot.get_cog("Story")
            if url is None or file is not None or story is None:
                await send(interaction, content="Give either a file or a url.", ephemeral=True)
                return
            await story.add_by_url(interaction, url, replace)  # type: ignore[attr-defined]
            return
        if not hasattr(self.engine, "add_article"):
            await send(interaction, content="Adding articles is not available in this version.", ephemeral=True)
            return
        limit = min(MAX_UPLOAD_BYTES, int(getattr(self.engine, "max_file_bytes", MAX_UPLOAD_BYTES)))
        problem = upload_problem(file.filename, file.size, limit)
        if problem:  # checked from the metadata, before anything is downloaded
            await send(interaction, content=problem, ephemeral=True)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            data = await download_capped(file.url, file.filename, limit)
        except UploadRefused as exc:
            log.info("/kb add refused: %s", exc.message)
            await send(interaction, content=exc.message, ephemeral=True)
            return
        result = await asyncio.to_thread(self.engine.add_article, file.filename, data, actor_name(interaction.user), replace=replace)
        await self._send_result(interaction, result)

    @kb.command(name="remove", description="Retire an article (kept in .retired/, can be restored)")
    @app_commands.describe(article="The article to retire")
    @moderator_only()
    async def remove(self, interaction: discord.Interaction, article: app_commands.Range[str, 1, 200]) -> None:
        if not hasattr(self.engine, "remove_article"):
            await send(interaction, content="Removing articles is not available in this version.", ephemeral=True)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await asyncio.to_thread(self.engine.remove_article, article, actor_name(interaction.user))
        await self._send_result(interaction, result)

    @remove.autocomplete("article")
    async def remove_article(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await article_choices(self.bot, current)

    @kb.command(name="restore", description="Bring back a retired article")
    @app_commands.describe(file="The retired file (newest first)", replace="Replace an article that now has the same name")
    @moderator_only()
    async def restore(self, interaction: discord.Interaction, file: app_commands.Range[str, 1, 200], replace: bool = False) -> None:
        if not hasattr(self.engine, "restore_article"):
            await send(interaction, content="Restoring articles is not available in this version.", ephemeral=True)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await asyncio.to_thread(self.engine.restore_article, file, actor_name(interaction.user), replace=replace)
        await self._send_result(interaction, result)

    @restore.autocomplete("file")
    async def restore_file(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        if not hasattr(self.engine, "retired_articles"):
            return []
        try:
            names = await asyncio.to_thread(self.engine.retired_articles)
        except OSError as exc:
            log.warning("/kb restore autocomplete: %s", exc)
            return []
        needle = current.casefold().strip()
        return [
            app_commands.Choice(name=choice_name(n), value=n)
            for n in names
            if len(n) <= 100 and needle in n.casefold()
        ][:25]

    async def _send_result(self, interaction: discord.Interaction, result: Any) -> None:
        title = ("Done: " if result.ok else "Not done: ") + str(result.message)
        if result.report is not None:
            await send(interaction, embed=report_embed(title, result.report), ephemeral=True)
        else:
            await send(interaction, content=escape(title), ephemeral=True)

    # -- log / gaps -------------------------------------------------------------------------
    @kb.command(name="log", description="Who changed the knowledge base, and when")
    @moderator_only()
    async def audit_log(self, interaction: discord.Interaction) -> None:
        journal = self._journal()
        if journal is None or not hasattr(journal, "recent_audit"):
            await send(interaction, content="The audit log is not available in this version.", ephemeral=True)
            return
        entries = await asyncio.to_thread(journal.recent_audit, LIST_LIMIT)
        lines = [audit_line(e.at, e.actor, e.action, e.target, e.result, e.detail) for e in entries]  # names, no raw ids
        await send(interaction, embed=lines_embed("Knowledge base log", lines, empty="No changes recorded yet."), ephemeral=True)

    @kb.command(name="gaps", description="Questions the articles could not answer, most asked first")
    @moderator_only()
    async def gaps(self, interaction: discord.Interaction) -> None:
        journal = self._journal()
        if journal is None or not hasattr(journal, "top_gaps"):
            await send(interaction, content="Unanswered questions are not recorded in this version.", ephemeral=True)
            return
        entries = await asyncio.to_thread(journal.top_gaps, LIST_LIMIT)
        lines = [f"**{g.count}×** {escape(' '.join(g.question.split())[:300])} (last <t:{int(g.last_asked)}:R>)" for g in entries]
        await send(interaction, embed=lines_embed("Unanswered questions", lines, empty="No unanswered questions yet."), ephemeral=True)


async def setup(bot: "StoryBot") -> None:
    await bot.add_cog(KbCog(bot))


__all__ = ["KbCog", "UploadRefused", "discord_time", "download_capped", "upload_problem"]
