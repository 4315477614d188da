"""ask, who, summary: plain dataclasses out, no Discord types."""
