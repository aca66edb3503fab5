"""`watch` with several polling threads: the same articles in the same order as one thread, feeds fetched in
parallel, the per-host rate limit and the state/backoff bookkeeping kept."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from storyline.errors import ConfigError
from storyline.ingest.fetch import Fetcher
from storyline.service.watch import FeedStates, Watcher
from storyline.pipeline import open_pipeline
from storyline.settings import Settings
from storyline.store import Store

from .fixtures.web.server import Clock, fixture_bytes

pytestmark = pytest.mark.backends("sqlite", "postgres")  # every test that takes `store` runs on both

BASE_SETTINGS = {"cluster.profile": "lexical", "fetch.allow_networks": "127.0.0.1/32",
                 "fetch.min_host_interval_s": "0"}
PLACES = ["Orvin", "Bellac", "Terre-Basse", "Saint-Aubry", "Valoria", "Sauve"]
TOPICS = ["a bridge inspection", "the school reopening", "a power cut", "the river level", "a road closure",
          "the relief fund"]


def settings(concurrency: int, **more: str) -> Settings:
    return Settings().with_overrides({**BASE_SETTINGS, "fetch.watch_concurrency": str(concurrency), **more})


def rss(name: str, entries: int, start: int = 0) -> bytes:
    """A feed of ``entries`` distinct items with full content (no linked page to fetch)."""
    items = []
    for i in range(start, start + entries):
        place, topic = PLACES[i % len(PLACES)], TOPICS[(i * 5 + len(name)) % len(TOPICS)]
        items.append(f"""<item><title>{name} {i}: {topic} in {place}</title><link>https://{name}.example/{i}</link>
