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
