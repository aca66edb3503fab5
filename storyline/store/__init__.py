"""The SQLite store: articles, stories, memberships, aliases, rejects and runs."""

from .sqlite import Store, article_from_row

__all__ = ["Store", "article_from_row"]
