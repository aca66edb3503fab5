"""Core commands: ingest, stories, articles, search, rejects, runs."""

from __future__ import annotations

import sys
from enum import Enum
from typing import Optional

import typer

from ..ingest import WalkReport, read_paths
from ..pipeline import open_pipeline
from .app import app, state
from .output import Format, day_or_time, emit, stderr

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
    queue: bool = typer.Option(False, "--queue", help="Hand the items to the store's ingest queue for the worker "
                                                      "(`storyline worker`, or `serve`'s) and print the run id, "
                                                      "instead of ingesting here (docs/worker.md)."),
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

    items = time_ordered(read_inputs(paths, settings, report), settings.ingest.order_window, settings=settings.ingest)
    if source:
        from dataclasses import replace

        items = (i if isinstance(i, Rejected) or i.source else replace(i, source=source) for i in items)
    if queue:
        _enqueue(items, report)
        return
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
    print_run_summary(stats, n_stories)
    end_run(stats, report.skipped)


def _enqueue(items, report: WalkReport) -> None:
    """`ingest --queue`: read everything first (a run enters the queue whole, in one transaction), then queue it."""
    from ..ingest.web import web_session

    with state.open_store() as store:
        with web_session(store, state.settings):
            read = list(items)
        run_id = store.enqueue_ingest(read, command="ingest --queue")
        depth = store.ingest_queue_depth()
    stderr.print(f"run {run_id}: queued {len(read)} items ({depth['items']} items of {depth['runs']} runs waiting); "
                 f"`storyline worker` (or `storyline serve`) ingests them; `storyline runs` shows the run",
                 highlight=False)
    end_run_skipped(report.skipped)


def end_run_skipped(skipped: list[str]) -> None:
    """Name the files skipped for their unknown extensions."""
    if skipped:
        from rich.markup import escape  # file names are data: "[red]a.dat" must not turn into "a.dat"

        stderr.print(f"skipped {len(skipped)} file(s) with unknown extensions: "
                     + escape(", ".join(skipped[:5])) + (" …" if len(skipped) > 5 else ""), highlight=False)


def print_run_summary(stats, n_stories: int) -> None:
    """The one line every ingest command prints: the run's counts and the stories in the store."""
    stderr.print(
        f"run {stats.run_id}: seen {stats.seen}, accepted {stats.accepted}, rejected {stats.rejected}, "
        f"duplicates {stats.duplicates}; new stories {stats.new_stories}, stories in store {n_stories}",
        highlight=False,
    )


def end_run(stats, skipped: list[str]) -> None:
    """Name the skipped files and the rejects; exit 1 when anything was rejected."""
    end_run_skipped(skipped)
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
    since: Optional[str] = typer.Option(None, "--since", help="Only stories with an article on or after this day "
                                                              "or time (ISO 8601: 2026-03-05, 2026-03-05T14:30Z)."),
    until: Optional[str] = typer.Option(None, "--until", help="Only stories with an article on or before this day "
                                                              "(the whole day) or time (ISO 8601)."),
) -> None:
    """List stories: id, headline, article count, sources, first and last seen."""
    from .output import parse_when

    lo, hi = parse_when(since, "--since"), parse_when(until, "--until", end_of_day=True)
    with state.open_store() as store:
        rows = [story_row(s) for s in store.list_stories(limit=limit or None, order=order.value, source=source,
                                                         min_sources=min_sources, since=lo, until=hi)]
        if fmt in (Format.table, Format.csv):  # a day without a time prints as the day (docs/outlets.md)
            days = store.story_dates_day_only(r["id"] for r in rows)
            for r in rows:
                first, last = days.get(r["id"], (False, False))
                r["first_seen"], r["last_seen"] = day_or_time(r["first_seen"], first), day_or_time(r["last_seen"], last)
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
        if fmt in (Format.table, Format.csv):  # a day without a time prints as the day (docs/outlets.md)
            days = store.date_only_ids(r["id"] for r in rows)
            for r in rows:
                r["date"] = day_or_time(r["date"], r["id"] in days)
    emit(rows, fmt, ["id", "story_id", "source", "title", "date", "lang", "byline"]
         + (["superseded_by"] if all_versions else []), title="Articles")