<guid isPermaLink="false">{name}-{i}</guid><pubDate>Fri, 11 Apr 2031 {8 + i % 10:02d}:00:00 GMT</pubDate>
<description><![CDATA[<p>{name} report number {i} on {topic} in {place}. Officials in {place} said the work on
{topic} would go on through the week while residents of {place} waited for news from the {name} desk.</p>]]>
</description></item>""")
    head = (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{name}</title>'
            f'<link>https://{name}.example/</link><description>d</description>')
    return (head + "".join(items) + "</channel></rss>").encode()


def serve(server, delays: list[float]) -> list[str]:
    """Six feeds, the earlier ones slower (so they finish last when fetched together): the ledger (one entry
    followed to its page), the courier, two generated feeds, a failing feed and a malformed one."""
    server.route("/rescue.html", fixture_bytes("courier_rescue.html"))
    ledger = fixture_bytes("ledger_feed.rss").replace(b"{BASE}", server.base.encode())
    specs = [("/ledger.rss", ledger, "application/rss+xml", 200),
             ("/courier.atom", fixture_bytes("courier_feed.atom"), "application/atom+xml", 200),
             ("/gazette.rss", rss("gazette", 4), "application/rss+xml", 200),
             ("/down.rss", b"unavailable", "text/plain", 503),
             ("/herald.rss", rss("herald", 3), "application/rss+xml", 200),
             ("/broken.rss", fixture_bytes("malformed.rss"), "application/rss+xml", 200)]
    return [server.route(path, body, content_type=ctype, status=status, delay_s=delay)
            for (path, body, ctype, status), delay in zip(specs, delays)]


def poll_twice(db, server, urls: list[str], concurrency: int) -> dict:
    """Two polls (the second after new entries appear) and everything they left in the store."""
    s = settings(concurrency)
    clock = Clock()
    with Store(db) as store, Fetcher(s.fetch) as fetcher:
        from storyline.ingest.html import PageArchive

        watcher = Watcher(store, s, fetcher, open_pipeline(store, s), interval_s=60, clock=clock,
                          archive=PageArchive(store))
        first = watcher.poll_once(urls)
        server.route("/gazette.rss", rss("gazette", 6), content_type="application/rss+xml")  # 2 new entries
        clock.now += timedelta(seconds=61)
        second = watcher.poll_once(urls)
        server.route("/gazette.rss", rss("gazette", 4), content_type="application/rss+xml")  # for the next run
        states = FeedStates(store)
        return {
            "reports": [(r.polled, r.not_modified, r.failed, r.new_entries, r.skipped_not_due, r.stats.seen,
                         r.stats.accepted, r.stats.rejected, r.stats.duplicates) for r in (first, second)],
            "articles": [(a.title, a.url, a.external_id, a.origin) for a in store.iter_articles()],
            "rejects": [(r["run_id"], r["ref"], r["stage"], r["reason"]) for r in store.list_rejects()],
            "feeds": [(f.url, f.title, f.failures, f.last_status, f.last_error, f.next_poll, states.count_seen(f.url))
                      for f in states.all()],
            "raw_pages": store.query("SELECT count(*) FROM raw_pages")[0][0],
        }


def test_concurrent_polls_ingest_the_same_articles_in_the_same_order(tmp_path, server):
    urls = serve(server, [0.3, 0.25, 0.2, 0.15, 0.1, 0.0])
    one = poll_twice(tmp_path / "one.db", server, urls, concurrency=1)
    three = poll_twice(tmp_path / "three.db", server, urls, concurrency=3)
    assert three == one
    titles = [a[0] for a in one["articles"]]
    # feed order, then entry order, whichever fetch finished first; the second poll's two new entries last
    assert titles[:3] == ["Dam gives way above three Valorian villages", "Prefect orders inquiry into Orvin dam",
                          "Boats reach cut-off houses after Orvin dam failure"]
    assert [t.split(":")[0] for t in titles[5:]] == ["gazette 0", "gazette 1", "gazette 2", "gazette 3",
                                                     "herald 0", "herald 1", "herald 2", "gazette 4", "gazette 5"]
    assert one["reports"][0][2] == 2 and one["reports"][1][2] == 0  # two failures, none due again yet
    assert {(r[1].rsplit("/", 1)[1], r[3]) for r in one["rejects"]} == {("down.rss", "http-error"),
                                                                         ("broken.rss:3", "malformed-feed")}
    failures = {f[0].rsplit("/", 1)[1]: f[2] for f in one["feeds"]}
    assert failures == {"ledger.rss": 0, "courier.atom": 0, "gazette.rss": 0, "down.rss": 1, "herald.rss": 0,
                        "broken.rss": 1}
    assert one["raw_pages"] == 1  # the linked page, archived by the calling thread in both runs


def test_slow_feeds_are_fetched_in_parallel(server):
    """Three feeds whose server waits 0.5 s each: one thread needs at least 1.5 s, three threads about 0.5 s."""
    urls = [server.route(f"/slow{i}.rss", rss(f"slow{i}", 0), content_type="application/rss+xml", delay_s=0.5)
            for i in range(3)]
    elapsed = {}
    for concurrency in (1, 3):
        with Store(":memory:") as st, Fetcher(settings(concurrency).fetch) as fetcher:
            s = settings(concurrency)
            watcher = Watcher(st, s, fetcher, open_pipeline(st, s), interval_s=60, clock=Clock())
            t0 = time.monotonic()
            report = watcher.poll_once(urls)
            elapsed[concurrency] = time.monotonic() - t0
            assert (report.polled, report.failed) == (3, 0)
    assert elapsed[1] >= 1.5
    assert elapsed[3] < 1.25, elapsed  # generous: the three waits overlap


def test_feeds_on_one_host_are_still_spaced_by_the_host_interval(store, server):
    """Three feeds on one host, three threads: robots.txt and the three feeds are four requests, so at least
    three host intervals pass, whatever the threads do."""
    urls = [server.route(f"/f{i}.rss", rss(f"f{i}", 0), content_type="application/rss+xml") for i in range(3)]
    s = settings(3, **{"fetch.min_host_interval_s": "0.3"})
    with Fetcher(s.fetch) as fetcher:
        watcher = Watcher(store, s, fetcher, open_pipeline(store, s), interval_s=60, clock=Clock())
        t0 = time.monotonic()
        report = watcher.poll_once(urls)
        elapsed = time.monotonic() - t0
    assert report.polled == 3 and report.failed == 0
    assert elapsed >= 0.9
    assert [p for p, _ in server.log][0] == "/robots.txt" and len(server.hits("/robots.txt")) == 1


def test_backoff_and_recovery_are_kept_with_threads(store, server):
    flaky = server.route("/flaky.rss", b"oops", status=503, content_type="text/plain")
    good = server.route("/good.rss", rss("good", 2), content_type="application/rss+xml")
    clock = Clock()
    s = settings(4)
    with Fetcher(s.fetch) as fetcher:
        watcher = Watcher(store, s, fetcher, open_pipeline(store, s), interval_s=60, clock=clock)
        waits = []
        for _ in range(3):
            watcher.poll_once([flaky, good])
            st = FeedStates(store).get(flaky)
            waits.append((st.next_poll - clock.now).total_seconds())
            clock.now = st.next_poll
        server.route("/flaky.rss", rss("flaky", 1), content_type="application/rss+xml")
        recovered = watcher.poll_once([flaky, good])
    assert waits == [120, 240, 480]
    assert recovered.failed == 0 and FeedStates(store).get(flaky).failures == 0
    assert FeedStates(store).count_seen(good) == 2 and FeedStates(store).count_seen(flaky) == 1


def test_watch_concurrency_is_validated(store):
    with pytest.raises(ConfigError, match="must not be negative"):
        Settings().with_overrides({"fetch.watch_concurrency": "-2"})
    with pytest.raises(ConfigError, match="must be an integer"):
        Settings().with_overrides({"fetch.watch_concurrency": "2.5"})
    s = settings(0)
    with Fetcher(s.fetch) as fetcher:
        with pytest.raises(ConfigError, match="watch_concurrency must be an integer of at least 1, got 0"):
            Watcher(store, s, fetcher, open_pipeline(store, s))
