"""One writer at a time per database: the ingest lock every ingest path takes (CLI `ingest`, `watch`, the API).

A pipeline clusters against the state it restored from the store, so two processes ingesting into one database at
once would each miss the other's new stories and split events between them. The lock is an exclusive ``flock`` on
``<db>-ingest-lock`` (an empty file beside the database, left in place: deleting a lock file that others may hold
open would break the lock), held from the pipeline's staleness check to its last commit.

It is re-entrant within a process (a per-path ``threading.RLock`` plus a depth count; the ``flock`` is taken on the
first acquisition and dropped on the last), so the API can hold it around restoring its clusterer and running the
pipeline, which takes it again. ``flock`` is POSIX; where ``fcntl`` is missing the lock covers this process's
threads only.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from typing import Iterator

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]

_registry_guard = threading.Lock()
_locks: dict[str, "_PathLock"] = {}


class _PathLock:
    def __init__(self, path: str):
        self.path = path
        self.rlock = threading.RLock()
        self.depth = 0
        self.fd: int | None = None
        self.pid = os.getpid()


def db_lock_path(db_path: str) -> str:
    """The lock file (``<db>-ingest-lock``) of the database ``db_path`` names, whichever path names it: beside the
    file a symlink points to (as SQLite's own -wal and -shm are), so ``link.db`` and its target share one lock,
    relative or absolute."""
    return f"{os.path.realpath(db_path)}-ingest-lock"


def _flock_current_file(lk: _PathLock) -> None:
    """Lock the file now at ``lk.path``: if it was deleted or replaced while this process kept its descriptor (or
    waited for it), the lock taken was on a file no one else opens any more, so drop it and lock the new one."""
    while True:
        if lk.fd is None:
            lk.fd = os.open(lk.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(lk.fd, fcntl.LOCK_EX)
        held = os.fstat(lk.fd)
        try:
            now = os.stat(lk.path)
        except FileNotFoundError:
            now = None
        if now is not None and (now.st_dev, now.st_ino) == (held.st_dev, held.st_ino):
            return
        os.close(lk.fd)  # closing drops the flock on the orphaned file
        lk.fd = None


@contextmanager
def ingest_lock(db_path: str) -> Iterator[None]:
    """Hold the database's ingest lock (waits as long as it takes). A no-op for ``:memory:`` databases."""
    if db_path == ":memory:":
        yield
        return
    path = db_lock_path(db_path)
    with _registry_guard:
        lk = _locks.get(path)
        if lk is None or lk.pid != os.getpid():  # a forked child must not share its parent's lock description
            lk = _locks[path] = _PathLock(path)
    with lk.rlock:
        if lk.depth == 0 and fcntl is not None:
            _flock_current_file(lk)
        lk.depth += 1
        try:
            yield
        finally:
            lk.depth -= 1
            if lk.depth == 0 and fcntl is not None and lk.fd is not None:
                fcntl.flock(lk.fd, fcntl.LOCK_UN)


def is_held(db_path: str) -> bool:
    """Whether a live process (this one included) holds the ingest lock of ``db_path`` now. A process that dies
    loses its ``flock`` with it, so a run recorded as running while the lock is free belongs to a dead process.
    Where ``fcntl`` is missing only this process's holding is known."""
    if db_path == ":memory:":
        return False
    path = db_lock_path(db_path)
    with _registry_guard:
        lk = _locks.get(path)
    if lk is not None and lk.pid == os.getpid() and lk.depth > 0:
        return True
    if fcntl is None:  # pragma: no cover - not POSIX
        return False
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)
