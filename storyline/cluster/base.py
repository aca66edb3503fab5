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
    from ..settings import Settings
    from ..store import Store

PROFILES = ("default", "lexical")
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
    if cs.profile == "default":
        return OnlineClusterer(cs, encoder if encoder is not None else make_encoder(settings))
    if cs.profile == "lexical":
        return OnlineClusterer(replace(cs, threshold=cs.lexical_threshold), None)
    raise ConfigError(
        f"cluster.profile must be one of {list(PROFILES)}, got {cs.profile!r}; "
        "e.g. --set cluster.profile=lexical for the fast profile without torch"
    )
