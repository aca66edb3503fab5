"""The PostgreSQL twins of :mod:`storyline.store.search` (mixed into :class:`PostgresStore`): story search, entity
pages and related stories, on the ``articles.search`` tsvector (title weight A, text weight B; GIN index).

Matching is the SQLite store's: every word of the query must appear (``websearch_to_tsquery`` of the quoted words,
so ``or``, ``-`` and quotes typed by a user stay literal); ranking is ``ts_rank_cd`` with the title weighted 5× the
text (SQLite: ``bm25(articles_fts, 5.0, 1.0)``), normalised by document length; snippets are ``ts_headline`` of the
text. The stemmer is PostgreSQL's ``english`` configuration (SQLite: ``porter unicode61``), which also drops English
stop words: a query of stop words only ("the") matches nothing here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from ..sqlite import _FTS_TOKEN, MAX_QUERY_WORDS, fts_query, iso

TS_CONFIG = "english"
RANK_WEIGHTS = "{0.1, 0.2, 0.2, 1.0}"  # D, C, B (text), A (title): the title counts 5× the text, as in SQLite's bm25
RANK_NORMALIZATION = 1  # divide the rank by 1 + log(document length), as BM25 discounts long documents


def _article_filters(since: datetime | None, until: datetime | None, source: str | None,
                     lang: str | None) -> tuple[list[str], list[Any]]:
    from .store import _aware

    where: list[str] = []
    params: list[Any] = []
    if since is not None:
        where.append("a.date >= %s")
        params.append(_aware(since))
    if until is not None:
        where.append("a.date <= %s")
        params.append(_aware(until))
    if source:
        where.append("lower(a.source) = lower(%s)")
        params.append(source)
    if lang:
        where.append("lower(a.lang) = lower(%s)")
        params.append(lang)
    return where, params


def _headline_options(open_mark: str, close_mark: str, words: int) -> str:
    def quoted(s: str) -> str:
        return '"' + s.replace('"', '""') + '"'

    return (f"StartSel={quoted(open_mark)}, StopSel={quoted(close_mark)}, MaxWords={words}, "
            f"MinWords={max(1, words // 2)}, ShortWord=2, MaxFragments=1, FragmentDelimiter={quoted('…')}")


def _mark_cuts(snippet: str, row: Any) -> str:
    """``snippet`` as SQLite's ``snippet()`` gives it: "…" where it cuts words of the text off, before and after
    (``ts_headline`` puts its delimiter only between fragments), and the text's closing punctuation when nothing
    but that follows (``ts_headline`` ends at a word). ``row``: ``at`` (1-based position of the snippet's words in
    the text; 0 when not found verbatim: left as it is), ``cut_before``, ``cut_after`` and ``end_text``."""
    if not snippet or not row["at"]:
        return snippet
    return ("…" if row["cut_before"] else "") + snippet + ("…" if row["cut_after"] else row["end_text"] or "")


class PostgresSearchQueries:
    """Read queries behind ``/search``, ``/entities/{name}`` and a story page's related stories."""

    _rows: Any  # PostgresStore._rows

    def fts_article_hits(self, query: str, *, since: datetime | None = None, until: datetime | None = None,
                         source: str | None = None, lang: str | None = None, limit: int = 200,
                         open_mark: str = "[", close_mark: str = "]", snippet_words: int = 16) -> list[dict[str, Any]]:
        """Current articles matching every word of ``query``, best ``ts_rank_cd`` first, with their story, a
        ``ts_headline`` snippet (matches between ``open_mark`` and ``close_mark``) and ``score`` (higher is
        better). Optional filters: publication time range, outlet (case-insensitive) and language."""
        q = fts_query(query)  # the same validation (no words, too many words) and quoting as the SQLite store
        where, params = _article_filters(since, until, source, lang)
        sql = (f"WITH q AS (SELECT websearch_to_tsquery('{TS_CONFIG}', %s) AS q), "
               f"hits AS (SELECT a.id, a.seq, a.source, a.title, a.date, a.lang, a.text, "
               f"ts_rank_cd('{RANK_WEIGHTS}', a.search, q.q, {RANK_NORMALIZATION}) AS score "
               f"FROM articles a, q WHERE a.search @@ q.q AND a.superseded_by IS NULL"
               + "".join(f" AND {w}" for w in where) +
               " ORDER BY score DESC, a.seq LIMIT %s) "
               f"SELECT h.id, m.story_id, h.source, h.title, h.date, h.lang, h.score, s.snip, "
               # where the snippet's words lie in the text, so that a cut is marked as SQLite's snippet() marks it
               "w.at, (w.at > 1 AND left(h.text, w.at - 1) ~ '[[:alnum:]]') AS cut_before, "
               "(w.at > 0 AND w.rest ~ '[[:alnum:]]') AS cut_after, "
               "CASE WHEN w.at > 0 AND w.rest !~ '[[:alnum:]]' THEN rtrim(w.rest, E' \\t\\n\\r') END AS end_text "
               f"FROM hits h CROSS JOIN q CROSS JOIN LATERAL (SELECT ts_headline('{TS_CONFIG}', h.text, q.q, %s) "
               "AS snip) s CROSS JOIN LATERAL (SELECT replace(replace(s.snip, %s, ''), %s, '') AS plain) p "
               "CROSS JOIN LATERAL (SELECT strpos(h.text, p.plain) AS at, "
               "substr(h.text, strpos(h.text, p.plain) + length(p.plain)) AS rest) w "
               "LEFT JOIN memberships m ON m.article_id = h.id "
               "ORDER BY h.score DESC, h.seq")
        rows = self._rows(sql, [q, *params, limit, _headline_options(open_mark, close_mark, snippet_words),
                                open_mark, close_mark])
        return [{"id": r["id"], "story_id": r["story_id"], "source": r["source"], "title": r["title"],
                 "date": iso(r["date"]), "lang": r["lang"], "snippet": _mark_cuts(r["snip"] or "", r),
                 "score": float(r["score"])} for r in rows]

    def current_article_ids(self, *, since: datetime | None = None, until: datetime | None = None,
                            source: str | None = None, lang: str | None = None) -> set[str]:
        """Ids of the current articles that pass the filters (all current articles without filters)."""
        where, params = _article_filters(since, until, source, lang)
        sql = "SELECT a.id FROM articles a WHERE a.superseded_by IS NULL" + "".join(f" AND {w}" for w in where)
        return {r["id"] for r in self._rows(sql, params)}

    def article_briefs(self, article_ids: Iterable[str], lead_chars: int = 240) -> dict[str, dict[str, Any]]:
        """``{id: {id, story_id, source, title, date, lang, lead}}`` for these articles (unknown ids left out)."""
        rows = self._rows("SELECT a.id, m.story_id, a.source, a.title, a.date, a.lang, left(a.text, %s) AS lead "
                          "FROM articles a LEFT JOIN memberships m ON m.article_id = a.id WHERE a.id = ANY(%s)",
                          (lead_chars, list(dict.fromkeys(article_ids))))
        return {r["id"]: {**r, "date": iso(r["date"])} for r in rows}

    def copy_origins(self, article_ids: Iterable[str]) -> dict[str, tuple[str, str]]:
        """``{article_id: (origin_id, relation)}`` from the copies stage's ``copies`` table."""
        return {r["article_id"]: (r["origin_id"], r["relation"]) for r in self._rows(
            "SELECT article_id, origin_id, relation FROM copies WHERE article_id = ANY(%s)",
            (list(dict.fromkeys(article_ids)),))}

    def story_summaries(self, story_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """``{story_id: {id, headline, n_articles, n_sources, sources, first_seen, last_seen}}`` counted over current
        articles; a story without a current article is left out."""
        rows = self._rows(
            "SELECT s.id, s.headline, count(a.id) AS n_articles, count(DISTINCT a.source) AS n_sources, "
            "array_agg(DISTINCT a.source) AS sources, min(a.date) AS first_seen, max(a.date) AS last_seen "
            "FROM stories s JOIN memberships m ON m.story_id = s.id "
            "JOIN articles a ON a.id = m.article_id AND a.superseded_by IS NULL "
            "WHERE s.id = ANY(%s) GROUP BY s.id", (list(dict.fromkeys(story_ids)),))
        return {r["id"]: {"id": r["id"], "headline": r["headline"], "n_articles": int(r["n_articles"]),
                          "n_sources": int(r["n_sources"]), "sources": sorted(s for s in r["sources"] if s is not None),
                          "first_seen": r["first_seen"], "last_seen": r["last_seen"]} for r in rows}

    def stories_mentioning(self, phrase: str, limit: int = 200) -> dict[str, list[str]]:
        """``{story_id: [article_id, …]}``: the stories whose current articles contain ``phrase`` (its words
        consecutively, in title or text; ``phraseto_tsquery``), at most ``limit`` matching articles."""
        words = _FTS_TOKEN.findall(phrase)[:MAX_QUERY_WORDS]
        if not words:
            return {}
        rows = self._rows(
            f"WITH q AS (SELECT phraseto_tsquery('{TS_CONFIG}', %s) AS q) "
            "SELECT m.story_id, a.id FROM articles a CROSS JOIN q JOIN memberships m ON m.article_id = a.id "
            "WHERE a.search @@ q.q AND a.superseded_by IS NULL "
            f"ORDER BY ts_rank_cd('{RANK_WEIGHTS}', a.search, q.q, {RANK_NORMALIZATION}) DESC, a.seq LIMIT %s",
            (" ".join(words), limit))
        out: dict[str, list[str]] = {}
        for r in rows:
            out.setdefault(r["story_id"], []).append(r["id"])
        return out

    def embedding_rows(self, model: str) -> tuple[list[str], list[bytes]]:
        """The stored article embeddings of ``model`` (float16 vectors as bytes), in insertion order."""
        rows = self._rows("SELECT article_id, vector FROM article_embeddings WHERE model=%s ORDER BY seq", (model,))
        return [r["article_id"] for r in rows], [bytes(r["vector"]) for r in rows]

    def embedding_models(self) -> dict[str, int]:
        """``{model: number of stored article embeddings}`` ({} when none are stored)."""
        return {r["model"]: int(r["n"]) for r in self._rows(
            "SELECT model, count(*) AS n FROM article_embeddings GROUP BY model")}
