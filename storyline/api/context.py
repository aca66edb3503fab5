"""What a running app holds: the store path, settings, one Store per thread, the story-view cache, templates.

SQLite connections are not shared between threads: every worker thread opens its own :class:`Store` (WAL lets
readers run beside the one writer). Ingest goes through a separate write Store under a lock, one request at a time.
"""

from __future__ import annotations

import inspect
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..settings import Settings
from ..store import Store


def load_view_builder() -> Callable[..., Any] | None:
    """``storyline.stories.build_view`` when the story-view stage is installed, else None."""
    try:
        from ..stories import build_view  # type: ignore[attr-defined]
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
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return self._items[key]
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._items:
                    self.hits += 1
                    return self._items[key]
            value = compute()
            with self._lock:
                self.misses += 1
                if self.size:
                    self._items[key] = value
                    while len(self._items) > self.size:
                        self._items.popitem(last=False)
                self._key_locks.pop(key, None)
            return value

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

    def __post_init__(self) -> None:
        self.views = ViewCache(self.settings.web.view_cache_size)
        if self.store_path != ":memory:":
            Path(self.store_path).parent.mkdir(parents=True, exist_ok=True)

    def store(self) -> Store:
        """This thread's read Store (opened on first use, closed by :meth:`close`)."""
        s = getattr(self._local, "store", None)
        if s is None:
            s = Store(self.store_path, check_same_thread=False)
            self._local.store = s
            with self._stores_lock:
                self._stores.append(s)
        return s

    def writer(self) -> Store:
        """The one write Store; callers hold :attr:`write_lock`."""
        if self._writer is None:
            self._writer = Store(self.store_path, check_same_thread=False)
        return self._writer

    def build_view(self, store: Store, story_id: str) -> Any:
        if self.view_builder is None:
            return None
        params = inspect.signature(self.view_builder).parameters
        if "settings" in params:
            return self.view_builder(store, story_id, settings=self.settings)
        return self.view_builder(store, story_id)

    def close(self) -> None:
        with self._stores_lock:
            for s in self._stores:
                s.close()
            self._stores.clear()
        if self._writer is not None:
            self._writer.close()
            self._writer = None
