"""Background pre-warming of story views, so the first visitor of a big story does not wait for it.

One daemon thread builds the story data (payload, memberships, coverage and the story view: the current version,
taken from the store or built and stored, :class:`~storyline.api.context.StoredViews`) of the stories most
likely to be opened, and puts it into the app's :class:`~storyline.api.context.ViewCache` under the key the request
path uses (:func:`storyline.api.data.story_data`), so a later request is a cache hit. As a side effect the story view
stores each article's spaCy entities (``article_entities``), so even a view computed again later is fast.

What it warms: at start and after each successful ``POST /api/ingest``, the stories that ingest touched (those
with a stored view, i.e. viewed or warmed before, unless ``web.prewarm_unviewed``), then the latest stories (the river's and ``/api/stories``' default order: newest article first), ``web.prewarm_stories`` in
all. A trigger that arrives while it works merges into the pending set, which never holds more than that many stories
(the new ingest's stories first, then those of earlier ingests, then the recomputed latest list); a story whose
current version is already cached is skipped.

How it stays out of the way: it builds one story at a time on its own :class:`~storyline.store.Store` connection
(WAL: its reads run beside the API's writer; its entity-cache writes are single statements that wait out the
writer's transaction through the connection's busy timeout). Before each story it waits until no request is in
flight (at most :data:`YIELD_MAX_S`). A request for the story being warmed waits for that one computation (the
cache's per-key lock) instead of computing it a second time. :meth:`PreWarmer.stop` returns within its timeout;
a story already being built is finished by the daemon thread, which then closes its connection and ends.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Iterable

from ..store import Store, open_store
from . import data, queries
from .errors import log

if TYPE_CHECKING:
    from .context import AppContext

# Before each story the warmer waits for a moment with no request in flight, at most this long (then it builds one
# story anyway, so a server that is never idle still gets its views warmed). Requests take ~5 ms on the demo corpus
# (docs/web.md, load test), so a busy server has gaps well within this.
YIELD_MAX_S = 2.0
YIELD_POLL_S = 0.02
# app shutdown waits at most this long for the warmer; a story view being built is not interrupted
STOP_TIMEOUT_S = 1.0


class PreWarmer:
    """The pre-warming worker of one app (see the module docstring). ``n_stories`` is ``web.prewarm_stories``;
    it is capped at the cache size, so warming never evicts what it just warmed, and 0 disables the worker."""

    def __init__(self, ctx: "AppContext", n_stories: int, *, yield_max_s: float = YIELD_MAX_S) -> None:
        self.ctx = ctx
        self.limit = max(0, min(n_stories, ctx.views.size))
        self.yield_max_s = yield_max_s
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._refresh = False  # recompute the latest list at the next step
        self._articles: dict[str, None] = {}  # articles of ingests not yet resolved to their stories (in order)
        self._touched: OrderedDict[str, None] = OrderedDict()  # stories touched by ingests, warmed first
        self._latest: OrderedDict[str, None] = OrderedDict()  # what is left of the latest list
        self._current: str | None = None
        self._planning = False
        self.done = 0
        self.skipped = 0
        self.errors = 0
        self.last_error: str | None = None

    @property
    def enabled(self) -> bool:
        return self.limit > 0

    @property
    def thread(self) -> threading.Thread | None:
        return self._thread

    def start(self) -> None:
        """Start the worker thread and plan the first round: the latest stories. An app started again after a
        shutdown gets a new thread (each thread has its own stop event: one still finishing its story ends)."""
        if not self.enabled or (self._thread is not None and self._thread.is_alive() and not self._stop.is_set()):
            return
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(self._stop,), name="storyline-prewarm", daemon=True)
        self._thread.start()
        self.trigger()

    def trigger(self, article_ids: Iterable[str] = ()) -> None:
        """Warm the latest stories again, and first the stories of ``article_ids`` (just ingested)."""
        if not self.enabled:
            return
        with self._cond:
            self._refresh = True
            self._articles.update(dict.fromkeys(article_ids))
            self._cond.notify()

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> bool:
        """Ask the worker to stop and wait at most ``timeout`` seconds; True when it has ended."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        t = self._thread
        if t is None:
            return True
        t.join(timeout)
        return not t.is_alive()

    def status(self) -> dict[str, Any]:
        """``{enabled, limit, queued, warming, idle, done, skipped, errors, last_error}`` for /api/health."""
        with self._cond:
            queued = len(self._touched.keys() | self._latest.keys())
            idle = not (self._refresh or self._articles or queued or self._current or self._planning)
            return {"enabled": self.enabled, "limit": self.limit, "queued": queued, "warming": self._current,
                    "idle": idle, "done": self.done, "skipped": self.skipped, "errors": self.errors,
                    "last_error": self.last_error}

    # -- the worker thread ------------------------------------------------------------------------------------
    def _run(self, stop: threading.Event) -> None:
        try:
            store = open_store(self.ctx.store_path, check_same_thread=False)
        except Exception as e:  # recorded in /api/health; the server itself keeps serving
            self._record(f"cannot open the store {self.ctx.store_path!r}: {type(e).__name__}: {e}")
            return
        try:
            while True:
                with self._cond:
                    while not (self._refresh or self._touched or self._latest) and not stop.is_set():
                        self._cond.wait()
                    if stop.is_set():
                        return
                    refresh, self._refresh = self._refresh, False
                    articles, self._articles = list(self._articles), {}
                    self._planning = refresh
                if refresh:
                    try:
                        self._plan(store, articles)
                    finally:
                        with self._cond:
                            self._planning = False
                    continue
                if self._wait_for_quiet(stop):
                    return
                sid = self._next()
                if sid is not None:
                    self._warm(store, sid)
        finally:
            store.close()

    def _plan(self, store: Store, articles: list[str]) -> None:
        """Put the stories of ``articles`` first in line, then the ``limit`` latest stories."""
        try:
            touched = _stories_of(store, articles)
            if not self.ctx.settings.web.prewarm_unviewed:  # a story nobody opened is built when someone does
                from ..store.views import with_stored_view

                viewed = with_stored_view(store, touched)
                touched = [sid for sid in touched if sid in viewed]
            latest, _ = queries.list_stories(store, queries.StoryFilters(order="latest"), self.limit)
        except Exception as e:  # e.g. a database broken under the server: recorded, tried again on the next trigger
            self._record(f"cannot list the stories to warm: {type(e).__name__}: {e}")
            return
        with self._cond:
            # at most `limit` stories pending (so a round fits in the cache): the latest ingest's stories first, then
            # those of earlier ingests not yet warmed, then the latest list (recomputed, replacing the previous one)
            merged = list(dict.fromkeys([*touched, *self._touched]))[:self.limit]
            self._touched = OrderedDict.fromkeys(merged)
            rest = [r["id"] for r in latest if r["id"] not in self._touched][:self.limit - len(merged)]
            self._latest = OrderedDict.fromkeys(rest)

    def _wait_for_quiet(self, stop: threading.Event) -> bool:
        """Wait until no request is in flight (at most ``yield_max_s``); True when asked to stop meanwhile."""
        deadline = time.monotonic() + self.yield_max_s
        while self.ctx.in_flight > 0 and time.monotonic() < deadline:
            if stop.wait(YIELD_POLL_S):
                return True
        return stop.is_set()

    def _next(self) -> str | None:
        with self._cond:
            for pending in (self._touched, self._latest):
                if pending:
                    sid, _ = pending.popitem(last=False)
                    self._touched.pop(sid, None)
                    self._latest.pop(sid, None)
                    self._current = sid
                    return sid
            return None

    def _warm(self, store: Store, sid: str) -> None:
        try:
            version = queries.story_versions(store, [sid]).get(sid)
            if version is None:  # merged into another story since it was planned
                with self._cond:
                    self.skipped += 1
                return
            key = ("story", sid, *version)  # the key data.story_data uses
            value, computed = self.ctx.views.warm(
                key, lambda: data._compute_story(self.ctx, store, sid, version, wait=True))  # the current version
            if not computed:  # already cached (by a request, or an earlier round)
                with self._cond:
                    self.skipped += 1
            elif value.get("view_error") and self.ctx.view_builder is not None:
                self._record(f"story {sid}: {value['view_error']}")
            else:
                with self._cond:
                    self.done += 1
        except Exception as e:  # recorded in /api/health and logged; the next story is tried
            self._record(f"story {sid}: {type(e).__name__}: {e}")
        finally:
            with self._cond:
                self._current = None

    def _record(self, message: str) -> None:
        log.warning("story view pre-warming: %s", message)
        with self._cond:
            self.errors += 1
            self.last_error = message


def _stories_of(store: Store, article_ids: list[str]) -> list[str]:
    """The stories holding ``article_ids``, in the order of the articles."""
    story_of = store.story_ids_of(article_ids)
    return list(dict.fromkeys(story_of[a] for a in article_ids if a in story_of))
