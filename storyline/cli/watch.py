"""``storyline watch FEEDS.txt|feeds.opml [--interval 10m] [--once]`` and ``storyline feeds``."""

from __future__ import annotations

from typing import Optional

import typer

from .app import app, state
from .output import Format, emit, stderr


@app.command()
def watch(
    feed_list: str = typer.Argument(..., help="A text file of feed URLs (one per line, # comments) or an OPML file."),
    interval: Optional[str] = typer.Option(None, "--interval", "-i",
                                           help="Poll each feed this often: 30s, 10m, 1h (default fetch.watch_interval_s)."),
    once: bool = typer.Option(False, "--once", help="Poll the feeds that are due once, then exit."),
) -> None:
    """Poll RSS/Atom/JSON feeds and ingest their new entries (state kept in the store: a restart re-ingests nothing).

    Failing feeds back off (interval × 2^failures). An unexpected error in one feed or entry is recorded for that
    feed (a Rejected row "internal-error") and the other feeds are still polled. Exit status 1 when anything was
    rejected (with --once).
    """
    from ..ingest.fetch import Fetcher
    from ..ingest.html import PageArchive
    from ..ingest.feeds import read_feed_list
    from ..service.watch import PollReport, Watcher, parse_duration
    from ..pipeline import open_pipeline

    settings = state.settings
    urls = read_feed_list(feed_list, settings.ingest.max_file_bytes)
    interval_s = parse_duration(interval) if interval is not None else None

    def show(report: PollReport) -> None:
        s = report.stats
        stderr.print(
            f"run {s.run_id}: polled {report.polled} feed(s) ({report.not_modified} not modified, {report.failed} "
            f"failed" + (f", {report.internal_errors} unexpected error(s)" if report.internal_errors else "")
            + f", {report.skipped_not_due} not due); new entries {report.new_entries}: accepted {s.accepted}, "
            f"rejected {s.rejected}, duplicates {s.duplicates}; new stories {s.new_stories}", highlight=False)

    with state.open_store() as store, Fetcher(settings.fetch) as fetcher:
        watcher = Watcher(store, settings, fetcher, open_pipeline(store, settings), interval_s=interval_s,
                          archive=PageArchive(store))
        reports = watcher.run(urls, cycles=1 if once else None, on_poll=show)
    rejected = sum(r.stats.rejected for r in reports)
    if rejected:
        stderr.print(f"{rejected} rejected; see `storyline rejects --run {reports[-1].stats.run_id}`", highlight=False)
        raise typer.Exit(1)


@app.command()
def feeds(fmt: Format = typer.Option(Format.table, "--format", "-f", help="Output format.")) -> None:
    """List the feeds `watch` polls: validators, last poll, failures and when each is due next."""
    from ..service.watch import FeedStates

    with state.open_store() as store:
        states = FeedStates(store)
        rows = [{"url": f.url, "title": f.title, "etag": f.etag, "last_modified": f.last_modified,
                 "last_polled": f.last_polled, "last_status": f.last_status, "failures": f.failures,
                 "next_poll": f.next_poll, "entries": states.count_seen(f.url), "last_error": f.last_error}
                for f in states.all()]
    emit(rows, fmt, ["url", "title", "last_polled", "last_status", "failures", "next_poll", "entries", "last_error"],
         title="Feeds")
