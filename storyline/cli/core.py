"""Core commands: ingest, stories, articles, search, rejects, runs."""

from __future__ import annotations

import sys
from enum import Enum
from typing import Optional

import typer

from ..ingest import WalkReport, read_paths
from ..pipeline import open_pipeline
from .app import app, state
from .output import Format, emit, stderr

FORMAT = typer.Option(Format.table, "--format", "-f", help="Output format.")


class Order(str, Enum):
    """``stories --order``: a choice, so a wrong value is a usage error (exit 2) naming the valid ones."""

    latest = "latest"
    most_covered = "most-covered"
    oldest = "oldest"


def story_row(s) -> dict:
    """The ``stories --format json`` contract."""
    return {"id": s.id, "headline": s.headline, "n_articles": s.n_articles, "sources": list(s.sources),
            "first_seen": s.first_seen, "last_seen": s.last_seen}


@app.command()
def ingest(
    paths: list[str] = typer.Argument(..., help="Files, directories (recursive), - for standard input, or "
                                                "http(s) URLs of pages and feeds."),
    source: Optional[str] = typer.Option(None, "--source", help="Outlet name for records that carry none."),
) -> None:
    """Read articles into the store, cluster them into stories, and print a summary.

    Exit status 0 when everything was accepted (or already stored), 1 when anything was rejected, 3 when the
    environment stopped it (disk full, permission denied, read-only, database locked; committed batches are kept
    and running the same command again resumes).
    """
    from ..records import RawItem, Rejected

    settings = state.settings
    report = WalkReport()
    from ..ingest.web import read_inputs, web_session

    from ..ingest.order import time_ordered

    items = time_ordered(read_inputs(paths, settings, report), settings.ingest.order_window)
    if source:
        from dataclasses import replace

        items = (i if isinstance(i, Rejected) or i.source else replace(i, source=source) for i in items)
    with state.open_store() as store, web_session(store, settings):
        pipeline = open_pipeline(store, settings)
        if sys.stderr.isatty():
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            with Progress(SpinnerColumn(), TextColumn("{task.completed} items"), TimeElapsedColumn(),
                          console=stderr, transient=True) as bar:
                task = bar.add_task("ingest")
                stats = pipeline.run(items, progress=lambda n: bar.advance(task, n))
        else:
            stats = pipeline.run(items)
        n_stories = store.count_stories(current=True)
    stderr.print(
        f"run {stats.run_id}: seen {stats.seen}, accepted {stats.accepted}, rejected {stats.rejected}, "
        f"duplicates {stats.duplicates}; new stories {stats.new_stories}, stories in store {n_stories}",
        highlight=False,
    )
    if report.skipped:
        from rich.markup import escape  # file names are data: "[red]a.dat" must not turn into "a.dat"

        stderr.print(f"skipped {len(report.skipped)} file(s) with unknown extensions: "
                     + escape(", ".join(report.skipped[:5])) + (" …" if len(report.skipped) > 5 else ""),
                     highlight=False)
    if stats.rejected:
        stderr.print(f"{stats.rejected} rejected; see `storyline rejects --run {stats.run_id}`", highlight=False)
        raise typer.Exit(1)


@app.command()
def stories(
    fmt: Format = FORMAT,
    limit: int = typer.Option(50, "--limit", "-n", help="At most this many stories (0 = all)."),
    order: Order = typer.Option(Order.latest, "--order", help="latest | most-covered | oldest"),
    source: Optional[str] = typer.Option(None, "--source", help="Only stories covered by this outlet."),
    min_sources: int = typer.Option(0, "--min-sources", help="Only stories with at least this many outlets."),
) -> None:
    """List stories: id, headline, article count, sources, first and last seen."""
    with state.open_store() as store:
        rows = [story_row(s) for s in store.list_stories(limit=limit or None, order=order.value, source=source,
                                                         min_sources=min_sources)]
    emit(rows, fmt, ["id", "headline", "n_articles", "sources", "first_seen", "last_seen"], title="Stories")


@app.command()
def articles(
    fmt: Format = FORMAT,
    story: Optional[str] = typer.Option(None, "--story", help="Only the articles of this story."),
    limit: int = typer.Option(0, "--limit", "-n", help="At most this many articles (0 = all)."),
    all_versions: bool = typer.Option(False, "--all-versions",
                                      help="Also list superseded (older) versions, with a superseded_by column."),
) -> None:
    """List current articles with their story, source, title, date, language and byline."""
    with state.open_store() as store:
        rows = store.list_articles(story_id=story, limit=limit or None, all_versions=all_versions)
    emit(rows, fmt, ["id", "story_id", "source", "title", "date", "lang", "byline"]
         + (["superseded_by"] if all_versions else []), title="Articles")


@app.command()
def search(
    query: str = typer.Argument(..., help="Words to look for in titles and texts."),
    fmt: Format = FORMAT,
    limit: int = typer.Option(20, "--limit", "-n"),
) -> None:
    """Full-text search (BM25) over titles and texts."""
    with state.open_store() as store:
        rows = store.search(query, limit=limit)
    emit(rows, fmt, ["id", "story_id", "source", "title", "date", "snippet"], title=f"Search: {query}")


@app.command()
def rejects(
    fmt: Format = FORMAT,
    run: Optional[int] = typer.Option(None, "--run", help="Only the rejects of this run."),
) -> None:
    """List rejected input with its location (file:line) and reason."""
    with state.open_store() as store:
        rows = store.list_rejects(run_id=run)
    emit(rows, fmt, ["id", "run_id", "ref", "stage", "reason", "detail"], title="Rejected input")


@app.command()
def runs(fmt: Format = FORMAT) -> None:
    """List ingest runs: state (running, finished, failed, interrupted), seen / accepted / rejected / duplicates.

    Counts are written with each committed batch: a run that failed or was interrupted (its process killed) shows
    what it committed, and running the same input again completes it.
    """
    with state.open_store() as store:
        rows = store.runs()
    emit(rows, fmt, ["id", "command", "state", "started_at", "seen", "accepted", "rejected", "duplicates", "new_stories",
                     "error"], title="Runs")