class SearchMode(str, Enum):
    """``search --mode``: a choice, so a wrong value is a usage error (exit 2) naming the valid ones."""

    fts = "fts"
    semantic = "semantic"


def _when(value: Optional[str], name: str):
    from datetime import datetime, timezone

    if value is None:
        return None
    try:
        d = datetime.fromisoformat(value.strip())
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not an ISO 8601 date or date-time (e.g. 2026-03-05 or "
                                 f"2026-03-05T14:30:00Z; no zone means UTC)", param_hint=name) from None
    return d if d.tzinfo else d.replace(tzinfo=timezone.utc)


@app.command()
def search(
    query: str = typer.Argument(..., help="Words to look for (fts), or a description (semantic)."),
    fmt: Format = FORMAT,
    limit: int = typer.Option(20, "--limit", "-n", min=1, help="At most this many stories."),
    mode: SearchMode = typer.Option(SearchMode.fts, "--mode", help="fts: every word, ranked by BM25; semantic: "
                                    "by meaning (cosine of stored embeddings; needs cluster.profile=default)."),
    since: Optional[str] = typer.Option(None, "--since", help="Only articles published on or after this time."),
    until: Optional[str] = typer.Option(None, "--until", help="Only articles published on or before this time."),
    source: Optional[str] = typer.Option(None, "--source", help="Only articles from this outlet."),
    lang: Optional[str] = typer.Option(None, "--lang", help="Only articles in this language (e.g. en)."),
    min_sources: int = typer.Option(0, "--min-sources", min=0, help="Only stories with at least this many outlets."),
) -> None:
    """Find stories: each with its score and matching articles (copies fold under the article they copy).

    json/jsonl print one object per story with its ``articles``; csv prints one row per matching article."""
    from ..search import SearchFilters, require_embeddings, search_stories

    filters = SearchFilters(since=_when(since, "--since"), until=_when(until, "--until"), source=source,
                            lang=lang, min_sources=min_sources)
    with state.open_store() as store:
        encoder = None
        if mode is SearchMode.semantic:
            require_embeddings(store)  # before the encoder loads (seconds)
            from ..cluster.base import make_encoder

            encoder = make_encoder(state.settings)
        found = search_stories(store, query, mode=mode.value, filters=filters, limit=limit, encoder=encoder)
    stories = found["stories"]
    if fmt in (Format.json, Format.jsonl):
        for st in stories:
            for a in st["articles"]:
                a.pop("snippet_parts", None)
        emit(stories, fmt)
        return
    if fmt is Format.csv:
        rows = [{"story_id": st["id"], "headline": st["headline"], "story_score": st["score"],
                 "n_sources": st["n_sources"], "article_id": a["id"], "score": a["score"], "source": a["source"],
                 "title": a["title"], "date": a["date"], "copies": " ".join(c["id"] for c in a["copies"]),
                 "snippet": a["snippet"]} for st in stories for a in st["articles"]]
        emit(rows, fmt, ["story_id", "headline", "story_score", "n_sources", "article_id", "score", "source",
                         "title", "date", "copies", "snippet"])
        return
    rows = [{"score": f"{st['score']:.3f}", "story_id": st["id"], "headline": st["headline"],
             "n_sources": st["n_sources"],
             "matching articles": "\n".join(
                 f"{a['score']:.3f} {a['source']}: {a['title']}"
                 + (f" (+ {', '.join(c['source'] for c in a['copies'])})" if a["copies"] else "")
                 for a in st["articles"])} for st in stories]
    what = "BM25" if mode is SearchMode.fts else "cosine similarity"
    emit(rows, fmt, ["score", "story_id", "headline", "n_sources", "matching articles"],
         title=f"Stories for: {query} (score: {what})")


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
