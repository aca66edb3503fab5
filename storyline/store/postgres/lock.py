"""The PostgreSQL store's ingest lock: a session-level ``pg_advisory_lock`` (the SQLite store's twin is the
``flock`` of :mod:`storyline.store.lock`).

The lock is held on a dedicated connection (not one of the pool's, which go back to the pool between statements) from
the pipeline's staleness check to its last commit, so one ingest at a time clusters against each database, whichever
machine the writers run on. Advisory locks live in the database the connection opened, so the key needs no database
name in it. Re-entrant within a process (a per-URL ``threading.RLock`` and a depth count, as the file lock), so the
API can hold it around restoring its clusterer while the pipeline takes it again.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from typing import Any, Iterator

# the 64-bit key of storyline's ingest lock: the first 8 bytes of sha256(b"storyline.ingest"), signed
INGEST_LOCK_KEY = int.from_bytes(bytes.fromhex("b080550dea983c40"), "big", signed=True)

_registry_guard = threading.Lock()
_locks: dict[str, "_UrlLock"] = {}


class _UrlLock:
    def __init__(self) -> None:
        self.rlock = threading.RLock()
        self.depth = 0
        self.conn: Any = None
        self.pid = os.getpid()


@contextmanager
def advisory_ingest_lock(url: str, connect: Any) -> Iterator[None]:
    """Hold the ingest lock of the database at ``url`` (waits as long as it takes). ``connect()`` opens the
    dedicated autocommit connection the lock is held on; it is closed when the outermost holder lets go."""
    with _registry_guard:
        lk = _locks.get(url)
        if lk is None or lk.pid != os.getpid():  # a forked child must not share its parent's connection
            lk = _locks[url] = _UrlLock()
    with lk.rlock:
        if lk.depth == 0:
            conn = connect()
            try:
                conn.execute("SELECT pg_advisory_lock(%s)", (INGEST_LOCK_KEY,))
            except BaseException:
                conn.close()
                raise
            lk.conn = conn
        lk.depth += 1
        try:
            yield
        finally:
            lk.depth -= 1
            if lk.depth == 0:
                conn, lk.conn = lk.conn, None
                try:
                    if not conn.closed:
                        conn.execute("SELECT pg_advisory_unlock(%s)", (INGEST_LOCK_KEY,))
                finally:
                    conn.close()  # closing the session releases the lock in any case


def held_here(url: str) -> bool:
    """Whether this process holds the ingest lock of the database at ``url`` now."""
    with _registry_guard:
        lk = _locks.get(url)
    return lk is not None and lk.pid == os.getpid() and lk.depth > 0


# a bigint advisory key shows in pg_locks as classid (its high 32 bits), objid (its low 32 bits) and objsubid 1
HELD_SQL = ("SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND classid::bigint = %s AND objid::bigint = %s AND objsubid = 1) AS held")
HELD_PARAMS = ((INGEST_LOCK_KEY >> 32) & 0xFFFF_FFFF, INGEST_LOCK_KEY & 0xFFFF_FFFF)
