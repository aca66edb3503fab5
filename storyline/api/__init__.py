"""The REST API: :func:`create_app` builds the JSON API's FastAPI app over a storyline database (the web server,
API and pages together: :func:`storyline.web.create_app`).

Needs the ``web`` extra (``pip install 'storyline[web]'``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI


def create_app(store_path: Any, settings: Any = None, *, token: str | None = None,
               encoder: Any = None, **options: Any) -> "FastAPI":
    """Build the app (:func:`storyline.api.app.create_app`, which documents ``options``: ``workers``,
    ``ingest_worker``)."""
    try:
        import fastapi  # noqa: F401
        import jinja2  # noqa: F401
    except ImportError as e:
        from ..errors import NotInstalled

        raise NotInstalled(e.name or "fastapi", "web") from None
    from .app import create_app as _create

    return _create(store_path, settings, token=token, encoder=encoder, **options)


__all__ = ["create_app"]
