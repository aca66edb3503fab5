"""The data behind every page. Each page's JSON twin is exactly the dict built here, so the HTML and the JSON can
never disagree. Nothing here invents content: a part of the story view that the store cannot give is ``None``
with a reason, and the page says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..cluster.explain import explain_decision
from ..errors import NotFound
from ..present import story_payload
from ..store import Store
from . import queries
from .context import AppContext
from .errors import ApiError

if TYPE_CHECKING:
    from ..search import SearchFilters


def story_data(ctx: AppContext, store: Store, story_id: str) -> dict[str, Any]:
    """One story: the ``show --format json`` payload, each article's membership explanation, per-day coverage and
    the story view (``view``; ``None`` with ``view_error`` saying why when it is not available).

    The view comes from the store (:class:`~storyline.api.context.StoredViews`: built once per story version, shared
    by every process). ``view_version`` is the fingerprint of the version shown; ``view_stale`` is True while the
    story's current version is being built and the previous one is shown. The whole answer is cached in this process
    per story version (``updated_at``, article count), except a stale one."""
    sid = store.resolve_story_id(story_id)
    version = queries.story_versions(store, [sid]).get(sid)
    if version is None:
        raise NotFound(f"no such story {story_id!r}; the story list is at /api/stories")
    return ctx.views.get_or_compute(("story", sid, *version), lambda: _compute_story(ctx, store, sid, version),
                                    keep=_current)


def _current(data: dict[str, Any]) -> bool:
    """Whether a computed story answer may be cached: not when it shows a previous version of the view."""
    return not data.get("view_stale")


def _compute_story(ctx: AppContext, store: Store, sid: str, version: tuple[str, int],
                   wait: bool = False) -> dict[str, Any]:
    data = story_payload(store, sid)
    data["updated_at"] = version[0]
    day_only = store.date_only_ids(a["id"] for a in data["articles"])
    for art in data["articles"]:
        art["date_only"] = art["id"] in day_only  # dated by a day alone: pages show the day, not midnight
        try:
            m = store.membership(art["id"])
        except NotFound:
            art["membership"] = None
            continue
        art["membership"] = {"score": m["score"], "components": m["components"], "shared": m["shared"],
                             "assigned_at": m["assigned_at"],
                             "decision": explain_decision(m["components"], ctx.settings.cluster.join_model)}
    data["coverage"] = queries.coverage(store, [sid])[sid]
    data["view"], data["view_error"], data["view_version"], data["view_stale"] = None, None, None, False
    if ctx.view_builder is None:
        data["view_error"] = "the story-view stage (storyline.stories.build_view) is not installed in this build"
    else:
        view, error, fingerprint, stale = ctx.stored_views.view(store, sid, wait=wait)
        data["view"], data["view_error"], data["view_version"], data["view_stale"] = view, error, fingerprint, stale
    return data


def store_version(store: Store) -> tuple:
    """Changes whenever a story listing can: a story created, merged away or touched (every membership change, new
    version or headline touches ``stories.updated_at``), an article stored, the schema changed. Costs a scan of the stories table's
    timestamps (about a millisecond for 5,000 stories), against 50-60 ms for one page of the story listing on
    10,000 articles."""
    return store.listing_version()  # the schema too: a table altered or dropped under the server is not cached over


def list_stories(ctx: AppContext, store: Store, filters: queries.StoryFilters, limit: int,
                 cursor: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """:func:`queries.list_stories`, cached in this process per store version (:func:`store_version`): readers
    paging through the same listings share one computation of each page until the store changes. A page after the
    first (a cursor) is cut from the listing's whole order, computed once per store version: each page costs the
    whole listing's aggregation anyway (50-60 ms on 10,000 articles), so readers paging through the stories after
    each ingest would otherwise pay it once per page. The rows are copies: callers may add to them."""
    version = store_version(store)
    if cursor is None:
        key = ("stories", version, filters.digest(), limit, cursor)
        rows, next_cursor = ctx.listings.get_or_compute(key, lambda: queries.list_stories(store, filters, limit))
    else:
        keys = _ORDER_KEYS.get(filters.order)
        if keys is None:  # the error queries.list_stories gives
            queries.list_stories(store, filters, limit, cursor)
        after = queries.decode_cursor(cursor, filters.digest(), len(keys))
        def whole() -> tuple[list[dict[str, Any]], list[list[Any]]]:
            rows = queries.list_stories(store, filters, store.count_stories() + 1)[0]
            return rows, [_sort_key(r, keys) for r in rows]

        ranked = ctx.rankings.get_or_compute(("ranked", version, filters.digest()), whole)
        rows, next_cursor = _page_after(ranked, keys, after, limit, filters.digest())
    return [dict(r) for r in rows], next_cursor


# each listing order's sort key as its cursors hold it (the listing query's ORDER BY): (row field, descending?), the
# last one the unique story id; a story with no dated article sorts with "" for its dates
_ORDER_KEYS: dict[str, list[tuple[str, bool]]] = {
    "latest": [("last_seen", True), ("id", False)],
    "most-covered": [("n_sources", True), ("n_articles", True), ("last_seen", True), ("id", False)],
    "oldest": [("first_seen", False), ("id", False)],
}


def _sort_key(row: dict[str, Any], keys: list[tuple[str, bool]]) -> list[Any]:
    """A listed row's values of its listing's sort key, as its cursor holds them."""
    from ..store.sqlite import iso

    return [iso(row[f]) or "" if f in ("first_seen", "last_seen") else row[f] for f, _ in keys]


def _page_after(ranked: tuple[list[dict[str, Any]], list[list[Any]]], keys: list[tuple[str, bool]],
                after: list[Any], limit: int, digest: str) -> tuple[list[dict[str, Any]], str | None]:
    """The ``limit`` rows of ``ranked`` (a whole listing in its order, and each row's sort key) that come after the
    cursor key ``after``, and the cursor of the next page: the rows :func:`queries.list_stories` gives for it."""

    def comes_after(values: list[Any]) -> bool:
        for (_, desc), v, a in zip(keys, values, after):
            if v != a:
                return (v < a) if desc else (v > a)
        return False

    listed, sort_keys = ranked
    start = next((i for i, k in enumerate(sort_keys) if comes_after(k)), len(listed))
    rows = listed[start:start + limit]
    more = start + limit < len(listed)
    return rows, queries.encode_cursor(sort_keys[start + len(rows) - 1], digest) if more and rows else None


def article_data(ctx: AppContext, store: Store, article_id: str, start: int | None = None,
                 end: int | None = None) -> dict[str, Any]:
    """One article with its full text, its story, why it is in that story, and the spans to highlight: the span
    asked for (``start``/``end``, e.g. a citation) plus this article's quotes and unique statements from the
    story view.

    Versions (docs/versions.md): ``superseded_by`` names the newer version that replaced this one (None when it is
    current), ``current_version`` the current version of the outlet's record, ``versions`` every stored version of
    it in arrival order (``[]`` when there is only this one). A superseded article keeps its membership; ``story``
    is its story while that story still has a current article, else None."""
    a = store.get_article(article_id)
    out: dict[str, Any] = {
        "id": a.id, "title": a.title, "source": a.source, "date": a.date, "byline": a.byline, "lang": a.lang,
        "url": a.url, "title_derived": a.title_derived, "origin": a.origin, "warnings": list(a.warnings),
        "text": a.text, "external_id": a.external_id, **store.article_versions(a.id),
        "story": None, "membership": None, "highlight": None, "spans": [],
    }
    if (start is None) != (end is None):
        raise ApiError(422, "invalid-parameter", "give both start and end to highlight a span, or neither")
    if start is not None and end is not None:
        if not 0 <= start < end <= len(a.text):
            raise ApiError(422, "invalid-parameter",
                           f"span start={start} end={end} is outside this article's text (0..{len(a.text)}); "
                           "citations come from /api/stories/{id}")
        out["highlight"] = {"start": start, "end": end, "text": a.text[start:end]}
    try:
        m = store.membership(a.id)
    except NotFound:
        return out
    out["membership"] = {"score": m["score"], "components": m["components"], "shared": m["shared"],
                         "assigned_at": m["assigned_at"],
                         "decision": explain_decision(m["components"], ctx.settings.cluster.join_model)}
    try:
        story = story_data(ctx, store, m["story_id"])
    except NotFound:  # a superseded article whose story has no current article left (its versions moved on)
        return out
    out["story"] = {"id": story["id"], "headline": story["headline"], "n_articles": story["n_articles"],
                    "sources": story["sources"]}
    view = story.get("view") or {}
    for q in view.get("quotes") or []:
        if q.get("article_id") == a.id:
            out["spans"].append({"start": q["start"], "end": q["end"], "kind": "quote",
                                 "label": f"quote: {q.get('speaker') or 'unattributed'}"})
    for u in view.get("unique") or []:
        if u.get("article_id") == a.id:
            out["spans"].append({"start": u["start"], "end": u["end"], "kind": "unique",
                                 "label": "only this source reports this"})
    for s in view.get("summary") or []:
        for c in s.get("citations") or []:
            if c.get("article_id") == a.id:
                out["spans"].append({"start": c["start"], "end": c["end"], "kind": "cited",
                                     "label": "cited in the story summary"})
    out["spans"] = [s for s in out["spans"] if 0 <= s["start"] < s["end"] <= len(a.text)]
    return out


def river_data(ctx: AppContext, store: Store) -> dict[str, Any]:
    """The front page: latest, most covered and most contested stories, each with per-day coverage."""
    n = ctx.settings.web.river_size
    latest, _ = list_stories(ctx, store, queries.StoryFilters(order="latest"), n)
    covered, _ = list_stories(ctx, store, queries.StoryFilters(order="most-covered", min_sources=2), n)
    contested: list[dict[str, Any]] | None = None
    contested_note = None
    if ctx.view_builder is None:
        contested_note = "needs the story view (storyline.stories), which is not installed in this build"
    else:
        candidates, _ = list_stories(ctx, store, queries.StoryFilters(order="latest", min_sources=2),
                                     ctx.settings.web.contested_candidates)
        scored = []
        for row in candidates:
            view = story_data(ctx, store, row["id"]).get("view") or {}
            # disputes only: a figure that rose over time (kind "update") or that all agree on is no contest
            n_conflicts = sum(1 for c in view.get("conflicts") or [] if c.get("kind", "dispute") == "dispute")
            if n_conflicts:
                scored.append({**row, "n_conflicts": n_conflicts})
        scored.sort(key=lambda r: (-r["n_conflicts"], -r["n_sources"], r["id"]))
        contested = scored[:n]
        contested_note = (f"stories whose sources dispute each other's figures, among the "
                          f"{len(candidates)} latest stories with two or more sources")
    rows = latest + covered + (contested or [])
    cov = queries.coverage(store, list({r["id"] for r in rows}))
    for r in rows:
        r["coverage"] = cov.get(r["id"], [])
    return {
        "latest": latest, "most_covered": covered, "most_contested": contested, "contested_note": contested_note,
        # outlets: "unknown outlet" (records naming none) is not one (docs/outlets.md)
        "totals": {"articles": store.count_current_articles(), "sources": store.count_outlets(),
                   "stories": store.count_stories(current=True)},
    }


def search_data(ctx: AppContext, store: Store, q: str, limit: int, mode: str,
                filters: "SearchFilters | None" = None) -> dict[str, Any]:
    """Stories matching ``q`` with their matching articles (:func:`storyline.search.search_stories`), and
    ``results``: those articles as one list, best first (the shape this answer had before it grouped stories)."""
    from ..search import MODES, NoEmbeddings, require_embeddings, search_stories

    if mode not in MODES:
        raise ApiError(422, "invalid-parameter", f"mode must be one of {list(MODES)}, got {mode!r}")
    try:
        encoder = None
        if mode == "semantic" and q.strip():
            require_embeddings(store)
            encoder = ctx.query_encoder()
        out = search_stories(store, q, mode=mode, filters=filters, limit=limit, encoder=encoder,
                             matrix=lambda model: ctx.embedding_matrix(store, model))
    except NoEmbeddings as e:
        raise ApiError(409, "no-embeddings", str(e)) from None
    results = [{**a, "story_id": st["id"]} for st in out["stories"] for a in st["articles"]]
    out["results"] = sorted(results, key=lambda a: -a["score"])
    return out


def entity_data(store: Store, name: str, limit: int) -> dict[str, Any]:
    """The stories an entity's name appears in (:func:`storyline.search.entity_stories`)."""
    from ..search import entity_stories

    return entity_stories(store, name, limit)


def related_data(ctx: AppContext, store: Store, story_id: str, limit: int = 5) -> dict[str, Any]:
    """A story's entity chips (variants merged, junk dropped) and the related stories they lead to."""
    from ..search import entity_chips, related_stories

    story = story_data(ctx, store, story_id)
    view = story.get("view") or {}
    chips = entity_chips(view.get("entities") or [], story["sources"])
    related = related_stories(store, story, chips, limit) if chips else []
    return {"id": story["id"], "entities": chips, "related": related,
            "note": None if view else "entities need the story view"}
