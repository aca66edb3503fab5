"""`storyline show STORY_ID`: one story with its articles."""

from __future__ import annotations

import typer

from .app import app, state
from .core import FORMAT
from .output import Format, emit, emit_one, stdout


def story_payload(store, story_id: str) -> dict:
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


@app.command()
def show(
    story_id: str = typer.Argument(..., help="A story id (or an alias of a merged story, or a unique prefix)."),
    fmt: Format = FORMAT,
) -> None:
    """Show one story and its articles."""
    with state.open_store() as store:
        payload = story_payload(store, story_id)
    if fmt in (Format.json, Format.jsonl):
        emit_one(payload, fmt)
        return
    stdout.print(f"[bold]{payload['headline']}[/bold]  ({payload['id']})", highlight=False)
    emit(payload["articles"], fmt, ["id", "source", "title", "date", "byline"])
