"""The JSON API under ``/api``. Every error answers ``{"error": {"status", "code", "message"}}``."""

from __future__ import annotations

import hmac
import json
import os
import re
from datetime import datetime, timezone
from typing import Annotated, Any, Iterator

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from pydantic import BeforeValidator

from .. import __version__
from ..ingest.structured import record_to_item
from ..records import Origin, RawItem, Rejected
from ..service.worker import wait_for_run
from . import data, queries
from .context import AppContext
from .errors import ApiError

router = APIRouter(prefix="/api", tags=["api"])

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"description": desc, "content": {"application/json": {"example": {
        "error": {"status": code, "code": slug, "message": "what failed, the offending value and a hint"}}}}}
    for code, slug, desc in [(404, "not-found", "No such story or article"),
                             (422, "invalid-parameter", "A parameter is invalid")]
}


def as_json(payload: dict[str, Any]) -> JSONResponse:
    """The one JSON encoding for API answers and page twins (datetimes as ISO 8601 with +00:00)."""
    return JSONResponse(jsonable_encoder(payload))


def ctx_of(request: Request) -> AppContext:
    return request.app.state.ctx


def _limit(ctx: AppContext, limit: int | None) -> int:
    if limit is None:
        return ctx.settings.web.page_size
    if not 1 <= limit <= ctx.settings.web.max_page_size:
        raise ApiError(422, "invalid-parameter",
                       f"limit must be between 1 and {ctx.settings.web.max_page_size}, got {limit}")
    return limit


_NUMBER = re.compile(r"\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*")
ISO_FORMATS = ("an ISO 8601 date or date-time, e.g. 2021-10-09, 2021-10-09T14:30:00Z or 2021-10-09T16:30:00+02:00 "
               "(no zone means UTC)")


