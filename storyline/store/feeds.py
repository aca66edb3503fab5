"""Feeds and fetch state, and raw pages (migration 0400), on SQLite (mixed into :class:`~storyline.store.Store`;
the PostgreSQL twin is :mod:`storyline.store.postgres.feeds`).

``feeds`` keeps each watched feed's ETag / Last-Modified, its last poll, consecutive failures and next poll;
``feed_entries`` the key of every entry already ingested; ``raw_pages`` raw HTML, zlib-compressed, keyed by the
SHA-256 of the bytes. Records in and out: :class:`~storyline.records.FeedState`, :class:`~storyline.records.FeedPoll`,
:class:`~storyline.records.RawPage`.
"""

from __future__ import annotations

import zlib
from datetime import datetime
from typing import Any, Sequence

from ..records import FeedPoll, FeedState, RawPage


def _iso(dt: datetime | None) -> str | None:
    from .sqlite import iso

    return iso(dt)


class FeedQueries:
    """The ``feeds``, ``feed_entries`` and ``raw_pages`` tables (through the store's ``query``/``execute``)."""

    query: Any  # Store.query
    execute: Any  # Store.execute
    transaction: Any  # Store.transaction

    # -- feeds and fetch state ----------------------------------------------------------------------------------
    def add_feeds(self, urls: Sequence[str], added_at: datetime) -> None:
        """Start keeping state for the feeds among ``urls`` that the store does not know yet (one transaction)."""
        with self.transaction():
            for url in urls:
                self.execute("INSERT OR IGNORE INTO feeds(url, added_at) VALUES (?, ?)", (url, _iso(added_at)))

    def feed_state(self, url: str) -> FeedState | None:
        """The stored state of feed ``url`` (None when the store does not know it)."""
        from .sqlite import from_iso

        rows = self.query("SELECT * FROM feeds WHERE url=?", (url,))
        if not rows:
            return None
        r = rows[0]
        return FeedState(r["url"], r["title"], r["etag"], r["last_modified"], from_iso(r["last_polled"]),
                         r["last_status"], r["last_error"], int(r["failures"]), from_iso(r["next_poll"]))

    def feed_urls(self) -> list[str]:
        """Every feed the store keeps state for, by URL."""
        return [str(r[0]) for r in self.query("SELECT url FROM feeds ORDER BY url")]

    def feed_entry_keys(self, url: str) -> set[str]:
        """The keys of the entries of feed ``url`` already ingested."""
        return {str(r[0]) for r in self.query("SELECT entry_key FROM feed_entries WHERE feed_url=?", (url,))}

    def count_feed_entries(self, url: str | None = None) -> int:
        """Entries already ingested, of feed ``url`` or of every feed."""
        if url is None:
            return int(self.query("SELECT count(*) FROM feed_entries")[0][0])
        return int(self.query("SELECT count(*) FROM feed_entries WHERE feed_url=?", (url,))[0][0])

    def record_feed_polls(self, polls: Sequence[FeedPoll]) -> None:
        """Write each poll's outcome to its feed and mark its ingested entries seen, in one transaction. A failed
        poll (``status == "error"``) keeps the feed's title and validators."""
        with self.transaction():
            for p in polls:
                if p.status == "error":
                    self.execute("UPDATE feeds SET last_polled=?, last_status=?, last_error=?, failures=?, "
                                 "next_poll=? WHERE url=?",
                                 (_iso(p.polled_at), p.status, p.error, p.failures, _iso(p.next_poll), p.url))
                else:
                    self.execute("UPDATE feeds SET title=coalesce(?, title), etag=?, last_modified=?, last_polled=?, "
                                 "last_status=?, last_error=?, failures=?, next_poll=? WHERE url=?",
                                 (p.title, p.etag, p.last_modified, _iso(p.polled_at), p.status, p.error, p.failures,
                                  _iso(p.next_poll), p.url))
                for key, link in p.entries:
                    self.execute("INSERT OR IGNORE INTO feed_entries(feed_url, entry_key, link, first_seen, run_id) "
                                 "VALUES (?,?,?,?,?)", (p.url, key, link, _iso(p.polled_at), p.run_id))

    # -- raw pages ------------------------------------------------------------------------------------------------
    def put_raw_page(self, key: str, body: bytes, ref: str, url: str | None = None, content_type: str | None = None,
                     level: int = 6) -> None:
        """Keep ``body`` zlib-compressed (``level``) under ``key``; a key already kept is left as it is."""
        from .sqlite import utcnow

        packed = zlib.compress(body, level)
        self.execute("INSERT OR IGNORE INTO raw_pages(key, url, ref, content_type, size, body, stored_at) "
                     "VALUES (?,?,?,?,?,?,?)", (key, url, ref, content_type, len(body), packed, _iso(utcnow())))

    def get_raw_page(self, key: str) -> RawPage | None:
        """The raw page kept under ``key``, decompressed (None when none is)."""
        rows = self.query("SELECT * FROM raw_pages WHERE key=?", (key,))
        if not rows:
            return None
        r = rows[0]
        return RawPage(r["key"], r["url"], r["ref"], r["content_type"], int(r["size"]), zlib.decompress(r["body"]),
                       r["stored_at"])

    def count_raw_pages(self) -> int:
        return int(self.query("SELECT count(*) FROM raw_pages")[0][0])
