"""The PostgreSQL twins of :mod:`storyline.store.listings` (mixed into :class:`PostgresStore`): keyset-paginated
story and article listings, cache keys and small lookups for the API and web pages.

A story listing's sort key is the SQLite store's: dates as ISO 8601 strings in UTC, ``""`` for a story without a
dated article (it sorts before every date, as ``-infinity`` does here), counts as integers, then the story id.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable, Sequence

from ...errors import StorylineError
from ...records import ArticleListing, StoryListing
from ..listings import check_story_order
from ..sqlite import fts_query, iso

_LAST = "coalesce(max(a.date), '-infinity'::timestamptz)"
_FIRST = "coalesce(min(a.date), '-infinity'::timestamptz)"
_NSRC = "count(DISTINCT a.source)"


def story_having(since: datetime | None, until: datetime | None, source: str | None,
                 min_sources: int | None) -> tuple[list[str], list[Any]]:
    """The twin of :func:`storyline.store.listings.story_having`: the story filters every story listing shares."""
    from .store import _aware

    having: list[str] = []
    params: list[Any] = []
    if since is not None:
        having.append("max(a.date) >= %s")
        params.append(_aware(since))
    if until is not None:
        having.append("min(a.date) <= %s")
        params.append(_aware(until))
    if source is not None:
        having.append("bool_or(lower(a.source) = lower(%s))")
        params.append(source)
    if min_sources:
        having.append(f"{_NSRC} >= %s")
        params.append(min_sources)
    return having, params
_NART = "count(m.article_id)"

# (expression, descending?, the cast of a cursor value compared with it) — the last key is the unique story id
_ORDERS: dict[str, list[tuple[str, bool, str]]] = {
    "latest": [(_LAST, True, "::timestamptz"), ("s.id", False, "")],
    "most-covered": [(_NSRC, True, "::bigint"), (_NART, True, "::bigint"), (_LAST, True, "::timestamptz"),
                     ("s.id", False, "")],
    "oldest": [(_FIRST, False, "::timestamptz"), ("s.id", False, "")],
}


def _day(dt: datetime | None) -> str:
    return iso(dt) or ""


def _sort_key(order: str, r: dict[str, Any]) -> tuple[Any, ...]:
    if order == "latest":
        return (_day(r["last_seen"]), r["id"])
    if order == "most-covered":
        return (int(r["n_sources"]), int(r["n_articles"]), _day(r["last_seen"]), r["id"])
    return (_day(r["first_seen"]), r["id"])


def _param(value: Any, cast: str) -> Any:
    """A cursor value as a query parameter: ``""`` (no date) is ``-infinity``."""
    if cast == "::timestamptz" and value == "":
        return "-infinity"
    return value


def _after(keys: list[tuple[str, bool, str]], values: Sequence[Any]) -> tuple[str, list[Any]]:
    """SQL for "row comes after ``values``" in the order ``keys`` (lexicographic, mixed directions)."""
    ors, params = [], []
    for i, (expr, desc, cast) in enumerate(keys):
        ands = [f"{keys[j][0]} = %s{keys[j][2]}" for j in range(i)]
        params += [_param(values[j], keys[j][2]) for j in range(i)]
        ands.append(f"{expr} {'<' if desc else '>'} %s{cast}")
        params.append(_param(values[i], cast))
        ors.append("(" + " AND ".join(ands) + ")")
    return "(" + " OR ".join(ors) + ")", params


class PostgresListingQueries:
    """Listings, cache keys and small lookups for the API and web pages."""

    _rows: Any  # PostgresStore._rows

    def story_listing(self, *, order: str = "latest", limit: int, after: Sequence[Any] | None = None,
                      query: str | None = None, since: datetime | None = None, until: datetime | None = None,
                      source: str | None = None, min_sources: int = 0) -> list[StoryListing]:
        """At most ``limit`` stories in ``order``, after the row whose sort key is ``after`` (see the SQLite
        twin); ``query`` matches on the ``articles.search`` tsvector."""
        from .search import TS_CONFIG

        n_keys = check_story_order(order)
        keys = _ORDERS[order]
        where: list[str] = []
        params: list[Any] = []
        having, hparams = story_having(since, until, source, min_sources)
        if query:
            where.append("s.id IN (SELECT m2.story_id FROM articles a2 JOIN memberships m2 ON m2.article_id = a2.id "
                         f"WHERE a2.search @@ websearch_to_tsquery('{TS_CONFIG}', %s) AND a2.superseded_by IS NULL)")
            params.append(fts_query(query))
        if after is not None:
            if len(after) != n_keys:
                raise StorylineError(f"a sort key of order {order!r} has {n_keys} values, got {len(after)}")
            cond, cparams = _after(keys, list(after))
            having.append(cond)
            hparams += cparams
        sql = (f"SELECT s.id, s.headline, s.updated_at, {_NART} AS n_articles, {_NSRC} AS n_sources, "
               "array_agg(DISTINCT a.source) AS sources, min(a.date) AS first_seen, max(a.date) AS last_seen "
               "FROM stories s JOIN memberships m ON m.story_id = s.id "
               "JOIN articles a ON a.id = m.article_id AND a.superseded_by IS NULL")
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " GROUP BY s.id"
        if having:
            sql += " HAVING " + " AND ".join(having)
        sql += " ORDER BY " + ", ".join(f"{e} {'DESC' if d else 'ASC'}" for e, d, _ in keys) + " LIMIT %s"
        return [StoryListing(id=r["id"], headline=r["headline"], n_articles=int(r["n_articles"]),
                             n_sources=int(r["n_sources"]),
                             sources=tuple(sorted(s for s in r["sources"] if s is not None)),
                             first_seen=r["first_seen"], last_seen=r["last_seen"], updated_at=iso(r["updated_at"]),
                             key=_sort_key(order, r))
                for r in self._rows(sql, params + hparams + [limit])]

    def story_versions(self, story_ids: Iterable[str]) -> dict[str, tuple[str, int]]:
        """``{story_id: (updated_at, current articles)}`` of the stories that exist (updated_at ISO 8601, UTC)."""
        return {r["id"]: (iso(r["updated_at"]), int(r["n"])) for r in self._rows(
            "SELECT s.id, s.updated_at, count(a.id) AS n FROM stories s LEFT JOIN memberships m ON m.story_id = s.id "
            "LEFT JOIN articles a ON a.id = m.article_id AND a.superseded_by IS NULL WHERE s.id = ANY(%s) "
            "GROUP BY s.id", (list(dict.fromkeys(story_ids)),))}

    def story_article_dates(self, story_ids: Iterable[str]) -> dict[str, list[datetime]]:
        """``{story_id: [date, …]}``: the dates of each story's current dated articles (UTC)."""
        out: dict[str, list[datetime]] = {}
        for r in self._rows("SELECT m.story_id, a.date FROM memberships m JOIN articles a ON a.id = m.article_id "
                            "WHERE m.story_id = ANY(%s) AND a.date IS NOT NULL AND a.superseded_by IS NULL",
                            (list(dict.fromkeys(story_ids)),)):
            out.setdefault(r["story_id"], []).append(r["date"].astimezone(timezone.utc))
        return out

    def article_listing(self, *, limit: int, after: int | None = None, story_id: str | None = None,
                        source: str | None = None) -> list[ArticleListing]:
        """At most ``limit`` current articles in arrival order (``seq``), after arrival sequence ``after``."""
        where, params = ["a.superseded_by IS NULL"], []
        if story_id is not None:
            where.append("m.story_id = %s")
            params.append(story_id)
        if source is not None:
            where.append("lower(a.source) = lower(%s)")
            params.append(source)
        if after is not None:
            where.append("a.seq > %s")
            params.append(int(after))
        sql = ("SELECT a.seq, a.id, m.story_id, a.source, a.title, a.date, a.lang, a.byline, a.url "
               "FROM articles a LEFT JOIN memberships m ON m.article_id = a.id WHERE " + " AND ".join(where)
               + " ORDER BY a.seq LIMIT %s")
        return [ArticleListing(seq=int(r["seq"]), id=r["id"], story_id=r["story_id"], source=r["source"],
                               title=r["title"], date=r["date"], lang=r["lang"], byline=r["byline"], url=r["url"])
                for r in self._rows(sql, params + [limit])]

    def listing_version(self) -> tuple[Any, ...]:
        """Changes whenever a story listing can (see the SQLite twin); the schema's part is the catalog rows of
        this schema's relations (a table created, altered or dropped rewrites them)."""
        r = self._rows(
            "SELECT (SELECT count(*) FROM stories) AS n, (SELECT max(updated_at) FROM stories) AS updated, "
            "(SELECT max(seq) FROM articles) AS last, (SELECT count(*) || ':' || coalesce(max(xmin::text::bigint), 0) "
            "FROM pg_class WHERE relnamespace = current_schema()::regnamespace) AS schema")[0]
        return int(r["n"]), iso(r["updated"]), r["last"], r["schema"]

    def count_current_articles(self) -> int:
        """Stored articles that are the current version of their record (what the listings count)."""
        return int(self._rows("SELECT count(*) AS n FROM articles WHERE superseded_by IS NULL")[0]["n"])

    def story_ids_of(self, article_ids: Iterable[str]) -> dict[str, str]:
        """``{article_id: story_id}`` of those of ``article_ids`` that are in a story."""
        return {r["article_id"]: r["story_id"] for r in self._rows(
            "SELECT article_id, story_id FROM memberships WHERE article_id = ANY(%s)",
            (list(dict.fromkeys(article_ids)),))}

    def embedding_version(self, model: str) -> tuple[int, int | None]:
        """``(rows, newest arrival)`` of the stored embeddings of ``model``: changes whenever one is added."""
        r = self._rows("SELECT count(*) AS n, max(seq) AS last FROM article_embeddings WHERE model=%s", (model,))[0]
        return int(r["n"]), None if r["last"] is None else int(r["last"])
