"""The server-rendered web UI: Jinja2 templates and local static assets (no CDN), pages mounted by
:func:`storyline.api.create_app`. Every page has a JSON twin (``?format=json``)."""

from __future__ import annotations

from pathlib import Path

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

__all__ = ["STATIC", "TEMPLATES"]
