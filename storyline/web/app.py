"""The web server: the JSON API (:mod:`storyline.api`) with its HTML face, the pages of :mod:`storyline.web.pages`,
their Jinja2 templates and local static assets.

>>> from storyline.web import create_app          # doctest: +SKIP
>>> app = create_app("storyline.db")             # doctest: +SKIP
>>> # uvicorn.run(app, host="127.0.0.1", port=8000)
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from ..api import app as api_app
from ..api import factory
from ..settings import Settings
from . import STATIC, TEMPLATES


def _utc(d: datetime | str) -> datetime:
    """A datetime (or an ISO 8601 string, as story views give them) in UTC; naive ones are taken as UTC."""
    if isinstance(d, str):
        d = datetime.fromisoformat(d)
    return d.replace(tzinfo=timezone.utc) if d.tzinfo is None else d.astimezone(timezone.utc)


def templates() -> Jinja2Templates:
    """The pages' templates, with the filters they use."""
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(default=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["day"] = lambda d: "" if d is None else _utc(d).strftime("%Y-%m-%d")
    # ``day``: the input gave a day without a time of day (Article.date_only): show the day, not midnight
    env.filters["when"] = lambda d, day=False: "undated" if d is None else _utc(d).strftime(
        "%Y-%m-%d" if day else "%Y-%m-%d %H:%M UTC")
    env.filters["short"] = lambda s, n=10: s[:n]
    # only http(s) article URLs become links: a "javascript:" or "data:" URL from a feed must never be clickable
    env.filters["http_url"] = lambda u: u if isinstance(u, str) and u.lower().startswith(("http://", "https://")) \
        else None
    return Jinja2Templates(env=env)


def add_pages(app: FastAPI) -> None:
    """Mount the HTML pages (after the API's routes) and the static assets on an API app."""
    from .pages import render_story
    from .pages import router as pages_router

    ctx = app.state.ctx  # stored story pages render their HTML with this face's page and templates
    ctx.render_html, ctx.templates_dir = render_story, TEMPLATES
    app.include_router(pages_router)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")


def create_app(store_path: str | os.PathLike[str], settings: Settings | None = None, **options: Any) -> FastAPI:
    """The JSON API app with the web pages: what ``storyline serve`` runs. ``options`` are those of
    :func:`storyline.api.app.create_app` (``token``, ``encoder``, ``workers`` …)."""
    return api_app.create_app(store_path, settings, templates=templates(), faces=[add_pages], **options)


def create_worker_app() -> FastAPI:
    """The uvicorn factory of one worker process of ``storyline serve --workers N``
    (``storyline.web.app:create_worker_app``, factory=True): :func:`storyline.api.factory.create_worker_app` building
    this module's app."""
    return factory.create_worker_app(build=create_app)
