"""Polling feeds: `storyline watch FEEDS.txt|feeds.opml [--interval 10m] [--once]`.

State lives in the store (migration 0400, the store's feeds and fetch state methods): ``feeds`` keeps each feed's ETag / Last-Modified (sent back as a
conditional request), when it was last polled, its consecutive failures and when it is due next; ``feed_entries``
keeps the key of every entry already ingested. A poll reads only the entries whose key is new, so a restart
re-ingests nothing. The state of a poll is written *after* the pipeline has stored its articles, in one transaction:
a crash in between means the next poll fetches the feed again and the already stored articles come back as
duplicates (content-hash ids), never as lost entries.

Backoff: a feed that fails (network error, HTTP error, a refused or malformed feed, a robots.txt that disallows it
or cannot be read) waits ``interval * 2**failures`` (at most ``fetch.backoff_max_s``) before its next poll; one
success resets it.

Unexpected errors: an exception other than a fetch or feed error while one feed is fetched and parsed (in its
polling thread), or while one of its entries is turned into an item (in the calling thread), is recorded for that
feed and the other feeds are still polled. It becomes a Rejected row (stage ``watch``, reason ``internal-error``,
the exception's type and message) counted in the run's stats, and the feed's ``last_error``; the feed counts as
failed and backs off. A failed entry is not marked seen and the feed's validators are not updated, so the entry is
tried again at the feed's next poll. :data:`FATAL_ERRORS` (the store failing, a missing package, a bad setting, no
memory) and ``KeyboardInterrupt`` still stop the poll: they would fail every feed alike.

Concurrency: the due feeds are fetched by up to ``fetch.watch_concurrency`` threads (each fetching a feed, parsing
it and fetching the pages of its new summary-only entries), sharing one :class:`~storyline.ingest.fetch.Fetcher`,
whose per-host rate limit and robots.txt cache are thread-safe. Everything that touches the store stays in the
calling thread: reading the feeds' state before, running the pipeline (page extraction and the raw-page archive
included) and recording the state after. The calling thread takes the fetched feeds in feed-list order, so the
entries reach the pipeline in the same order (feed order, then entry order) whichever fetch finished first.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Callable, Iterator

from ..errors import ConfigError, NotInstalled, StorylineError
from ..ingest.feeds import Feed, entry_item, entry_key, linked_page_url, parse_feed, read_feed_list
from ..ingest.fetch import FetchError
from ..ingest.session import WebSession, use_session
from ..records import FeedPoll, FeedState, RawItem, Rejected, RunStats
from ..settings import Settings
from ..store import database_errors

if TYPE_CHECKING:
    from ..ingest.fetch import Fetcher, FetchResult
    from ..ingest.html import PageArchive
    from ..pipeline import Pipeline
    from ..store import Store

Clock = Callable[[], datetime]
# errors that stop a poll instead of being recorded for one feed: they are not about the feed, and every feed would
# fail alike (the store cannot be written or read, on either backend; a package is missing, a setting is wrong,
# memory ran out)
FATAL_ERRORS: tuple[type[BaseException], ...] = (*database_errors(), NotInstalled, ConfigError, MemoryError)
INTERNAL_ERROR = "internal-error"

__all__ = ["FATAL_ERRORS", "FeedState", "FeedStates", "PollReport", "Watcher", "describe_error", "parse_duration",
           "read_feed_list"]


def describe_error(e: BaseException, limit: int = 500) -> str:
    """``ValueError: Invalid IPv6 URL``: the exception's type and message, for a Rejected row and ``last_error``."""
    message = " ".join(str(e).split())
    kind = type(e)
    name = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
    text = f"{name}: {message}" if message else name
    return text if len(text) <= limit else text[:limit - 1] + "…"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$", re.IGNORECASE)
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str) -> float:
    """``"10m"`` → 600.0 seconds; a bare number is seconds. Units: ms, s, m, h, d."""
    m = _DURATION.match(text)
    if not m:
        raise ConfigError(f"interval {text!r} is not a duration; use a number with a unit like 30s, 10m, 1h or 1d")
    return float(m.group(1)) * _UNITS[(m.group(2) or "s").lower()]


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class FeedStates:
    """The watched feeds' state, read through the store's feeds and fetch state methods."""

    def __init__(self, store: "Store"):
        self.store = store

    def ensure(self, urls: list[str], now: datetime) -> None:
        self.store.add_feeds(urls, now)

    def get(self, url: str) -> FeedState:
        state = self.store.feed_state(url)
        if state is None:
            raise StorylineError(f"feed {url!r} is not in the store; watch it first")
        return state

    def all(self) -> list[FeedState]:
        return [self.get(url) for url in self.store.feed_urls()]

    def seen_keys(self, url: str) -> set[str]:
        return self.store.feed_entry_keys(url)

    def count_seen(self, url: str | None = None) -> int:
        return self.store.count_feed_entries(url)


