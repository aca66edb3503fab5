"""Read queries the API needs beyond :class:`~storyline.store.Store`'s: keyset (cursor) pagination of stories and
articles, and per-day coverage counts (story search: :mod:`storyline.search`).

A cursor is opaque to clients: URL-safe base64 of JSON holding the sort key of the last row served and a digest of
the filters, so a page never repeats or skips a row when stories arrive between requests, and a cursor reused with
other filters is refused instead of answering nonsense.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Sequence

from ..records import StoryListing
from ..store import Store
from ..store.listings import STORY_ORDER_KEYS
from ..store.sqlite import iso
from .errors import ApiError

@dataclass(frozen=True, slots=True)
class StoryFilters:
    since: datetime | None = None
    until: datetime | None = None
    source: str | None = None
    query: str | None = None
    min_sources: int = 0
    order: str = "latest"

    def digest(self) -> str:
        raw = json.dumps([iso(self.since), iso(self.until), self.source, self.query, self.min_sources, self.order])
        return hashlib.sha256(raw.encode()).hexdigest()[:12]


def encode_cursor(key: Sequence[Any], digest: str) -> str:
    raw = json.dumps({"k": list(key), "f": digest}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, digest: str, n_keys: int) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        key, f = data["k"], data["f"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise ApiError(422, "invalid-cursor", f"cursor {cursor!r} is not one this server issued; "
                                              "start again without a cursor") from None
    if f != digest or not isinstance(key, list) or len(key) != n_keys:
        raise ApiError(422, "invalid-cursor", "this cursor belongs to a listing with other filters or order; "
                                              "repeat the request with the filters the cursor came from")
    # the keys this server issues are strings, 64-bit integers or null (a forged cursor must not reach SQLite)
    if not all(k is None or isinstance(k, str) or (type(k) is int and -2**63 <= k < 2**63) for k in key):
        raise ApiError(422, "invalid-cursor", f"cursor {cursor!r} is not one this server issued; "
                                              "start again without a cursor")
    return key


def list_stories(store: Store, filters: StoryFilters, limit: int,
                 cursor: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """One page of stories (``{id, headline, n_articles, n_sources, sources, first_seen, last_seen, updated_at}``)
    and the cursor of the next page (None on the last page)."""
    if filters.order not in STORY_ORDER_KEYS:
        raise ApiError(422, "invalid-parameter",
                       f"order must be one of {sorted(STORY_ORDER_KEYS)}, got {filters.order!r}")
    after = decode_cursor(cursor, filters.digest(), STORY_ORDER_KEYS[filters.order]) if cursor else None
    rows = store.story_listing(order=filters.order, limit=limit + 1, after=after, query=filters.query,
                               since=filters.since, until=filters.until, source=filters.source,
                               min_sources=filters.min_sources)
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(list(rows[-1].key), filters.digest()) if more and rows else None
    return [story_row(r) for r in rows], next_cursor


def story_row(r: StoryListing) -> dict[str, Any]:
    return {
        "id": r.id,
        "headline": r.headline,
        "n_articles": r.n_articles,
        "n_sources": r.n_sources,
        "sources": list(r.sources),
        "first_seen": r.first_seen,
        "last_seen": r.last_seen,
        "updated_at": r.updated_at,
    }


def story_versions(store: Store, story_ids: Sequence[str]) -> dict[str, tuple[str, int]]:
    """``{story_id: (updated_at, n_articles)}``: the story-view cache key (current articles are counted)."""
    return store.story_versions(story_ids)


def coverage(store: Store, story_ids: Sequence[str], max_days: int = 30) -> dict[str, list[dict[str, Any]]]:
    """Articles per UTC day for each story, from its first to its last dated article (at most ``max_days`` days,
    the latest ones), zero days included: ``{story_id: [{"day": "2026-03-02", "n": 3}, …]}``."""
    ids = list(story_ids)
    counts: dict[str, dict[date, int]] = {sid: {} for sid in ids}
    for sid, dates in store.story_article_dates(ids).items():
        for d in dates:
            day = d.date()
            counts[sid][day] = counts[sid].get(day, 0) + 1
    out: dict[str, list[dict[str, Any]]] = {}
    for sid, per_day in counts.items():
        if not per_day:
            out[sid] = []
            continue
        last = max(per_day)
        # date.min + a few days: "0001-01-01" (Go's zero time in some feeds) must not underflow the window
        window_start = last - timedelta(days=max_days - 1) if last.toordinal() > max_days else last.min
        first = max(min(per_day), window_start)
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        out[sid] = [{"day": d.isoformat(), "n": per_day.get(d, 0)} for d in days]
    return out


def list_articles(store: Store, *, story_id: str | None, source: str | None, limit: int,
                  cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """Current articles in arrival order (the ``articles --format json`` contract plus ``url``; superseded versions
    are left out, docs/versions.md), keyset-paginated by arrival sequence (``seq``)."""
    digest = hashlib.sha256(json.dumps([story_id, source]).encode()).hexdigest()[:12]
    after = int(decode_cursor(cursor, digest, 1)[0]) if cursor else None
    rows = store.article_listing(limit=limit + 1, after=after, story_id=story_id, source=source)
    more = len(rows) > limit
    rows = rows[:limit]
    out = [{"id": r.id, "story_id": r.story_id, "source": r.source, "title": r.title, "date": r.date,
            "lang": r.lang, "byline": r.byline, "url": r.url} for r in rows]
    return out, (encode_cursor([rows[-1].seq], digest) if more and rows else None)
