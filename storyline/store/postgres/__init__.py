"""The PostgreSQL backend of the store (``pip install 'storyline[postgres]'``): :class:`PostgresStore`, opened by
:func:`storyline.store.open_store` for a ``postgresql://`` URL (docs/postgres.md)."""

from .store import NeedsStoreMethod, PostgresStore, article_from_pg

__all__ = ["NeedsStoreMethod", "PostgresStore", "article_from_pg"]
