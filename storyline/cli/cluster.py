"""`storyline eval FILE.jsonl` (clustering quality against gold labels) and `storyline explain ARTICLE_ID`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..cluster.explain import explain_decision
from .app import app, state
from .core import FORMAT
from .output import Format, emit, emit_one, stdout


def explain_payload(store, article_id: str, settings=None) -> dict:
    """Why an article is in its story: the decision (P(join) or score against the threshold), the join model's
    features and their contributions to the log-odds, the nearest story (id and headline) and the shared terms."""
    article = store.get_article(article_id)
    m = store.membership(article.id)
    story_id = store.resolve_story_id(m["story_id"])
    comps = dict(m["components"])
    started = "nearest_story_score" in comps
    nearest_id = comps.pop("nearest_story", None)
    features = {k[2:]: v for k, v in comps.items() if k.startswith("f:")}
    signals = {k: v for k, v in comps.items() if not k.startswith("f:")}
    payload = {
        "article_id": article.id,
        "title": article.title,
        "source": article.source,
        "date": article.date,
        "story_id": story_id,
        "headline": store.get_story(story_id).headline,
        "decision": "learned" if "p_join" in signals else "score",
        "score": m["score"],
        "threshold": signals.get("threshold"),
        "components": signals,
        "features": features,
        "contributions": {},
        "read_as": {},  # features outside the model's training range, and the value the model read instead
        "intercept": None,
        "shared": m["shared"],
        "started_story": started,
        # it started a story that a later merge folded into this one (the story's first member is another article)
        "started_merged_story": started and _first_member(store, story_id) != article.id,
        "nearest_story": None,
    }
    join_model = settings.cluster.join_model if settings is not None else None
    decision = explain_decision(m["components"], join_model)
    if decision is not None:
        payload["features"] = decision["features"]  # with the interaction terms a*b, recomputed
        payload["contributions"] = decision["contributions"]
        payload["read_as"] = decision["read_as"]
        payload["intercept"] = decision["intercept"]
    if started and nearest_id:
        nid = store.resolve_story_id(str(nearest_id))
        payload["nearest_story"] = {"id": nid, "headline": store.get_story(nid).headline,
                                    "score": signals.get("nearest_story_score")}
    elif not started:
        payload["nearest_story"] = {"id": story_id, "headline": payload["headline"], "score": m["score"]}
    return payload


def _first_member(store, story_id: str) -> str:
    return store.first_member(story_id) or ""


@app.command()
def explain(
    article_id: str = typer.Argument(..., help="An article id (or a unique prefix)."),
    fmt: Format = FORMAT,
) -> None:
    """Why an article is in its story: the decision against its threshold, the join model's features and what
    each contributed, the nearest story, and the terms and entities it shares with the story."""
    with state.open_store() as store:
        payload = explain_payload(store, article_id, state.settings)
    if fmt in (Format.json, Format.jsonl):
        emit_one(payload, fmt)
        return
    if fmt is Format.csv:  # machine-readable: one row per signal/feature, no prose lines around the CSV
        rows = [{"article_id": payload["article_id"], "story_id": payload["story_id"], "signal": k, "value": v,
                 "contribution": payload["contributions"].get(k[2:], "") if k.startswith("f:") else ""}
                for k, v in {"score": payload["score"], **payload["components"],
                             **{f"f:{n}": x for n, x in payload["features"].items()}}.items()]
        emit(rows, fmt, ["article_id", "story_id", "signal", "value", "contribution"])
        return
    from rich.markup import escape  # titles, headlines and terms are data, never markup

    stdout.print(f"[bold]{escape(payload['title'])}[/bold]  ({escape(payload['article_id'])}, "
                 f"{escape(payload['source'])})", highlight=False)
    what = "P(join)" if payload["decision"] == "learned" else "score"
    th = payload["threshold"]
    th_txt = f" (threshold {th:.3f})" if th is not None else ""
    near = payload["nearest_story"]
    near_txt = f"{near['id']} \"{escape(near['headline'])}\"" if near else "none (no candidate story)"
    if payload["started_story"]:
        nscore = payload["components"].get("nearest_story_score", 0.0)
        how = "started a story that was later merged into this one" if payload["started_merged_story"] \
            else "started this story"
        under = f"under the threshold {th:.3f}" if th is not None else "under the threshold"
        verdict = f"{how}: the nearest story {near_txt} reached {what} {nscore:.3f}, {under}"
    else:
        verdict = f"joined with {what} {payload['score']:.3f}{th_txt}"
    stdout.print(f"story {payload['story_id']}: {escape(payload['headline'])}\n{verdict}", highlight=False)
    if payload["features"]:
        read_as = payload["read_as"]
        rows = [{"feature": k, "value": v, "read as": read_as.get(k, ""),
                 "contribution": payload["contributions"].get(k, "")} for k, v in payload["features"].items()]
        emit(rows, fmt, ["feature", "value"] + (["read as"] if read_as else []) + ["contribution"])
        if read_as:
            stdout.print("read as: a value beyond the range the join model was trained on is read at the range's end",
                         highlight=False)
        if payload["intercept"] is not None:
            logit = payload["intercept"] + sum(payload["contributions"].values())
            stdout.print(f"log-odds = intercept {payload['intercept']:.3f} + contributions = {logit:.3f}",
                         highlight=False)
    rows = [{"signal": k, "similarity": v} for k, v in payload["components"].items() if k != "threshold"]
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
