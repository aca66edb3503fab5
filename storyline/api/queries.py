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

from ..store import Store
from ..store.sqlite import from_iso, fts_query, iso
from .errors import ApiError

_LAST = "coalesce(max(a.date), '')"
_FIRST = "coalesce(min(a.date), '')"
_NSRC = "count(DISTINCT a.source)"
_NART = "count(m.article_id)"

# (expression, descending?) — the last key is always the unique story id
STORY_ORDERS: dict[str, list[tuple[str, bool]]] = {
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


def _after(keys: list[tuple[str, bool]], values: list[Any]) -> tuple[str, list[Any]]:
    """SQL for "row comes after ``values``" in the order ``keys`` (lexicographic, mixed directions)."""
    ors, params = [], []
    for i, (expr, desc) in enumerate(keys):
        ands = [f"{keys[j][0]} = ?" for j in range(i)]
        params += values[:i]
        ands.append(f"{expr} {'<' if desc else '>'} ?")
        params.append(values[i])
        ors.append("(" + " AND ".join(ands) + ")")
    return "(" + " OR ".join(ors) + ")", params


def list_stories(store: Store, filters: StoryFilters, limit: int,
                 cursor: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """One page of stories (``{id, headline, n_articles, n_sources, sources, first_seen, last_seen, updated_at}``)
    and the cursor of the next page (None on the last page)."""
    if filters.order not in STORY_ORDERS:
        raise ApiError(422, "invalid-parameter",
                       f"order must be one of {sorted(STORY_ORDERS)}, got {filters.order!r}")
    keys = STORY_ORDERS[filters.order]
    where, having, params, hparams = [], [], [], []
    if filters.query:
        where.append("s.id IN (SELECT m2.story_id FROM articles_fts JOIN articles a2 ON a2.rowid = articles_fts.rowid "
                     "JOIN memberships m2 ON m2.article_id = a2.id "
                     "WHERE articles_fts MATCH ? AND a2.superseded_by IS NULL)")
        params.append(fts_query(filters.query))
    if filters.since is not None:
        having.append("max(a.date) >= ?")
        hparams.append(iso(filters.since))
    if filters.until is not None:
        having.append("min(a.date) <= ?")
        hparams.append(iso(filters.until))
    if filters.source is not None:
        having.append("sum(a.source = ? COLLATE NOCASE) > 0")
        hparams.append(filters.source)
    if filters.min_sources:
        having.append(f"{_NSRC} >= ?")
        hparams.append(filters.min_sources)
    if cursor:
        cond, cparams = _after(keys, decode_cursor(cursor, filters.digest(), len(keys)))
        having.append(cond)
        hparams += cparams
    sql = _STORY_SELECT
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " GROUP BY s.id"
    if having:
        sql += " HAVING " + " AND ".join(having)
    sort = ", ".join(f"{e} {'DESC' if d else 'ASC'}" for e, d in keys)
    key_cols = ", ".join(f"{e} AS k{i}" for i, (e, _) in enumerate(keys))
    sql = sql.replace("SELECT s.id,", f"SELECT {key_cols}, s.id,", 1)
    sql += f" ORDER BY {sort} LIMIT ?"
    rows = store.query(sql, params + hparams + [limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    out = [story_row(r) for r in rows]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        next_cursor = encode_cursor([last[f"k{i}"] for i in range(len(keys))], filters.digest())
    return out, next_cursor


def story_row(r: Any) -> dict[str, Any]:
    return {
        "id": r["id"],
        "headline": r["headline"],
        "n_articles": int(r["n_articles"]),
        "n_sources": int(r["n_sources"]),
        "sources": sorted(s for s in json.loads(r["sources"]) if s is not None),
        "first_seen": from_iso(r["first_seen"]),
        "last_seen": from_iso(r["last_seen"]),
        "updated_at": r["updated_at"],
    }


def story_versions(store: Store, story_ids: Sequence[str]) -> dict[str, tuple[str, int]]:
    """``{story_id: (updated_at, n_articles)}``: the story-view cache key (current articles are counted)."""
    out: dict[str, tuple[str, int]] = {}
    ids = list(story_ids)
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        marks = ",".join("?" * len(chunk))
        for r in store.query(f"SELECT s.id, s.updated_at, count(a.id) FROM stories s "
                             f"LEFT JOIN memberships m ON m.story_id = s.id "
                             f"LEFT JOIN articles a ON a.id = m.article_id AND a.superseded_by IS NULL "
                             f"WHERE s.id IN ({marks}) GROUP BY s.id", chunk):
            out[r[0]] = (r[1], int(r[2]))
    return out


def coverage(store: Store, story_ids: Sequence[str], max_days: int = 30) -> dict[str, list[dict[str, Any]]]:
    """Articles per UTC day for each story, from its first to its last dated article (at most ``max_days`` days,
    the latest ones), zero days included: ``{story_id: [{"day": "2026-03-02", "n": 3}, …]}``."""
    ids = list(story_ids)
    counts: dict[str, dict[date, int]] = {sid: {} for sid in ids}
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        marks = ",".join("?" * len(chunk))
        for r in store.query(
            f"SELECT m.story_id, a.date FROM memberships m JOIN articles a ON a.id = m.article_id "
            f"WHERE m.story_id IN ({marks}) AND a.date IS NOT NULL AND a.superseded_by IS NULL", chunk,
        ):
            day = from_iso(r[1]).date()
            counts[r[0]][day] = counts[r[0]].get(day, 0) + 1
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
    are left out, docs/versions.md), keyset-paginated by rowid."""
    digest = hashlib.sha256(json.dumps([story_id, source]).encode()).hexdigest()[:12]
    where, params = ["a.superseded_by IS NULL"], []
    if story_id is not None:
        where.append("m.story_id = ?")
        params.append(story_id)
    if source is not None:
        where.append("a.source = ? COLLATE NOCASE")
        params.append(source)
    if cursor:
        (after,) = decode_cursor(cursor, digest, 1)
        where.append("a.rowid > ?")
        params.append(int(after))
    sql = ("SELECT a.rowid AS k, a.id, m.story_id, a.source, a.title, a.date, a.lang, a.byline, a.url "
           "FROM articles a LEFT JOIN memberships m ON m.article_id = a.id")
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY a.rowid LIMIT ?"
    rows = store.query(sql, params + [limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    out = [{k: (from_iso(r[k]) if k == "date" else r[k]) for k in
            ("id", "story_id", "source", "title", "date", "lang", "byline", "url")} for r in rows]
    return out, (encode_cursor([rows[-1]["k"]], digest) if more and rows else None)
