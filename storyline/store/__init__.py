"""The store: articles, stories, memberships, aliases, rejects and runs, behind one set of methods per backend.

Two backends implement the same public methods (records in, records out): :class:`Store` (SQLite, the embedded
default, ``storyline/store/sqlite.py``) and :class:`~storyline.store.postgres.PostgresStore` (PostgreSQL, psycopg 3
and a connection pool, ``storyline/store/postgres/``). :func:`open_store` picks one from what ``--db`` /
``STORYLINE_DB`` names: a ``postgresql://`` or ``postgres://`` URL opens PostgreSQL, anything else is a SQLite path.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from .sqlite import Store, article_from_row

POSTGRES_SCHEMES = ("postgresql", "postgres")

_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def is_postgres_url(target: str | os.PathLike[str]) -> bool:
    """Whether ``target`` is a PostgreSQL connection URL (``postgresql://…`` or ``postgres://…``)."""
    m = _URL.match(str(target))
    return bool(m) and m.group(1).lower() in POSTGRES_SCHEMES


def redact_url(url: str) -> str:
    """``url`` with its password (if any) replaced by ``***``, for messages and logs."""
    return re.sub(r"^([^:/]+://[^:@/]*):[^@/]*@", r"\1:***@", str(url))


def check_target(target: str | os.PathLike[str]) -> None:
    """Refuse a URL of another scheme (``mysql://…``, ``sqlite://…``): taken as a path it would silently become a
    SQLite file inside a folder named after the scheme."""
    m = _URL.match(str(target))
    if m and not is_postgres_url(target):
        from ..errors import ConfigError

        raise ConfigError(f"--db {redact_url(str(target))!r} is a URL of scheme {m.group(1)!r}, which storyline "
                          f"cannot open; valid: a SQLite file path or a URL of scheme {' or '.join(POSTGRES_SCHEMES)} "
                          "(e.g. postgresql://user@localhost:5432/news)")


def integrity_errors() -> tuple[type[BaseException], ...]:
    """The exceptions a broken constraint (a duplicate key, a missing row a key points at) raises on either backend:
    ``sqlite3.IntegrityError`` and, when psycopg is installed, ``psycopg.IntegrityError``."""
    import sqlite3

    try:
        import psycopg
    except ImportError:  # the postgres extra is not installed
        return (sqlite3.IntegrityError,)
    return (sqlite3.IntegrityError, psycopg.IntegrityError)


def database_errors() -> tuple[type[BaseException], ...]:
    """The exceptions a failing store raises on either backend (the database cannot be read or written):
    ``sqlite3.Error`` and, when psycopg is installed, ``psycopg.Error``."""
    import sqlite3

    try:
        import psycopg
    except ImportError:  # the postgres extra is not installed
        return (sqlite3.Error,)
    return (sqlite3.Error, psycopg.Error)


def open_store(target: str | os.PathLike[str], **kwargs: Any) -> Any:
    """Open (and migrate) the store ``target`` names: a PostgreSQL URL opens a
    :class:`~storyline.store.postgres.PostgresStore`, anything else the SQLite file at that path (``:memory:`` for
    a private in-memory one). ``kwargs`` go to the SQLite :class:`Store` (``check_same_thread``); the PostgreSQL
    store is thread-safe and ignores them."""
    check_target(target)
    if is_postgres_url(target):
        from .postgres import PostgresStore

        return PostgresStore(str(target))
    return Store(target if isinstance(target, Path) else str(target), **kwargs)


__all__ = ["POSTGRES_SCHEMES", "Store", "article_from_row", "check_target", "database_errors", "integrity_errors",
           "is_postgres_url", "open_store", "redact_url"]
