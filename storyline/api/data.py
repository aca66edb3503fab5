"""The data behind every page. Each page's JSON twin is exactly the dict built here, so the HTML and the JSON can
never disagree. Nothing here invents content: a part of the story view that the store cannot give is ``None``
with a reason, and the page says so.
"""

from __future__ import annotations

import re

from typing import Any

from ..cli.show import story_payload
from ..errors import NotFound
from ..store import Store
from . import queries
from .context import AppContext
from .errors import ApiError


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
    for art in data["articles"]:
        try:
            m = store.membership(art["id"])
        except NotFound:
            art["membership"] = None
            continue
        art["membership"] = {"score": m["score"], "components": m["components"], "shared": m["shared"],
                             "assigned_at": m["assigned_at"]}
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
    return tuple(store.query("SELECT (SELECT count(*) FROM stories), (SELECT max(updated_at) FROM stories), "
                             "(SELECT max(rowid) FROM articles), (SELECT schema_version FROM pragma_schema_version)"
                             )[0])  # the schema too: a table altered or dropped under the server is not cached over


def list_stories(ctx: AppContext, store: Store, filters: queries.StoryFilters, limit: int,
                 cursor: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """:func:`queries.list_stories`, cached in this process per store version (:func:`store_version`): readers
    paging through the same listings share one computation of each page until the store changes. The rows are
    copies: callers may add to them."""
    key = ("stories", store_version(store), filters.digest(), limit, cursor)
    rows, next_cursor = ctx.listings.get_or_compute(key, lambda: queries.list_stories(store, filters, limit, cursor))
    return [dict(r) for r in rows], next_cursor


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
                         "assigned_at": m["assigned_at"]}
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
            n_conflicts = len(view.get("conflicts") or [])
            if n_conflicts:
                scored.append({**row, "n_conflicts": n_conflicts})
        scored.sort(key=lambda r: (-r["n_conflicts"], -r["n_sources"], r["id"]))
        contested = scored[:n]
        contested_note = (f"stories whose sources give different figures, among the "
                          f"{len(candidates)} latest stories with two or more sources")
    rows = latest + covered + (contested or [])
    cov = queries.coverage(store, list({r["id"] for r in rows}))
    for r in rows:
        r["coverage"] = cov.get(r["id"], [])
    totals = store.query("SELECT count(*), count(DISTINCT source) FROM articles WHERE superseded_by IS NULL")[0]
    return {
        "latest": latest, "most_covered": covered, "most_contested": contested, "contested_note": contested_note,
        "totals": {"articles": int(totals[0]), "sources": int(totals[1]),
                   "stories": store.count_stories(current=True)},
    }


_HAS_WORD = re.compile(r"\w", re.UNICODE)  # the full-text index looks for words (storyline.store.fts_query)


def search_data(ctx: AppContext, store: Store, q: str, limit: int, mode: str) -> dict[str, Any]:
    if mode not in ("fts", "semantic"):
        raise ApiError(422, "invalid-parameter", f"mode must be one of ['fts', 'semantic'], got {mode!r}")
    if not q.strip() or (mode == "fts" and not _HAS_WORD.search(q)):  # '"', '***', '-': nothing to look for
        return {"query": q, "mode": mode, "results": []}
    results = queries.search(store, q, limit) if mode == "fts" else _semantic(ctx, store, q, limit)
    return {"query": q, "mode": mode, "results": results}


def _semantic(ctx: AppContext, store: Store, q: str, limit: int) -> list[dict[str, Any]]:
    """Cosine similarity between the query's embedding and the stored article embeddings (title + lead)."""
    import numpy as np

    models = {r[0]: r[1] for r in store.query("SELECT model, count(*) FROM article_embeddings GROUP BY model")}
    if not models:
        raise ApiError(409, "no-embeddings",
                       "semantic search needs stored article embeddings and this database has none (they are "
                       "stored when articles are ingested with cluster.profile=default); use mode=fts")
    encoder = ctx.query_encoder()
    if encoder.name not in models:
        raise ApiError(409, "no-embeddings",
                       f"the stored embeddings were made by {sorted(models)}, not by this server's encoder "
                       f"{encoder.name!r}; use mode=fts")
    ids, mat = ctx.embedding_matrix(store, encoder.name)
    qv = np.asarray(encoder.encode([q]), dtype=np.float32)[0]
    scores = mat @ qv
    # superseded versions keep their embeddings but are no result (docs/versions.md)
    old = {r[0] for r in store.query("SELECT id FROM articles WHERE superseded_by IS NOT NULL")}
    top: list[tuple[str, float]] = []
    for i in np.argsort(-scores, kind="stable"):
        if len(top) == limit:
            break
        if ids[i] not in old:
            top.append((ids[i], float(scores[i])))
    if not top:
        return []
    marks = ",".join("?" * len(top))
    rows = {r["id"]: r for r in store.query(
        f"SELECT a.id, m.story_id, a.source, a.title, a.date, substr(a.text, 1, 240) AS lead FROM articles a "
        f"LEFT JOIN memberships m ON m.article_id = a.id WHERE a.id IN ({marks})", [i for i, _ in top])}
    out = []
    for aid, score in top:
        r = rows.get(aid)
        if r is None:
            continue
        lead = r["lead"] + ("…" if len(r["lead"]) == 240 else "")
        out.append({"id": aid, "story_id": r["story_id"], "source": r["source"], "title": r["title"],
                    "date": queries.from_iso(r["date"]), "score": round(score, 4), "snippet": lead,
                    "snippet_parts": [{"text": lead, "match": False}]})
    return out