def _iso_only(value: Any) -> Any:
    """An ISO 8601 date or date-time, parsed; anything else (a Unix timestamp too) is refused with the formats.

    Pydantic alone would read a bare number as a Unix timestamp ("20211009" as 1970-08-22); ISO 8601's basic
    form ``20211009`` is a date here, ``1633737600`` is refused."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip())
        except ValueError:
            pass
    if isinstance(value, (int, float)) or isinstance(value, str) and _NUMBER.fullmatch(value):
        raise ValueError(f"a bare number (a Unix timestamp?) is not accepted as a time; give {ISO_FORMATS}")
    raise ValueError(f"not a date or time; give {ISO_FORMATS}")


# since/until: ISO 8601 only, like every other date the API takes or gives (docs/web.md)
IsoDateTime = Annotated[datetime, BeforeValidator(_iso_only)]


def _utc(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt


@router.get("/health", summary="Liveness and what the store holds")
def health(request: Request) -> dict[str, Any]:
    ctx = ctx_of(request)
    store = ctx.store()
    return {"status": "ok", "version": __version__, "articles": store.count_articles(),
            "stories": store.count_stories(), "writes_enabled": bool(ctx.token),
            "story_view": ctx.view_builder is not None,
            # which worker process answered, of how many (storyline serve --workers); pid as the OS reports it
            "worker": {"pid": os.getpid(), "workers": ctx.workers},
            "view_cache": {"size": len(ctx.views), "hits": ctx.views.hits, "misses": ctx.views.misses,
                           "prewarm": ctx.prewarm.status() if ctx.prewarm is not None else None,
                           "stored": ctx.stored_views.status()}}


@router.get("/stories", summary="List stories (filters; cursor pagination)", responses=ERROR_RESPONSES)
def stories(
    request: Request,
    since: IsoDateTime | None = Query(None, description="Only stories with an article on or after this time (ISO "
                                                         "8601 date or date-time; no zone means UTC)."),
    until: IsoDateTime | None = Query(None, description="Only stories with an article on or before this time (ISO "
                                                         "8601 date or date-time; no zone means UTC)."),
    source: str | None = Query(None, description="Only stories this outlet covered."),
    query: str | None = Query(None, description="Only stories with an article matching these words (FTS5)."),
    min_sources: int = Query(0, ge=0, le=1_000_000, description="Only stories covered by at least this many outlets."),
    order: str = Query("latest", description="latest | most-covered | oldest"),
    limit: int | None = Query(None, description="Stories per page (default: settings web.page_size)."),
    cursor: str | None = Query(None, description="The next_cursor of the previous page."),
) -> dict[str, Any]:
    ctx = ctx_of(request)
    filters = queries.StoryFilters(since=_utc(since), until=_utc(until), source=source,
                                   query=query or None, min_sources=min_sources, order=order)
    rows, next_cursor = data.list_stories(ctx, ctx.store(), filters, _limit(ctx, limit), cursor)
    return as_json({"stories": rows, "next_cursor": next_cursor})


@router.get("/stories/{story_id}", summary="One story with its whole story view", responses=ERROR_RESPONSES)
def story(request: Request, story_id: str) -> Response:
    from .stored_pages import page

    ctx = ctx_of(request)
    store = ctx.store()  # the page is rendered once per story version and stored (storyline/api/stored_pages.py)
    return Response(page(ctx, store, store.resolve_story_id(story_id), "json"), media_type="application/json")


@router.get("/outlets", summary="Outlets: registered (with attributes) and seen in articles, with counts")
def outlets(request: Request) -> dict[str, Any]:
    from ..outlets import outlet_listing

    rows, unknown = outlet_listing(ctx_of(request).store())
    return as_json({"outlets": rows, "unknown_outlet_articles": unknown})


@router.get("/articles", summary="List articles (cursor pagination)", responses=ERROR_RESPONSES)
def articles(
    request: Request,
    story: str | None = Query(None, description="Only the articles of this story (id, alias or unique prefix)."),
    source: str | None = Query(None, description="Only articles from this outlet."),
    limit: int | None = Query(None),
    cursor: str | None = Query(None),
) -> dict[str, Any]:
    ctx = ctx_of(request)
    store = ctx.store()
    story_id = store.resolve_story_id(story) if story else None
    rows, next_cursor = queries.list_articles(store, story_id=story_id, source=source,
                                              limit=_limit(ctx, limit), cursor=cursor)
    return as_json({"articles": rows, "next_cursor": next_cursor})


@router.get("/articles/{article_id}", summary="One article, its story and why it is there",
            responses=ERROR_RESPONSES)
def article(request: Request, article_id: str, start: int | None = Query(None, ge=0),
            end: int | None = Query(None, ge=0)) -> dict[str, Any]:
    ctx = ctx_of(request)
    return as_json(data.article_data(ctx, ctx.store(), article_id, start, end))


@router.get("/runs", summary="Ingest runs: state and what each committed", responses=ERROR_RESPONSES)
def runs(request: Request, limit: int = Query(50, ge=1, le=10_000, description="The newest runs, at most this many.")
         ) -> dict[str, Any]:
    """Newest first. ``state``: running, finished, failed, or interrupted (its process died: the counts are what it
    committed; running the input again completes it)."""
    rows = ctx_of(request).store().runs()
    return as_json({"runs": rows[::-1][:limit]})


@router.get("/search", summary="Search stories, each with its matching articles (FTS5; semantic where embeddings "
                                "exist)", responses=ERROR_RESPONSES)
def search(request: Request, q: str = Query(..., description="Words to look for (fts) or a description (semantic)."),
           limit: int | None = Query(None, description="Stories to list (default: settings web.page_size)."),
           mode: str = Query("fts", description="fts | semantic"),
           since: IsoDateTime | None = Query(None, description="Only articles published on or after this time."),
           until: IsoDateTime | None = Query(None, description="Only articles published on or before this time."),
           source: str | None = Query(None, description="Only articles from this outlet."),
           lang: str | None = Query(None, description="Only articles in this language (ISO 639-1, e.g. en)."),
           min_sources: int = Query(0, ge=0, le=1_000_000,
                                    description="Only stories covered by at least this many outlets.")
           ) -> dict[str, Any]:
    from ..search import SearchFilters

    ctx = ctx_of(request)
    filters = SearchFilters(since=_utc(since), until=_utc(until), source=source or None, lang=lang or None,
                            min_sources=min_sources)
    return as_json(data.search_data(ctx, ctx.store(), q, _limit(ctx, limit), mode, filters))


@router.get("/entities/{name:path}", summary="The stories an entity (person, organisation, place) appears in",
            responses=ERROR_RESPONSES)
def entity(request: Request, name: str, limit: int | None = Query(None)) -> dict[str, Any]:
    ctx = ctx_of(request)
    return as_json(data.entity_data(ctx.store(), name, _limit(ctx, limit)))


@router.get("/stories/{story_id}/related", summary="A story's entities (variants merged) and related stories",
            responses=ERROR_RESPONSES)
def related(request: Request, story_id: str) -> dict[str, Any]:
    ctx = ctx_of(request)
    store = ctx.store()
    return as_json(data.related_data(ctx, store, store.resolve_story_id(story_id)))


def check_token(ctx: AppContext, request: Request) -> None:
    """Writes need ``Authorization: Bearer <token>`` matching the configured token (compared in constant time)."""
    if not ctx.token:
        raise ApiError(403, "writes-disabled",
                       "this server accepts no writes: start it with STORYLINE_TOKEN set to enable POST /api/ingest")
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not given:
        raise ApiError(401, "unauthorized", "POST /api/ingest needs the header 'Authorization: Bearer <token>'",
                       {"WWW-Authenticate": "Bearer"})
    if not hmac.compare_digest(given.strip().encode("utf-8"), ctx.token.encode("utf-8")):
        raise ApiError(401, "unauthorized", "the bearer token does not match this server's STORYLINE_TOKEN",
                       {"WWW-Authenticate": "Bearer"})


JSONL_TYPES = ("application/x-ndjson", "application/jsonl", "application/x-jsonlines", "application/json-lines")


def parse_body(body: bytes, content_type: str) -> Iterator[RawItem | Rejected]:
    """A JSON object, a JSON array of objects, or JSONL (one object a line) → raw items; a bad record is a
    Rejected item with its record number, never a lost neighbour."""
    ctype = content_type.split(";")[0].strip().lower()
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ApiError(400, "undecodable", f"the request body is not UTF-8 (invalid byte at {e.start})") from None
    if ctype in JSONL_TYPES:
        for lineno, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                yield Rejected(f"api:{lineno}", "ingest", "malformed-json", f"{e.msg} (column {e.colno})")
                continue
            yield record_to_item(rec, Origin("api", lineno), "jsonl")
        return
    if ctype != "application/json":
        raise ApiError(415, "unsupported-media-type",
                       f"content type {ctype or '(none)'!r} is not accepted; send application/json "
                       f"(an object or an array of objects) or one of {list(JSONL_TYPES)}")
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as e:
        raise ApiError(400, "malformed-json", f"the body is not valid JSON: {e.msg} at line {e.lineno} "
                                              f"column {e.colno}") from None
    records = payload if isinstance(payload, list) else [payload]
    for i, rec in enumerate(records, 1):
        yield record_to_item(rec, Origin("api", i), "json")


@router.post("/ingest", summary="Add articles (JSON object/array or JSONL); needs the bearer token",
             description="The items are queued in the store and the ingest worker ingests them in arrival order "
                         "(docs/worker.md). The answer comes at once: 202 with the run id (follow it at "
                         "GET /api/ingest/{run_id}). With ?wait=true the answer waits for the run to finish and "
                         "gives its counts, articles and rejects (200).",
             status_code=202,
             responses={200: {"description": "?wait=true: the run finished; its counts, articles and rejects"},
                        202: {"description": "Queued: the run id, to follow at GET /api/ingest/{run_id}"},
                        401: {"description": "Missing or wrong token"},
                        403: {"description": "Writes are disabled (no STORYLINE_TOKEN)"},
                        413: {"description": "Body too large"}, 415: {"description": "Unsupported type"}},
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/json": {"schema": {"oneOf": [{"type": "object"}, {"type": "array"}]},
                                      "example": {"title": "…", "text": "…", "source": "…",
                                                  "date": "2026-03-02T06:40:00+01:00"}},
                 "application/x-ndjson": {"schema": {"type": "string"}}}}})
async def ingest(request: Request,
                 wait: bool = Query(False, description="Wait for the run to finish and answer with its counts, "
                                                       "articles and rejects (at most settings web.ingest_wait_s).")
                 ) -> JSONResponse:
    ctx = ctx_of(request)
    check_token(ctx, request)
    limit = ctx.settings.web.max_ingest_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, "too-large", f"the body is {declared} bytes, over the limit of {limit} "
                                         "(setting web.max_ingest_bytes); send it in parts")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise ApiError(413, "too-large", f"the body is over the limit of {limit} bytes "
                                             "(setting web.max_ingest_bytes); send it in parts")
    items = list(parse_body(bytes(body), request.headers.get("content-type", "")))
    if not items:
        raise ApiError(400, "empty", "the body holds no records; send at least one article")
    worker = getattr(request.app.state, "ingest_worker", None)
    run_id = await run_in_threadpool(_enqueue, ctx, worker, items)
    if not wait:
        return JSONResponse({"run_id": run_id, "state": "queued", "items": len(items),
                             "status": f"/api/ingest/{run_id}"}, status_code=202)
    result = await run_in_threadpool(_wait, ctx, worker, run_id)
    if result["state"] in ("queued", "running") and worker is not None and not worker.alive() \
            and worker.last_error is not None:
        raise ApiError(503, "ingest-worker-stopped",
                       f"run {run_id} is queued, but this server's ingest worker stopped: {worker.last_error}; "
                       f"its items stay queued for a worker that can run (docs/worker.md)")
    if result["state"] != "finished":
        return _not_finished(result)
    if ctx.prewarm is not None and worker is None:  # an in-process worker warms them as each run closes
        ctx.prewarm.trigger(result["articles"])
    return as_json(result)


@router.get("/ingest/{run_id}", summary="An API ingest's run: its state, and once finished its counts, articles "
                                        "and rejects", responses=ERROR_RESPONSES)
def ingest_status(request: Request, run_id: int) -> JSONResponse:
    result = _ingest_result(ctx_of(request).store(), run_id, None)
    return as_json(result) if result["state"] == "finished" else _not_finished(result)


def _enqueue(ctx: AppContext, worker: Any, items: list[RawItem | Rejected]) -> int:
    """Queue ``items`` as one run (storyline/store/queue.py) and wake this process's worker, if it has one."""
    run_id = ctx.store().enqueue_ingest(items, command="api ingest")
    if worker is not None:
        worker.start()  # started by the app's lifespan; a test client without one starts it here
        worker.notify()
    return run_id


