"""`storyline eval FILE.jsonl` (clustering quality against gold labels) and `storyline explain ARTICLE_ID`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .app import app, state
from .core import FORMAT
from .output import Format, emit, emit_one, stdout


def explain_payload(store, article_id: str) -> dict:
    """Why an article is in its story: score, per-signal components and the top shared terms/entities."""
    article = store.get_article(article_id)
    m = store.membership(article.id)
    story_id = store.resolve_story_id(m["story_id"])
    return {
        "article_id": article.id,
        "title": article.title,
        "source": article.source,
        "date": article.date,
        "story_id": story_id,
        "headline": store.get_story(story_id).headline,
        "score": m["score"],
        "components": m["components"],
        "shared": m["shared"],
        "started_story": "nearest_story_score" in m["components"],
        # it started a story that a later merge folded into this one (the story's first member is another article)
        "started_merged_story": "nearest_story_score" in m["components"] and _first_member(store, story_id) != article.id,
    }


def _first_member(store, story_id: str) -> str:
    rows = store.query("SELECT article_id FROM memberships WHERE story_id = ? ORDER BY rowid LIMIT 1", (story_id,))
    return str(rows[0][0]) if rows else ""


@app.command()
def explain(
    article_id: str = typer.Argument(..., help="An article id (or a unique prefix)."),
    fmt: Format = FORMAT,
) -> None:
    """Why an article is in its story: the score, its components (lexical, dense, entities, time) and the
    terms and entities it shares with the story."""
    with state.open_store() as store:
        payload = explain_payload(store, article_id)
    if fmt in (Format.json, Format.jsonl):
        emit_one(payload, fmt)
        return
    if fmt is Format.csv:  # machine-readable: one row per signal, no prose lines around the CSV
        rows = [{"article_id": payload["article_id"], "story_id": payload["story_id"], "signal": k, "similarity": v}
                for k, v in {"score": payload["score"], **payload["components"]}.items()]
        emit(rows, fmt, ["article_id", "story_id", "signal", "similarity"])
        return
    from rich.markup import escape  # titles, headlines and terms are data, never markup

    stdout.print(f"[bold]{escape(payload['title'])}[/bold]  ({escape(payload['article_id'])}, "
                 f"{escape(payload['source'])})", highlight=False)
    if payload["started_merged_story"]:
        verdict = (f"started a story that was later merged into this one (the nearest story then scored "
                   f"{payload['components']['nearest_story_score']:.3f})")
    elif payload["started_story"]:
        verdict = (f"started this story (the nearest story scored "
                   f"{payload['components']['nearest_story_score']:.3f})")
    else:
        verdict = f"joined with score {payload['score']:.3f}"
    stdout.print(f"story {payload['story_id']}: {escape(payload['headline'])}\n{verdict}", highlight=False)
    rows = [{"signal": k, "similarity": v} for k, v in payload["components"].items()]
    emit(rows, fmt, ["signal", "similarity"])
    if payload["shared"]:
        stdout.print("shared: " + escape(", ".join(payload["shared"])), highlight=False)


@app.command("eval")
def eval_(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="Labelled JSONL: id, cluster, date, "
                                "source, title, text (cluster = gold story, used only for scoring)."),
    profile: Optional[str] = typer.Option(None, "--profile", help="default (dense + lexical) or lexical."),
    order: str = typer.Option("time", "--order", help="time (arrival order) or shuffled (seeded)."),
    seed: int = typer.Option(12, "--seed", help="Seed of the shuffle that breaks ties of equal dates and orders "
                             "undated items (and of --order shuffled); never the ids, which may encode the story."),
    embedding_cache: Optional[Path] = typer.Option(
        None, "--embedding-cache", help="Cache dense vectors under this folder, keyed by text (for experiments)."),
    fmt: Format = FORMAT,
) -> None:
    """Cluster a labelled JSONL through the pipeline into a temporary store and score it (B-cubed, pairwise)."""
    from ..cluster.base import make_encoder
    from ..eval.runner import evaluate, with_profile

    settings = with_profile(state.settings, profile)
    encoder = None
    if embedding_cache is not None and settings.cluster.profile == "default":
        from ..represent.dense import CachedEncoder

        encoder = CachedEncoder(make_encoder(settings), embedding_cache)
    result = evaluate(path, settings, encoder=encoder, order=order, seed=seed)
    payload = result.as_dict()
    if fmt in (Format.json, Format.jsonl):
        emit_one(payload, fmt)
        return
    rows = [
        {"metric": "B-cubed", **payload["bcubed"]},
        {"metric": "pairwise", **payload["pairwise"]},
    ]
    emit(rows, fmt, ["metric", "precision", "recall", "f1"], title=f"{path} ({result.profile} profile)")
    if fmt is Format.table:
        stdout.print(
            f"stories: {result.n_pred} predicted, {result.n_gold} gold; {result.n_articles} articles "
            f"({result.merges} merges); {result.articles_per_s:.0f} articles/s; peak RSS {result.peak_rss_mb:.0f} MB",
            highlight=False,
        )
