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
from discord.ext import commands

from bot.chat.where import place_refusal
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


KB_ELSEWHERE = "Knowledge-base commands only work in the server this bot was set up for."
MODERATOR_COMMANDS: tuple[str, ...] = ("kb",)  # registered in the configured servers only (chat/bot.py)


def is_app_owner(client: object, user: discord.abc.User) -> bool:
    """The application's owner (or a member of its team), from what discord.py
    fetched at login: no request, so the check cannot stall or fail on the network."""
    ids: set[int] = set()
    owner_id = getattr(client, "owner_id", None)
    if owner_id:
        ids.add(owner_id)
    ids.update(getattr(client, "owner_ids", None) or ())
    app = getattr(client, "application", None)
    if app is not None:
        if app.team is not None:
            ids.update(member.id for member in app.team.members)
        elif app.owner is not None:
            ids.add(app.owner.id)
    return user.id in ids


def has_moderator_role(interaction: discord.Interaction, settings: Settings) -> bool:
    """A configured moderator role that is a role *of this server* and that the member holds.

    Why so strict: a role id is only meaningful in its own server, so a role of
    another server never counts, and neither does the server's @everyone role (its
    id is the server's id; listing it by mistake would make everyone a moderator).
    A server discord.py has not cached cannot show its roles: the check fails closed.
    """
    guild, member = interaction.guild, interaction.user
    if guild is None or not isinstance(member, discord.Member):
        return False
    return any(
        rid != guild.id and guild.get_role(rid) is not None and member.get_role(rid) is not None
        for rid in settings.mod_role_ids
    )


def is_moderator_interaction(interaction: discord.Interaction, settings: Settings) -> bool:
    """In a configured server: the application owner, Manage Server there, or a moderator role of it."""
    guild_id = interaction.guild_id
    if guild_id is None or not settings.moderates_guild(guild_id):
        return False
    if is_app_owner(interaction.client, interaction.user):
        return True
    if interaction.permissions.manage_guild:
        return True
    return has_moderator_role(interaction, settings)


def moderator_only() -> Callable[[T], T]:
    """`app_commands.check`: refuse DMs (`NoPrivateMessage`), servers the owner did not
    configure (`NotAllowedHere`) and non-moderators (`MissingPermissions(['manage_guild'])`),
    all answered by the tree's error handler."""

    def predicate(interaction: discord.Interaction) -> bool:
        if interaction.guild_id is None:
            raise app_commands.NoPrivateMessage("This command only works in a server.")
        settings = _settings(interaction)
        if not settings.moderates_guild(interaction.guild_id):
            raise NotAllowedHere(KB_ELSEWHERE)
        if not is_moderator_interaction(interaction, settings):
            raise app_commands.MissingPermissions(["manage_guild"])
        return True

    return app_commands.check(predicate)


def check_place(interaction: discord.Interaction, settings: Settings) -> None:
    """Raise `NotAllowedHere` outside the configured channels, or in DMs when they are off.

    A thread counts as its parent channel, so answers in threads follow the same rule.
    """
    # One rule for slash commands and mentions: bot/chat/where.py.
    refusal = place_refusal(
        settings,
        in_dm=interaction.guild is None,
        channel_id=interaction.channel_id,
        parent_id=getattr(interaction.channel, "parent_id", None),
    )
    if refusal is not None:
        raise NotAllowedHere(refusal)


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


class AskCooldowns:
    """One cooldown bucket per user shared by `/ask` and questions asked by mention
    (bot/chat/cogs/mention.py), so switching between the two does not double anyone's
    rate.

    Built on discord.py's `commands.DynamicCooldownMapping` (the public API for
    per-key buckets whose rate is decided at use): it creates a user's bucket on
    first use and drops buckets that have been idle longer than their period, so
    the map stays as small as the set of users who asked recently. Nothing here
    reads a `Cooldown`'s private fields."""

    def __init__(self) -> None:
        self._mapping: commands.DynamicCooldownMapping[tuple[int, float]] = commands.DynamicCooldownMapping(
            lambda ask: app_commands.Cooldown(1, ask[1]),  # (user id, seconds) → one question per `seconds`
            lambda ask: ask[0],  # the bucket key: the user
        )

    def retry_after(self, user_id: int, seconds: float, now: float) -> float | None:
        """Count one question at `now` (a Unix time); the seconds left if over the rate."""
        if seconds <= 0:
            return None
        return self._mapping.update_rate_limit((user_id, seconds), now)


def ask_cooldowns(client: object) -> AskCooldowns:
    """The running bot's shared `/ask` buckets (created on first use)."""
    cooldowns = getattr(client, "ask_cooldowns", None)
    if not isinstance(cooldowns, AskCooldowns):
        cooldowns = AskCooldowns()
        setattr(client, "ask_cooldowns", cooldowns)
    return cooldowns


def ask_cooldown() -> Callable[[T], T]:
    """`/ask`'s per-user cooldown, in the bucket the mention path uses too; raises
    `CommandOnCooldown` like `per_user_cooldown`, for the tree's error handler."""

    def predicate(interaction: discord.Interaction) -> bool:
        seconds = _settings(interaction).cooldown_seconds
        retry = ask_cooldowns(interaction.client).retry_after(interaction.user.id, seconds, interaction.created_at.timestamp())
        if retry is not None:
            raise app_commands.CommandOnCooldown(app_commands.Cooldown(1, seconds), retry)
        return True

    return app_commands.check(predicate)
