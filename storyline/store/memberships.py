"""Stories, memberships and aliases on SQLite, as the pipeline's clusterer, headline and evaluation read them
(mixed into :class:`~storyline.store.sqlite.Store`; arrival order is ``articles.seq`` and
``memberships.seq``, migration 0008). The PostgreSQL twin is :mod:`storyline.store.postgres.memberships`.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator

from ..records import Article
from .rows import StoryTitles


class MembershipQueries:
    query: Any  # Store.query

    def current_members(self) -> Iterator[tuple[Article, str]]:
        """``(article, story id)`` of every current article in a story, in arrival order (what a clusterer's
        restore replays; an article superseded by a newer version of itself is left out, docs/versions.md)."""
        from .sqlite import article_from_row

        for r in self.query("SELECT a.*, m.story_id AS story_id FROM memberships m JOIN articles a "
                            "ON a.id = m.article_id WHERE a.superseded_by IS NULL ORDER BY a.seq"):
            yield article_from_row(r), r["story_id"]

    def alias_map(self) -> dict[str, str]:
        """``{merged-away story id: the story it was merged into}``."""
        return {r[0]: r[1] for r in self.query("SELECT alias, story_id FROM story_aliases")}

    def count_aliases(self) -> int:
        """How many story ids were merged away (one alias per merge)."""
        return int(self.query("SELECT count(*) FROM story_aliases")[0][0])

    def story_of_articles(self) -> dict[str, str]:
        """``{article id: story id}`` of every membership (superseded versions too)."""
        return {r[0]: r[1] for r in self.query("SELECT article_id, story_id FROM memberships")}

    def external_ids(self) -> dict[str, str | None]:
        """``{article id: the outlet's id of the record (None when the input gave none)}`` of every stored article."""
        return {r[0]: r[1] for r in self.query("SELECT id, external_id FROM articles")}

    def first_member(self, story_id: str) -> str | None:
        """The article that joined story ``story_id`` (an exact id) first; None when it has no members."""
        rows = self.query("SELECT article_id FROM memberships WHERE story_id = ? ORDER BY seq LIMIT 1",
                          (story_id,))
        return str(rows[0][0]) if rows else None

    def story_titles(self, story_id: str) -> StoryTitles | None:
        """Story ``story_id``'s headline and its current articles' titles (by date, undated last, then arrival);
        None when it has no current article."""
        return self.stories_titles([story_id]).get(story_id)

    def stories_titles(self, story_ids: Iterable[str]) -> dict[str, StoryTitles]:
        """:meth:`story_titles` of many stories, ``{story id: titles}``, in one query per 500 ids (the pipeline
        refreshes the headlines of every story a batch grew); a story without a current article is left out."""
        from .sqlite import from_iso

        ids = sorted(set(story_ids))
        rows: dict[str, list[Any]] = {}
        for r in self._query_in(  # type: ignore[attr-defined]
                "SELECT m.story_id, a.title, a.title_derived, s.headline, a.date FROM memberships m"
                " JOIN articles a ON a.id = m.article_id"
                " JOIN stories s ON s.id = m.story_id WHERE m.story_id IN ({marks}) AND a.superseded_by IS NULL"
                " ORDER BY m.story_id, a.date IS NULL, a.date, a.seq", ids):
            rows.setdefault(r[0], []).append(r)
        return {sid: StoryTitles(rs[0][3], tuple(r[1] for r in rs), tuple(bool(r[2]) for r in rs),
                                 tuple(from_iso(r[4]) for r in rs)) for sid, rs in rows.items()}
