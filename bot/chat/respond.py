"""Sending answers: one place that sets `AllowedMentions.none()`, picks response vs
followup, and defers only when the engine is slow.

Why a helper: every message must carry `AllowedMentions.none()` (a question with
`@everyone` must not ping), an interaction must get its first response within
3 s, and an interaction can be responded to only once (after that, followups).
Getting any of the three wrong in one command is a production bug, so no cog
calls `interaction.response.send_message` directly for answers.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any, Callable, TypeVar

import aiohttp
import discord

from bot.render.discord_embed import Embed, fit_content, fit_embed

log = logging.getLogger(__name__)
T = TypeVar("T")

NO_PINGS = discord.AllowedMentions.none()

# Engine calls usually take milliseconds; only a slow one (a reload holding the
# database, a cold disk) pays for a "thinking…" message. Well inside Discord's 3 s.
DEFER_AFTER_SECONDS = 1.5


def to_discord(embed: Embed) -> discord.Embed:
    """A renderer dict as a `discord.Embed` (limits re-checked on the way)."""
    return discord.Embed.from_dict(fit_embed(embed))


async def send(
    interaction: discord.Interaction,
    *,
    embed: Embed | None = None,
    content: str | None = None,
    view: discord.ui.View | None = None,
    ephemeral: bool = False,
) -> discord.Message | discord.InteractionMessage | None:
    """Answer `interaction` (first response, or a followup if it was answered or
    deferred), never pinging anyone. Returns the message when Discord gives it back,
    so a view can edit it later."""
    kwargs: dict[str, Any] = {"allowed_mentions": NO_PINGS, "ephemeral": ephemeral}
    if embed is not None:
        kwargs["embed"] = to_discord(embed)
    if content is not None:
        kwargs["content"] = fit_content(content)
    if view is not None:
        kwargs["view"] = view
    if interaction.response.is_done():
        return await interaction.followup.send(wait=True, **kwargs)
    try:
        callback = await interaction.response.send_message(**kwargs)
    except CONNECTION_ERRORS as exc:
        return await deliver_after_reset(interaction, kwargs, exc)
    resource = getattr(callback, "resource", None)
    return resource if isinstance(resource, (discord.Message, discord.InteractionMessage)) else None


# A connection reset or timeout on a request: not an answer from Discord, so we do not
# know whether the request arrived.
CONNECTION_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError, OSError)


async def deliver_after_reset(
    interaction: discord.Interaction, kwargs: dict[str, Any], exc: BaseException
) -> discord.Message | discord.InteractionMessage | None:
    """The interaction callback failed on the connection. One log line, then: the callback
    once more (it never arrived), else a followup (it arrived, the reply was lost), else a
    plain channel message (not for ephemeral replies). Never raises."""
    log.warning("interaction callback failed (%s); delivering the answer another way", type(exc).__name__)
    try:
        if interaction.response.is_done():
            raise discord.InteractionResponded(interaction)
        callback = await interaction.response.send_message(**kwargs)
        resource = getattr(callback, "resource", None)
        return resource if isinstance(resource, (discord.Message, discord.InteractionMessage)) else None
    except (discord.HTTPException, discord.InteractionResponded, *CONNECTION_ERRORS):
        pass
    try:
        return await interaction.followup.send(wait=True, **kwargs)
    except (discord.HTTPException, *CONNECTION_ERRORS):
        pass
    channel = interaction.channel
    if not kwargs.get("ephemeral") and channel is not None and hasattr(channel, "send"):
        plain = {k: v for k, v in kwargs.items() if k in ("content", "embed", "allowed_mentions")}
        try:
            return await channel.send(**plain)  # type: ignore[union-attr]
        except (discord.HTTPException, *CONNECTION_ERRORS) as last:
            log.warning("answer not delivered: the channel message failed too (%s)", type(last).__name__)
            return None
    log.warning("answer not delivered: Discord could not be reached for this interaction")
    return None


async def run_engine(
    interaction: discord.Interaction,
    fn: Callable[..., T],
    *args: Any,
    ephemeral: bool = False,
    **kwargs: Any,
) -> T:
    """Run a synchronous engine call in a worker thread; if it has not finished in
    `DEFER_AFTER_SECONDS`, defer the interaction (Discord shows "thinking…") and wait.

    `ephemeral` must match how the answer will be sent: after a defer, the first
    followup replaces the "thinking" message and inherits its visibility.
    """
    task = asyncio.ensure_future(asyncio.to_thread(functools.partial(fn, *args, **kwargs)))
    try:
        return await asyncio.wait_for(asyncio.shield(task), DEFER_AFTER_SECONDS)
    except asyncio.TimeoutError:
        if not interaction.response.is_done():
            await interaction.response.defer(thinking=True, ephemeral=ephemeral)
        return await task


def actor_name(user: discord.abc.User) -> str:
    """How a moderator appears in the audit trail: name and id (ids survive renames)."""
    return f"{user.name} ({user.id})"
