"""Pairwise sentence alignment for copy/rewrite detection: which sentence of A says what which sentence of B says.

Why not :mod:`storyline.stories.align`: that aligner matches sentences one-to-one across a whole story with IDF
from the story's sentences; a rewrite merges and splits sentences, and a pair's verdict must not change when a third
article joins the story. Here each unit (the title, then each body sentence) of one article is compared with every
sentence *and every two adjacent sentences* of the other, so a sentence merged from two (or split into two) still
finds its counterpart.

Similarity of unit ``s`` to window ``w`` (lexical): the share of ``s``'s content stems found in ``w``
(containment; stems from :func:`storyline.copies.text.content_stems`). With an encoder, also the cosine of the two
sentence embeddings (single sentences only). A unit is *aligned* when either reaches its threshold; the coverage of
an article is the share of its content stems that lie in aligned units. A rewrite covers most of both articles.

>>> al = align_pair("Talks start Saturday in Doha. It rained.", "The talks in Doha start on Saturday. Prices rose.")
>>> [(p.a, p.b) for p in al.pairs], round(al.coverage_a, 2)
([(0, 0)], 0.8)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol, Sequence

import numpy as np

from ..sentences import Sentence, split_sentences
from .text import content_stems

__all__ = ["AlignedSentences", "PairAlignment", "SentenceEncoder", "align_pair"]

TITLE = -1  # the unit index of the title


class SentenceEncoder(Protocol):
    """Anything with ``encode(list[str]) -> array`` of L2-normalised rows (sentence-transformers style)."""

    def encode(self, sentences: list[str], *args: Any, **kwargs: Any) -> Any: ...


@dataclass(frozen=True, slots=True)
class AlignedSentences:
    """Unit ``a`` of article A is aligned with unit ``b`` of B (``-1`` is the title). Spans index the body text."""

    a: int
    b: int
    a_start: int
    a_end: int
    b_start: int
    b_end: int
    lexical: float
    dense: float | None

    @property
    def similarity(self) -> float:
        return max(self.lexical, self.dense or 0.0)


@dataclass(frozen=True, slots=True)
class PairAlignment:
    pairs: tuple[AlignedSentences, ...]
    coverage_a: float
    coverage_b: float
    method: str  # "lexical" or "dense+lexical"

    @property
    def coverage(self) -> float:
        """The smaller of the two coverages: a rewrite must cover both articles."""
        return min(self.coverage_a, self.coverage_b)


@dataclass(frozen=True, slots=True)
class _Units:
    texts: list[str]
    spans: list[tuple[int, int]]
    stems: list[set[str]]
    index: list[int]


@lru_cache(maxsize=4096)  # an arriving article is aligned with many story members: split each text once
def _units(body: str, title: str | None) -> _Units:
    sents: list[Sentence] = split_sentences(body)
    texts, spans, index = [], [], []
    if title:
        texts.append(title)
        spans.append((0, 0))
        index.append(TITLE)
    for i, s in enumerate(sents):
        texts.append(s.text)
        spans.append((s.start, s.end))
        index.append(i)
    return _Units(texts, spans, [set(content_stems(t)) for t in texts], index)


def unit_stem_counts(body: str, title: str | None = None) -> tuple[dict[str, int], int]:
    """For the coverage bound: each content stem with the number of units (title, sentences) holding it, and the
    article's total unit weight (the sum of its units' stem-set sizes, the denominator of the coverage)."""
    counts: dict[str, int] = {}
    total = 0
    for s in _units(body, title).stems:
        total += len(s)
        for t in s:
            counts[t] = counts.get(t, 0) + 1
    return counts, total


def coverage_upper_bound(a: tuple[dict[str, int], int], b: tuple[dict[str, int], int],
                         lexical_threshold: float) -> float:
    """An upper bound of ``align_pair(...).coverage_a`` without encoder, from :func:`unit_stem_counts` of A and B.

    A unit ``s`` of A is aligned only if some window ``w`` of B (its stems ⊆ all of B's stems ``S_B``) has
    ``|s ∩ w| ≥ λ|s|``, so ``|s| ≤ |s ∩ S_B| / λ`` and ``coverage_a ≤ Σ_s |s ∩ S_B| / (λ Σ_s |s|)``; the numerator is
    the sum of A's unit counts over the stems A shares with B. One key intersection instead of an alignment.
    """
    counts_a, total_a = a
    if total_a == 0 or lexical_threshold <= 0:
        return 0.0 if total_a == 0 else 1.0
    common = counts_a.keys() & b[0].keys()
    return sum(map(counts_a.__getitem__, common)) / (lexical_threshold * total_a)


def _windows(u: _Units) -> list[set[str]]:
    """Every body unit alone and every two adjacent body units together (the title stays alone)."""
    out = list(u.stems)
    body = [k for k, i in enumerate(u.index) if i != TITLE]
    out += [u.stems[body[j]] | u.stems[body[j + 1]] for j in range(len(body) - 1)]
    return out


def _containment(a: _Units, windows_b: list[set[str]], n_single: int) -> tuple[np.ndarray, np.ndarray]:
    """Best containment of each unit of ``a`` in a window of B, and the best single B unit for it."""
    best = np.zeros(len(a.stems))
    best_single = np.zeros((len(a.stems), n_single))
    for k, s in enumerate(a.stems):
        if not s:
            continue
        vals = [len(s & w) / len(s) for w in windows_b]
        best[k] = max(vals) if vals else 0.0
        best_single[k] = vals[:n_single]
    return best, best_single


def _coverage(u: _Units, aligned: np.ndarray) -> float:
    weights = np.array([len(s) for s in u.stems], dtype=float)
    total = weights.sum()
    return float((weights * aligned).sum() / total) if total else 0.0


def align_pair(
    body_a: str,
    body_b: str,
    title_a: str | None = None,
    title_b: str | None = None,
    *,
    lexical_threshold: float = 0.6,
    dense_threshold: float = 0.8,
    encoder: SentenceEncoder | None = None,
    embeddings: tuple[np.ndarray, np.ndarray] | None = None,
) -> PairAlignment:
    """Align the titles and body sentences of two articles (see the module docstring for the scores).

    ``embeddings`` (rows for the units: title first when given, then body sentences) skips encoding; otherwise
    ``encoder`` is used when given.
    """
    ua, ub = _units(body_a, title_a), _units(body_b, title_b)
    if not ua.texts or not ub.texts:
        return PairAlignment((), 0.0, 0.0, "lexical")
    ca, sa = _containment(ua, _windows(ub), len(ub.texts))
    cb, sb = _containment(ub, _windows(ua), len(ua.texts))
    dense = None
    if embeddings is None and encoder is not None:
        ea = np.asarray(encoder.encode(ua.texts), dtype=np.float32)
        eb = np.asarray(encoder.encode(ub.texts), dtype=np.float32)
        embeddings = (ea, eb)
    if embeddings is not None:
        dense = embeddings[0] @ embeddings[1].T
    al_a = ca >= lexical_threshold
    al_b = cb >= lexical_threshold
    if dense is not None:
        al_a |= dense.max(axis=1) >= dense_threshold
        al_b |= dense.max(axis=0) >= dense_threshold
    # the pair list: for each aligned unit of A, its best single unit of B (symmetric lexical score = mean of the
    # two containments, so a short sentence inside a long one is not a perfect match)
    sym = (sa + sb.T) / 2.0
    score = sym if dense is None else np.maximum(sym, dense)
    pairs = []
    for k in np.flatnonzero(al_a):
        j = int(np.argmax(score[k]))
        if score[k, j] <= 0.0:
            continue
        pairs.append(
            AlignedSentences(
                ua.index[k], ub.index[j], *ua.spans[k], *ub.spans[j], round(float(sym[k, j]), 4),
                None if dense is None else round(float(dense[k, j]), 4),
            )
        )
    return PairAlignment(
        tuple(pairs), _coverage(ua, al_a), _coverage(ub, al_b), "lexical" if dense is None else "dense+lexical"
    )
