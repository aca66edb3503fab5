"""The ``show --format json`` contracts of a story and of an article (`storyline show`), built from the store's
records."""

from __future__ import annotations

from typing import Any


def story_payload(store: Any, story_id: str) -> dict:
    """The ``show --format json`` contract: id, headline, articles [{id, source, title, date, byline}], …"""
    story = store.get_story(story_id)
    arts = list(store.iter_articles(story.id))
    return {
        "id": story.id,
        "aliases": store.story_aliases(story.id),
        "headline": story.headline,
        "n_articles": story.n_articles,
        "sources": list(story.sources),
        "first_seen": story.first_seen,
        "last_seen": story.last_seen,
        "articles": [
            {"id": a.id, "source": a.source, "title": a.title, "date": a.date, "byline": a.byline, "lang": a.lang,
             "url": a.url, "title_derived": a.title_derived}
            for a in arts
        ],
    }


def article_payload(store: Any, article_id: str) -> dict:
    """One stored article (current or superseded) with its story and versions: ``{id, source, title, date, byline,
    lang, url, external_id, story_id, superseded_by, current_version, versions, warnings, date_only, credited,
    origin, text}`` (``credited``: agencies its desk tag names; ``origin``: the file or URL it was read from)."""
    from ..errors import NotFound

    a = store.get_article(article_id)
    try:
        story_id = store.membership(a.id)["story_id"]
    except NotFound:
        story_id = None
    return {"id": a.id, "source": a.source, "title": a.title, "date": a.date, "byline": a.byline, "lang": a.lang,
            "url": a.url, "external_id": a.external_id, "story_id": story_id, **store.article_versions(a.id),
            "warnings": list(a.warnings), "date_only": a.date_only, "credited": list(a.extra.get("credited") or []),
            "origin": a.origin, "text": a.text}
