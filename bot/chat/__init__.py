"""The Discord layer (discord.py 2.x): the Bot subclass, cogs, views, checks, errors.

Only this package imports discord.py, and it never touches SQL: it asks the
`Engine` (in a worker thread, so the event loop never waits on SQLite) and
renders with `bot.render.discord_embed`, where Discord's limits are enforced.
"""
