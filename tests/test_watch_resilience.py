"""`watch` keeps polling: an unexpected error in one feed or one entry is recorded for that feed (a Rejected row
"internal-error", its last_error, its backoff) and the other feeds are polled; the store failing or Ctrl-C still stop.

The errors are real ones raised by real code, provoked through the watcher's collaborators as they are passed in:
a resolver that answers None for one host name (the address guard then fails with a TypeError while iterating it),
a page archive built with an invalid zlib level (zlib raises when the page is archived), and an archive whose store
is read-only (SQLite refuses the write). No function of the watcher is replaced.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storyline.ingest.fetch import Fetcher
from storyline.ingest.html import PageArchive
from storyline.service.watch import FeedStates, Watcher
from storyline.pipeline import open_pipeline
from storyline.settings import Settings
from storyline.store import Store

from .fixtures.web.server import Clock, LocalServer, fixture_bytes

pytestmark = pytest.mark.backends("sqlite", "postgres")  # every test that takes `store` runs on both

ATOM = fixture_bytes("courier_feed.atom")  # two entries with content


def settings_with(concurrency: int = 1) -> Settings:
    return Settings().with_overrides({"cluster.profile": "lexical", "fetch.allow_networks": "127.0.0.1/32",
                                      "fetch.min_host_interval_s": "0", "fetch.watch_concurrency": str(concurrency)})


class Resolver:
    """Every ``*.test`` name is the local server, except the names in ``broken``: for those it answers None, the
    kind of answer a faulty resolver plug-in gives, which the address guard cannot iterate (a TypeError)."""

    def __init__(self, *broken: str) -> None:
        self.broken = set(broken)

    def __call__(self, host: str, port: int):
        if host in self.broken:
            return None
        return ["127.0.0.1"]


def ledger_feed(base: str) -> bytes:
    """Three entries: two with content, the third ('rescue') with only a summary and a link to {base}/rescue.html."""
    return fixture_bytes("ledger_feed.rss").replace(b"{BASE}", base.encode())


def on(server, host: str, path: str) -> str:
    return f"http://{host}:{server.port}{path}"


def watcher_for(store, fetcher, settings, clock=None, archive=None) -> Watcher:
    return Watcher(store, settings, fetcher, open_pipeline(store, settings), interval_s=60, clock=clock or Clock(),
                   archive=archive)


# -- one feed fails -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("concurrency", [1, 3])
def test_an_unexpected_error_in_one_feed_is_recorded_and_the_other_feeds_are_polled(store, server, concurrency):
    server.route("/rescue.html", fixture_bytes("courier_rescue.html"))
    server.route("/ledger.rss", ledger_feed(on(server, "ledger.test", "")), content_type="application/rss+xml")
    server.route("/courier.atom", ATOM, content_type="application/atom+xml")
    good1 = on(server, "ledger.test", "/ledger.rss")
    bad = on(server, "broken.test", "/courier.atom")
    good2 = on(server, "courier.test", "/courier.atom")
    settings = settings_with(concurrency)
    clock = Clock()
    with Fetcher(settings.fetch, resolver=Resolver("broken.test")) as f:
        watcher = watcher_for(store, f, settings, clock)
        report = watcher.poll_once([good1, bad, good2])
        s = report.stats
        assert (report.polled, report.failed, report.internal_errors) == (3, 1, 1)
        assert (s.accepted, s.rejected, s.duplicates) == (5, 1, 0)  # the ledger's three, the courier's two
        assert s.balanced and s.seen == s.accepted + s.rejected + s.duplicates
        (row,) = store.list_rejects()
        assert (row["ref"], row["stage"], row["reason"]) == (bad, "watch", "internal-error")
        assert "TypeError: 'NoneType' object is not iterable" in row["detail"]
        assert "the other feeds were polled" in row["detail"]
        state = FeedStates(store).get(bad)
        assert state.failures == 1 and state.last_status == "error"
        assert state.last_error.startswith("internal-error: TypeError")
        assert FeedStates(store).get(good1).failures == 0 and FeedStates(store).count_seen(good1) == 3
        assert store.runs()[-1]["error"] is None  # the run finished normally
        # it backs off like any failing feed
        clock.now += timedelta(seconds=61)
        second = watcher.poll_once([good1, bad, good2])
        assert second.skipped_not_due == 1 and second.polled == 2
    assert server.hits("/ledger.rss") and len(server.hits("/courier.atom")) == 2  # courier.test twice, broken never


# -- one entry fails ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("concurrency", [1, 3])
def test_an_unexpected_error_fetching_one_entrys_page_rejects_that_entry_and_it_is_retried(store, server,
                                                                                           concurrency):
    """The ledger's summary-only entry links to pages.test, whose name the resolver cannot answer: that entry is
    an internal error (in the polling thread); the feed's other entries and the other feed are ingested. Once the
    resolver answers, the entry is ingested at the feed's next poll (after its backoff)."""
    server.route("/rescue.html", fixture_bytes("courier_rescue.html"))
    server.route("/ledger.rss", ledger_feed(on(server, "pages.test", "")), content_type="application/rss+xml",
                 etag='"v1"')
    server.route("/courier.atom", ATOM, content_type="application/atom+xml")
    ledger = on(server, "ledger.test", "/ledger.rss")
    courier = on(server, "courier.test", "/courier.atom")
    settings = settings_with(concurrency)
    clock = Clock()
    resolver = Resolver("pages.test")
    with Fetcher(settings.fetch, resolver=resolver) as f:
        watcher = watcher_for(store, f, settings, clock)
        first = watcher.poll_once([ledger, courier])
        assert (first.failed, first.internal_errors, first.new_entries) == (1, 1, 4)
        assert (first.stats.accepted, first.stats.rejected) == (4, 1) and first.stats.balanced
        (row,) = store.list_rejects()
        assert (row["ref"], row["stage"], row["reason"]) == (f"{ledger}:3", "watch", "internal-error")
        assert "'ledger-2031-04-08-rescue'" in row["detail"] and "fetching its linked page" in row["detail"]
        assert "TypeError" in row["detail"]
        state = FeedStates(store).get(ledger)
        assert state.failures == 1 and "entry 'ledger-2031-04-08-rescue'" in state.last_error
        assert state.etag is None  # the validators are not kept: the next poll downloads the feed again
        assert FeedStates(store).count_seen(ledger) == 2  # the failed entry is not marked seen
        resolver.broken.clear()  # the fault is gone
        clock.now = state.next_poll
        second = watcher.poll_once([ledger, courier])
    assert (second.polled, second.new_entries, second.internal_errors) == (2, 1, 0)
    assert second.stats.accepted == 1
    assert "if-none-match" not in server.hits("/ledger.rss")[1]
    state = FeedStates(store).get(ledger)
    assert state.failures == 0 and state.last_error is None and state.etag == '"v1"'
    assert FeedStates(store).count_seen(ledger) == 3 and store.count_articles() == 5


