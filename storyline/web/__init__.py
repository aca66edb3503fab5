"""The server-rendered web UI, the HTML face of the JSON API: Jinja2 templates and local static assets (no CDN).
:func:`create_app` builds the API app with these pages. Every page has a JSON twin (``?format=json``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


def create_app(store_path: Any, settings: Any = None, **options: Any) -> "FastAPI":
    """The web server over the store at ``store_path``: the JSON API (/api) and the web pages
    (:func:`storyline.web.app.create_app`; ``options`` are the API app's: ``token``, ``encoder`` …)."""
    try:
        import fastapi  # noqa: F401
        import jinja2  # noqa: F401
    except ImportError as e:
        from ..errors import NotInstalled

        raise NotInstalled(e.name or "fastapi", "web") from None
    from .app import create_app as _create

    return _create(store_path, settings, **options)


__all__ = ["STATIC", "TEMPLATES", "create_app"]
