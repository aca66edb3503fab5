"""The stream's rate (join-model feature log_rate): how many dated reports arrived within a day of the stream's clock.
A crowded stream (an aggregator's hundreds of headlines a day) and a sparse one (a few reports a week) hold the same
closeness in time to different weight."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

from storyline.cluster.model import is_computable
from storyline.cluster.online import OnlineClusterer
from storyline.records import Article
from storyline.settings import Settings

T0 = datetime(2026, 3, 20, 9, tzinfo=timezone.utc)
CS = Settings().with_overrides({"cluster.profile": "lexical", "cluster.decision": "score"}).cluster


def _art(i: int, hours: float | None, title: str = "Dam opens on the river") -> Article:
    return Article(id=f"a{i}", title=title, text=f"The new dam on the river opened, report {i}.", source=f"o{i % 3}",
                   date=None if hours is None else T0 + timedelta(hours=hours))


def _log_rate(c: OnlineClusterer, a: Article) -> float:
    """log_rate of ``a`` against its best candidate, as the join model reads it when ``a`` arrives."""
    f = c.features(a)
    c._advance_clock(f.day)
    scored, contents = c._score(f)
    assert scored
    return float(c.pair_features(f, scored, contents, ("log_rate",))[0][0])


def test_log_rate_counts_the_dated_arrivals_of_the_last_day_of_stream_time():
    assert is_computable("log_rate", "lexical") and is_computable("log_rate*score", "default")
    c = OnlineClusterer(CS)
    c.teach([_art(i, 2.0 * i) for i in range(6)], ["s"] * 6)  # six reports over ten hours
    assert _log_rate(c, _art(6, 12.0)) == math.log1p(7)  # the six and itself, all within a day
    # thirty hours later the window has moved past all of them: only the new arrival counts
    c2 = OnlineClusterer(CS)
    c2.teach([_art(i, 2.0 * i) for i in range(6)], ["s"] * 6)
    assert _log_rate(c2, _art(7, 40.0)) == math.log1p(1)


def test_a_late_report_does_not_move_the_window_back_and_an_undated_one_reads_zero():
    c = OnlineClusterer(CS)
    c.teach([_art(0, 0.0), _art(1, 30.0)], ["s", "s"])  # the clock is at 30 h; the 0 h report left the window
    assert _log_rate(c, _art(2, 29.0)) == math.log1p(2)  # 30 h and the late 29 h one itself
    assert _log_rate(c, _art(3, 2.0)) == math.log1p(2)  # older than a day before the clock: not counted
    assert _log_rate(c, _art(4, None)) == 0.0


def test_the_rate_is_rebuilt_by_a_restore(tmp_path):
    """The clusterer's in-memory state after a restart equals the state of the run that stored it."""
    from storyline.cluster import make_clusterer
    from storyline.pipeline import open_pipeline
    from storyline.records import Origin, RawItem
    from storyline.store import open_store

    settings = Settings().with_overrides({"cluster.profile": "lexical"})
    with open_store(tmp_path / "r.db") as store:
        pipe = open_pipeline(store, settings)
        pipe.run([RawItem(Origin("t", i), text=f"The new dam on the river opened, report {i}.",
                          title=f"Dam opens on the river {i}", source=f"o{i}",
                          date=(T0 + timedelta(hours=9 * i)).isoformat()) for i in range(5)])
        live = list(pipe.clusterer._rate_days)
        again = make_clusterer(settings).restore(store)
        assert list(again._rate_days) == live and len(live) == 3  # 18, 27 and 36 h: within a day of the clock
