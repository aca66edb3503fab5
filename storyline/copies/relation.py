"""The relation of two articles: ``copy``, ``rewrite`` or ``independent``, with the evidence.

1. ``copy`` — the same normalized words (:func:`~storyline.copies.text.body_hash`; similarity 1.0), or
   *shingle containment* ``|S_a ∩ S_b| / min(|S_a|, |S_b|)`` over word 3-shingles of title + body reaches
   ``copies.copy_containment`` **and** the *edit density* is at most ``copies.copy_max_edit_density`` (or the
   edits number at most ``copies.copy_edit_slack``, for very short texts).
   Containment, not Jaccard, because a truncated copy or one with boilerplate added keeps most of the smaller
   text's shingles while the union grows. Edit density = number of edit operations (difflib opcodes on the word
   sequences, leading/trailing ones ignored so truncation and added boilerplate are free) per word of the
   shorter text: a copy has a few scattered edits, a re-worded text one every few words.
2. ``rewrite`` — not a copy, and both articles have at least ``copies.rewrite_coverage`` of their content stems in
   sentences aligned with the other (:func:`~storyline.copies.align.align_pair`: lexical containment per sentence,
   plus embedding cosine when an encoder is given). Re-wording breaks shingles but keeps the facts sentence by
   sentence; an independent report on the same event covers only part of the other and adds its own.
3. ``independent`` — everything else.

The judge sees only the two articles' text (never generator metadata).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..records import Article
from ..settings import CopiesSettings
from .align import PairAlignment, SentenceEncoder, align_pair
from .text import body_hash, shingle_hashes, words

__all__ = ["PairJudge", "PairJudgement", "Relation", "shingle_containment"]

Relation = Literal["copy", "rewrite", "independent"]
RELATIONS: tuple[str, ...] = ("copy", "rewrite", "independent")


@dataclass(frozen=True, slots=True)
class PairJudgement:
    relation: Relation
    similarity: float  # the score the decision rests on: containment for copies, coverage for rewrites
    containment: float
    jaccard: float
    coverage: float
    edit_density: float | None
    method: str  # "hash", "lexical" or "dense+lexical"
    alignment: PairAlignment | None = None


def shingle_containment(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(containment, Jaccard) of two sorted unique shingle-hash arrays."""
    if len(a) == 0 or len(b) == 0:
        return 0.0, 0.0
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / min(len(a), len(b)), inter / (len(a) + len(b) - inter)


def edit_density(words_a: list[str], words_b: list[str]) -> float:
    """Inner edit operations per word of the shorter word sequence (see the module docstring)."""
    if len(words_a) > len(words_b):
        words_a, words_b = words_b, words_a
    ops = difflib.SequenceMatcher(None, words_a, words_b, autojunk=False).get_opcodes()
    lo, hi = 0, len(ops)
    while lo < hi and ops[lo][0] != "equal":
        lo += 1
    while hi > lo and ops[hi - 1][0] != "equal":
        hi -= 1
    return sum(op[0] != "equal" for op in ops[lo:hi]) / max(1, len(words_a))


class PairJudge:
    """Classifies article pairs. ``encoder`` (optional) is a sentence encoder for rewrite alignment."""

    def __init__(self, settings: CopiesSettings | None = None, encoder: SentenceEncoder | None = None):
        self.settings = settings or CopiesSettings()
        self.encoder = encoder
        self._cache: dict[str, tuple[np.ndarray, str, list[str]]] = {}

    @property
    def method(self) -> str:
        return "lexical" if self.encoder is None else "dense+lexical"

    def _features(self, article: Article) -> tuple[np.ndarray, str, list[str]]:
        key = article.id
        if key not in self._cache:
            if len(self._cache) > 20_000:
                self._cache.clear()
            toks = words(f"{article.title}\n{article.text}")
            self._cache[key] = (shingle_hashes(toks, self.settings.shingle_words), body_hash(article.text), toks)
        return self._cache[key]

    def judge(self, a: Article, b: Article, *, align: bool = True) -> PairJudgement:
        """The relation of ``a`` and ``b``. With ``align=False`` a non-copy is not aligned (cheap screening)."""
        s = self.settings
        sa, ha, wa = self._features(a)
        sb, hb, wb = self._features(b)
        if ha == hb and a.text.strip():
            return PairJudgement("copy", 1.0, 1.0, 1.0, 1.0, 0.0, "hash")
        cont, jac = shingle_containment(sa, sb)
        cont, jac = round(cont, 4), round(jac, 4)
        dens = None
        if cont >= s.copy_containment:
            dens = round(edit_density(wa, wb), 4)
            shorter = min(len(wa), len(wb))
            if dens * shorter <= max(s.copy_edit_slack, s.copy_max_edit_density * shorter) + 1e-9:
                return PairJudgement("copy", cont, cont, jac, 0.0, dens, "lexical")
        if not align:
            return PairJudgement("independent", cont, cont, jac, 0.0, dens, "lexical")
        al = align_pair(
            a.text, b.text, a.title, b.title,
            lexical_threshold=s.align_lexical, dense_threshold=s.align_dense, encoder=self.encoder,
        )
        cov = round(al.coverage, 4)
        relation: Relation = "rewrite" if cov >= s.rewrite_coverage else "independent"
        return PairJudgement(relation, cov, cont, jac, cov, dens, al.method, al)