def _wait(ctx: AppContext, worker: Any, run_id: int) -> dict[str, Any]:
    """Wait (in a worker thread, with this thread's store) for run ``run_id`` to end; the answer about it."""
    store = ctx.store()
    return _ingest_result(store, run_id, wait_for_run(store, run_id, ctx.settings.web.ingest_wait_s, worker))


def _ingest_result(store: Any, run_id: int, run: dict[str, Any] | None) -> dict[str, Any]:
    """The answer about run ``run_id``: its counts, state and error, and once finished the ids of the articles it
    stored and the rejects it met."""
    run = run if run is not None else store.get_run(run_id)
    if run is None:
        raise ApiError(404, "not-found", f"no ingest run {run_id}; POST /api/ingest answers with the run id")
    out = {"run_id": run_id, "state": run["state"], "queued": run["queued"], "error": run["error"],
           **{k: run[k] for k in ("seen", "accepted", "rejected", "duplicates", "new_stories")}}
    if run["state"] == "finished":
        out["articles"] = store.run_article_ids(run_id)
        out["rejects"] = [{"ref": r["ref"], "reason": r["reason"], "detail": r["detail"]}
                          for r in store.list_rejects(run_id=run_id)]
    return out


def _not_finished(result: dict[str, Any]) -> JSONResponse:
    """A run still queued or running answers 202; one that failed or was interrupted (its pending items stay
    queued and are ingested when a worker runs again) answers 503 with the error shape."""
    if result["state"] in ("queued", "running"):
        return JSONResponse(jsonable_encoder(result), status_code=202)
    raise ApiError(503, f"ingest-{result['state']}",
                   f"ingest run {result['run_id']} {result['state']}: {result['error']}; its "
                   f"{result['queued']} pending items stay queued and are ingested when the worker runs again "
                   "(GET /api/ingest/{run_id} follows it)")
