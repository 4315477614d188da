"""Who may run what, where: moderator check, channel/DM policy, the per-user cooldown.

Why a server-side moderator check when `/kb` already sends `default_permissions`:
default permissions are only a default in the client; a server admin can grant
`/kb` to anyone in Server Settings → Integrations, and old clients or crafted
requests ignore it. The check reads what Discord computed for this interaction
(`interaction.permissions`) and the member's roles, so it holds whatever the
client showed.
"""

from __future__ import annotations

from typing import Callable, TypeVar

import discord
from discord import app_commands

from bot.config import Settings

T = TypeVar("T")


class NotAllowedHere(app_commands.CheckFailure):
    """The command was used in a channel (or a DM) where the bot does not answer."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _settings(interaction: discord.Interaction) -> Settings:
    settings = getattr(interaction.client, "settings", None)
    return settings if isinstance(settings, Settings) else Settings()


def is_moderator_interaction(interaction: discord.Interaction, settings: Settings) -> bool:
    """Manage Server in this channel, or one of the configured moderator roles."""
    if interaction.guild is None:
        return False
    if interaction.permissions.manage_guild:
        return True
    wanted = set(settings.mod_role_ids)
    return bool(wanted) and bool(wanted & member_role_ids(interaction.user))


def member_role_ids(user: discord.abc.User) -> set[int]:
    """Role ids of a member. `Member.roles` only lists roles in the guild cache, which an
    interaction from a guild the bot has not cached yet lacks, so the raw ids count too."""
    ids = {role.id for role in getattr(user, "roles", None) or []}
    ids.update(int(r) for r in getattr(user, "_roles", None) or ())
    return ids


def moderator_only() -> Callable[[T], T]:
    """`app_commands.check`: refuse DMs (`NoPrivateMessage`) and non-moderators
    (`MissingPermissions(['manage_guild'])`), both answered by the tree's error handler."""

    def predicate(interaction: discord.Interaction) -> bool:
        if interaction.guild is None:
            raise app_commands.NoPrivateMessage("This command only works in a server.")
        if not is_moderator_interaction(interaction, _settings(interaction)):
            raise app_commands.MissingPermissions(["manage_guild"])
        return True

    return app_commands.check(predicate)


def check_place(interaction: discord.Interaction, settings: Settings) -> None:
    """Raise `NotAllowedHere` outside the configured channels, or in DMs when they are off.

    A thread counts as its parent channel, so answers in threads follow the same rule.
    """
    if interaction.guild is None:
        if not settings.allow_dms:
            raise NotAllowedHere("I only answer in the server, not in direct messages.")
        return
    if not settings.channel_ids:
        return
    channel = interaction.channel
    ids = {interaction.channel_id}
    parent = getattr(channel, "parent_id", None)
    if parent:
        ids.add(parent)
    if not ids & set(settings.channel_ids):
        where = ", ".join(f"<#{cid}>" for cid in settings.channel_ids[:5])
        raise NotAllowedHere(f"I answer in {where} only.")


def user_cooldown(interaction: discord.Interaction) -> app_commands.Cooldown | None:
    """One use per `STORYBOT_COOLDOWN_SECONDS` per user and command; 0 turns it off.

    Dynamic so the setting is read from the running bot, not frozen at import.
    """
    seconds = _settings(interaction).cooldown_seconds
    if seconds <= 0:
        return None
    return app_commands.Cooldown(1, seconds)


def per_user_cooldown() -> Callable[[T], T]:
    return app_commands.checks.dynamic_cooldown(user_cooldown, key=lambda i: i.user.id)
