"""Serving one store from several worker processes (``storyline serve --workers N`` with N > 1).

The parent process decides everything once: the database path, the settings (``storyline.toml``, ``STORYLINE_*``
variables and ``--set`` already applied) and the write token. :class:`WorkerHandover` writes them to a JSON file in a
private temporary directory (the directory mode 0700, the file 0600) and puts the file's path, and nothing else, in
the environment variable :data:`SPEC_ENV`. The token is never on a command line. uvicorn spawns the workers (fresh
interpreters that inherit the environment), and each one calls :func:`create_worker_app`. That factory builds the app
from the file alone: a worker reads neither ``storyline.toml`` nor ``STORYLINE_*``, so every worker runs with what the
parent decided. The parent removes the directory when uvicorn returns.

A worker that cannot build its app writes the reason to ``startup-error-<pid>.txt`` in that directory and exits with
uvicorn's startup-failure code (3). The parent then stops, instead of starting the worker again and again, and
``serve`` reports the reason in one line.

A worker also watches its parent. If the parent vanishes without stopping it (SIGKILL), the worker sends itself
SIGTERM (uvicorn's graceful shutdown), so no orphan keeps serving the port.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from ..errors import StorylineError
from ..settings import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI

SPEC_ENV = "_STORYLINE_SERVE_SPEC"  # the path of the parent's JSON hand-over file (private prefix: not a setting)
SPEC_FILE = "serve.json"
ERROR_PREFIX = "startup-error-"
PARENT_POLL_S = 1.0  # how often a worker checks that its parent is still there
STARTUP_FAILURE = 3  # uvicorn.config.STARTUP_FAILURE: the parent stops rather than restart the worker

log = logging.getLogger("storyline.api")


def settings_from_dict(table: dict[str, dict[str, Any]]) -> Settings:
    """The inverse of :meth:`Settings.as_dict` (values checked and converted like any other override)."""
    return Settings().with_overrides({f"{section}.{key}": value
                                      for section, values in table.items() for key, value in values.items()})


class WorkerHandover:
    """In the parent: ``with WorkerHandover(db, settings, token, workers):`` run uvicorn with ``workers`` processes
    and :func:`create_worker_app` as the factory. On exit the environment variable and the directory are gone."""

    def __init__(self, db: str, settings: Settings, token: str, workers: int) -> None:
        self.spec = {"db": db, "settings": settings.as_dict(), "token": token, "workers": workers}
        self.dir: Path | None = None
        self._previous: str | None = None

    def __enter__(self) -> "WorkerHandover":
        self.dir = Path(tempfile.mkdtemp(prefix="storyline-serve-"))  # mode 0700
        path = self.dir / SPEC_FILE
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(self.spec, f)
        self._previous = os.environ.get(SPEC_ENV)
        os.environ[SPEC_ENV] = str(path)
        return self

    def startup_errors(self) -> list[str]:
        """What the workers that could not start wrote, oldest first."""
        if self.dir is None:
            return []
        files = sorted(self.dir.glob(f"{ERROR_PREFIX}*.txt"), key=lambda p: p.stat().st_mtime)
        return [p.read_text("utf-8").strip() for p in files]

    def __exit__(self, *exc: object) -> None:
        if self._previous is None:
            os.environ.pop(SPEC_ENV, None)
        else:
            os.environ[SPEC_ENV] = self._previous
        if self.dir is not None:
            shutil.rmtree(self.dir)
            self.dir = None


def create_worker_app(build: "Callable[..., FastAPI] | None" = None) -> "FastAPI":
    """The uvicorn factory of one worker process (``storyline.api.factory:create_worker_app``, factory=True): the
    app ``build`` makes (default: the JSON API's :func:`storyline.api.app.create_app`; ``storyline serve`` runs
    :func:`storyline.web.app.create_worker_app`, which builds the API with its web pages)."""
    spec_path = os.environ.get(SPEC_ENV)
    if not spec_path:
        log.error("storyline.api.factory:create_worker_app is started by `storyline serve --workers N`; "
                  "%s is not set in this process", SPEC_ENV)
        sys.exit(STARTUP_FAILURE)
    folder = Path(spec_path).parent
    # Anything that fails here must end in exit code 3: uvicorn restarts a worker that dies any other way, forever.
    try:
        spec = json.loads(Path(spec_path).read_text("utf-8"))
        settings = settings_from_dict(spec["settings"])
        if settings.stories.entities != "rules":  # load spaCy now, so the first story page does not wait for it
            from ..stories.entities import spacy_available

            spacy_available(settings.stories.spacy_model)
        if build is None:
            from .app import create_app as build

        # the serve process itself runs the one ingest worker: the HTTP workers only queue (docs/worker.md)
        app = build(spec["db"], settings, token=spec["token"], workers=int(spec["workers"]), ingest_worker=False)
    except Exception as e:  # recorded for the parent and logged, then the worker exits: nothing is swallowed
        reason = str(e) if isinstance(e, StorylineError) else f"{type(e).__name__}: {e}"
        (folder / f"{ERROR_PREFIX}{os.getpid()}.txt").write_text(reason + "\n", "utf-8")
        log.error("worker %d could not start: %s", os.getpid(), reason)
        sys.exit(STARTUP_FAILURE)
    _watch_parent(os.getppid())
    return app


def _watch_parent(parent: int) -> None:
    """Stop this worker (SIGTERM to itself) once its parent process is gone, e.g. killed with SIGKILL."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_S)
        log.warning("worker %d: the serve process %d is gone; stopping", os.getpid(), parent)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="storyline-parent-watch", daemon=True).start()
