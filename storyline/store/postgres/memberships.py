"""Stories, memberships and aliases on PostgreSQL as the pipeline's clusterer, headline and evaluation read them
(mixed into :class:`~storyline.store.postgres.PostgresStore`), twin of :mod:`storyline.store.memberships`;
arrival order is ``seq``.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator

from ...records import Article
from ..rows import StoryTitles


class PostgresMemberships:
    _rows: Any  # PostgresStore._rows

    def current_members(self) -> Iterator[tuple[Article, str]]:
        """``(article, story id)`` of every current article in a story, in arrival order (what a clusterer's
        restore replays; an article superseded by a newer version of itself is left out, docs/versions.md)."""
        from .store import ARTICLE_COLUMNS, article_from_pg

        cols = ", ".join("a." + c for c in ARTICLE_COLUMNS.split(", "))
        for r in self._rows(f"SELECT {cols}, m.story_id AS story_id FROM memberships m JOIN articles a "
                            "ON a.id = m.article_id WHERE a.superseded_by IS NULL ORDER BY a.seq"):
            yield article_from_pg(r), r["story_id"]

    def alias_map(self) -> dict[str, str]:
        """``{merged-away story id: the story it was merged into}``."""
        return {r["alias"]: r["story_id"] for r in self._rows("SELECT alias, story_id FROM story_aliases")}

    def count_aliases(self) -> int:
        """How many story ids were merged away (one alias per merge)."""
        return int(self._rows("SELECT count(*) AS n FROM story_aliases")[0]["n"])

    def story_of_articles(self) -> dict[str, str]:
        """``{article id: story id}`` of every membership (superseded versions too)."""
        return {r["article_id"]: r["story_id"] for r in self._rows("SELECT article_id, story_id FROM memberships "
                                                                   "ORDER BY seq")}

    def external_ids(self) -> dict[str, str | None]:
        """``{article id: the outlet's id of the record (None when the input gave none)}`` of every stored article."""
        return {r["id"]: r["external_id"] for r in self._rows("SELECT id, external_id FROM articles ORDER BY seq")}

    def first_member(self, story_id: str) -> str | None:
        """The article that joined story ``story_id`` (an exact id) first; None when it has no members."""
        rows = self._rows("SELECT article_id FROM memberships WHERE story_id = %s ORDER BY seq LIMIT 1", (story_id,))
        return str(rows[0]["article_id"]) if rows else None

    def story_titles(self, story_id: str) -> StoryTitles | None:
        """Story ``story_id``'s headline and its current articles' titles (by date, undated last, then arrival);
        None when it has no current article."""
        return self.stories_titles([story_id]).get(story_id)

    def stories_titles(self, story_ids: Iterable[str]) -> dict[str, StoryTitles]:
        """:meth:`story_titles` of many stories, ``{story id: titles}``, in one query (the pipeline refreshes the
        headlines of every story a batch grew); a story without a current article is left out."""
        rows: dict[str, list[Any]] = {}
        for r in self._rows(
                "SELECT m.story_id, a.title, a.title_derived, s.headline, a.date FROM memberships m"
                " JOIN articles a ON a.id = m.article_id"
                " JOIN stories s ON s.id = m.story_id WHERE m.story_id = ANY(%s) AND a.superseded_by IS NULL"
                " ORDER BY m.story_id, a.date ASC NULLS LAST, a.seq", (sorted(set(story_ids)),)):
            rows.setdefault(r["story_id"], []).append(r)
        return {sid: StoryTitles(rs[0]["headline"], tuple(r["title"] for r in rs),
                                 tuple(bool(r["title_derived"]) for r in rs), tuple(r["date"] for r in rs))
                for sid, rs in rows.items()}
