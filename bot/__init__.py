"""StoryBot: answers questions about a news story with cited quotes from the articles."""

__version__ = "0.1.0"
