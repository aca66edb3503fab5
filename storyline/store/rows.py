"""Records the store's repositories take and return (frozen dataclasses), for the parts of the pipeline that keep
state in the store: the copies stage (signatures, judged pairs, origins, sentence alignments), the clusterer's
restore and a story's headline. Both backends (SQLite, PostgreSQL) speak these; no SQL row leaves the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class CopySignature:
    """One article's MinHash signature (``<u4`` little-endian bytes) and the parameters that made it."""

    article_id: str
    body_hash: str
    num_perm: int
    seed: int
    shingle_words: int
    signature: bytes


@dataclass(frozen=True)
class SignaturePage:
    """Stored signatures of one parameter set in arrival order: their articles, the signatures concatenated
    (``len(article_ids) * num_perm`` ``<u4`` values) and ``last``, the arrival position to ask the next page after."""

    article_ids: tuple[str, ...]
    signatures: bytes
    last: int


@dataclass(frozen=True)
class CopyPair:
    """A judged ``copy``/``rewrite`` pair; ``article_a < article_b``."""

    article_a: str
    article_b: str
    relation: str
    similarity: float
    containment: float = 0.0
    coverage: float = 0.0
    method: str = ""


@dataclass(frozen=True)
class CopyOf:
    """An article that is a copy or rewrite (``relation``) of ``origin_id``, with its similarity to it."""

    article_id: str
    origin_id: str
    relation: str
    similarity: float

    def as_dict(self) -> dict[str, object]:
        """The ``copies --format json`` contract: ``{"article_id", "origin_id", "relation", "similarity"}``."""
        return {"article_id": self.article_id, "origin_id": self.origin_id, "relation": self.relation,
                "similarity": self.similarity}


@dataclass(frozen=True)
class SentenceAlignment:
    """One aligned sentence of ``article_a`` (``sent_a``, character span ``a_start:a_end`` of its body) with one of
    ``article_b``; ``article_a < article_b``."""

    article_a: str
    article_b: str
    sent_a: int
    sent_b: int
    a_start: int
    a_end: int
    b_start: int
    b_end: int
    lexical: float
    dense: float | None
    method: str


@dataclass(frozen=True)
class Arrival:
    """When an article was published (``date``) and arrived (``seq``, the store's arrival order), and whose
    record it is (``source``, ``external_id``): what the copies stage needs to pick a group's origin."""

    id: str
    date: datetime | None
    seq: int
    source: str
    external_id: str | None


@dataclass(frozen=True)
class StoryTitles:
    """A story's stored headline and the titles of its current articles (by date, undated last, then arrival)."""

    headline: str
    titles: tuple[str, ...]
    derived: tuple[bool, ...]
    dates: tuple[datetime | None, ...]
