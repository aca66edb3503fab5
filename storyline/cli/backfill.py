"""``storyline backfill``: an archive read, normalised and encoded on a Dask cluster, clustered and stored here."""

from __future__ import annotations

import sys
from typing import Optional

import typer

from .app import app, state
from .core import end_run, print_run_summary
from .output import stderr


@app.command()
def backfill(
    paths: list[str] = typer.Argument(..., help="Files and directories (recursive) of an archive."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler",
                                            help="Address of a running Dask scheduler (tcp://HOST:8786); "
                                                 "default: a local cluster on this machine."),
    workers: Optional[int] = typer.Option(None, "--workers", min=1,
                                          help="Worker processes of the local cluster (default: the CPU count)."),
    source: Optional[str] = typer.Option(None, "--source", help="Outlet name for records that carry none."),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", min=1,
                                             help="Items per batch: clustered together, written in one transaction "
                                                  "(default: ingest.batch_size). Larger batches write faster; the "
                                                  "stories are those of `ingest` with the same batch size."),
    connect_timeout: float = typer.Option(10.0, "--connect-timeout", min=0.1,
                                          help="Seconds to wait for the scheduler."),
) -> None:
    """Like `ingest` for large archives: reading, normalising and encoding run in parallel on Dask workers; the
    stories are those `ingest` would make of the same files. Needs dask.distributed:
    `pip install 'storyline\\[scale]'`.

    Exit status 0 when everything was accepted (or already stored), 1 when anything was rejected.
    """
    if scheduler and workers:
        raise typer.BadParameter("--workers sizes a local cluster; with --scheduler the scheduler's own workers run "
                                 "the backfill: give one of the two", param_hint="--workers")
    from ..ingest.files import WalkReport
    from ..service.backfill import backfill as run_backfill, check_paths, dask_client

    check_paths(paths)
    settings = state.settings
    if batch_size is not None:
        settings = settings.with_overrides({"ingest.batch_size": batch_size})
    report = WalkReport()
    with dask_client(scheduler, workers, timeout_s=connect_timeout) as client, state.open_store() as store:
        if sys.stderr.isatty():
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            with Progress(SpinnerColumn(), TextColumn("{task.completed} items"), TimeElapsedColumn(),
                          console=stderr, transient=True) as bar:
                task = bar.add_task("backfill")
                result = run_backfill(store, paths, client, settings, source=source, report=report,
                                      progress=lambda n: bar.advance(task, n))
        else:
            result = run_backfill(store, paths, client, settings, source=source, report=report)
        n_stories = store.count_stories(current=True)
    stats, secs = result.stats, result.seconds
    print_run_summary(stats, n_stories)
    rate = stats.seen / secs["total"] if secs["total"] > 0 else 0.0
    stderr.print(f"{result.parts} parts on {result.workers} workers in {secs['total']:.1f}s ({rate:.0f} items/s); "
                 f"encoder calls from workers {result.encode_foreseen}, encoded here {result.encode_local}",
                 highlight=False)
    end_run(stats, report.skipped)
