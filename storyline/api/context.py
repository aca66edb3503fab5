"""What a running app holds: the store path, settings, one Store per thread, the stored story views and the
in-memory cache of story pages, templates.

SQLite connections are not shared between threads: every worker thread opens its own :class:`Store` (WAL lets
readers run beside the one writer). Ingests are written by the one ingest worker (:mod:`storyline.service.worker`),
which consumes the store's queue under the database's ingest lock.
"""

from __future__ import annotations

import inspect
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..settings import Settings
from ..store import Store, is_postgres_url, open_store


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

    def get_or_compute(self, key: tuple, compute: Callable[[], Any],
                       keep: Callable[[Any], bool] | None = None) -> Any:
        """The value cached under ``key``, else ``compute()`` (stored, counted as a miss); a request counts a hit
        when it finds the value, also when it waited for another thread computing the same key. A computed value
        for which ``keep`` says False (e.g. a story served with the previous version of its view) is returned but
        not stored."""
        return self._get(key, compute, count=True, keep=keep)[0]

    def warm(self, key: tuple, compute: Callable[[], Any],
             keep: Callable[[Any], bool] | None = None) -> tuple[Any, bool]:
        """Like :meth:`get_or_compute` for the pre-warmer: ``(value, computed)``, counted neither as a hit nor as
        a miss, so the counters keep describing requests. A request for ``key`` arriving while it computes waits
        for this computation (the per-key lock) instead of doing it a second time."""
        return self._get(key, compute, count=False, keep=keep)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._items

    def _get(self, key: tuple, compute: Callable[[], Any], *, count: bool,
             keep: Callable[[Any], bool] | None = None) -> tuple[Any, bool]:
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
                if self.size and (keep is None or keep(value)):
                    self._items[key] = value
                    while len(self._items) > self.size:
                        self._items.popitem(last=False)
                self._key_locks.pop(key, None)  # after storing: a thread arriving now finds the value
            return value, True

    def __len__(self) -> int:
        return len(self._items)


def view_salt(builder: Callable[..., Any] | None, settings: Settings) -> str:
    """What besides the story a stored view depends on: the package version, the builder and the story-view and
    copies settings (a server with other settings builds its own versions)."""
    from .. import __version__

    who = builder if callable(builder) and hasattr(builder, "__qualname__") else type(builder)
    name = f"{getattr(who, '__module__', '?')}.{getattr(who, '__qualname__', '?')}"
    return f"{__version__}|{name}|{settings.stories!r}|{settings.copies!r}"


