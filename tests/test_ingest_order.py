from datetime import datetime, timezone

from hypothesis import given, strategies as st

from storyline.ingest.order import time_ordered
from storyline.normalize import effective_date
from storyline.records import Origin, RawItem, Rejected


def _item(i, date):
    return RawItem(origin=Origin("x", i), text=f"t{i}", date=date)


def test_dated_items_come_in_date_order_and_undated_last_rejects_at_once():
    items = [_item(0, "2026-03-05"), Rejected("x:1", "ingest", "malformed-json"), _item(2, None),
             _item(3, "2026-03-02T10:00:00+00:00"), _item(4, "2026-03-02T09:00:00+01:00")]
    out = list(time_ordered(items, window=100))
    assert isinstance(out[0], Rejected)
    assert [o.origin.record for o in out[1:]] == [4, 3, 0, 2]


@given(st.lists(st.one_of(st.none(), st.dates().map(str)), max_size=40), st.integers(1, 10))
def test_ordering_loses_nothing_and_sorts_each_window(dates, window):
    items = [_item(i, d) for i, d in enumerate(dates)]
    now = datetime(2026, 3, 1, tzinfo=timezone.utc)
    out = list(time_ordered(items, window, now=now))
    assert sorted(o.origin.record for o in out) == list(range(len(items)))
    if window > 1:
        for start in range(0, len(out), window):
            # st.dates() reaches year 9999: a date too far ahead of the time of ingest counts as undated
            chunk = [effective_date(o.date, now=now) for o in out[start:start + window]]
            dated = [d for d in chunk if d is not None]
            assert dated == sorted(dated)
            assert all(d is None for d in chunk[len(dated):])
