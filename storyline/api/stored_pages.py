"""Rendered story pages kept in the store (migration 0302): the HTML of ``/stories/{id}`` and the JSON of
``/api/stories/{id}``, so that a request for an unchanged story reads the page instead of rendering it.

A page's key is a hash of what it is rendered from: the story's version (``updated_at`` and its current article
count; every membership change, merge, new article version and headline touches ``updated_at``), the fingerprint of
its current view (:func:`storyline.store.views.story_fingerprint`: current articles, headline, copy relations, the
outlet registry, the view builder and its settings) and :func:`page_salt` (the package version, the templates, the
web settings). A request computes the story's current key (a few indexed reads) and serves a stored page only when
it was rendered for that key, so a story changed by a commit is never answered with a page rendered before it.

Related stories are rendered into the page: they are computed again when the story's page is (its story or view
changed, or the templates or settings), not when some other story changes.

Who renders: the API's writer, inside its ingest's transaction, for the stories that ingest changed
(:mod:`storyline.api.refresh`): the new page commits together with the change it shows. Otherwise the first request
that finds no page for the current key renders it and stores it, waiting at most
:data:`~storyline.store.views.PAGE_BUSY_MS` for a writer's transaction (else the page is served unstored and kept in
this process's memory): a reader never stalls behind a writer. A page showing a previous version of the story's view
(``view_stale``, while the current one is built) is never stored; the process keeps it in memory under the version it
shows, until the current view is stored.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, Callable

from ..store import Store
from ..store import views
from . import data, queries

if TYPE_CHECKING:
    from .context import AppContext

KINDS = ("html", "json")
_TEMPLATES_DIGEST: dict[str, str] = {}


def _templates_digest(folder: Any) -> str:
    """A digest of the page templates' files (read once per process and folder)."""
    from pathlib import Path

    name = str(folder)
    if name not in _TEMPLATES_DIGEST:
        root = Path(folder)
        h = hashlib.sha256()
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            h.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
        _TEMPLATES_DIGEST[name] = h.hexdigest()[:16]
    return _TEMPLATES_DIGEST[name]


def kinds(ctx: "AppContext") -> tuple[str, ...]:
    """The pages this app renders: the JSON always, the HTML when an HTML face registered its renderer."""
    return KINDS if ctx.render_html is not None else ("json",)


def page_salt(ctx: "AppContext", kind: str) -> str:
    """What besides the story a stored page depends on: the view's salt (package version, view builder and its
    settings), the web settings (the write token left out) and, for the HTML page, its templates."""
    web = {k: v for k, v in asdict(ctx.settings.web).items() if k != "token"}
    templates = _templates_digest(ctx.templates_dir) if kind == "html" and ctx.templates_dir is not None else ""
    return json.dumps([ctx.stored_views.salt, templates, web], sort_keys=True, default=str)


def story_state(ctx: "AppContext", store: Store, sid: str) -> tuple[tuple[str, int], str] | None:
    """``(version, fingerprint)`` of story ``sid`` now, what every page of it is keyed on; None when the story has no
    row (merged away)."""
    version = queries.story_versions(store, [sid]).get(sid)
    fp = views.story_fingerprint(store, sid, ctx.stored_views.salt)
    return None if version is None or fp is None else (version, fp)


def page_key(ctx: "AppContext", sid: str, kind: str, version: tuple[str, int], fp: str) -> str:
    """The key of story ``sid``'s ``kind`` page at ``version`` with view fingerprint ``fp``."""
    return hashlib.sha256(json.dumps([page_salt(ctx, kind), sid, list(version), fp]).encode("utf-8")).hexdigest()[:32]


def storable(ctx: "AppContext", payload: dict[str, Any], version: tuple[str, int], fp: str) -> bool:
    """Whether a page rendered from ``payload`` is the page of the key made of ``version`` and ``fp``: its story
    data is that version and its view the current one (not a previous version, not a failed build)."""
    if payload.get("updated_at") != version[0] or payload.get("view_stale"):
        return False
    if ctx.view_builder is None:  # no story-view stage in this build: the page says so, for good
        return True
    return payload.get("view") is not None and payload.get("view_version") == fp


def render_json(payload: dict[str, Any]) -> bytes:
    """The story's JSON, exactly as the API encodes it (:func:`storyline.api.routes.as_json`)."""
    from .routes import as_json

    return bytes(as_json(payload).body)


def render(ctx: "AppContext", store: Store, sid: str, kind: str, payload: dict[str, Any]) -> bytes:
    if kind == "json":
        return render_json(payload)
    if ctx.render_html is None:
        raise ValueError("this app has no HTML face (storyline.web.create_app registers one)")
    return ctx.render_html(ctx, store, sid, payload).encode("utf-8")


def page(ctx: "AppContext", store: Store, sid: str, kind: str,
         payload_of: Callable[[], dict[str, Any]] | None = None) -> bytes:
    """The ``kind`` page ("html" or "json") of story ``sid`` (a resolved id): this process's copy, else the stored
    page when it was rendered for the story's current key, else rendered now (and stored when it shows the current
    view). Concurrent requests of this process for the same page wait for one render. Raises NotFound for a story
    that is gone."""
    if kind not in KINDS:
        raise ValueError(f"page kind must be one of {list(KINDS)}, got {kind!r}")
    payload_of = payload_of or (lambda: data.story_data(ctx, store, sid))
    state = story_state(ctx, store, sid)
    if state is None:  # merged away or unknown since it was resolved: story_data says which, as a 404
        payload_of()
        raise AssertionError(f"story {sid!r} has no row but its data could be read")  # pragma: no cover
    version, fp = state
    key = page_key(ctx, sid, kind, version, fp)

    def load_or_render() -> tuple[bytes, bool]:
        row = views.load_page(store, sid, kind)
        if row is not None and row[0] == key:
            return row[1], True
        payload = payload_of()
        if not storable(ctx, payload, version, fp):  # a previous view (or a newer commit): memory only, per version
            shown = ("shown", sid, kind, payload.get("updated_at"), payload.get("view_version"))
            return ctx.pages.get_or_compute(shown, lambda: render(ctx, store, sid, kind, payload)), False
        t0 = time.perf_counter()
        body = render(ctx, store, sid, kind, payload)
        views.save_page(store, sid, kind, key, body, (time.perf_counter() - t0) * 1000)
        return body, True

    body, _ = ctx.pages.get_or_compute(("page", sid, kind, key), load_or_render, keep=lambda v: v[1])
    return body


def store_pages(ctx: "AppContext", store: Store, sid: str, payload: dict[str, Any]) -> int:
    """Render both pages of ``sid`` from ``payload`` and store them under the story's current key (the writer, in
    its transaction: :mod:`storyline.api.refresh`); returns how many were stored (0 when ``payload`` does not show
    the current view)."""
    state = story_state(ctx, store, sid)  # read once: both pages share the story's version and view
    if state is None or not storable(ctx, payload, *state):
        return 0
    n = 0
    for kind in kinds(ctx):
        t0 = time.perf_counter()
        body = render(ctx, store, sid, kind, payload)
        n += views.save_page(store, sid, kind, page_key(ctx, sid, kind, *state), body,
                             (time.perf_counter() - t0) * 1000)
    return n