class StoredViews:
    """Story views built once per story version and kept in the store (:mod:`storyline.store.views`), the source of
    truth for every worker process; what a process caches in memory (:class:`ViewCache`) is derived from them.

    :meth:`view` answers at once with the stored view when it is the story's current version. When the story has
    changed since, it answers with the stored previous version (``stale``) and queues the current one for this
    process's background builder, so a reader never waits for a rebuild. Only a story with no stored view at all is
    built in the request, once per story in this process (other threads asking for it wait for that build) and,
    through a claim in the store, once across processes (another process's request waits for the stored row)."""

    WAIT_ELSEWHERE_S = 60.0  # a request waits at most this long for another process's build of a never-built story

    def __init__(self, ctx: "AppContext") -> None:
        import os
        import socket

        self.ctx = ctx
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._building: dict[str, threading.Event] = {}
        self._queue: OrderedDict[str, None] = OrderedDict()
        self._thread: threading.Thread | None = None  # the background builder, while it runs
        self._stop_event = threading.Event()
        self.built = 0  # views built (and stored) by this process
        self.loaded = 0  # requests answered with the current stored view
        self.stale = 0  # requests answered with the previous stored version while the current one was queued
        self.errors = 0
        self.last_error: str | None = None

    @property
    def salt(self) -> str:
        return view_salt(self.ctx.view_builder, self.ctx.settings)

    def view(self, store: Store, sid: str, *, wait: bool = False) -> tuple[Any, str | None, str | None, bool]:
        """``(view, error, fingerprint, stale)`` of story ``sid``: the view dict (None with ``error`` when it could
        not be built), the fingerprint of the version served, and whether that is a previous version. ``wait``:
        build the current version here rather than serve a previous one (the pre-warmer)."""
        from ..store import views

        fp = views.story_fingerprint(store, sid, self.salt)
        if fp is None:
            return None, f"story {sid!r} is not in the store", None, False
        row = views.load_view(store, sid)
        if row is not None and row[0] == fp:
            with self._lock:
                self.loaded += 1
            return row[1], None, fp, False
        if row is not None and not wait:
            self.schedule(sid)
            with self._lock:
                self.stale += 1
            return row[1], None, row[0], True
        return self._build(store, sid, fp)

    def _build(self, store: Store, sid: str, fp: str) -> tuple[Any, str | None, str | None, bool]:
        """Build version ``fp`` of ``sid`` and store it, once per story in this process: a thread finding another
        one building it waits for that build and reads its result from the store."""
        import time

        from ..store import views

        while True:
            with self._lock:
                event = self._building.get(sid)
                mine = event is None
                if mine:
                    event = self._building[sid] = threading.Event()
            if mine:
                break
            event.wait()
            row = views.load_view(store, sid)
            if row is not None and row[0] == fp:
                return row[1], None, fp, False
        try:
            deadline = time.monotonic() + self.WAIT_ELSEWHERE_S
            waited = False
            while views.claimed_elsewhere(store, sid, fp, self.owner) and time.monotonic() < deadline:
                time.sleep(0.1)  # another process builds this very version: its row will do
                waited = True
                row = views.load_view(store, sid)
                if row is not None and row[0] == fp:
                    return row[1], None, fp, False
            row = views.load_view(store, sid) if waited else None  # stored just before its claim went
            if row is not None and row[0] == fp:
                return row[1], None, fp, False
            claimed = views.claim(store, sid, fp, self.owner)
            try:
                t0 = time.perf_counter()
                try:
                    built = self.ctx.build_view(store, sid)
                    view = built.to_dict() if hasattr(built, "to_dict") else (None if built is None else dict(built))
                except Exception as e:  # shown on the page and in the JSON, and logged: never silent
                    from .errors import log

                    log.error("story view of %s failed", sid, exc_info=e)
                    with self._lock:
                        self.errors += 1
                        self.last_error = f"story {sid}: {type(e).__name__}: {e}"
                    return None, f"the story view could not be built ({type(e).__name__}: {e})", None, False
                if view is not None:
                    try:
                        views.save_view(store, sid, fp, view, (time.perf_counter() - t0) * 1000)
                    except Exception as e:  # served all the same; the next request builds it again
                        from .errors import log

                        log.warning("story view of %s could not be stored: %s", sid, e)
                with self._lock:
                    self.built += 1
                return view, None, fp, False
            finally:  # after the row is stored: a process waiting on the claim finds the row when it is gone
                if claimed:
                    views.release(store, sid, self.owner)
        finally:
            with self._lock:
                self._building.pop(sid, None)
            event.set()

    # -- the background builder (current versions of stories served stale) ---------------------------------------
    def schedule(self, sid: str) -> None:
        """Queue story ``sid`` for this process's background builder (started on first use, and again after it
        ended idle or was stopped: each thread has its own stop event)."""
        with self._cond:
            self._queue[sid] = None
            if self._thread is None:
                self._stop_event = threading.Event()
                self._thread = threading.Thread(target=self._run, args=(self._stop_event,), name="storyline-views",
                                                daemon=True)
                self._thread.start()
            self._cond.notify()

    def pending(self) -> int:
        with self._lock:
            return len(self._queue) + len(self._building)

    def _run(self, stop: threading.Event) -> None:
        from ..store import views

        store: Store | None = None
        try:
            while True:
                with self._cond:
                    while not self._queue and not stop.is_set():
                        if not self._cond.wait(30) and not self._queue and not stop.is_set():
                            self._thread = None  # idle: this thread ends; the next schedule() starts another
                            return
                    if stop.is_set():
                        return
                    sid, _ = self._queue.popitem(last=False)
                    busy = sid in self._building
                if busy:
                    continue  # a request is building it right now
                try:
                    if store is None:
                        store = open_store(self.ctx.store_path, check_same_thread=False)
                    fp = views.story_fingerprint(store, sid, self.salt)
                    row = views.load_view(store, sid)
                    if fp is None or (row is not None and row[0] == fp):
                        continue  # merged away, or built meanwhile
                    if views.claimed_elsewhere(store, sid, fp, self.owner):
                        continue  # another process builds it and stores it for everyone
                    self._build(store, sid, fp)
                except Exception as e:  # recorded in /api/health; the next story is tried
                    with self._lock:
                        self.errors += 1
                        self.last_error = f"story {sid}: {type(e).__name__}: {e}"
        finally:
            with self._cond:
                if self._thread is threading.current_thread():
                    self._thread = None
            if store is not None:
                store.close()

    def status(self) -> dict[str, Any]:
        with self._lock:
            return {"built": self.built, "loaded": self.loaded, "stale": self.stale, "queued": len(self._queue),
                    "building": sorted(self._building), "errors": self.errors, "last_error": self.last_error}

    def stop(self, timeout: float = 1.0) -> None:
        """Stop the background builder (a view being built is finished by its daemon thread, which then ends) and
        drop what is queued; waits at most ``timeout`` seconds."""
        with self._cond:
            t, self._thread = self._thread, None
            if t is not None:
                self._stop_event.set()
            self._queue.clear()
            self._cond.notify_all()
        if t is not None:
            t.join(timeout)


