"""HTML pages. Each handler builds its data with :mod:`storyline.api.data` and either renders a template or, with
``?format=json`` (or ``Accept: application/json``), answers that same data as JSON: every page has a JSON twin."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from ..api import data, queries
from ..api.context import AppContext
from ..api.errors import ApiError, wants_json
from ..api.routes import ISO_FORMATS, as_json
from ..store import Store
from . import spans, story_page, svg

router = APIRouter(include_in_schema=False)

# the story view's parts the story page draws; absent ones render as "not available", never as invented content
VIEW_KEYS = ("summary", "timeline", "sources", "entities", "quotes", "figures", "conflicts", "unique", "counts",
             "copies")


def _ctx(request: Request) -> AppContext:
    return request.app.state.ctx


def _page(request: Request, template: str, payload: dict[str, Any], **extra: Any) -> Response:
    if wants_json(request):
        return as_json(payload)
    ctx = _ctx(request)
    return ctx.templates.TemplateResponse(request, template, {"data": payload, **extra})


def _rel(url) -> str:
    """A same-origin relative link (path and query) for a starlette URL."""
    return url.path + (f"?{url.query}" if url.query else "")


@router.get("/")
def river(request: Request) -> Response:
    ctx = _ctx(request)
    payload = data.river_data(ctx, ctx.store())
    sparks = {r["id"]: svg.sparkline(r["coverage"])
              for key in ("latest", "most_covered", "most_contested") for r in (payload[key] or [])}
    return _page(request, "river.html", payload, sparks=sparks, json_href="/?format=json")


@router.get("/stories")
def story_list(request: Request, source: str | None = None, query: str | None = None,
               min_sources: int = Query(0, ge=0, le=1_000_000), order: str = "latest", cursor: str | None = None,
               limit: int | None = Query(None)) -> Response:
    ctx = _ctx(request)
    n = ctx.settings.web.page_size if limit is None else limit
    if not 1 <= n <= ctx.settings.web.max_page_size:
        raise ApiError(422, "invalid-parameter",
                       f"limit must be between 1 and {ctx.settings.web.max_page_size}, got {n}")
    store = ctx.store()
    filters = queries.StoryFilters(source=source or None, query=query or None, min_sources=min_sources, order=order)
    rows, next_cursor = queries.list_stories(store, filters, n, cursor)
    cov = queries.coverage(store, [r["id"] for r in rows])
    for r in rows:
        r["coverage"] = cov.get(r["id"], [])
    payload = {"stories": rows, "next_cursor": next_cursor}
    next_href = _rel(request.url.include_query_params(cursor=next_cursor)) if next_cursor else None
    return _page(request, "stories.html", payload, sparks={r["id"]: svg.sparkline(r["coverage"]) for r in rows},
                 filters=filters, next_href=next_href,
                 json_href=_rel(request.url.include_query_params(format="json")))


@router.get("/stories/{story_id}")
def story(request: Request, story_id: str) -> Response:
    from ..api import stored_pages

    ctx = _ctx(request)
    store = ctx.store()
    sid = store.resolve_story_id(story_id)
    if sid != story_id:  # an alias of a merged story, or a prefix: send the client to the canonical address
        return RedirectResponse(_rel(request.url.replace(path=f"/stories/{quote(sid, safe='')}")),
                                status_code=301)
    # the page is the same for every reader: rendered once per story version, view version, templates and
    # settings, and stored (storyline/api/stored_pages.py)
    if wants_json(request):
        return Response(stored_pages.page(ctx, store, sid, "json"), media_type="application/json")
    return HTMLResponse(stored_pages.page(ctx, store, sid, "html"))


def render_story(ctx: AppContext, store: Store, sid: str, payload: dict[str, Any]) -> str:
    """The story page of ``payload`` (:func:`storyline.api.data.story_data` of ``sid``), with its related stories
    as they are now."""
    from ..search import entity_chips, related_stories

    articles = {a["id"]: a for a in payload["articles"]}
    view = payload["view"] or {}
    chips = entity_chips(view.get("entities") or [], payload["sources"])  # what data.related_data answers
    # the count of current stories weighs shared entities; it changes only with the store (cached per version)
    n_total = ctx.listings.get_or_compute(("n_current", data.store_version(store)),
                                          lambda: store.count_stories(current=True)) if chips else 0
    related = related_stories(store, payload, chips, 5, n_total) if chips else []
    return ctx.templates.env.get_template("story.html").render(
        request=None, data=payload, articles=articles, page=story_page.prepare(payload, payload["view"]),
        timeline=svg.timeline(payload["articles"]), timeline_narrow=svg.timeline(
            payload["articles"], width=360, lane=24, left=96, right=10, max_ticks=4),
        spark=svg.sparkline(payload["coverage"]), view={k: None for k in VIEW_KEYS} | view,
        chips=chips, related=related, json_href=f"/api/stories/{sid}")


@router.get("/articles/{article_id}")
def article(request: Request, article_id: str, start: int | None = Query(None, ge=0),
            end: int | None = Query(None, ge=0)) -> Response:
    ctx = _ctx(request)
    store = ctx.store()
    if not store.has_article(article_id):  # a unique prefix: send the client to the canonical address
        full = store.get_article(article_id).id  # NotFound (404) when it is unknown or ambiguous
        return RedirectResponse(_rel(request.url.replace(path=f"/articles/{quote(full, safe='')}")),
                                status_code=301)
    payload = data.article_data(ctx, store, article_id, start, end)
    segs = spans.segments(payload["text"], payload["spans"], payload["highlight"])
    return _page(request, "article.html", payload, segments=segs,
                 json_href=_rel(request.url.replace(path=f"/api/articles/{payload['id']}")))


def _date_param(name: str, value: str | None) -> datetime | None:
    """A date filter from a form: empty is none; otherwise an ISO 8601 date or date-time (no zone means UTC)."""
    if value is None or not value.strip():
        return None
    try:
        d = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ApiError(422, "invalid-parameter", f"{name} must be {ISO_FORMATS}; got {value!r}") from None
    return d if d.tzinfo else d.replace(tzinfo=timezone.utc)


@router.get("/search")
def search(request: Request, q: str = "", mode: str = "fts", limit: int | None = Query(None),
           since: str | None = None, until: str | None = None, source: str | None = None, lang: str | None = None,
           min_sources: int = Query(0, ge=0, le=1_000_000)) -> Response:
    from ..search import SearchFilters

    ctx = _ctx(request)
    n = ctx.settings.web.page_size if limit is None else limit
    if not 1 <= n <= ctx.settings.web.max_page_size:
        raise ApiError(422, "invalid-parameter",
                       f"limit must be between 1 and {ctx.settings.web.max_page_size}, got {n}")
    filters = SearchFilters(since=_date_param("since", since), until=_date_param("until", until),
                            source=(source or "").strip() or None, lang=(lang or "").strip() or None,
                            min_sources=min_sources)
    try:
        payload = data.search_data(ctx, ctx.store(), q, n, mode, filters)
    except ApiError as e:
        if e.status != 409 or wants_json(request):
            raise
        # the page says why semantic search cannot run here, and keeps the form to search by words instead
        payload = {"query": q, "mode": mode, "filters": filters.as_dict(), "stories": [], "results": [],
                   "error": str(e.message)}
    form = {"since": (since or "").strip(), "until": (until or "").strip(), "source": source or "",
            "lang": lang or "", "min_sources": min_sources}
    return _page(request, "search.html", payload, form=form,
                 json_href=_rel(request.url.include_query_params(format="json")))


@router.get("/entities/{name:path}")
def entity(request: Request, name: str, limit: int | None = Query(None)) -> Response:
    ctx = _ctx(request)
    n = ctx.settings.web.page_size if limit is None else limit
    if not 1 <= n <= ctx.settings.web.max_page_size:
        raise ApiError(422, "invalid-parameter",
                       f"limit must be between 1 and {ctx.settings.web.max_page_size}, got {n}")
    payload = data.entity_data(ctx.store(), name, n)
    return _page(request, "entity.html", payload, json_href=f"/api/entities/{quote(name, safe='')}")


@router.get("/docs")
def docs(request: Request) -> Response:
    """The API reference, rendered from the OpenAPI schema (no CDN-hosted Swagger UI); JSON twin: /openapi.json."""
    schema = request.app.openapi()
    if wants_json(request):
        return JSONResponse(schema)
    ops = []
    for path, methods in schema.get("paths", {}).items():
        for method, op in methods.items():
            params = [{"name": p["name"], "in": p["in"], "required": p.get("required", False),
                       "type": _type_of(p.get("schema", {})), "description": p.get("description", "")}
                      for p in op.get("parameters", [])]
            body = list((op.get("requestBody") or {}).get("content", {}))
            ops.append({"method": method.upper(), "path": path, "summary": op.get("summary", ""),
                        "params": params, "body": body,
                        "responses": sorted(str(c) for c in op.get("responses", {}))})
    return _ctx(request).templates.TemplateResponse(
        request, "docs.html", {"ops": ops, "title": schema["info"]["title"], "version": schema["info"]["version"],
                               "json_href": "/openapi.json"})


def _type_of(schema: dict[str, Any]) -> str:
    if "type" in schema:
        return str(schema["type"])
    if "anyOf" in schema:
        return " | ".join(_type_of(s) for s in schema["anyOf"])
    return "any"
