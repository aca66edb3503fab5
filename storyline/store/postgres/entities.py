"""Per-article named-entity results on PostgreSQL (mixed into :class:`~storyline.store.postgres.PostgresStore`),
twin of :mod:`storyline.store.entities`; the ``entities`` column is ``jsonb``."""

from __future__ import annotations

from typing import Any


class PostgresEntities:
    _rows: Any  # PostgresStore._rows
    _run: Any

    def article_entities(self, article_id: str, method: str) -> str | None:
        """The stored entities of ``article_id`` found by extractor ``method`` (JSON text); None when not stored."""
        rows = self._rows("SELECT entities::text AS entities FROM article_entities WHERE article_id=%s AND method=%s",
                          (article_id, method))
        return str(rows[0]["entities"]) if rows else None

    def put_article_entities(self, article_id: str, method: str, entities_json: str) -> None:
        """Store (or replace) the entities (JSON text) extractor ``method`` found in ``article_id``."""
        self._run("INSERT INTO article_entities(article_id, method, entities) VALUES (%s, %s, %s::jsonb) "
                  "ON CONFLICT (article_id, method) DO UPDATE SET entities=excluded.entities",
                  (article_id, method, entities_json))