def test_an_unexpected_error_turning_one_entry_into_an_article_rejects_that_entry(store, server):
    """In the calling thread: the archive (built with zlib level 99) raises zlib.error when the ledger's linked
    page is archived. That entry is rejected; the rest of the poll goes on."""
    server.route("/rescue.html", fixture_bytes("courier_rescue.html"))
    ledger = server.route("/ledger.rss", ledger_feed(server.base), content_type="application/rss+xml")
    courier = server.route("/courier.atom", ATOM, content_type="application/atom+xml")
    settings = settings_with(2)
    with Fetcher(settings.fetch) as f:
        report = watcher_for(store, f, settings, archive=PageArchive(store, level=99)).poll_once([ledger, courier])
    assert (report.failed, report.internal_errors, report.stats.accepted, report.stats.rejected) == (1, 1, 4, 1)
    assert report.stats.balanced
    (row,) = store.list_rejects()
    assert (row["ref"], row["reason"]) == (f"{ledger}:3", "internal-error")
    assert "zlib.error: Bad compression level" in row["detail"] and "turning it into an article" in row["detail"]
    assert FeedStates(store).get(ledger).last_error.startswith("internal-error: entry 'ledger-2031-04-08-rescue'")
    assert FeedStates(store).get(courier).failures == 0


