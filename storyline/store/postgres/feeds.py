"""The PostgreSQL twins of :mod:`storyline.store.feeds` (mixed into :class:`PostgresStore`): feeds and fetch state,
and raw pages. Timestamps are ``timestamptz``; a raw page's ``stored_at`` is given as the SQLite store gives it, an
ISO 8601 string in UTC."""

from __future__ import annotations

import zlib
from datetime import datetime
from typing import Any, Sequence

from ...records import FeedPoll, FeedState, RawPage
from ..sqlite import iso, utcnow


class PostgresFeedQueries:
    """The ``feeds``, ``feed_entries`` and ``raw_pages`` tables."""

    _rows: Any  # PostgresStore._rows
    _run: Any  # PostgresStore._run
    _many: Any  # PostgresStore._many
    transaction: Any  # PostgresStore.transaction

    # -- feeds and fetch state ----------------------------------------------------------------------------------
    def add_feeds(self, urls: Sequence[str], added_at: datetime) -> None:
        """Start keeping state for the feeds among ``urls`` that the store does not know yet (one transaction)."""
        from .store import _aware

        with self.transaction():
            self._many("INSERT INTO feeds(url, added_at) VALUES (%s, %s) ON CONFLICT (url) DO NOTHING",
                       [(u, _aware(added_at)) for u in urls])

    def feed_state(self, url: str) -> FeedState | None:
        """The stored state of feed ``url`` (None when the store does not know it)."""
        rows = self._rows("SELECT url, title, etag, last_modified, last_polled, last_status, last_error, failures, "
                          "next_poll FROM feeds WHERE url=%s", (url,))
        if not rows:
            return None
        r = rows[0]
        return FeedState(r["url"], r["title"], r["etag"], r["last_modified"], r["last_polled"], r["last_status"],
                         r["last_error"], int(r["failures"]), r["next_poll"])

    def feed_urls(self) -> list[str]:
        """Every feed the store keeps state for, by URL."""
        return [r["url"] for r in self._rows("SELECT url FROM feeds ORDER BY url")]

    def feed_entry_keys(self, url: str) -> set[str]:
        """The keys of the entries of feed ``url`` already ingested."""
        return {r["entry_key"] for r in self._rows("SELECT entry_key FROM feed_entries WHERE feed_url=%s", (url,))}

    def count_feed_entries(self, url: str | None = None) -> int:
        """Entries already ingested, of feed ``url`` or of every feed."""
        if url is None:
            return int(self._rows("SELECT count(*) AS n FROM feed_entries")[0]["n"])
        return int(self._rows("SELECT count(*) AS n FROM feed_entries WHERE feed_url=%s", (url,))[0]["n"])

    def record_feed_polls(self, polls: Sequence[FeedPoll]) -> None:
        """Write each poll's outcome to its feed and mark its ingested entries seen, in one transaction. A failed
        poll (``status == "error"``) keeps the feed's title and validators."""
        from .store import _aware

        with self.transaction():
            for p in polls:
                if p.status == "error":
                    self._run("UPDATE feeds SET last_polled=%s, last_status=%s, last_error=%s, failures=%s, "
                              "next_poll=%s WHERE url=%s",
                              (_aware(p.polled_at), p.status, p.error, p.failures, _aware(p.next_poll), p.url))
                else:
                    self._run("UPDATE feeds SET title=coalesce(%s, title), etag=%s, last_modified=%s, last_polled=%s, "
                              "last_status=%s, last_error=%s, failures=%s, next_poll=%s WHERE url=%s",
                              (p.title, p.etag, p.last_modified, _aware(p.polled_at), p.status, p.error, p.failures,
                               _aware(p.next_poll), p.url))
                self._many("INSERT INTO feed_entries(feed_url, entry_key, link, first_seen, run_id) "
                           "VALUES (%s,%s,%s,%s,%s) ON CONFLICT (feed_url, entry_key) DO NOTHING",
                           [(p.url, key, link, _aware(p.polled_at), p.run_id) for key, link in p.entries])

    # -- raw pages ------------------------------------------------------------------------------------------------
    def put_raw_page(self, key: str, body: bytes, ref: str, url: str | None = None, content_type: str | None = None,
                     level: int = 6) -> None:
        """Keep ``body`` zlib-compressed (``level``) under ``key``; a key already kept is left as it is."""
        packed = zlib.compress(body, level)
        self._run("INSERT INTO raw_pages(key, url, ref, content_type, size, body, stored_at) "
                  "VALUES (%s,%s,%s,%s,%s,%s,%s) ON CONFLICT (key) DO NOTHING",
                  (key, url, ref, content_type, len(body), packed, utcnow()))

    def get_raw_page(self, key: str) -> RawPage | None:
        """The raw page kept under ``key``, decompressed (None when none is)."""
        rows = self._rows("SELECT key, url, ref, content_type, size, body, stored_at FROM raw_pages WHERE key=%s",
                          (key,))
        if not rows:
            return None
        r = rows[0]
        return RawPage(r["key"], r["url"], r["ref"], r["content_type"], int(r["size"]),
                       zlib.decompress(bytes(r["body"])), iso(r["stored_at"]) or "")

    def count_raw_pages(self) -> int:
        return int(self._rows("SELECT count(*) AS n FROM raw_pages")[0]["n"])
