"""`storyline serve`: the JSON API and web UI over the same store (needs the ``web`` extra)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Optional

import typer

from ..errors import ConfigError, StorylineError
from ..store import redact_url
from .app import app, state
from .output import stderr


@app.command()
def serve(
    host: Optional[str] = typer.Option(None, "--host", help="Address to listen on (default: settings web.host, "
                                                             "127.0.0.1)."),
    port: Optional[int] = typer.Option(None, "--port", min=0, max=65535,
                                       help="Port (default: settings web.port, 8000)."),
    workers: Optional[int] = typer.Option(None, "--workers", min=1,
                                          help="Worker processes sharing the socket (default: settings web.workers, "
                                               "1). Each has its own story-view cache and pre-warmer; API ingests "
                                               "run one at a time across them."),
    ingest_worker: bool = typer.Option(True, "--worker/--no-worker",
                                       help="Run the ingest worker in this server, consuming the store's ingest "
                                            "queue (default). --no-worker for read-only API processes, or when "
                                            "`storyline worker` runs elsewhere on the same store (docs/worker.md)."),
) -> None:
    """Serve the story river, story pages, search and the JSON API (/api, docs at /docs).

    Writes (POST /api/ingest) are refused unless STORYLINE_TOKEN (or the setting web.token) is set.
    With --workers N above 1, N uvicorn worker processes answer on the same socket; Ctrl-C or SIGTERM stops them all.
    """
    try:
        import uvicorn
    except ImportError:
        from ..errors import NotInstalled

        raise NotInstalled("uvicorn", "web") from None
    from ..web import create_app

    settings = state.settings
    token = os.environ.get("STORYLINE_TOKEN") or settings.web.token
    host = host or settings.web.host
    port = settings.web.port if port is None else port
    n_workers = settings.web.workers if workers is None else workers
    if n_workers < 1:
        raise ConfigError(f"setting web.workers must be at least 1, got {n_workers}; e.g. --set web.workers=2 "
                          "or --workers 2")
    if n_workers > 1 and importlib.util.find_spec("fcntl") is None:
        raise StorylineError(f"--workers {n_workers} needs POSIX file locks (the fcntl module), which this platform "
                             "lacks; serve with --workers 1")
    _check_can_listen(host, port)
    with state.open_store():  # a --db that is not a storyline database: one line (exit 1), not a traceback
        pass
    writes = "enabled (bearer token)" if token else "disabled (set STORYLINE_TOKEN to enable)"
    procs = "1 worker process" if n_workers == 1 else f"{n_workers} worker processes"
    procs += " and the ingest worker" if ingest_worker else " (no ingest worker: --no-worker)"
    shown = redact_url(state.db) if isinstance(state.db, str) else state.db  # a URL's password stays out of logs
    line = f"storyline: serving {shown} on http://{host}:{port}/ with {procs}  (API docs /docs; writes {writes})"
    if n_workers > 1:
        target = state.db if isinstance(state.db, str) else str(Path(state.db).resolve())  # a URL stays a URL
        _serve_workers(uvicorn, target, settings, token, host, port, n_workers, line, ingest_worker)
        return
    if settings.stories.entities != "rules":  # load spaCy now, so the first story page does not wait for it
        from ..stories.entities import spacy_available

        spacy_available(settings.stories.spacy_model)
    application = create_app(state.db, settings, token=token, ingest_worker=ingest_worker)
    stderr.print(line, highlight=False)
    uvicorn.run(application, host=host, port=port, log_level="warning", access_log=False)


# uvicorn's supervisor kills and replaces a worker that does not answer its ping within this many seconds (uvicorn's
# default: 5). The answer comes from a thread of the worker, which needs the GIL while the worker may be busy with
# CPU-bound Python (a cold 200-article story view with spaCy takes ~6.5 s, docs/web.md) on oversubscribed cores.
# The load tests (docs/web.md) ran with 5 s and lost no worker, but a replaced worker drops the requests it was
# answering, while finding a truly hung worker 25 s later costs little.
WORKER_HEALTHCHECK_S = 30


def _serve_workers(uvicorn, db: str, settings, token: str, host: str, port: int, n_workers: int, line: str,
                   ingest_worker: bool = True) -> None:
    """N uvicorn worker processes on one socket, each building its app with storyline.web.app's factory from what this
    process decided (handed over in a private temporary file, never on a command line). uvicorn's supervisor stops
    them all on Ctrl-C or SIGTERM; a worker that cannot start stops the server with its reason as one line. The one
    ingest worker runs on a thread of this (the supervising) process; the HTTP workers only queue."""
    from ..api.factory import WorkerHandover

    consumer = None
    if ingest_worker:
        from ..service.worker import IngestWorker

        consumer = IngestWorker(db, settings).start()
    try:
        with WorkerHandover(db, settings, token, n_workers) as handover:
            stderr.print(line, highlight=False)
            uvicorn.run("storyline.web.app:create_worker_app", factory=True, workers=n_workers, host=host,
                        port=port, log_level="warning", access_log=False,
                        timeout_worker_healthcheck=WORKER_HEALTHCHECK_S)
            failed = handover.startup_errors()
    finally:
        if consumer is not None:
            consumer.stop()
    if failed:
        raise StorylineError(f"a worker process could not start: {failed[0]}")


def _check_can_listen(host: str, port: int) -> None:
    """Fail with one line (exit 1) when the address cannot be bound, instead of uvicorn's traceback or exit 3."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, addr = infos[0]
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            sock.bind(addr)
    except (OSError, OverflowError) as e:
        raise StorylineError(f"cannot listen on {host}:{port}: {getattr(e, 'strerror', None) or e}; pick another "
                             "--port (or --host), or stop the program using it") from None
