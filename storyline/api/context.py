"""What a running app holds: the store path, settings, one Store per thread, the story-view cache, templates.

SQLite connections are not shared between threads: every worker thread opens its own :class:`Store` (WAL lets
readers run beside the one writer). Ingest goes through a separate write Store under a lock, one request at a time;
that lock is also the database's file lock (:meth:`AppContext.ingest_lock`, :mod:`storyline.store.lock`), so
ingests are serialised with the other worker processes (``storyline serve --workers N``) and with any
``storyline ingest``/``watch`` writing to the same database.
"""

from __future__ import annotations

import inspect
import threading
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from ..settings import Settings
from ..store import Store, is_postgres_url, open_store
from ..store.lock import ingest_lock


def load_view_builder() -> Callable[..., Any] | None:
    """``storyline.stories.build_view`` when the story-view stage is installed, else None."""
    try:
        from ..stories import build_view  # type: ignore[attr-defined]
    except ImportError:
        try:
            from ..stories.view import build_view  # type: ignore[no-redef]
        except ImportError:
            return None
    return build_view


class ViewCache:
    """An in-memory LRU of computed story views keyed by ``(story_id, updated_at, n_articles)``.

    A story that gains an article (or is merged, or re-headlined) gets a new ``updated_at``, so its old entry is
    simply never asked for again and ages out. Concurrent requests for the same cold story compute it once.
    """

    def __init__(self, size: int):
        self.size = max(0, size)
        self._items: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[tuple, threading.Lock] = {}
        self.hits = 0
        self.misses = 0

    def get_or_compute(self, key: tuple, compute: Callable[[], Any]) -> Any:
        """The value cached under ``key``, else ``compute()`` (stored, counted as a miss); a request counts a hit
        when it finds the value, also when it waited for another thread computing the same key."""
        return self._get(key, compute, count=True)[0]

    def warm(self, key: tuple, compute: Callable[[], Any]) -> tuple[Any, bool]:
        """Like :meth:`get_or_compute` for the pre-warmer: ``(value, computed)``, counted neither as a hit nor as
        a miss, so the counters keep describing requests. A request for ``key`` arriving while it computes waits
        for this computation (the per-key lock) instead of doing it a second time."""
        return self._get(key, compute, count=False)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._items

    def _get(self, key: tuple, compute: Callable[[], Any], *, count: bool) -> tuple[Any, bool]:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += int(count)
                return self._items[key], False
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._items:
                    self.hits += int(count)
                    return self._items[key], False
            try:
                value = compute()
            except BaseException:
                with self._lock:
                    self._key_locks.pop(key, None)
                raise
            with self._lock:
                self.misses += int(count)
                if self.size:
                    self._items[key] = value
                    while len(self._items) > self.size:
                        self._items.popitem(last=False)
                self._key_locks.pop(key, None)  # after storing: a thread arriving now finds the value
            return value, True

    def __len__(self) -> int:
        return len(self._items)


@dataclass
class AppContext:
    store_path: str
    settings: Settings
    token: str
    templates: Any = None
    view_builder: Callable[..., Any] | None = None
    views: ViewCache = field(init=False)
    write_lock: threading.Lock = field(default_factory=threading.Lock)
    _local: threading.local = field(default_factory=threading.local)
    _stores: list[Store] = field(default_factory=list)
    _stores_lock: threading.Lock = field(default_factory=threading.Lock)
    _writer: Store | None = None
    encoder: Any = None  # the query encoder for semantic search; None = the cluster profile's, built on first use
    _encoder_lock: threading.Lock = field(default_factory=threading.Lock)
    _matrix: tuple[tuple, Any] | None = None
    prewarm: Any = None  # the app's PreWarmer (storyline/api/prewarm.py), started by the app's lifespan
    in_flight: int = 0  # HTTP requests being answered now (counted on the event loop); the pre-warmer yields to them
    workers: int = 1  # worker processes serving this store (storyline serve --workers)

    def __post_init__(self) -> None:
        self.views = ViewCache(self.settings.web.view_cache_size)
        if self.store_path != ":memory:" and not is_postgres_url(self.store_path):
            Path(self.store_path).parent.mkdir(parents=True, exist_ok=True)

    def store(self) -> Store:
        """This thread's read Store (opened on first use, closed by :meth:`close`)."""
        s = getattr(self._local, "store", None)
        if s is None:
            s = open_store(self.store_path, check_same_thread=False)
            self._local.store = s
            with self._stores_lock:
                self._stores.append(s)
        return s

    @contextmanager
    def ingest_lock(self) -> Iterator[None]:
        """Hold the right to ingest: :attr:`write_lock` (threads of this process) and the database's ingest lock
        (an exclusive ``flock``: the other worker processes, and any ``storyline ingest``/``watch`` on the same
        database). Both wait as long as it takes. Held from restoring the clusterer to the last commit, so each
        ingest clusters against everything every earlier ingest stored; the pipeline re-enters the same lock."""
        if is_postgres_url(self.store_path):  # the database's advisory lock (storyline/store/postgres/lock.py)
            with self.write_lock, self.writer().ingest_lock():
                yield
            return
        with self.write_lock, ingest_lock(self.store_path):
            yield

    def writer(self) -> Store:
        """The one write Store; callers hold :meth:`ingest_lock` (or :attr:`write_lock`)."""
        if self._writer is None:
            self._writer = open_store(self.store_path, check_same_thread=False)
        return self._writer

    def build_view(self, store: Store, story_id: str) -> Any:
        if self.view_builder is None:
            return None
        params = inspect.signature(self.view_builder).parameters
        if "settings" in params:
            return self.view_builder(store, story_id, settings=self.settings)
        return self.view_builder(store, story_id)

    def query_encoder(self) -> Any:
        """The encoder that made the stored article embeddings (loaded once, on the first semantic search)."""
        with self._encoder_lock:
            if self.encoder is None:
                from ..cluster.base import make_encoder

                self.encoder = make_encoder(self.settings)
            return self.encoder

    def embedding_matrix(self, store: Store, model: str) -> tuple[list[str], Any]:
        """``(article_ids, float32 matrix)`` of the stored embeddings of ``model``, cached until rows change."""
        import numpy as np

        n, last = store.query("SELECT count(*), max(rowid) FROM article_embeddings WHERE model=?", (model,))[0]
        key = (model, n, last)
        cached = self._matrix
        if cached is not None and cached[0] == key:
            return cached[1]
        rows = store.query("SELECT article_id, vector FROM article_embeddings WHERE model=? ORDER BY rowid",
                           (model,))
        ids = [r[0] for r in rows]
        mat = (np.stack([np.frombuffer(r[1], dtype=np.float16) for r in rows]).astype(np.float32)
               if rows else np.zeros((0, 0), dtype=np.float32))
        self._matrix = (key, (ids, mat))
        return ids, mat

    def close(self) -> None:
        with self._stores_lock:
            for s in self._stores:
                s.close()
            self._stores.clear()
        if self._writer is not None:
            self._writer.close()
            self._writer = None
