"""Renderers: terminal text, JSON for scripts, Discord embeds (limits enforced there)."""
