"""One error handler for every slash command: a short ephemeral reply, and a log
line with the traceback for what nobody expected.

Why one place (RoboDanny's pattern, on the tree): a command that fails without a
response shows "The application did not respond" and teaches people nothing; a
command that replies with a stack trace leaks internals. The mapping from error
to sentence is a pure function (`describe_error`) so tests can pin it.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import discord
from discord import app_commands

from bot.build import BuildCancelled, KnowledgeFolderError
from bot.chat.checks import KB_ELSEWHERE, MODERATOR_COMMANDS, NotAllowedHere
from bot.chat.respond import CONNECTION_ERRORS, NO_PINGS, deliver_after_reset
from bot.chat.where import guild_refusal, note_unconfigured_guild
from bot.config import Settings
from bot.engine import EngineError, UnknownDocument
from bot.render.discord_embed import escape, fit_content
from bot.store import StoreError

log = logging.getLogger(__name__)

UNAVAILABLE = "The knowledge base is unavailable right now. Please try again in a minute."
UNEXPECTED = "Something went wrong on my side; it has been logged. Please try again."


class BadInput(app_commands.AppCommandError):
    """An option value the command cannot use; `message` says what to type instead."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def require_text(value: str | None, what: str, limit: int) -> str:
    """A non-empty option of at most `limit` characters, checked on our side too
    (the client enforces `max_length`, a crafted request need not)."""
    text = " ".join((value or "").split())
    if not any(ch.isalnum() for ch in text):
        raise BadInput(f"Please give a {what} with some words in it.")
    if len(text) > limit:
        raise BadInput(f"That {what} is too long: {len(text)} characters, at most {limit}.")
    return text


@dataclass(frozen=True)
class ErrorReply:
    """What the user is told, and whether the error deserves a traceback in the log."""

    message: str
    unexpected: bool = False


def describe_error(error: BaseException) -> ErrorReply:
    """The sentence for an app-command error (unwrapping CommandInvokeError)."""
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    if isinstance(error, app_commands.CommandOnCooldown):
        seconds = max(1, math.ceil(error.retry_after))
        return ErrorReply(f"Slow down a little: try again in {seconds} s.")
    if isinstance(error, app_commands.NoPrivateMessage):
        return ErrorReply("This command only works in a server, not in direct messages.")
    if isinstance(error, app_commands.MissingPermissions):
        return ErrorReply("Only moderators (Manage Server, or a moderator role) can use this command.")
    if isinstance(error, app_commands.MissingAnyRole | app_commands.MissingRole):
        return ErrorReply("Only moderators can use this command.")
    if isinstance(error, app_commands.BotMissingPermissions):
        missing = ", ".join(p.replace("_", " ") for p in error.missing_permissions)
        return ErrorReply(f"I am missing permissions here: {missing}.")
    if isinstance(error, BadInput):
        return ErrorReply(error.message)
    if isinstance(error, NotAllowedHere):
        return ErrorReply(error.message)
    if isinstance(error, app_commands.TransformerError):
        return ErrorReply(f"That value does not fit: {escape(str(error.value))[:200]}.")
    if isinstance(error, UnknownDocument):
        return ErrorReply("I have no article with that id. Pick one from the list, or see /sources.")
    if isinstance(error, (EngineError, StoreError, KnowledgeFolderError, BuildCancelled)):
        return ErrorReply(UNAVAILABLE)
    if isinstance(error, app_commands.CheckFailure):
        return ErrorReply("You can't use this command here.")
    if isinstance(error, app_commands.CommandNotFound):
        if (error.parents or [error.name])[0] in MODERATOR_COMMANDS:
            return ErrorReply(KB_ELSEWHERE)  # /kb exists only in the configured servers
        return ErrorReply("I don't know that command any more; it may take a minute for Discord to update the list.")
    return ErrorReply(UNEXPECTED, unexpected=True)


async def reply_error(interaction: discord.Interaction, text: str) -> None:
    """Tell the user, ephemerally, whether or not the interaction was answered yet.
    Never raises: this runs inside the tree's error handler."""
    text = fit_content(text)
    kwargs = {"content": text, "ephemeral": True, "allowed_mentions": NO_PINGS}
    try:
        if interaction.response.is_done():
            await interaction.followup.send(**kwargs)  # type: ignore[arg-type]
        else:
            await interaction.response.send_message(**kwargs)  # type: ignore[arg-type]
    except (discord.HTTPException, discord.InteractionResponded) as exc:  # the token expired, Discord is down
        log.warning("could not send the error reply (%s)", exc)
    except CONNECTION_ERRORS as exc:  # a reset connection: retried once, then a followup; one log line
        await deliver_after_reset(interaction, kwargs, exc)


class StoryTree(app_commands.CommandTree):
    """The command tree with the bot's one error handler, and the one server gate.

    `interaction_check` runs before any command, its options or its autocomplete:
    in a server the owner did not configure every command is refused there (see
    `where.guild_refusal`), whatever Discord shows in that server's command list.
    """

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        settings = getattr(interaction.client, "settings", None)
        if isinstance(settings, Settings):
            refusal = guild_refusal(settings, interaction.guild_id)
            if refusal is not None:
                note_unconfigured_guild(interaction.guild_id)
                raise NotAllowedHere(refusal)
        return True

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        reply = describe_error(error)
        command = interaction.command.qualified_name if interaction.command else "?"
        if reply.unexpected:
            original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
            log.error(
                "unexpected error in /%s (guild %s)", command, interaction.guild_id,
                exc_info=(type(original), original, original.__traceback__),
            )
        elif reply.message == UNAVAILABLE:
            log.warning("/%s: knowledge base unavailable: %s", command, getattr(error, "original", error))
        else:
            log.info("/%s refused: %s", command, type(getattr(error, "original", error)).__name__)
        if interaction.type is discord.InteractionType.autocomplete:
            return  # an autocomplete can only answer with choices
        await reply_error(interaction, reply.message)
