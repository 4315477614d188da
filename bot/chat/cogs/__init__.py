"""Cogs loaded by `StoryBot.setup_hook`: public commands (ask) and moderator commands (kb)."""
