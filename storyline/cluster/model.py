"""The learned join-or-new decision: a logistic model over features of (article, candidate story).

The clusterer (:mod:`storyline.cluster.online`) computes :data:`FEATURES` for its best candidate stories; the model
gives each a probability that the article belongs to that story. The article joins the most probable candidate when
that probability reaches the profile's cut (``threshold``, chosen by cross-validation with folds split by gold
story), else it starts a story. One model per profile (the lexical one has no dense features), shipped as JSON in
``storyline/cluster/models/<profile>.json`` and retrained by ``python bench/train_cluster.py`` (docs/clustering.md).

A logistic model keeps every decision explainable: the log-odds are the intercept plus one contribution per feature
(coefficient × standardised value), which ``storyline explain`` prints. Inference is a few numpy operations on a
(candidates × features) matrix; no scikit-learn at run time.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from ..errors import ConfigError

MODELS = Path(__file__).with_name("models")

# every feature of an (article, candidate story) pair; the lexical profile's model leaves out the dense ones
FEATURES = (
    "lex_avg",  # title-weighted TF-IDF cosine, mean over the story's members (average link)
    "lex_best",  # ... the best over the story's most recent members (best link)
    "ent_avg",  # idf-weighted entity overlap, average link
    "dense_avg",  # MiniLM cosine (title + lead), average link
    "dense_best",  # ... best link over the most recent members
    "title_avg",  # TF-IDF cosine of the titles alone, average link
    "score",  # the hand-weighted score (content − density correction) × time factor
    "log_gap_newest",  # ln(1 + days between the article and the story's newest member) (0 when undated)
    "log_gap_oldest",  # ln(1 + days between the article and the story's oldest member)
    "undated",  # 1 when the article or the story has no date
    "log_size",  # ln(story size)
    "log_tokens",  # ln(1 + the article's token count): headlines, leads and full texts are held to different cuts
    "density",  # the article's local density: mean of its best content similarities to candidate stories
    "margin",  # this candidate's content similarity minus the best other candidate's (0 for a sole candidate)
    "stream_gap",  # the stream's usual ln(1 + days) from a joining member to its story's newest member (moving mean)
)
# features the clusterer can compute that a model may use (measured by bench/train_cluster.py --features; the
# shipped models use those of features_for)
EXTRA_FEATURES = (
    "lex_centroid",  # TF-IDF cosine to the story's centroid (the normalised sum of its members' vectors)
    "dense_centroid",  # MiniLM cosine to the story's centroid
    "ent_cover",  # the share of the article's (idf-weighted) entities that some member of the story has
    "title_num_miss",  # 1 when the article's title has a number that no title of the story has, and they have some
    "gap_rel",  # days from the article to the story's date range over (1 + the story's span in days) (0 undated)
    "rank",  # the candidate's rank by score among the candidates scored (0 = best)
    "time",  # the score's time factor: 1 − w_time·(1 − exp(−gap / time_scale_days)), undated_time when undated
    "log_span",  # ln(1 + days between the story's oldest and newest member) (0 when undated)
    "title_soft",  # title_avg crediting near-synonym stems at their cosine (storyline/represent/synonyms.py)
    "title_ent_miss",  # the share of the entities named in the article's title that no member of the story names
    "log_rate",  # ln(1 + the stream's dated arrivals within a day of its clock): a crowded stream (0 undated)
)
ALL_FEATURES = FEATURES + EXTRA_FEATURES
DENSE_FEATURES = ("dense_avg", "dense_best", "dense_centroid")


def computable(profile: str) -> tuple[str, ...]:
    """Every feature the ``profile`` can compute (the lexical profile has no dense vectors). A model may also use
    the product of two of them, named ``a*b`` (an interaction term)."""
    return ALL_FEATURES if profile == "default" else tuple(f for f in ALL_FEATURES if f not in DENSE_FEATURES)


def is_computable(name: str, profile: str) -> bool:
    """Whether ``profile`` computes feature ``name`` (a feature of :func:`computable` or a product ``a*b``)."""
    return all(part in computable(profile) for part in name.split("*"))


# interaction terms of the shipped models: the same similarity is weaker evidence for an undated pair, a short or a
# long text, a bigger story or a later report (3-fold CV by gold story: docs/clustering.md, "Interaction terms")
INTERACTIONS = (
    "lex_avg*undated", "lex_best*undated", "score*undated", "lex_avg*log_tokens", "lex_best*log_tokens",
    "margin*undated", "lex_avg*log_size", "title_avg*log_tokens", "ent_avg*undated", "lex_best*log_gap_newest",
)
# both models also weigh a gap against the stream's usual gap within a story (stream_gap): in a stream whose
# stories are one day's reports a day's gap is a new event, in one whose stories run over days a follow-up
STREAM_GAP_TERMS = ("log_gap_newest*stream_gap",)
# the lexical model also sees the names of the article's title that the story never names (and that share against
# the local density): with stream_gap alone it joined templated same-day events ("Orvalla dam: update 1 from North
# Gazette" / "Quillon bridge: update 1 from ...", tests/test_serve_workers.py) in 6 of 30 arrival orders at its cut;
# with these terms in 0 of 30 (bench/replay_events.py; docs/clustering.md, "Lexical profile: stream gap and title
# names"). The default model needed them from the event adapter on (storyline/cluster/adapter.py): its vectors bring
# the dam and the bridge reports closer, and without these terms they merged in 2 of 30 orders at cut 0.4 and 5 of 90
# at 0.5; with them in 0 of 90 at 0.5 (docs/clustering.md, "The event adapter")
TITLE_NAME_TERMS = ("title_ent_miss", "title_ent_miss*density")


# both models weigh the same evidence against how crowded the stream is (log_rate): in an aggregator's stream of
# hundreds of headlines a day, a report of the same hours and a few shared words are weaker evidence than in a stream
# of a few reports a day. Trained with headline-only streams crowded into three days and undated (bench/train_cluster.py
# SETS); 3-fold CV by gold story over the same 18 streams, without -> with these terms (docs/clustering.md, "Seventh
# models"). The lexical model leaves out score*log_rate: with it, templated same-day events merged in 4 of 90 arrival
# orders at its cut (bench/replay_events.py), without it in none
RATE_TERMS = ("log_rate", "score*log_rate", "log_gap_newest*log_rate")
LEXICAL_RATE_TERMS = ("log_rate", "log_gap_newest*log_rate")


def features_for(profile: str) -> tuple[str, ...]:
    """The features the shipped model of ``profile`` is trained on."""
    if profile == "default":
        return FEATURES + INTERACTIONS + STREAM_GAP_TERMS + RATE_TERMS + TITLE_NAME_TERMS
    return (tuple(f for f in FEATURES if f not in DENSE_FEATURES) + INTERACTIONS + STREAM_GAP_TERMS
            + TITLE_NAME_TERMS + LEXICAL_RATE_TERMS)


@dataclass(frozen=True)
class JoinModel:
    """Standardise, then logistic: ``p = σ(b + Σ coef_i · (x_i − mean_i) / scale_i)``.

    ``low`` and ``high`` (when the model has them) are each feature's range in the pairs it was trained on; a value
    outside is taken at the nearest end before the model reads it (:meth:`clip`). A linear model's weight is only
    known to hold over the values it was fitted on: the candidate stories of the training pairs have at most 6 members
    (``log_size`` ≤ ln 6), and without the clip an aggregator's story of 300 headlines would be held, by
    extrapolating that one weight, to about 4 more log-odds of evidence than a story of 6 — recall lost for nothing
    the data showed."""

    profile: str
    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    threshold: float
    meta: Mapping[str, Any] = field(default_factory=dict)
    low: np.ndarray | None = None
    high: np.ndarray | None = None

    @cached_property
    def _products(self) -> tuple[tuple[int, tuple[int, ...]], ...]:
        """Each interaction column ``a*b`` with the columns of its parts."""
        at = {n: j for j, n in enumerate(self.features)}
        return tuple((j, tuple(at[p] for p in n.split("*"))) for j, n in enumerate(self.features) if "*" in n)

    def clip(self, X: np.ndarray) -> np.ndarray:
        """``X`` as the model reads it: each feature taken into its training range, an interaction term recomputed
        from its parts as read and then taken into its own range (``X`` itself when the model has no range or no
        value lies outside it)."""
        if self.low is None or self.high is None:
            return X
        Xc = np.minimum(np.maximum(X, self.low), self.high)  # np.clip's values, without its dispatch cost
        if np.array_equal(Xc, X):
            return X
        for j, parts in self._products:
            col = Xc[..., parts[0]].copy()
            for k in parts[1:]:
                col *= Xc[..., k]
            Xc[..., j] = np.minimum(np.maximum(col, self.low[j]), self.high[j])
        return Xc

    def logits(self, X: np.ndarray) -> np.ndarray:
        return ((self.clip(X) - self.mean) / self.scale) @ self.coef + self.intercept

    def predict(self, X: np.ndarray) -> np.ndarray:
        """P(join) for each row of ``X`` (columns in :attr:`features` order)."""
        z = np.minimum(np.maximum(self.logits(X), -35.0), 35.0)  # np.clip's values, without its dispatch cost
        return 1.0 / (1.0 + np.exp(-z))

    def row(self, stored: Mapping[str, float]) -> list[float]:
        """The feature vector from the base features stored with a decision (interaction terms recomputed)."""
        return [math.prod(stored[p] for p in n.split("*")) for n in self.features]

    def contributions(self, x: Sequence[float]) -> dict[str, float]:
        """Each feature's share of the log-odds for one pair (the intercept is :attr:`intercept`), the values taken
        into the training range as :meth:`predict` takes them."""
        z = (self.clip(np.asarray(x, dtype=np.float64)) - self.mean) / self.scale * self.coef
        return {name: float(v) for name, v in zip(self.features, z)}

    def as_dict(self) -> dict[str, Any]:
        d = {
            "profile": self.profile, "features": list(self.features), "mean": self.mean.tolist(),
            "scale": self.scale.tolist(), "coef": self.coef.tolist(), "intercept": self.intercept,
            "threshold": self.threshold, "meta": dict(self.meta),
        }
        if self.low is not None and self.high is not None:
            d["low"], d["high"] = self.low.tolist(), self.high.tolist()
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "JoinModel":
        feats = tuple(d["features"])
        unknown = [f for f in feats if not all(part in ALL_FEATURES for part in f.split("*"))]
        if unknown:
            raise ConfigError(f"join model for profile {d.get('profile')!r} uses unknown features {unknown}; "
                              f"known: {list(ALL_FEATURES)}; retrain it with: python bench/train_cluster.py")
        loose = [f for f in feats if "*" in f and not all(part in feats for part in f.split("*"))]
        if loose:
            raise ConfigError(f"join model for profile {d.get('profile')!r}: the interaction terms {loose} need each "
                              "of their parts as a feature of the model too (explain recomputes a*b from a and b); "
                              "retrain it with: python bench/train_cluster.py")
        arrays = [np.asarray(d[k], dtype=np.float64) for k in ("mean", "scale", "coef")]
        if any(a.shape != (len(feats),) for a in arrays) or not math.isfinite(float(d["intercept"])):
            raise ConfigError(f"join model for profile {d.get('profile')!r} is malformed (arrays must have one "
                              f"value per feature, {len(feats)}); retrain it with: python bench/train_cluster.py")
        mean, scale, coef = arrays
        low = high = None
        if "low" in d or "high" in d:
            try:
                low, high = (np.asarray(d[k], dtype=np.float64) for k in ("low", "high"))
            except (KeyError, TypeError, ValueError) as exc:
                raise ConfigError(f"join model for profile {d.get('profile')!r}: 'low' and 'high' (the training "
                                  f"range) must both be lists of numbers ({exc}); retrain it with: python "
                                  "bench/train_cluster.py") from None
            if low.shape != (len(feats),) or high.shape != (len(feats),) or not np.all(low <= high):
                raise ConfigError(f"join model for profile {d.get('profile')!r}: 'low' and 'high' need one value per "
                                  f"feature ({len(feats)}) with low <= high; retrain it with: python "
                                  "bench/train_cluster.py")
        return cls(str(d["profile"]), feats, mean, np.where(scale > 0, scale, 1.0), coef, float(d["intercept"]),
                   float(d["threshold"]), dict(d.get("meta", {})), low, high)

    def save(self, path: str | Path) -> Path:
        Path(path).write_text(json.dumps(self.as_dict(), indent=1) + "\n", encoding="utf-8")
        return Path(path)


def model_path(profile: str) -> Path:
    return MODELS / f"{profile}.json"


@lru_cache(maxsize=8)
def load_model(profile: str, path: str | None = None) -> JoinModel:
    """The shipped join model of ``profile`` (or the one at ``path``)."""
    p = Path(path) if path else model_path(profile)
    if not p.is_file():
        raise ConfigError(f"no join model for profile {profile!r} at {p}; train it with: python "
                          "bench/train_cluster.py (or use --set cluster.decision=score)")
    return JoinModel.from_dict(json.loads(p.read_text(encoding="utf-8")))
