"""The FastAPI application of the JSON API (/api): security headers, one error shape. The web pages are its HTML
face (:mod:`storyline.web`), which builds on this app: ``storyline.web.create_app`` serves both.

>>> from storyline.api import create_app          # doctest: +SKIP
>>> app = create_app("storyline.db")             # doctest: +SKIP  (the JSON API alone)
>>> # uvicorn.run(app, host="127.0.0.1", port=8000)
"""

from __future__ import annotations

import os
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Callable, Sequence

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders

from .. import __version__
from ..errors import ConfigError
from ..settings import Settings
from ..store import is_postgres_url
from . import errors
from .context import AppContext, load_view_builder
from .prewarm import PreWarmer

# No inline scripts or styles anywhere: scripts and styles come from /static only, SVG uses attributes.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


class SecurityHeaders:
    """Pure ASGI middleware adding :data:`SECURITY_HEADERS` to every response (cheaper than BaseHTTPMiddleware)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for k, v in SECURITY_HEADERS.items():
                    headers.setdefault(k, v)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class CountRequests:
    """Pure ASGI middleware counting the HTTP requests in flight (``ctx.in_flight``), so the background
    pre-warmer can wait for a quiet moment. It runs on the event loop thread only, so a plain int suffices."""

    def __init__(self, app, ctx: AppContext):
        self.app = app
        self.ctx = ctx

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.ctx.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.ctx.in_flight -= 1


def create_app(store_path: str | os.PathLike[str], settings: Settings | None = None, *,
               token: str | None = None, encoder: object | None = None, workers: int = 1,
               templates: Any = None, faces: Sequence[Callable[[FastAPI], None]] = (),
               ingest_worker: bool | None = None) -> FastAPI:
    """Build the JSON API app over the store at ``store_path``.

    ``token`` (default: ``settings.web.token``) enables writes (POST /api/ingest with ``Authorization: Bearer``);
    with no token every write is refused with 403. ``encoder`` embeds semantic-search queries (default: the
    cluster profile's encoder, loaded on the first semantic search); it must be the one that embedded the articles.
    ``workers`` is the number of processes serving this store with this app (``storyline serve --workers``, via
    :mod:`storyline.api.factory`); API ingests are queued in the store and written by one ingest worker, whichever
    process runs it. Give it to any multi-process ASGI server that builds one app per process.
    ``templates`` (a ``Jinja2Templates``) renders error pages for browsers, and ``faces`` add routes after the
    API's (the web pages: :func:`storyline.web.create_app` passes both); without templates every error is JSON.

    ``ingest_worker``: run the ingest worker (:mod:`storyline.service.worker`) in this process, on a thread started
    with the app, consuming the store's ingest queue; default: when the app accepts writes (a token). False for a
    read-only API process, or one whose store another process's worker consumes (docs/worker.md).
    """
    from .routes import router as api_router

    settings = settings or Settings()
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigError(f"workers must be an integer of at least 1, got {workers!r} (setting web.workers)")
    ctx = AppContext(store_path=str(Path(store_path)) if str(store_path) != ":memory:" and not is_postgres_url(
                         store_path) else str(store_path),
                     settings=settings, token=settings.web.token if token is None else token,
                     templates=templates, view_builder=load_view_builder(), encoder=encoder,
                     workers=workers)
    ctx.store()  # open (and migrate) once up front, so a bad path fails at start, not on the first request
    ctx.prewarm = PreWarmer(ctx, settings.web.prewarm_stories)
    worker = None
    if ctx.store_path == ":memory:" and ingest_worker:
        raise ConfigError("an in-memory store (:memory:) is private to one connection, so no ingest worker can "
                          "consume its queue; give a database path, or ingest_worker=False")
    if ctx.store_path != ":memory:" and (ingest_worker or (ingest_worker is None and ctx.token)):
        from ..service.worker import IngestWorker

        # the encoder is the app's (the model loads once per process); the touched stories' views are warmed as
        # each run closes
        refresh = []
        if ctx.view_builder is not None:  # the stories a batch changes get their new view and pages in its transaction
            from .refresh import ViewRefresher

            refresh.append(ViewRefresher(ctx))
        worker = IngestWorker(ctx.store_path, settings,
                              encoder_factory=ctx.query_encoder,
                              on_finished=lambda stats, ids: ctx.prewarm.trigger(ids), observers=refresh)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        ctx.prewarm.start()  # builds the latest stories' views in the background (web.prewarm_stories)
        if worker is not None:
            worker.start()  # builds its clusterer and copy index on its thread, then consumes the queue
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()  # a run in progress stops after its batch; its pending items stay queued
            ctx.prewarm.stop()  # waits at most prewarm.STOP_TIMEOUT_S; a view being built finishes on its own
            ctx.close()

    app = FastAPI(
        title="storyline",
        version=__version__,
        description="News reports grouped into stories, with what sources agree on, where they differ, who said "
                    "what. Every error answers {\"error\": {\"status\", \"code\", \"message\"}}.",
        docs_url=None, redoc_url=None, openapi_url="/openapi.json", lifespan=lifespan,
    )
    app.state.ctx = ctx
    app.state.ingest_worker = worker
    errors.install(app, headers_on_500=SECURITY_HEADERS)

    app.add_middleware(CountRequests, ctx=ctx)
    app.add_middleware(SecurityHeaders)
    app.include_router(api_router)
    for face in faces:
        face(app)
    return app
