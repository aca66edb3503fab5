"""Article embeddings on SQLite (mixed into :class:`~storyline.store.sqlite.Store`): float16 little-endian bytes
per (article, model) in ``article_embeddings`` (migration 0101). Reading them is
:meth:`~storyline.store.search.SearchQueries.embedding_rows`; the PostgreSQL twin is
:mod:`storyline.store.postgres.vectors`.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np


class EmbeddingQueries:
    conn: Any
    _lock: Any

    def add_embeddings(self, model: str, rows: Sequence[tuple[str, np.ndarray]]) -> None:
        """Store (or replace) the embeddings of ``model`` for these articles: ``[(article_id, vector), …]``."""
        with self._lock:
            self.conn.executemany(
                "INSERT OR REPLACE INTO article_embeddings(article_id, model, vector) VALUES (?,?,?)",
                [(aid, model, np.asarray(v).astype(np.float16).tobytes()) for aid, v in rows])
