"""Discord renderers as plain dicts, one module per thing rendered.

Why plain dicts: nothing here imports discord.py, and dicts make the limit logic
unit-testable without a client. `bot/chat` turns them into `discord.Embed`.
limits (Discord's limits and cutting) and markup (escaping, bold) sit below the
others; quote renders the quotes every answer kind shows.
"""