@dataclass
class _Outcome:
    """What one feed's poll will write to the store once the pipeline has stored its articles."""

    url: str
    status: str  # "ok", "not-modified" or "error"
    title: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None
    entries: list[tuple[str, str | None]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Job:
    """One due feed, with what the store says about it (read in the calling thread)."""

    url: str
    state: FeedState
    seen: frozenset[str]


@dataclass(frozen=True, slots=True)
class _Polled:
    """One feed fetched (in a polling thread): its outcome, or a Rejected, and its new entries with their pages."""

    outcome: _Outcome
    rejected: Rejected | None = None
    feed: Feed | None = None
    # (position, entry, linked page: the page, the FetchError, an unexpected exception fetching it, or None)
    new: tuple[tuple[int, Any, "FetchResult | Exception | None"], ...] = ()


@dataclass(frozen=True, slots=True)
class PollReport:
    stats: RunStats
    polled: int
    not_modified: int
    failed: int
    new_entries: int
    skipped_not_due: int
    internal_errors: int = 0  # unexpected errors recorded for a feed or an entry (Rejected rows "internal-error")


def _entry_failed(polled: _Polled, position: int, entry: Any, error: Exception, doing: str) -> Rejected:
    """An unexpected error on one entry: its Rejected row; its feed is marked failed and the entry is not marked
    seen, so it is tried again at the feed's next poll (after the backoff)."""
    outcome = polled.outcome
    key = entry_key(entry)
    why = describe_error(error)
    outcome.entries = [(k, link) for k, link in outcome.entries if k != key]
    outcome.error = (f"{INTERNAL_ERROR}: entry {key!r}: {why}" if outcome.status != "error" or outcome.error is None
                     else outcome.error)
    outcome.status = "error"
    ref = f"{polled.feed.ref}:{position}" if polled.feed is not None else outcome.url
    return Rejected(ref, "watch", INTERNAL_ERROR,
                    f"feed entry {key!r} failed unexpectedly while {doing}: {why}; the feed's other entries were kept, "
                    f"and this one is tried again at the feed's next poll")


class Watcher:
    """Polls feeds into a store through a pipeline. Collaborators (fetcher, pipeline, clock) are passed in."""

    def __init__(self, store: "Store", settings: Settings, fetcher: "Fetcher", pipeline: "Pipeline",
                 *, interval_s: float | None = None, clock: Clock = _utcnow, archive: "PageArchive | None" = None):
        self.store = store
        self.settings = settings
        self.fetcher = fetcher
        self.pipeline = pipeline
        self.interval_s = settings.fetch.watch_interval_s if interval_s is None else interval_s
        if self.interval_s < 0:
            raise ConfigError(f"interval must be >= 0 seconds, got {self.interval_s}")
        self.concurrency = settings.fetch.watch_concurrency
        if isinstance(self.concurrency, bool) or not isinstance(self.concurrency, int) or self.concurrency < 1:
            raise ConfigError(f"fetch.watch_concurrency must be an integer of at least 1, got {self.concurrency!r}; "
                              f"1 polls the feeds one at a time")
        self.clock = clock
        self.archive = archive
        self.states = FeedStates(store)

    def backoff_s(self, failures: int) -> float:
        """Wait before the next poll of a feed with this many consecutive failures."""
        if failures <= 0:
            return self.interval_s
        return min(self.interval_s * (2 ** min(failures, 30)), self.settings.fetch.backoff_max_s)

    def next_poll(self, st: "FeedState") -> datetime | None:
        """When a feed is due under *this* watcher's interval: its last poll plus the interval (backed off after
        failures). The stored ``next_poll`` was computed with the interval of the run that polled it, so a shorter
        ``--interval`` given now takes effect at once instead of after the old schedule."""
        if st.last_polled is None:
            return st.next_poll
        return st.last_polled + timedelta(seconds=self.backoff_s(st.failures))

    def due(self, urls: list[str], now: datetime) -> list[str]:
        out = []
        for url in urls:
            when = self.next_poll(self.states.get(url))
            if when is None or when <= now:
                out.append(url)
        return out

    def poll_once(self, urls: list[str]) -> PollReport:
        """Poll every due feed once, ingest its new entries in one pipeline run, then record the feeds' state."""
        urls = list(dict.fromkeys(urls))
        now = self.clock()
        self.states.ensure(urls, now)
        due = self.due(urls, now)
        jobs = [_Job(url, self.states.get(url), frozenset(self.states.seen_keys(url))) for url in due]
        outcomes: list[_Outcome] = []
        internal: list[Rejected] = []
        session = WebSession(self.settings.fetch, self.fetcher, self.archive)
        with use_session(session):
            stats = self.pipeline.run(self._items(jobs, outcomes, session, internal), command="watch")
        self._record(outcomes, stats.run_id)
        return PollReport(stats, len(due), sum(o.status == "not-modified" for o in outcomes),
                          sum(o.status == "error" for o in outcomes), sum(len(o.entries) for o in outcomes),
                          len(urls) - len(due), len(internal))

    def _items(self, jobs: list[_Job], outcomes: list[_Outcome], session: WebSession,
               internal: list[Rejected]) -> Iterator[RawItem | Rejected]:
        """The new entries of the due feeds, in feed order then entry order (runs in the calling thread). An
        unexpected error turning one entry into an item is that entry's Rejected row (and is added to ``internal``);
        the other entries and feeds go on."""
        for polled in self._polled_in_order(jobs, session):
            outcomes.append(polled.outcome)
            if polled.rejected is not None:
                if polled.rejected.reason == INTERNAL_ERROR:
                    internal.append(polled.rejected)
                yield polled.rejected
            if polled.feed is None:
                continue
            for position, entry, page in polled.new:
                if isinstance(page, Exception) and not isinstance(page, FetchError):
                    item: RawItem | Rejected = _entry_failed(polled, position, entry, page, "fetching its linked page")
                else:
                    try:
                        item = entry_item(entry, polled.feed, position, session, linked=page)
                    except FATAL_ERRORS:
                        raise
                    except Exception as e:  # noqa: BLE001 - recorded for this entry and its feed, see _entry_failed
                        item = _entry_failed(polled, position, entry, e, "turning it into an article")
                if isinstance(item, Rejected) and item.reason == INTERNAL_ERROR:
                    internal.append(item)
                yield item

    def _polled_in_order(self, jobs: list[_Job], session: WebSession) -> Iterator[_Polled]:
        """Each job's :class:`_Polled`, in job order; fetched by up to ``concurrency`` threads.

        At most twice as many feeds as threads are fetched ahead of the one the caller waits for, which bounds the
        memory held by feeds and pages fetched but not yet ingested. When the caller stops early (an error, Ctrl-C),
        feeds not started are cancelled and the running ones stop after their current request.
        """
        workers = min(self.concurrency, len(jobs))
        stop = threading.Event()
        if workers <= 1:
            for job in jobs:
                yield self._poll_feed(job, session, stop)
            return
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="storyline-watch")
        pending: deque[Future[_Polled]] = deque()
        todo = iter(jobs)
        try:
            for job in todo:
                pending.append(pool.submit(self._poll_feed, job, session, stop))
                if len(pending) >= 2 * workers:
                    break
            while pending:
                polled = pending.popleft().result()
                nxt = next(todo, None)
                if nxt is not None:
                    pending.append(pool.submit(self._poll_feed, nxt, session, stop))
                yield polled
        finally:
            stop.set()
            pool.shutdown(wait=True, cancel_futures=True)

    def _poll_feed(self, job: _Job, session: WebSession, stop: threading.Event) -> _Polled:
        """Fetch and parse one feed and the pages of its new summary-only entries. Runs in a polling thread: it
        uses the fetcher and the job, never the store. Once ``stop`` is set its result is not used: it returns
        without fetching further pages. An unexpected error is this feed's failure (``internal-error``), unless it
        is one of :data:`FATAL_ERRORS`."""
        try:
            return self._fetch_feed(job, session, stop)
        except FATAL_ERRORS:
            raise
        except Exception as e:  # noqa: BLE001 - recorded for this feed (a Rejected row, last_error), not dropped
            why = describe_error(e)
            return _Polled(_Outcome(job.url, "error", error=f"{INTERNAL_ERROR}: {why}"),
                           Rejected(job.url, "watch", INTERNAL_ERROR,
                                    f"polling this feed failed unexpectedly: {why}; the other feeds were polled, and "
                                    f"this one is tried again after its backoff"))

    def _fetch_feed(self, job: _Job, session: WebSession, stop: threading.Event) -> _Polled:
        state = job.state
        try:
            result = self.fetcher.fetch(job.url, kind="feed", etag=state.etag, last_modified=state.last_modified)
        except FetchError as e:
            return _Polled(_Outcome(job.url, "error", error=f"{e.reason}: {e.detail}"),
                           Rejected(job.url, "fetch", e.reason, e.detail))
        if result.not_modified:
            return _Polled(_Outcome(job.url, "not-modified", state.title, result.etag or state.etag,
                                    result.last_modified or state.last_modified))
        feed = parse_feed(result.body, job.url, self.settings.fetch.max_body_bytes, result.content_type)
        if isinstance(feed, Rejected):
            return _Polled(_Outcome(job.url, "error", error=f"{feed.reason}: {feed.detail}"), feed)
        outcome = _Outcome(job.url, "ok", feed.title, result.etag, result.last_modified)
        seen = set(job.seen)
        new: list[tuple[int, Any, FetchResult | Exception | None]] = []
        for i, entry in enumerate(feed.entries, 1):
            key = entry_key(entry)
            if key in seen:
                continue
            seen.add(key)
            outcome.entries.append((key, entry.get("link")))
            page: FetchResult | Exception | None = None
            link = linked_page_url(entry, session)
            if link is not None and not stop.is_set():
                try:
                    page = self.fetcher.fetch(link, kind="html")
                except FetchError as e:
                    page = e
                except FATAL_ERRORS:
                    raise
                except Exception as e:  # noqa: BLE001 - this entry's failure, recorded by _items
                    page = e
            new.append((i, entry, page))
        return _Polled(outcome, feed=feed, new=tuple(new))

    def _record(self, outcomes: list[_Outcome], run_id: int) -> None:
        now = self.clock()
        with self.store.transaction():
            polls: list[FeedPoll] = []
            for o in outcomes:
                if o.status == "error":
                    # the validators are left as they were, so an entry that failed is downloaded again next time;
                    # the entries ingested before an entry failed are marked seen
                    failures = self.states.get(o.url).failures + 1
                    polls.append(FeedPoll(o.url, o.status, now, now + timedelta(seconds=self.backoff_s(failures)),
                                          failures, error=o.error, entries=tuple(o.entries), run_id=run_id))
                    continue
                polls.append(FeedPoll(o.url, o.status, now, now + timedelta(seconds=self.interval_s), 0,
                                      title=o.title, etag=o.etag, last_modified=o.last_modified,
                                      entries=tuple(o.entries), run_id=run_id))
            self.store.record_feed_polls(polls)

    def run(self, urls: list[str], *, sleep: Callable[[float], None] = time.sleep, cycles: int | None = None,
            on_poll: Callable[[PollReport], None] | None = None) -> list[PollReport]:
        """Poll until interrupted (or ``cycles`` polls), sleeping until the next feed is due."""
        reports: list[PollReport] = []
        while cycles is None or len(reports) < cycles:
            report = self.poll_once(urls)
            reports.append(report)
            if on_poll is not None:
                on_poll(report)
            if cycles is not None and len(reports) >= cycles:
                break
            sleep(self.seconds_to_next(urls))
        return reports

    def seconds_to_next(self, urls: list[str]) -> float:
        now = self.clock()
        waits = [(when - now).total_seconds() for when in (self.next_poll(self.states.get(u)) for u in urls)
                 if when is not None]
        return max(1.0, min(waits, default=self.interval_s))