@dataclass
class AppContext:
    store_path: str
    settings: Settings
    token: str
    templates: Any = None
    view_builder: Callable[..., Any] | None = None
    # the HTML face's story page, registered by the face that serves it (storyline.web): (ctx, store, sid, payload)
    # -> HTML, and the folder of its templates (a stored page's key hashes them); None for the JSON API alone
    render_html: Callable[..., str] | None = None
    templates_dir: Any = None
    views: ViewCache = field(init=False)
    listings: ViewCache = field(init=False)
    pages: ViewCache = field(init=False)  # rendered story pages (storyline/api/stored_pages.py)
    rankings: ViewCache = field(init=False)  # whole story listings, per store version and filters (data.list_stories)
    stored_views: StoredViews = field(init=False)
    _local: threading.local = field(default_factory=threading.local)
    _stores: list[Store] = field(default_factory=list)
    _stores_lock: threading.Lock = field(default_factory=threading.Lock)
    encoder: Any = None  # the query encoder for semantic search; None = the cluster profile's, built on first use
    _encoder_lock: threading.Lock = field(default_factory=threading.Lock)
    _matrix: tuple[tuple, Any] | None = None
    prewarm: Any = None  # the app's PreWarmer (storyline/api/prewarm.py), started by the app's lifespan
    in_flight: int = 0  # HTTP requests being answered now (counted on the event loop); the pre-warmer yields to them
    workers: int = 1  # worker processes serving this store (storyline serve --workers)

    def __post_init__(self) -> None:
        self.views = ViewCache(self.settings.web.view_cache_size)
        self.listings = ViewCache(256)  # pages of the story listings, per store version (data.list_stories)
        self.pages = ViewCache(self.settings.web.view_cache_size)  # rendered story pages, per page key
        self.rankings = ViewCache(8)  # a whole listing is ~1 KB per story: a few versions and filters at a time
        self.stored_views = StoredViews(self)
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

        key = (model, *store.embedding_version(model))
        cached = self._matrix
        if cached is not None and cached[0] == key:
            return cached[1]
        ids, vectors = store.embedding_rows(model)
        mat = (np.stack([np.frombuffer(v, dtype=np.float16) for v in vectors]).astype(np.float32)
               if vectors else np.zeros((0, 0), dtype=np.float32))
        self._matrix = (key, (ids, mat))
        return ids, mat

    def close(self) -> None:
        self.stored_views.stop()
        with self._stores_lock:
            for s in self._stores:
                s.close()
            self._stores.clear()
