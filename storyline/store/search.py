"""The store's read queries for story search, entity pages and related stories (mixed into :class:`Store`).

Every method reads current articles only (superseded versions are no result, docs/versions.md) and returns plain
dicts; the ranking, grouping and folding live in :mod:`storyline.search`.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Iterable, Sequence

_CHUNK = 500  # ids per IN (...) list, well under SQLite's variable limit


def _iso(dt: datetime | None) -> str | None:
    from .sqlite import iso

    return iso(dt)


def _article_filters(since: datetime | None, until: datetime | None, source: str | None,
                     lang: str | None) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if since is not None:
        where.append("a.date >= ?")
        params.append(_iso(since))
    if until is not None:
        where.append("a.date <= ?")
        params.append(_iso(until))
    if source:
        where.append("a.source = ? COLLATE NOCASE")
        params.append(source)
    if lang:
        where.append("a.lang = ? COLLATE NOCASE")
        params.append(lang)
    return where, params


class SearchQueries:
    """Read queries behind ``/search``, ``/entities/{name}`` and a story page's related stories (they run through
    the store's ``query``)."""

    query: Any  # Store.query

    def fts_article_hits(self, query: str, *, since: datetime | None = None, until: datetime | None = None,
                         source: str | None = None, lang: str | None = None, limit: int = 200,
                         open_mark: str = "[", close_mark: str = "]") -> list[dict[str, Any]]:
        """Current articles matching every word of ``query`` (FTS5), best BM25 first, with their story, a snippet
        (matches between ``open_mark`` and ``close_mark``) and ``score`` (BM25, higher is better). Optional
        filters: publication time range, outlet (case-insensitive) and language."""
        from .sqlite import fts_query

        where, params = _article_filters(since, until, source, lang)
        sql = (f"SELECT a.id, m.story_id, a.source, a.title, a.date, a.lang, "
               f"snippet(articles_fts, 1, ?, ?, '…', 16) AS snip, bm25(articles_fts, 5.0, 1.0) AS rank "
               f"FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid "
               f"LEFT JOIN memberships m ON m.article_id = a.id "
               f"WHERE articles_fts MATCH ? AND a.superseded_by IS NULL"
               + "".join(f" AND {w}" for w in where) + " ORDER BY rank LIMIT ?")
        rows = self.query(sql, [open_mark, close_mark, fts_query(query), *params, limit])
        return [{"id": r["id"], "story_id": r["story_id"], "source": r["source"], "title": r["title"],
                 "date": r["date"], "lang": r["lang"], "snippet": r["snip"] or "",
                 "score": -float(r["rank"])} for r in rows]

    def current_article_ids(self, *, since: datetime | None = None, until: datetime | None = None,
                            source: str | None = None, lang: str | None = None) -> set[str]:
        """Ids of the current articles that pass the filters (all current articles without filters)."""
        where, params = _article_filters(since, until, source, lang)
        sql = "SELECT a.id FROM articles a WHERE a.superseded_by IS NULL" + "".join(f" AND {w}" for w in where)
        return {r[0] for r in self.query(sql, params)}

    def article_briefs(self, article_ids: Iterable[str], lead_chars: int = 240) -> dict[str, dict[str, Any]]:
        """``{id: {id, story_id, source, title, date, lang, lead}}`` for these articles (unknown ids left out)."""
        ids = list(dict.fromkeys(article_ids))
        out: dict[str, dict[str, Any]] = {}
        for i in range(0, len(ids), _CHUNK):
            chunk = ids[i:i + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for r in self.query(f"SELECT a.id, m.story_id, a.source, a.title, a.date, a.lang, "
                                f"substr(a.text, 1, ?) AS lead FROM articles a "
                                f"LEFT JOIN memberships m ON m.article_id = a.id WHERE a.id IN ({marks})",
                                [lead_chars, *chunk]):
                out[r["id"]] = dict(r)
        return out

    def copy_origins(self, article_ids: Iterable[str]) -> dict[str, tuple[str, str]]:
        """``{article_id: (origin_id, relation)}`` from the copies stage's ``copies`` table ({} without it)."""
        if not self.query("SELECT 1 FROM sqlite_master WHERE type='table' AND name='copies'"):
            return {}
        ids = list(dict.fromkeys(article_ids))
        out: dict[str, tuple[str, str]] = {}
        for i in range(0, len(ids), _CHUNK):
            chunk = ids[i:i + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for r in self.query(f"SELECT article_id, origin_id, relation FROM copies WHERE article_id IN ({marks})",
                                chunk):
                out[r[0]] = (r[1], r[2])
        return out

    def story_summaries(self, story_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """``{story_id: {id, headline, n_articles, n_sources, sources, first_seen, last_seen}}`` counted over current
        articles; a story without a current article is left out."""
        from .sqlite import from_iso

        ids = list(dict.fromkeys(story_ids))
        out: dict[str, dict[str, Any]] = {}
        for i in range(0, len(ids), _CHUNK):
            chunk = ids[i:i + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for r in self.query(
                f"SELECT s.id, s.headline, count(a.id) AS n_articles, count(DISTINCT a.source) AS n_sources, "
                f"json_group_array(DISTINCT a.source) AS sources, min(a.date) AS first_seen, "
                f"max(a.date) AS last_seen FROM stories s JOIN memberships m ON m.story_id = s.id "
                f"JOIN articles a ON a.id = m.article_id AND a.superseded_by IS NULL "
                f"WHERE s.id IN ({marks}) GROUP BY s.id", chunk,
            ):
                out[r["id"]] = {"id": r["id"], "headline": r["headline"], "n_articles": int(r["n_articles"]),
                                "n_sources": int(r["n_sources"]),
                                "sources": sorted(s for s in json.loads(r["sources"]) if s is not None),
                                "first_seen": from_iso(r["first_seen"]), "last_seen": from_iso(r["last_seen"])}
        return out

    def stories_mentioning(self, phrase: str, limit: int = 200) -> dict[str, list[str]]:
        """``{story_id: [article_id, …]}``: the stories whose current articles contain ``phrase`` (its words
        consecutively, in title or text; FTS5 phrase query), at most ``limit`` matching articles."""
        from .sqlite import _FTS_TOKEN, MAX_QUERY_WORDS

        words = _FTS_TOKEN.findall(phrase)[:MAX_QUERY_WORDS]
        if not words:
            return {}
        match = '"' + " ".join(words) + '"'  # \w+ tokens only: no quote can reach the FTS5 syntax
        rows = self.query("SELECT m.story_id, a.id FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid "
                          "JOIN memberships m ON m.article_id = a.id "
                          "WHERE articles_fts MATCH ? AND a.superseded_by IS NULL "
                          "ORDER BY bm25(articles_fts, 5.0, 1.0) LIMIT ?", (match, limit))
        out: dict[str, list[str]] = {}
        for r in rows:
            out.setdefault(r[0], []).append(r[1])
        return out

    def embedding_rows(self, model: str) -> tuple[list[str], list[bytes]]:
        """The stored article embeddings of ``model`` (float16 vectors as bytes), in insertion order."""
        rows = self.query("SELECT article_id, vector FROM article_embeddings WHERE model=? ORDER BY rowid", (model,))
        return [r[0] for r in rows], [r[1] for r in rows]

    def embedding_models(self) -> dict[str, int]:
        """``{model: number of stored article embeddings}`` ({} when none are stored)."""
        if not self.query("SELECT 1 FROM sqlite_master WHERE type='table' AND name='article_embeddings'"):
            return {}
        return {r[0]: int(r[1]) for r in self.query("SELECT model, count(*) FROM article_embeddings GROUP BY model")}
