"""The clusterer protocol the pipeline talks to, and the factory that picks one from settings."""

from __future__ import annotations

import importlib.util
import warnings
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol, Sequence

from ..errors import ConfigError
from ..records import Article, Assignment

if TYPE_CHECKING:
    from ..represent.dense import Encoder
    from ..settings import ClusterSettings, Settings
    from ..store import Store

PROFILES = ("default", "lexical")
DECISIONS = ("learned", "score")
ENCODER_BACKENDS = ("onnx", "torch")


class Clusterer(Protocol):
    """Online clustering. ``assign`` sees articles in arrival order and answers one Assignment each.

    The pipeline writes the assignments (new stories, memberships, merges) to the store; the clusterer keeps
    whatever learned state it needs and can rebuild it from the store (``restore``). A clusterer that also has
    ``observe(store, articles, assignments)`` is run as a pipeline observer (it persists its embeddings there).
    """

    def assign(self, articles: Sequence[Article]) -> list[Assignment]: ...

    def restore(self, store: "Store") -> "Clusterer": ...


def make_encoder(settings: "Settings") -> "Encoder":
    """The dense encoder of the ``default`` profile (all-MiniLM-L6-v2 on the CPU, loaded on first use)."""
    from ..represent.dense import MiniLMEncoder, OnnxMiniLMEncoder

    cs = settings.cluster
    if cs.encoder_backend not in ENCODER_BACKENDS:
        raise ConfigError(
            f"cluster.encoder_backend must be one of {list(ENCODER_BACKENDS)}, got {cs.encoder_backend!r}; "
            "e.g. --set cluster.encoder_backend=torch"
        )
    if cs.encoder_backend == "onnx":
        if importlib.util.find_spec("onnxruntime") is not None:
            return OnnxMiniLMEncoder(threads=cs.encoder_threads, max_seq_length=cs.encoder_max_tokens,
                                     quantize=cs.encoder_quantize)
        warnings.warn("cluster.encoder_backend='onnx' but onnxruntime is not installed: using the slower torch "
                      "encoder; install it with: pip install 'storyline[dense]' (or set "
                      "cluster.encoder_backend=torch to silence this)", RuntimeWarning, stacklevel=2)
    return MiniLMEncoder(threads=cs.encoder_threads, max_seq_length=cs.encoder_max_tokens,
                         quantize=cs.encoder_quantize)


def make_clusterer(settings: "Settings", encoder: "Encoder | None" = None) -> Clusterer:
    """The clusterer for ``settings.cluster.profile``: ``default`` (dense + lexical) or ``lexical`` (no torch).

    ``encoder`` replaces the default MiniLM encoder (tests pass a small one; the evaluation passes a cached one).
    """
    from .online import OnlineClusterer

    cs = settings.cluster
    if cs.profile not in PROFILES:
        raise ConfigError(
            f"cluster.profile must be one of {list(PROFILES)}, got {cs.profile!r}; "
            "e.g. --set cluster.profile=lexical for the fast profile without torch"
        )
    if cs.decision not in DECISIONS:
        raise ConfigError(f"cluster.decision must be one of {list(DECISIONS)}, got {cs.decision!r}; "
                          "e.g. --set cluster.decision=score for the single score threshold")
    resolved = replace(cs, threshold=profile_threshold(cs))
    if cs.profile == "default":
        return OnlineClusterer(resolved, encoder if encoder is not None else make_encoder(settings))
    return OnlineClusterer(resolved, None)


def profile_threshold(cs: "ClusterSettings") -> float:
    """The cut the clusterer uses: ``cluster.threshold`` when set (> 0), else the profile's own (the model's
    calibrated P(join) cut with ``decision=learned``, the one stored in ``cluster.join_model`` when that is set;
    ``default_threshold`` / ``lexical_threshold`` with ``decision=score``)."""
    if cs.threshold > 0:
        return cs.threshold
    if cs.decision == "learned":
        from .model import load_model

        # the configured model file's own cut (cluster.join_model), not the shipped model's
        return load_model(cs.profile, cs.join_model or None).threshold
    return cs.default_threshold if cs.profile == "default" else cs.lexical_threshold

