"""`watch`: new entries only, conditional polls, backoff, state in the store across restarts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from storyline.errors import ConfigError, StorylineError
from storyline.ingest.fetch import Fetcher
from storyline.service.watch import FeedStates, Watcher, parse_duration, read_feed_list
from storyline.pipeline import open_pipeline
from storyline.settings import Settings
from storyline.store import Store

from .fixtures.web.server import Clock, fixture_bytes

pytestmark = pytest.mark.backends("sqlite", "postgres")  # every test that takes `store` runs on both

SETTINGS = Settings().with_overrides({"cluster.profile": "lexical", "fetch.allow_networks": "127.0.0.1/32",
                                      "fetch.min_host_interval_s": "0"})
BIN = Path(sys.executable).with_name("storyline")
EXTRA_ITEM = b"""<item>
<title>Orvin dam operator suspends its director</title>
<link>{BASE}/director.html</link>
<guid isPermaLink="false">ledger-2031-04-12-director</guid>
<pubDate>Sat, 12 Apr 2031 11:00:00 GMT</pubDate>
<content:encoded><![CDATA[<p>The company that runs the Orvin dam suspended its director on Saturday pending the inquiry ordered by the prefect.</p>]]></content:encoded>
</item>
</channel>"""


def ledger_feed(base: str, extra: bool = False) -> bytes:
    data = fixture_bytes("ledger_feed.rss")
    if extra:
        data = data.replace(b"</channel>", EXTRA_ITEM)
    return data.replace(b"{BASE}", base.encode())


def make_watcher(store, fetcher, interval_s=60.0, clock=None):
    return Watcher(store, SETTINGS, fetcher, open_pipeline(store, SETTINGS), interval_s=interval_s,
                   clock=clock or Clock())


def serve_feeds(server, etag=None):
    server.route("/rescue.html", fixture_bytes("courier_rescue.html"))
    ledger = server.route("/ledger.rss", ledger_feed(server.base), content_type="application/rss+xml", etag=etag)
    courier = server.route("/courier.atom", fixture_bytes("courier_feed.atom"), content_type="application/atom+xml")
    return [ledger, courier]


def test_first_poll_ingests_every_entry_and_records_state(store, server):
    urls = serve_feeds(server, etag='"l1"')
    with Fetcher(SETTINGS.fetch) as f:
        report = make_watcher(store, f).poll_once(urls)
    assert (report.polled, report.new_entries, report.failed) == (2, 5, 0)
    assert report.stats.balanced and report.stats.accepted == 5
    state = FeedStates(store).get(urls[0])
    assert state.etag == '"l1"' and state.title == "The Valoria Ledger" and state.failures == 0
    assert state.next_poll - state.last_polled == timedelta(seconds=60)
    assert FeedStates(store).count_seen() == 5
    assert store.runs()[-1]["command"] == "watch"


def test_second_poll_sends_validators_and_ingests_only_new_entries(store, server):
    urls = serve_feeds(server, etag='"l1"')
    clock = Clock()
    with Fetcher(SETTINGS.fetch) as f:
        watcher = make_watcher(store, f, clock=clock)
        watcher.poll_once(urls)
        clock.now += timedelta(seconds=61)
        same = watcher.poll_once(urls)
        assert same.not_modified == 1 and same.new_entries == 0 and same.stats.seen == 0  # 304 + all seen
        assert server.hits("/ledger.rss")[1]["if-none-match"] == '"l1"'
        server.route("/ledger.rss", ledger_feed(server.base, extra=True), content_type="application/rss+xml",
                     etag='"l2"')
        clock.now += timedelta(seconds=61)
        more = watcher.poll_once(urls)
    assert more.new_entries == 1 and more.stats.accepted == 1
    assert store.count_articles() == 6
    assert FeedStates(store).get(urls[0]).etag == '"l2"'


def test_feeds_not_due_are_not_polled(store, server):
    urls = serve_feeds(server)
    clock = Clock()
    with Fetcher(SETTINGS.fetch) as f:
        watcher = make_watcher(store, f, clock=clock)
        watcher.poll_once(urls)
        clock.now += timedelta(seconds=30)
        report = watcher.poll_once(urls)
    assert report.polled == 0 and report.skipped_not_due == 2
    assert len(server.hits("/ledger.rss")) == 1
    assert watcher.seconds_to_next(urls) == pytest.approx(30.0)


def test_run_loop_sleeps_until_the_next_feed_is_due(store, server):
    urls = serve_feeds(server)
    slept: list[float] = []
    with Fetcher(SETTINGS.fetch) as f:
        reports = make_watcher(store, f, interval_s=600).run(urls, sleep=slept.append, cycles=2)
    assert len(reports) == 2 and slept == [600.0]
    assert reports[1].polled == 0  # the fake clock did not move: nothing due yet


def test_failing_feed_backs_off_and_recovers(store, server):
    url = server.route("/flaky.rss", b"oops", status=503)
    clock = Clock()
    with Fetcher(SETTINGS.fetch) as f:
        watcher = make_watcher(store, f, interval_s=60, clock=clock)
        waits = []
        for _ in range(3):
            report = watcher.poll_once([url])
            assert report.failed == 1 and report.stats.rejected == 1
            st = FeedStates(store).get(url)
            waits.append((st.next_poll - clock.now).total_seconds())
            clock.now = st.next_poll
        assert waits == [120, 240, 480]
        assert FeedStates(store).get(url).last_error.startswith("http-error")
        server.route("/flaky.rss", fixture_bytes("courier_feed.atom"), content_type="application/atom+xml")
        ok = watcher.poll_once([url])
    st = FeedStates(store).get(url)
    assert ok.stats.accepted == 2 and st.failures == 0 and st.last_error is None
    assert (st.next_poll - clock.now).total_seconds() == 60


def test_backoff_is_capped():
    settings = SETTINGS.with_overrides({"fetch.backoff_max_s": "1000"})
    with Store(":memory:") as store, Fetcher(settings.fetch) as f:
        w = Watcher(store, settings, f, open_pipeline(store, settings), interval_s=60)
        assert [w.backoff_s(n) for n in (0, 1, 2, 3, 4, 50)] == [60, 120, 240, 480, 960, 1000]


def test_malformed_and_billion_laughs_feeds_are_rejected_rows_not_crashes(store, server):
    bad = server.route("/bad.rss", fixture_bytes("malformed.rss"), content_type="application/rss+xml")
    bomb = server.route("/bomb.rss", fixture_bytes("billion_laughs.rss"), content_type="application/rss+xml")
    good = server.route("/c.atom", fixture_bytes("courier_feed.atom"), content_type="application/atom+xml")
    with Fetcher(SETTINGS.fetch) as f:
        report = make_watcher(store, f).poll_once([bad, bomb, good])
    assert report.stats.balanced and (report.stats.accepted, report.stats.rejected) == (2, 2)
    assert {r["reason"] for r in store.list_rejects()} == {"malformed-feed", "xml-entities"}
    assert FeedStates(store).get(bomb).failures == 1


def test_feed_list_text_and_opml(tmp_path):
    txt = tmp_path / "feeds.txt"
    txt.write_text("# my feeds\nhttps://a.example/rss\n\n  https://b.example/atom  \nhttps://a.example/rss\n")
    assert read_feed_list(txt) == ["https://a.example/rss", "https://b.example/atom"]
    opml = tmp_path / "feeds.opml"
    opml.write_text('<?xml version="1.0"?><opml version="2.0"><head><title>f</title></head><body>'
                    '<outline text="News"><outline type="rss" text="A" xmlUrl="https://a.example/rss"/></outline>'
                    '<outline type="rss" text="C" xmlUrl="https://c.example/feed"/></body></opml>')
    assert read_feed_list(opml) == ["https://a.example/rss", "https://c.example/feed"]


def test_feed_list_errors_name_the_line(tmp_path):
    bad = tmp_path / "feeds.txt"
    bad.write_text("https://a.example/rss\nftp://b.example/x\n")
    with pytest.raises(StorylineError, match=r"feeds.txt:2: 'ftp://b.example/x'"):
        read_feed_list(bad)
    bomb = tmp_path / "feeds.opml"
    bomb.write_bytes(fixture_bytes("billion_laughs.rss").replace(b"rss", b"opml"))
    with pytest.raises(StorylineError, match="not a usable OPML"):
        read_feed_list(bomb)
    with pytest.raises(StorylineError, match="cannot read"):
        read_feed_list(tmp_path / "absent.txt")


@pytest.mark.parametrize("text,seconds", [("10m", 600), ("30s", 30), ("1.5h", 5400), ("45", 45), ("0s", 0),
                                          ("1d", 86400), ("250ms", 0.25)])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


def test_parse_duration_rejects_nonsense():
    with pytest.raises(ConfigError, match="not a duration"):
        parse_duration("soon")


def _cli(db, *args):
    env = {**os.environ, "STORYLINE_CLUSTER_PROFILE": "lexical", "STORYLINE_FETCH_ALLOW_NETWORKS": "127.0.0.1/32",
           "STORYLINE_FETCH_MIN_HOST_INTERVAL_S": "0"}
    return subprocess.run([str(BIN), "--db", str(db), *args], capture_output=True, env=env, timeout=120, text=True)


@pytest.mark.slow
def test_restarted_watch_ingests_nothing_twice(tmp_path, server):
    """Separate processes: state (seen entries, validators) lives in the store, not in memory.

    The ledger feed sends no ETag, so the restarted process downloads it again and must skip its entries itself.
    """
    server.route("/rescue.html", fixture_bytes("courier_rescue.html"))
    server.route("/ledger.rss", ledger_feed(server.base), content_type="application/rss+xml")
    server.route("/courier.atom", fixture_bytes("courier_feed.atom"), content_type="application/atom+xml",
                 etag='"c1"')
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(f"{server.url('/ledger.rss')}\n{server.url('/courier.atom')}\n")
    db = tmp_path / "w.db"
    first = _cli(db, "watch", str(feeds), "--once", "--interval", "0s")
    assert first.returncode == 0, first.stderr
    assert "accepted 5" in first.stderr
    second = _cli(db, "watch", str(feeds), "--once", "--interval", "0s")
    assert second.returncode == 0, second.stderr
    assert "new entries 0" in second.stderr and "1 not modified" in second.stderr
    server.route("/ledger.rss", ledger_feed(server.base, extra=True), content_type="application/rss+xml")
    third = _cli(db, "watch", str(feeds), "--once", "--interval", "0s")
    assert "new entries 1" in third.stderr and "accepted 1" in third.stderr
    with Store(db) as store:
        assert store.count_articles() == 6
        assert sum(r["seen"] for r in store.runs()) == 6  # nothing reached the pipeline twice
    assert len(server.hits("/ledger.rss")) == 3 and len(server.hits("/rescue.html")) == 1
    listing = json.loads(_cli(db, "feeds", "--format", "json").stdout)
    assert {row["url"].rsplit("/", 1)[1]: row["entries"] for row in listing} == {"ledger.rss": 4, "courier.atom": 2}


@pytest.mark.slow
def test_watch_exits_1_when_a_feed_is_rejected(tmp_path, server):
    server.route("/bomb.rss", fixture_bytes("billion_laughs.rss"), content_type="application/rss+xml")
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(server.url("/bomb.rss") + "\n")
    p = _cli(tmp_path / "w.db", "watch", str(feeds), "--once")
    assert p.returncode == 1 and "1 rejected" in p.stderr
    bad_interval = _cli(tmp_path / "w.db", "watch", str(feeds), "--once", "--interval", "often")
    assert bad_interval.returncode == 2 and "not a duration" in bad_interval.stderr
