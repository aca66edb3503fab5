"""Arrival order: the clusterer sees articles in time order (ties by input position), as news arrives.

An archive given as several files (a JSONL export, then a folder of text files) is not in time order as read;
:func:`time_ordered` buffers up to ``window`` items, sorts the dated ones by date and passes the undated ones after
them, so a late-read report of Monday still meets Monday's stories before they go dormant. Rejected items pass
through at once. A stream longer than the window is sorted window by window (bounded memory). An item's date is the
one normalize will store (:func:`~storyline.normalize.effective_date`): a date too far after the time of ingest
(``ingest.max_future_hours``) counts as none.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Iterable, Iterator

from ..normalize import effective_date
from ..records import RawItem, Rejected
from ..settings import IngestSettings

_UNDATED = datetime.max.replace(tzinfo=timezone.utc)


def time_ordered(items: Iterable[RawItem | Rejected], window: int, settings: IngestSettings | None = None,
                 now: datetime | None = None) -> Iterator[RawItem | Rejected]:
    """Yield ``items`` with each window of up to ``window`` raw items sorted by date (stable; undated last); a date
    later than ``now`` (default: the UTC wall clock as each item is read) plus ``settings.max_future_hours`` is
    undated, as normalize will store it."""
    if window <= 1:
        yield from items
        return
    buffer: list[tuple[datetime, int, RawItem]] = []
    for position, item in enumerate(items):
        if isinstance(item, Rejected):
            yield item
            continue
        date = effective_date(item.date, settings, now)
        buffer.append((date or _UNDATED, position, item))
        if len(buffer) >= window:
            yield from _flush(buffer)
    yield from _flush(buffer)


def _flush(buffer: list[tuple[datetime, int, RawItem]]) -> Iterator[RawItem]:
    buffer.sort(key=lambda t: (t[0], t[1]))
    for _, _, item in buffer:
        yield item
    buffer.clear()