def test_malformed_urls_are_fetch_failures_not_errors_that_stop_the_poll(store, server):
    """Real inputs that used to escape the fetcher as a ValueError ('Invalid IPv6 URL' from urlsplit) and stop the
    whole poll: a feed URL in the list, and an entry's link. Now they are a bad-url failure of that feed, and a
    summary kept with the reason its page could not be used."""
    bad_feed = "http://[::1/feed.rss"
    ledger = server.route("/ledger.rss", ledger_feed(server.base).replace(
        server.url("/rescue.html").encode(), b"http://[::1/rescue.html"), content_type="application/rss+xml")
    settings = settings_with(1)
    with Fetcher(settings.fetch) as f:
        report = watcher_for(store, f, settings).poll_once([bad_feed, ledger])
    assert (report.failed, report.internal_errors, report.stats.accepted, report.stats.rejected) == (1, 0, 3, 1)
    assert report.stats.balanced
    (row,) = store.list_rejects()
    assert (row["ref"], row["stage"], row["reason"]) == (bad_feed, "fetch", "bad-url")
    assert "Invalid IPv6 URL" in row["detail"]
    (aid,) = [a.id for a in store.iter_articles() if a.external_id == "ledger-2031-04-08-rescue"]
    assert store.get_article(aid).extra["linked_page_error"].startswith("bad-url:")


# -- what still stops the poll ------------------------------------------------------------------------------------------
def test_the_store_failing_still_stops_the_poll(store, server, tmp_path):
    """The archive writes to a store SQLite will not write (query_only): that is fatal, not one entry's failure."""
    server.route("/rescue.html", fixture_bytes("courier_rescue.html"))
    ledger = server.route("/ledger.rss", ledger_feed(server.base), content_type="application/rss+xml")
    settings = settings_with(1)
    with Store(tmp_path / "archive.db") as readonly:
        readonly.conn.execute("PRAGMA query_only = ON")
        with Fetcher(settings.fetch) as f:
            watcher = watcher_for(store, f, settings, archive=PageArchive(readonly))
            with pytest.raises(sqlite3.OperationalError, match="readonly"):
                watcher.poll_once([ledger])
    run = store.runs()[-1]
    assert run["command"] == "watch" and "OperationalError" in run["error"]
    assert FeedStates(store).count_seen() == 0 and FeedStates(store).get(ledger).last_polled is None


@pytest.mark.parametrize("concurrency", [1, 3])
def test_ctrl_c_still_stops_the_poll(store, server, concurrency):
    class Interrupting(Resolver):
        def __call__(self, host, port):
            if host == "stop.test":
                raise KeyboardInterrupt
            return super().__call__(host, port)

    server.route("/courier.atom", ATOM, content_type="application/atom+xml")
    settings = settings_with(concurrency)
    with Fetcher(settings.fetch, resolver=Interrupting()) as f:
        watcher = watcher_for(store, f, settings)
        with pytest.raises(KeyboardInterrupt):
            watcher.poll_once([on(server, "courier.test", "/courier.atom"), on(server, "stop.test", "/courier.atom")])
    assert store.runs()[-1]["error"] == "interrupted"
    assert store.list_rejects() == []


# -- a property: whatever feeds fail, every entry is counted once and the others are ingested -------------------------
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.booleans(), min_size=1, max_size=5), st.integers(1, 4))
def test_failing_feeds_never_stop_the_others_and_the_counts_balance(tmp_path_factory, broken, concurrency):
    hosts = [f"feed{i}.test" for i in range(len(broken))]
    settings = settings_with(concurrency)
    with LocalServer() as server, Store(tmp_path_factory.mktemp("w") / "t.db") as store:
        for i in range(len(broken)):  # each feed its own entries: the atom feed with ids made unique per feed
            server.route(f"/f{i}.atom", ATOM.replace(b"<id>", f"<id>f{i}-".encode()).replace(
                b"Orvin", f"Orvin{i}".encode()), content_type="application/atom+xml")
        urls = [on(server, h, f"/f{i}.atom") for i, h in enumerate(hosts)]
        resolver = Resolver(*(h for h, b in zip(hosts, broken) if b))
        with Fetcher(settings.fetch, resolver=resolver) as f:
            report = watcher_for(store, f, settings).poll_once(urls)
        s = report.stats
        n_bad = sum(broken)
        assert report.failed == report.internal_errors == n_bad
        assert s.rejected == n_bad and s.accepted + s.duplicates == 2 * (len(broken) - n_bad)
        assert s.balanced
        assert FeedStates(store).count_seen() == 2 * (len(broken) - n_bad)
        assert [FeedStates(store).get(u).failures for u in urls] == [int(b) for b in broken]
