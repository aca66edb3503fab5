"""The read queries behind the API's and the web pages' listings, on SQLite (mixed into
:class:`~storyline.store.Store`; the PostgreSQL twin is :mod:`storyline.store.postgres.listings`).

Story and article listings are keyset-paginated: each row carries its sort key, and the next page is asked for with
the key of the last row served (``after``), so a page never repeats or skips a row when stories arrive between
requests. Current articles only (superseded versions are in no listing, docs/versions.md).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Iterable, Iterator, Sequence

from ..errors import StorylineError
from ..records import ArticleListing, StoryListing

# the orders of a story listing and the number of values in each one's sort key (the last one is the story id)
STORY_ORDER_KEYS: dict[str, int] = {"latest": 2, "most-covered": 4, "oldest": 2}

_LAST = "coalesce(max(a.date), '')"
_FIRST = "coalesce(min(a.date), '')"
_NSRC = "count(DISTINCT a.source)"


def story_having(since: datetime | None, until: datetime | None, source: str | None,
                 min_sources: int | None) -> tuple[list[str], list[Any]]:
    """The HAVING conditions (over a story's current articles ``a``) and their parameters of the story filters that
    every story listing shares: newest report on or after ``since``, first on or before ``until``, one report by
    ``source`` (outlet names as typed: "example tribune"), at least ``min_sources`` outlets."""
    from .sqlite import iso

    having: list[str] = []
    params: list[Any] = []
    if since is not None:
        having.append("max(a.date) >= ?")
        params.append(iso(since))
    if until is not None:
        having.append("min(a.date) <= ?")
        params.append(iso(until))
    if source is not None:
        having.append("sum(a.source = ? COLLATE NOCASE) > 0")
        params.append(source)
    if min_sources:
        having.append(f"{_NSRC} >= ?")
        params.append(min_sources)
    return having, params
_NART = "count(m.article_id)"

# (expression, descending?) — the last key is always the unique story id
_ORDERS: dict[str, list[tuple[str, bool]]] = {
    "latest": [(_LAST, True), ("s.id", False)],
    "most-covered": [(_NSRC, True), (_NART, True), (_LAST, True), ("s.id", False)],
    "oldest": [(_FIRST, False), ("s.id", False)],
}

_STORY_SELECT = f"""
    SELECT s.id, s.headline, s.updated_at, {_NART} AS n_articles, {_NSRC} AS n_sources,
           json_group_array(DISTINCT a.source) AS sources, min(a.date) AS first_seen, max(a.date) AS last_seen
    FROM stories s JOIN memberships m ON m.story_id = s.id
    JOIN articles a ON a.id = m.article_id AND a.superseded_by IS NULL
"""  # current articles only (docs/versions.md): a story whose articles were all superseded is listed nowhere


def check_story_order(order: str) -> int:
    """The number of values in the sort key of story listing ``order``; an unknown order is refused."""
    if order not in STORY_ORDER_KEYS:
        raise StorylineError(f"order must be one of {sorted(STORY_ORDER_KEYS)}, got {order!r}")
    return STORY_ORDER_KEYS[order]


def _after(keys: list[tuple[str, bool]], values: Sequence[Any]) -> tuple[str, list[Any]]:
    """SQL for "row comes after ``values``" in the order ``keys`` (lexicographic, mixed directions)."""
    ors, params = [], []
    for i, (expr, desc) in enumerate(keys):
        ands = [f"{keys[j][0]} = ?" for j in range(i)]
        params += values[:i]
        ands.append(f"{expr} {'<' if desc else '>'} ?")
        params.append(values[i])
        ors.append("(" + " AND ".join(ands) + ")")
    return "(" + " OR ".join(ors) + ")", params


class ListingQueries:
    """Listings, cache keys and small lookups for the API and web pages (through the store's ``query``)."""

    query: Any  # Store.query

    def _chunks(self, ids: Iterable[str], size: int = 500) -> Iterator[tuple[list[str], str]]:
        values = list(dict.fromkeys(ids))
        for i in range(0, len(values), size):
            chunk = values[i:i + size]
            yield chunk, ",".join("?" * len(chunk))

    def story_listing(self, *, order: str = "latest", limit: int, after: Sequence[Any] | None = None,
                      query: str | None = None, since: datetime | None = None, until: datetime | None = None,
                      source: str | None = None, min_sources: int = 0) -> list[StoryListing]:
        """At most ``limit`` stories in ``order`` (``latest``, ``most-covered``, ``oldest``), after the row whose
        sort key is ``after`` (the ``key`` of the last row of the previous page). Filters: ``query`` (every word in
        a current article of the story, full text), stories seen since / until, covered by outlet ``source``
        (case-insensitive), by at least ``min_sources`` outlets."""
        from .sqlite import fts_query, from_iso

        n_keys = check_story_order(order)
        keys = _ORDERS[order]
        where: list[str] = []
        params: list[Any] = []
        having, hparams = story_having(since, until, source, min_sources)
        if query:
            where.append("s.id IN (SELECT m2.story_id FROM articles_fts JOIN articles a2 ON a2.rowid = "
                         "articles_fts.rowid JOIN memberships m2 ON m2.article_id = a2.id "
                         "WHERE articles_fts MATCH ? AND a2.superseded_by IS NULL)")
            params.append(fts_query(query))
        if after is not None:
            if len(after) != n_keys:
                raise StorylineError(f"a sort key of order {order!r} has {n_keys} values, got {len(after)}")
            cond, cparams = _after(keys, list(after))
            having.append(cond)
            hparams += cparams
        sql = _STORY_SELECT
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " GROUP BY s.id"
        if having:
            sql += " HAVING " + " AND ".join(having)
        key_cols = ", ".join(f"{e} AS k{i}" for i, (e, _) in enumerate(keys))
        sql = sql.replace("SELECT s.id,", f"SELECT {key_cols}, s.id,", 1)
        sql += " ORDER BY " + ", ".join(f"{e} {'DESC' if d else 'ASC'}" for e, d in keys) + " LIMIT ?"
        return [StoryListing(id=r["id"], headline=r["headline"], n_articles=int(r["n_articles"]),
                             n_sources=int(r["n_sources"]),
                             sources=tuple(sorted(s for s in json.loads(r["sources"]) if s is not None)),
                             first_seen=from_iso(r["first_seen"]), last_seen=from_iso(r["last_seen"]),
                             updated_at=r["updated_at"], key=tuple(r[f"k{i}"] for i in range(n_keys)))
                for r in self.query(sql, params + hparams + [limit])]

    def story_versions(self, story_ids: Iterable[str]) -> dict[str, tuple[str, int]]:
        """``{story_id: (updated_at, current articles)}`` of the stories that exist: the cache key of a story's
        computed view and page."""
        out: dict[str, tuple[str, int]] = {}
        for chunk, marks in self._chunks(story_ids):
            for r in self.query(f"SELECT s.id, s.updated_at, count(a.id) FROM stories s "
                                f"LEFT JOIN memberships m ON m.story_id = s.id "
                                f"LEFT JOIN articles a ON a.id = m.article_id AND a.superseded_by IS NULL "
                                f"WHERE s.id IN ({marks}) GROUP BY s.id", chunk):
                out[r[0]] = (r[1], int(r[2]))
        return out

    def story_article_dates(self, story_ids: Iterable[str]) -> dict[str, list[datetime]]:
        """``{story_id: [date, …]}``: the dates of each story's current dated articles (UTC; stories without one
        are left out)."""
        from .sqlite import from_iso

        out: dict[str, list[datetime]] = {}
        for chunk, marks in self._chunks(story_ids):
            for r in self.query(f"SELECT m.story_id, a.date FROM memberships m JOIN articles a ON a.id = m.article_id "
                                f"WHERE m.story_id IN ({marks}) AND a.date IS NOT NULL AND a.superseded_by IS NULL",
                                chunk):
                out.setdefault(r[0], []).append(from_iso(r[1]))
        return out

    def article_listing(self, *, limit: int, after: int | None = None, story_id: str | None = None,
                        source: str | None = None) -> list[ArticleListing]:
        """At most ``limit`` current articles in arrival order, after arrival sequence ``after``; of one story, of
        one outlet (case-insensitive)."""
        from .sqlite import from_iso

        where, params = ["a.superseded_by IS NULL"], []
        if story_id is not None:
            where.append("m.story_id = ?")
            params.append(story_id)
        if source is not None:
            where.append("a.source = ? COLLATE NOCASE")
            params.append(source)
        if after is not None:
            where.append("a.seq > ?")
            params.append(int(after))
        sql = ("SELECT a.seq AS k, a.id, m.story_id, a.source, a.title, a.date, a.lang, a.byline, a.url "
               "FROM articles a LEFT JOIN memberships m ON m.article_id = a.id WHERE " + " AND ".join(where)
               + " ORDER BY a.seq LIMIT ?")
        return [ArticleListing(seq=int(r["k"]), id=r["id"], story_id=r["story_id"], source=r["source"],
                               title=r["title"], date=from_iso(r["date"]), lang=r["lang"], byline=r["byline"],
                               url=r["url"]) for r in self.query(sql, params + [limit])]

    def listing_version(self) -> tuple[Any, ...]:
        """Changes whenever a story listing can: a story created, merged away or touched (every membership change,
        new version or headline touches ``stories.updated_at``), an article stored, the schema changed (a table
        altered or dropped under a server is not cached over). Costs a scan of the stories' timestamps (about a
        millisecond for 5,000 stories)."""
        return tuple(self.query("SELECT (SELECT count(*) FROM stories), (SELECT max(updated_at) FROM stories), "
                                "(SELECT max(seq) FROM articles), (SELECT schema_version FROM pragma_schema_version)"
                                )[0])

    def count_current_articles(self) -> int:
        """Stored articles that are the current version of their record (what the listings count)."""
        return int(self.query("SELECT count(*) FROM articles WHERE superseded_by IS NULL")[0][0])

    def story_ids_of(self, article_ids: Iterable[str]) -> dict[str, str]:
        """``{article_id: story_id}`` of those of ``article_ids`` that are in a story."""
        out: dict[str, str] = {}
        for chunk, marks in self._chunks(article_ids):
            out.update((str(r[0]), str(r[1])) for r in self.query(
                f"SELECT article_id, story_id FROM memberships WHERE article_id IN ({marks})", chunk))
        return out

    def embedding_version(self, model: str) -> tuple[int, int | None]:
        """``(rows, newest arrival)`` of the stored embeddings of ``model``: changes whenever one is added."""
        n, last = self.query("SELECT count(*), max(rowid) FROM article_embeddings WHERE model=?", (model,))[0]
        return int(n), None if last is None else int(last)
