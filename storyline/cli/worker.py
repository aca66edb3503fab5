"""`storyline worker`: the long-lived ingest worker (storyline/service/worker.py, docs/worker.md)."""

from __future__ import annotations

import signal
import threading

import typer

from .app import app, state
from .output import stderr


@app.command()
def worker(
    drain: bool = typer.Option(False, "--drain", help="Ingest what is queued now, then exit (default: run until "
                                                      "stopped, waiting for new items)."),
) -> None:
    """Consume the store's ingest queue: build the clusterer and copy index once, then ingest each queued run (API
    ingests, `ingest --queue`) in arrival order.

    One worker per store is enough (`storyline serve` runs one unless started with --no-worker). SIGTERM or Ctrl-C
    stop it after the current batch; the items not yet ingested stay queued for the next start, and a killed worker
    loses nothing: the next one continues where it stopped.
    """
    from ..service.worker import IngestWorker, WorkerStopped
    from ..store import redact_url

    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    where = redact_url(state.db) if isinstance(state.db, str) else str(state.db)

    def finished(stats, article_ids) -> None:
        stderr.print(f"run {stats.run_id}: seen {stats.seen}, accepted {stats.accepted}, rejected {stats.rejected}, "
                     f"duplicates {stats.duplicates}; new stories {stats.new_stories}", highlight=False)

    w = IngestWorker(str(state.db), state.settings, on_finished=finished)
    try:
        with state.open_store():  # a --db that is not a storyline database: one line (exit 1), not a traceback
            pass
        w.open()
        depth = w.store.ingest_queue_depth()
        stderr.print(f"storyline: ingest worker on {where}: state built in {w.build_s:.1f} s; {depth['items']} items "
                     f"of {depth['runs']} runs queued", highlight=False)
        w.run(stop, drain=drain)
    except WorkerStopped:
        stderr.print("stopped; the items not yet ingested stay queued", highlight=False)
    finally:
        w.close()
        signal.signal(signal.SIGTERM, previous)
