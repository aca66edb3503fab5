"""The clusterer protocol the pipeline talks to, and the factory that picks one from settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, Sequence

from ..errors import ConfigError
from ..records import Article, Assignment

if TYPE_CHECKING:
    from ..settings import Settings
    from ..store import Store


class Clusterer(Protocol):
    """Online clustering. ``assign`` sees articles in arrival order and answers one Assignment each.

    The pipeline writes the assignments (new stories, memberships, merges) to the store; the clusterer keeps
    whatever learned state it needs and can rebuild it from the store (``restore``).
    """

    def assign(self, articles: Sequence[Article]) -> list[Assignment]: ...

    def restore(self, store: "Store") -> "Clusterer": ...


def make_clusterer(settings: "Settings") -> Clusterer:
    from .lexical import LexicalClusterer

    profile = settings.cluster.profile
    if profile in ("lexical", "default"):
        return LexicalClusterer(threshold=0.25)
    raise ConfigError(f"cluster.profile must be one of ['default', 'lexical'], got {profile!r}")
