"""Per-article named-entity results on SQLite (mixed into :class:`~storyline.store.sqlite.Store`): the story
view's NER cache, keyed by extractor (migration 0300). The PostgreSQL twin is
:mod:`storyline.store.postgres.entities`.
"""

from __future__ import annotations

from typing import Any


class EntityQueries:
    query: Any  # Store.query
    execute: Any

    def article_entities(self, article_id: str, method: str) -> str | None:
        """The stored entities of ``article_id`` found by extractor ``method`` (JSON text); None when not stored."""
        rows = self.query("SELECT entities FROM article_entities WHERE article_id=? AND method=?",
                          (article_id, method))
        return str(rows[0][0]) if rows else None

    def put_article_entities(self, article_id: str, method: str, entities_json: str) -> None:
        """Store (or replace) the entities (JSON text) extractor ``method`` found in ``article_id``."""
        self.execute("INSERT OR REPLACE INTO article_entities(article_id, method, entities) VALUES (?,?,?)",
                     (article_id, method, entities_json))
