"""The API writer keeps the stories it changes current: a pipeline observer (:class:`ViewRefresher`) that, inside
each ingest batch's transaction, builds the new view of every story the batch changed that has a stored view, and
stores its rendered pages (:mod:`storyline.api.stored_pages`).

So the change, the story's view and its pages commit together: a reader (WAL: it never waits for the writer) sees
either the story before the batch with its view and pages, or the story after it with the new ones, never the new
story with the view of the old one. A story without a stored view (no one opened it, it was never warmed) is not
built here: its first request builds it. A view that fails to build is logged and recorded in ``/api/health``
(``view_cache.stored.errors``) and does not stop the ingest; requests then show the previous version and queue
the build, as after any change made outside the API (``storyline ingest``, ``watch``, an outlet import).
"""

from __future__ import annotations

import sqlite3
import time
from typing import TYPE_CHECKING, Any, Sequence

from ..records import Article, Assignment
from ..store import Store
from ..store import views
from .errors import log

if TYPE_CHECKING:
    from .context import AppContext


def _store_error(e: BaseException) -> bool:
    """An error of the database itself (the batch must not commit), as opposed to one of the view builder."""
    return isinstance(e, sqlite3.Error) or type(e).__module__.split(".")[0] == "psycopg"


class ViewRefresher:
    """Pipeline observer of the API's ingest (see the module docstring)."""

    def __init__(self, ctx: "AppContext") -> None:
        self.ctx = ctx
        self.built = 0  # views built in ingest transactions (and their pages stored)

    def observe(self, store: Store, articles: Sequence[Article], assignments: Sequence[Assignment]) -> None:
        if not articles or self.ctx.view_builder is None:
            return
        touched = views.stories_touched(store, [a.id for a in articles])
        viewed = views.with_stored_view(store, touched)
        for sid in (s for s in touched if s in viewed):
            try:
                self._refresh(store, sid)
            except Exception as e:
                if _store_error(e):
                    raise
                log.error("story view of %s could not be built in the ingest", sid, exc_info=e)
                sv = self.ctx.stored_views
                with sv._lock:
                    sv.errors += 1
                    sv.last_error = f"story {sid}: {type(e).__name__}: {e}"

    def _refresh(self, store: Store, sid: str) -> None:
        from . import data, queries
        from .stored_pages import store_pages

        fp = views.story_fingerprint(store, sid, self.ctx.stored_views.salt)
        if fp is None or views.stored_fingerprint(store, sid) == fp:
            return  # merged away, or its view did not change
        t0 = time.perf_counter()
        built = self.ctx.build_view(store, sid)
        view: Any = built.to_dict() if hasattr(built, "to_dict") else (None if built is None else dict(built))
        if view is None:
            return
        views.save_view(store, sid, fp, view, (time.perf_counter() - t0) * 1000)
        self.built += 1
        version = queries.story_versions(store, [sid]).get(sid)
        if version is None:
            return
        # the story's data as this transaction sees it; not put in the process's cache (it commits later, or never)
        payload = data._compute_story(self.ctx, store, sid, version)
        store_pages(self.ctx, store, sid, payload)
