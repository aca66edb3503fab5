"""`storyline serve`: the JSON API and web UI over the same store (needs the ``web`` extra)."""

from __future__ import annotations

import os
from typing import Optional

import typer

from .app import app, state
from .output import stderr


@app.command()
def serve(
    host: Optional[str] = typer.Option(None, "--host", help="Address to listen on (default: settings web.host, "
                                                             "127.0.0.1)."),
    port: Optional[int] = typer.Option(None, "--port", min=0, max=65535,
                                       help="Port (default: settings web.port, 8000)."),
) -> None:
    """Serve the story river, story pages, search and the JSON API (/api, docs at /docs).

    Writes (POST /api/ingest) are refused unless STORYLINE_TOKEN (or the setting web.token) is set.
    """
    try:
        import uvicorn
    except ImportError:
        from ..errors import NotInstalled

        raise NotInstalled("uvicorn", "web") from None
    from ..api import create_app

    settings = state.settings
    token = os.environ.get("STORYLINE_TOKEN") or settings.web.token
    host = host or settings.web.host
    port = settings.web.port if port is None else port
    _check_can_listen(host, port)
    with state.open_store():  # a --db that is not a storyline database: one line (exit 1), not a traceback
        pass
    if settings.stories.entities != "rules":  # load spaCy now, so the first story page does not wait for it
        from ..stories.entities import spacy_available

        spacy_available(settings.stories.spacy_model)
    application = create_app(state.db, settings, token=token)
    writes = "enabled (bearer token)" if token else "disabled (set STORYLINE_TOKEN to enable)"
    stderr.print(f"storyline: serving {state.db} on http://{host}:{port}/  (API docs /docs; writes {writes})",
                 highlight=False)
    uvicorn.run(application, host=host, port=port, log_level="warning", access_log=False)


def _check_can_listen(host: str, port: int) -> None:
    """Fail with one line (exit 1) when the address cannot be bound, instead of uvicorn's traceback or exit 3."""
    import socket

    from ..errors import StorylineError

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, addr = infos[0]
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            sock.bind(addr)
    except (OSError, OverflowError) as e:
        raise StorylineError(f"cannot listen on {host}:{port}: {getattr(e, 'strerror', None) or e}; pick another "
                             "--port (or --host), or stop the program using it") from None
