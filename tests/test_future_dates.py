"""A date later than the time of ingest plus ``ingest.max_future_hours`` is no date: the article is stored undated
(warning, raw value in ``extra["date_rejected"]``), and the readers that order items by date treat it as undated."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from storyline.errors import ConfigError
from storyline.eval.runner import arrival_order
from storyline.ingest.order import time_ordered
from storyline.normalize import date_too_far_ahead, effective_date, normalize, normalize_all
from storyline.pipeline import ingest
from storyline.records import Article, Origin, RawItem
from storyline.settings import IngestSettings, Settings
from storyline.store import Store

NOW = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)  # the time of ingest the unit tests pretend
LEXICAL = Settings().with_overrides({"cluster.profile": "lexical"})


def _raw(i: int, date: str | None, title: str = "Bridge closes", text: str = "The council closed the bridge.",
         source: str = "Daily Ledger") -> RawItem:
    return RawItem(origin=Origin("x.jsonl", i), title=title, text=text, date=date, source=source)


def test_a_date_years_ahead_is_stored_undated_with_a_warning_and_the_raw_value_kept(tmp_path):
    a = normalize(_raw(1, "2031-10-09T10:00:00Z"), now=NOW)
    assert isinstance(a, Article)
    assert a.date is None
    assert a.extra["date_rejected"] == "2031-10-09T10:00:00Z"
    assert "date_only" not in a.extra
    [warning] = a.warnings
    assert warning.startswith("date in the future '2031-10-09T10:00:00Z': ")
    assert "after the time of ingest (2026-03-01 12:00 UTC)" in warning
    assert "ingest.max_future_hours=36" in warning
    # through the pipeline it is an accepted article, stored as such
    with Store(tmp_path / "s.db") as store:
        items = [_raw(0, "2026-02-28"), _raw(1, "2031-10-09T10:00:00Z", title="Bridge still closed")]
        stats = ingest(store, normalize_all(items, LEXICAL.ingest, NOW), LEXICAL)
        assert (stats.seen, stats.accepted, stats.rejected, stats.duplicates) == (2, 2, 0, 0) and stats.balanced
        stored = {a.title: a for a in (store.get_article(r["id"]) for r in store.list_articles())}
        kept = stored["Bridge still closed"]
        assert kept.date is None and kept.extra["date_rejected"] == "2031-10-09T10:00:00Z"
        assert kept.warnings == a.warnings
        assert stored["Bridge closes"].date == datetime(2026, 2, 28, tzinfo=timezone.utc)


@pytest.mark.parametrize("value, expected", [
    ((NOW + timedelta(hours=10)).isoformat(), NOW + timedelta(hours=10)),
    ((NOW + timedelta(hours=36)).isoformat(), NOW + timedelta(hours=36)),  # the tolerance itself is still a date
    # a local day in UTC+14 that has begun while it is still yesterday in UTC: the day is taken as midnight UTC
    ("2026-03-02", datetime(2026, 3, 2, tzinfo=timezone.utc)),
    ("Mon, 02 Mar 2026 09:00:00 +1400", datetime(2026, 3, 1, 19, tzinfo=timezone.utc)),
    # a historical replay: 2021 data ingested today keeps its dates
    ("2021-10-09", datetime(2021, 10, 9, tzinfo=timezone.utc)),
])
def test_dates_within_the_tolerance_and_past_dates_are_kept(value, expected):
    a = normalize(_raw(0, value), now=NOW)
    assert a.date == expected and a.warnings == () and "date_rejected" not in a.extra
    assert effective_date(value, now=NOW) == expected


def test_just_past_the_tolerance_is_no_date_and_the_tolerance_is_a_setting():
    later = (NOW + timedelta(hours=37)).isoformat()
    a = normalize(_raw(0, later), now=NOW)
    assert a.date is None and a.extra["date_rejected"] == later and "37.0 hours after" in a.warnings[0]
    assert effective_date(later, now=NOW) is None
    wide = Settings().with_overrides({"ingest.max_future_hours": "48"}).ingest
    assert normalize(_raw(0, later), wide, now=NOW).date == NOW + timedelta(hours=37)
    strict = Settings().with_overrides({"ingest.max_future_hours": 0}).ingest
    assert effective_date((NOW + timedelta(minutes=1)).isoformat(), strict, now=NOW) is None
    assert effective_date(NOW.isoformat(), strict, now=NOW) == NOW


def test_a_huge_tolerance_turns_the_check_off_without_overflowing():
    for hours in ("1e9", "1e20"):
        off = Settings().with_overrides({"ingest.max_future_hours": hours}).ingest
        assert effective_date("9999-12-31T23:00:00Z", off, now=NOW) == datetime(9999, 12, 31, 23, tzinfo=timezone.utc)


def test_now_defaults_to_the_wall_clock_and_a_naive_now_is_utc():
    assert date_too_far_ahead(datetime(2121, 10, 9, tzinfo=timezone.utc)) is not None  # a typo of 2021
    assert date_too_far_ahead(datetime.now(timezone.utc) + timedelta(hours=1)) is None
    naive = NOW.replace(tzinfo=None)
    assert date_too_far_ahead(NOW + timedelta(hours=37), now=naive) is not None
    assert date_too_far_ahead(NOW + timedelta(hours=35), now=naive) is None


@pytest.mark.parametrize("value, message", [
    ("-1", "must not be negative"),
    (-0.5, "must not be negative"),
    ("soon", "must be a number"),
    ("inf", "finite"),
])
def test_the_setting_is_validated(value, message):
    with pytest.raises(ConfigError, match=message):
        Settings().with_overrides({"ingest.max_future_hours": value})


def test_the_default_tolerance_is_36_hours():
    assert IngestSettings().max_future_hours == 36.0


def test_ingest_order_treats_a_future_date_as_undated():
    items = [_raw(0, "2021-10-02"), _raw(1, None), _raw(2, "2031-01-01"), _raw(3, "2021-10-01")]
    out = list(time_ordered(items, window=100, now=NOW))
    assert [o.origin.record for o in out] == [3, 0, 1, 2]  # undated in input order: record 1, then record 2
    # the tolerance of the settings given is the one used
    off = Settings().with_overrides({"ingest.max_future_hours": "1e9"}).ingest
    assert [o.origin.record for o in time_ordered(items, window=100, settings=off, now=NOW)] == [3, 0, 2, 1]


def test_eval_arrival_order_treats_a_future_date_as_undated():
    dated = [_raw(i, f"2021-10-{i + 1:02d}") for i in range(5)]
    undated = [_raw(10 + i, None) for i in range(8)]
    future = _raw(99, "2031-01-01")
    as_undated = _raw(99, None)
    for seed in range(6):
        got = arrival_order([*dated, *undated, future], seed, now=NOW)
        want = arrival_order([*dated, *undated, as_undated], seed, now=NOW)
        assert [o.origin.record for o in got] == [o.origin.record for o in want]
        assert [o.origin.record for o in got[:5]] == [0, 1, 2, 3, 4]


STORY_A = ("Harbor strike", "Dockworkers at the Maravel harbor strike over wages; the port authority says ships "
           "are waiting outside the harbor and the dock union wants a new wage deal",
           "Container ships anchor offshore while pickets block the harbor gates")
STORY_B = ("Budget vote", "The Ostria parliament votes on the annual budget; coalition partners split over pension "
           "reform and the finance minister defends the tax plan",
           "Opposition deputies table amendments on pensions before the final budget reading")


def _report(i: int, story: tuple[str, str, str], day: int, date: str | None = None) -> RawItem:
    title, lead, more = story
    return RawItem(origin=Origin("stream.jsonl", i), source=f"Outlet {i}", title=f"{title}: update {i}",
                   text=f"{lead}. {more}.",
                   date=date if date is not None else f"2021-10-{day:02d}T{8 + i % 10:02d}:00:00Z")


def _stream(typo_date: str) -> list[RawItem]:
    """Reports of two stories over six days, two a day; the seventh is a report of the first story whose date is
    ``typo_date``."""
    stream = []
    for i, story in enumerate("AABBABfABAB"):
        day = 1 + i // 2
        if story == "f":
            stream.append(_report(i, STORY_A, day, date=typo_date))
        else:
            stream.append(_report(i, STORY_A if story == "A" else STORY_B, day))
    return stream


def test_a_typo_years_ahead_does_not_put_every_story_to_sleep(tmp_path):
    """A report dated 2121 (a typo of 2021) in the middle of a stream, through the real pipeline (normalize at the
    wall clock → dedupe → cluster → store). The clusterer's clock is the newest date it has seen: had the typo been
    taken as a date, both stories would have gone dormant and the later reports would have started new stories."""
    settings = LEXICAL.with_overrides({"ingest.batch_size": 2})
    with Store(tmp_path / "s.db") as store:
        stats = ingest(store, _stream("2121-10-03T09:00:00Z"), settings)
        assert (stats.seen, stats.accepted, stats.rejected) == (11, 11, 0)
        story_of = {a["title"]: a["story_id"] for a in store.list_articles()}
        a_stories = {story_of[f"Harbor strike: update {i}"] for i in (0, 1, 4, 6, 7, 9)}
        b_stories = {story_of[f"Budget vote: update {i}"] for i in (2, 3, 5, 8, 10)}
        assert len(a_stories) == 1 and len(b_stories) == 1 and a_stories != b_stories
        assert store.count_stories() == 2
        typo = store.get_article(next(a["id"] for a in store.list_articles() if a["title"].endswith("update 6")))
        assert typo.date is None and typo.extra["date_rejected"] == "2121-10-03T09:00:00Z"


def test_the_same_stream_with_the_check_off_splits_every_story(tmp_path):
    """The consequence the check prevents, shown with the tolerance set beyond year 9999: the typo's date moves the
    clock a century ahead, both stories go dormant, and their later reports start new stories."""
    settings = LEXICAL.with_overrides({"ingest.batch_size": 2, "ingest.max_future_hours": "1e9"})
    with Store(tmp_path / "s.db") as store:
        ingest(store, _stream("2121-10-03T09:00:00Z"), settings)
        story_of = {a["title"]: a["story_id"] for a in store.list_articles()}
        assert story_of["Harbor strike: update 4"] != story_of["Harbor strike: update 7"]
        assert story_of["Budget vote: update 5"] != story_of["Budget vote: update 8"]
