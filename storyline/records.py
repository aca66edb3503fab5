"""Typed records that flow through the pipeline.

ingest yields :class:`RawItem` (or :class:`Rejected`), normalize turns a raw item into an :class:`Article`
(or :class:`Rejected`), the clusterer answers an :class:`Assignment`, the store keeps :class:`Story` rows and
:class:`RunStats` per run. All records are frozen; ids are content hashes so re-ingesting is harmless.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping

# the outlet of an article whose record names none (no source, no URL, no agency in a desk tag): never a file name
# (docs/outlets.md); it is not counted as an outlet
UNKNOWN_OUTLET = "unknown outlet"


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a record came from: a file (or ``-`` for stdin, or a URL) and a 1-based line/record number."""

    path: str
    record: int | None = None

    def __str__(self) -> str:
        return self.path if self.record is None else f"{self.path}:{self.record}"


@dataclass(frozen=True, slots=True)
class RawItem:
    """One article as a reader found it, before any cleaning. ``date`` is the raw string."""

    origin: Origin
    text: str
    title: str | None = None
    date: str | None = None
    source: str | None = None
    url: str | None = None
    lang: str | None = None
    byline: str | None = None
    external_id: str | None = None
    title_derived: bool = False
    format: str = "text"
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Rejected:
    """Input that could not become an article, with the reason. Stored, counted and listable."""

    ref: str
    stage: str
    reason: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Article:
    """A normalized article. ``text`` is the stored body; every span in a story view indexes into it."""

    id: str
    title: str
    text: str
    source: str
    date: datetime | None
    lang: str | None = None
    url: str | None = None
    byline: str | None = None
    external_id: str | None = None
    title_derived: bool = False
    origin: str = ""
    warnings: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def date_only(self) -> bool:
        """The input gave a day without a time of day (normalize records it in ``extra["date_only"]``): show the
        day, not midnight."""
        return bool(self.extra.get("date_only"))

    @property
    def headline_only(self) -> bool:
        """True for an article that is only a headline (a title and no body: ``text`` is empty)."""
        return not self.text

    @property
    def lead(self) -> str:
        """The title and first paragraph: what the dense encoder reads."""
        first = self.text.split("\n\n", 1)[0]
        return f"{self.title}\n{first}" if self.title and first else self.title or first


@dataclass(frozen=True, slots=True)
class Assignment:
    """The clusterer's decision for one article, with the evidence behind it.

    ``components`` holds the per-signal similarities (e.g. ``lexical``, ``dense``, ``entities``, ``time``) and
    ``shared`` the top terms/entities the article shares with the story. ``merged`` lists story ids that this
    decision folded into ``story_id``.
    """

    article_id: str
    story_id: str
    score: float
    is_new: bool
    components: Mapping[str, float] = field(default_factory=dict)
    shared: tuple[str, ...] = ()
    merged: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Story:
    id: str
    headline: str
    n_articles: int
    sources: tuple[str, ...]
    first_seen: datetime | None
    last_seen: datetime | None


@dataclass(frozen=True, slots=True)
class RunStats:
    run_id: int
    seen: int
    accepted: int
    rejected: int
    duplicates: int
    new_stories: int = 0

    @property
    def balanced(self) -> bool:
        return self.seen == self.accepted + self.rejected + self.duplicates


def content_id(*parts: str | None, prefix: str = "", length: int = 16) -> str:
    """A stable content hash of ``parts`` (``None`` counts as empty): the id scheme for articles and stories."""
    h = hashlib.sha256()
    for p in parts:
        h.update((p or "").encode("utf-8"))
        h.update(b"\x1f")
    return prefix + h.hexdigest()[:length]


# -- web ingest and serving records (the store's feeds, raw pages and listings; docs/web-ingest.md, docs/web.md) --
@dataclass(frozen=True, slots=True)
class FeedState:
    """A watched feed as the store keeps it: its conditional-request validators, last poll and schedule."""

    url: str
    title: str | None
    etag: str | None
    last_modified: str | None
    last_polled: datetime | None
    last_status: str | None
    last_error: str | None
    failures: int
    next_poll: datetime | None


@dataclass(frozen=True, slots=True)
class FeedPoll:
    """One poll of a feed, to record: ``status`` "ok", "not-modified" or "error". A failed poll keeps the feed's
    title and validators (so an entry that failed is downloaded again); ``entries`` are the ``(key, link)`` of the
    entries ingested by run ``run_id``, marked seen."""

    url: str
    status: str
    polled_at: datetime
    next_poll: datetime
    failures: int
    error: str | None = None
    title: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    entries: tuple[tuple[str, str | None], ...] = ()
    run_id: int | None = None


@dataclass(frozen=True, slots=True)
class RawPage:
    """A kept raw HTML page (``body`` decompressed), keyed by the SHA-256 of its bytes."""

    key: str
    url: str | None
    ref: str
    content_type: str | None
    size: int
    body: bytes
    stored_at: str  # ISO 8601, UTC


@dataclass(frozen=True, slots=True)
class StoryListing:
    """One row of a story listing page, counted over current articles; ``key`` is its sort key in the listing's
    order (the cursor of the next page)."""

    id: str
    headline: str
    n_articles: int
    n_sources: int
    sources: tuple[str, ...]
    first_seen: datetime | None
    last_seen: datetime | None
    updated_at: str  # ISO 8601, UTC
    key: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class ArticleListing:
    """One row of the article listing (current articles in arrival order); ``seq`` is the arrival sequence."""

    seq: int
    id: str
    story_id: str | None
    source: str
    title: str
    date: datetime | None
    lang: str | None
    byline: str | None
    url: str | None
