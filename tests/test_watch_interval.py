"""`watch --interval` applies to feeds already in the store: due = last poll + the current interval (backed off)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storyline.ingest.fetch import Fetcher

from .test_watch import SETTINGS, Clock, make_watcher, serve_feeds

pytestmark = pytest.mark.backends("sqlite", "postgres")  # every test that takes `store` runs on both


def test_a_shorter_interval_takes_effect_for_feeds_polled_under_a_longer_one(store, server):  # noqa: F811
    urls = serve_feeds(server)
    clock = Clock()
    with Fetcher(SETTINGS.fetch) as f:
        first = make_watcher(store, f, interval_s=600.0, clock=clock).poll_once(urls)
        assert first.polled == 2
        clock.now += timedelta(seconds=61)
        fast = make_watcher(store, f, interval_s=60.0, clock=clock)
        assert fast.seconds_to_next(urls) == 1.0  # due now, not in 9 minutes
        assert fast.poll_once(urls).polled == 2
        clock.now += timedelta(seconds=30)
        again = make_watcher(store, f, interval_s=60.0, clock=clock)
        assert again.poll_once(urls).skipped_not_due == 2
        assert again.seconds_to_next(urls) == 30.0
