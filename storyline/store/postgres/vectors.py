"""Article embeddings on PostgreSQL (mixed into :class:`PostgresStore`): writing them, and the nearest current
articles to a query vector, with the pgvector extension when the database has it, exactly in numpy otherwise.

The stored form is the SQLite store's: float16 little-endian bytes per (article, model) in ``article_embeddings``.
With pgvector installed in the database (``CREATE EXTENSION vector``, by its owner), the store adds an
``embedding vector`` column on open and keeps it filled (:meth:`add_embeddings`, and rows written without it are
filled on the next :meth:`nearest_articles`); the search is then pgvector's exact cosine distance ``<=>`` in the
server, so only the ``limit`` best rows cross the network. Without it, every stored vector of the model is read and
ranked here: the same scores, the same order.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Sequence

import numpy as np


def _literal(vec: np.ndarray) -> str:
    """pgvector's text form of a vector: ``[0.1,0.2,…]`` (float32 values, repr-exact)."""
    return "[" + ",".join(repr(float(x)) for x in np.asarray(vec, dtype=np.float32)) + "]"


class PostgresVectors:
    _rows: Any  # PostgresStore._rows
    _many: Any
    transaction: Any
    current_article_ids: Any

    def has_pgvector(self) -> bool:
        """Whether this database has the pgvector extension (and so the ``embedding vector`` column)."""
        return bool(self._rows("SELECT 1 FROM pg_extension WHERE extname = 'vector'"))

    def _ensure_vector_column(self, conn: Any) -> None:
        """Add the ``embedding vector`` column when the database has pgvector (called by ``migrate``)."""
        if conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'").fetchone():
            conn.execute("ALTER TABLE article_embeddings ADD COLUMN IF NOT EXISTS embedding vector")

    def add_embeddings(self, model: str, rows: Sequence[tuple[str, np.ndarray]]) -> None:
        """Store (or replace) the embeddings of ``model`` for these articles: ``[(article_id, vector), …]``."""
        vector = self.has_pgvector()
        with self.transaction():
            self._many(
                "INSERT INTO article_embeddings(article_id, model, vector) VALUES (%s,%s,%s) ON CONFLICT "
                "(article_id, model) DO UPDATE SET vector=excluded.vector"
                + (", embedding=NULL" if vector else ""),
                [(aid, model, np.asarray(v, dtype=np.float16).tobytes()) for aid, v in rows])
            if vector:
                self._fill_vectors(model)

    def _fill_vectors(self, model: str) -> None:
        todo = self._rows("SELECT article_id, vector FROM article_embeddings WHERE model=%s AND embedding IS NULL",
                          (model,))
        self._many("UPDATE article_embeddings SET embedding=%s::vector WHERE article_id=%s AND model=%s",
                   [(_literal(np.frombuffer(r["vector"], dtype=np.float16)), r["article_id"], model) for r in todo])

    def nearest_articles(self, model: str, vector: np.ndarray, *, limit: int = 20, since: datetime | None = None,
                         until: datetime | None = None, source: str | None = None,
                         lang: str | None = None) -> list[tuple[str, float]]:
        """``[(article_id, cosine similarity), …]``: the current articles (passing the filters) whose stored
        embedding of ``model`` is nearest ``vector``, best first (ties by arrival)."""
        from .search import _article_filters

        q = np.asarray(vector, dtype=np.float32)
        if self.has_pgvector():
            with self.transaction():
                self._fill_vectors(model)
                where, params = _article_filters(since, until, source, lang)
                rows = self._rows(
                    "SELECT e.article_id, 1 - (e.embedding <=> %s::vector) AS score FROM article_embeddings e "
                    "JOIN articles a ON a.id = e.article_id WHERE e.model = %s AND a.superseded_by IS NULL"
                    + "".join(f" AND {w}" for w in where) + " ORDER BY e.embedding <=> %s::vector, e.seq LIMIT %s",
                    [_literal(q), model, *params, _literal(q), limit])
            return [(r["article_id"], float(r["score"])) for r in rows]
        allowed = self.current_article_ids(since=since, until=until, source=source, lang=lang)
        rows = [r for r in self._rows("SELECT article_id, vector FROM article_embeddings WHERE model=%s ORDER BY seq",
                                      (model,)) if r["article_id"] in allowed]
        if not rows:
            return []
        mat = np.stack([np.frombuffer(r["vector"], dtype=np.float16) for r in rows]).astype(np.float32)
        norms = np.linalg.norm(mat, axis=1) * (np.linalg.norm(q) or 1.0)
        scores = (mat @ q) / np.where(norms == 0, 1.0, norms)
        order = np.argsort(-scores, kind="stable")[:limit]
        return [(rows[i]["article_id"], float(scores[i])) for i in order]
