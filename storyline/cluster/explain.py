"""Why an article is in its story, from what its membership stored: the learned decision's features, what each
contributed to the log-odds, and the values the model read at the end of its training range.

The clusterer stores with each membership the join model's base features (``f:<name>``; interaction terms are
recomputed here from their parts), P(join) and the cut. One explanation serves the CLI (``storyline explain``), the
REST API (``membership.decision`` of ``/api/articles/{id}`` and ``/api/stories/{id}``) and the web pages.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from .model import JoinModel, is_computable, load_model

# what each feature measures, in a reader's words (an interaction term a*b reads "a × b")
LABELS = {
    "lex_avg": "word overlap with the story's articles (average)",
    "lex_best": "word overlap with its closest recent article",
    "ent_avg": "names shared with the story (average)",
    "dense_avg": "meaning (MiniLM) similarity to the story (average)",
    "dense_best": "meaning similarity to its closest recent article",
    "dense_centroid": "meaning similarity to the story's centre",
    "title_avg": "headline overlap with the story's headlines",
    "title_soft": "headline overlap counting near-synonyms",
    "score": "the combined similarity score",
    "log_gap_newest": "days since the story's newest article (log)",
    "log_gap_oldest": "days since the story's oldest article (log)",
    "undated": "no date on one side",
    "log_size": "the story's size (log)",
    "log_tokens": "the article's length (log)",
    "density": "how crowded its topic is",
    "margin": "lead over the next candidate story",
    "stream_gap": "the stream's usual gap within a story",
    "title_ent_miss": "names in its headline the story never mentions",
    "log_rate": "how crowded the stream is (reports in the last day)",
    "lex_centroid": "word overlap with the story's centre",
    "ent_cover": "share of its names the story has",
    "title_num_miss": "a headline number the story lacks",
    "gap_rel": "gap relative to the story's span",
    "rank": "rank among the candidate stories",
    "time": "the time factor",
    "log_span": "the story's span in days (log)",
}


def label(name: str) -> str:
    """A reader's name for feature ``name`` (``a*b`` as "a × b")."""
    return " × ".join(LABELS.get(p, p) for p in name.split("*"))


def model_for(features: Mapping[str, float], join_model: str | None = None) -> JoinModel | None:
    """The join model whose base features these are: the configured file (``cluster.join_model``) if any, else the
    shipped model of the profile the features belong to; None when no model matches (a membership stored by another
    model, or by the score decision)."""
    profile = "default" if "dense_avg" in features else "lexical"
    try:
        model = load_model(profile, join_model or None)
    except Exception:  # noqa: BLE001 - a missing or malformed model leaves the stored features unexplained
        return None
    base = {n for n in model.features if "*" not in n}  # interaction terms a*b are recomputed from a and b
    return model if base == set(features) and all(is_computable(n, profile) for n in features) else None


def read_as(model: JoinModel, row: list[float]) -> dict[str, float]:
    """The features whose value lies outside the model's training range, with the value the model read instead."""
    clipped = model.clip(np.asarray([row], dtype=np.float64))[0].tolist()
    return {n: c for n, v, c in zip(model.features, row, clipped) if c != v}


def explain_decision(components: Mapping[str, Any], join_model: str | None = None) -> dict[str, Any] | None:
    """The learned decision behind a membership's stored ``components``: ``features`` (every model column, interaction
    terms recomputed), ``contributions`` to the log-odds, ``read_as`` (values beyond the training range and what was
    read), ``intercept``, ``log_odds``, ``p_join`` and ``threshold``, and ``top`` — the features by the size of their
    contribution, each with its reader's label. None when no join model decided it (the score decision, or a model
    that is not the one configured)."""
    features = {k[2:]: float(v) for k, v in components.items() if k.startswith("f:")}
    if not features:
        return None
    model = model_for(features, join_model)
    if model is None:
        return None
    row = model.row(features)
    values = dict(zip(model.features, row))
    contributions = model.contributions(row)
    clipped = read_as(model, row)
    top = sorted(contributions, key=lambda n: -abs(contributions[n]))
    return {
        "features": values,
        "contributions": contributions,
        "read_as": clipped,
        "intercept": model.intercept,
        "log_odds": model.intercept + sum(contributions.values()),
        "p_join": components.get("p_join"),
        "threshold": components.get("threshold"),
        "top": [{"feature": n, "label": label(n), "value": values[n], "read_as": clipped.get(n),
                 "contribution": contributions[n]} for n in top],
    }
