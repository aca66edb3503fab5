"""The relation of two articles: ``copy``, ``rewrite`` or ``independent``, with the evidence.

1. ``copy`` — the same normalized words (:func:`~storyline.copies.text.body_hash`; similarity 1.0), or
   *shingle containment* ``|S_a ∩ S_b| / min(|S_a|, |S_b|)`` over word 3-shingles of title + body reaches
   ``copies.copy_containment`` **and** the *edit cost* (:func:`edit_cost`) is at most
   ``max(copies.copy_edit_slack, copies.copy_max_edit_density × words)`` (words of the shorter article).
   Containment, not Jaccard, because a truncated copy or one with boilerplate added keeps most of the smaller
   text's shingles while the union grows. The edit cost aligns title with title and body with body on *anchors*
   (runs of equal words that cannot match by chance: ≥ 3 words, or 2 with a content word) and prices each gap
   between anchors by what a copy desk does versus what a rewriter does: a word or sentence added/dropped, a typo or
   a changed number, a function word swapped (``and`` → ``plus``) costs 1; each *content* word replaced by a
   different word (a synonym: ``rules`` → ``regulations``) costs ``copies.copy_substitution_weight``; a sentence
   moved elsewhere costs 1 plus its substitutions; a gap before the first / after the last anchor costs 0 when
   one side is empty (truncation, boilerplate, a new headline word) and 1 otherwise.
2. ``rewrite`` — not a copy, and both articles have at least ``copies.rewrite_coverage`` of their content stems in
   sentences aligned with the other (:func:`~storyline.copies.align.align_pair`: lexical containment per sentence,
   plus embedding cosine when an encoder is given). Re-wording breaks shingles but keeps the facts sentence by
   sentence; an independent report on the same event covers only part of the other and adds its own.
3. ``independent`` — everything else.

The judge sees only the two articles' text (never generator metadata).
"""

from __future__ import annotations

import difflib
from bisect import bisect_left
from dataclasses import dataclass
from typing import Literal, Sequence

import numpy as np

from ..records import Article
from ..settings import CopiesSettings
from .align import PairAlignment, SentenceEncoder, align_pair, coverage_upper_bound, unit_stem_counts
from .text import STOPWORDS, body_hash, shingle_hashes, words

__all__ = ["EditCost", "PairJudge", "PairJudgement", "Relation", "edit_cost", "shingle_containment"]

Relation = Literal["copy", "rewrite", "independent"]
RELATIONS: tuple[str, ...] = ("copy", "rewrite", "independent")


@dataclass(frozen=True, slots=True)
class PairJudgement:
    relation: Relation
    similarity: float  # the score the decision rests on: containment for copies, coverage for rewrites
    containment: float
    jaccard: float
    coverage: float
    edit_cost: float | None  # weighted edits between the two (see edit_cost); None when containment was too low
    method: str  # "hash", "lexical" or "dense+lexical"
    alignment: PairAlignment | None = None


def in_order(al: PairAlignment) -> float:
    """The share of aligned body sentences that keep their order: the longest run of pairs increasing on both sides
    (longest increasing subsequence of B's sentence numbers, taken in A's order) over all aligned body pairs."""
    seq = [p.b for p in sorted(al.pairs, key=lambda p: (p.a, p.b)) if p.a >= 0 and p.b >= 0]
    if not seq:
        return 0.0
    tails: list[int] = []
    for x in seq:
        k = bisect_left(tails, x)
        if k == len(tails):
            tails.append(x)
        else:
            tails[k] = x
    return len(tails) / len(seq)


def _ordered_rewrite(al: PairAlignment, s: CopiesSettings) -> bool:
    """A rewrite that condenses or extends its origin: one article almost all aligned with the other
    (``rewrite_ordered_high``), the other at least ``rewrite_ordered_coverage``, with at least
    ``rewrite_ordered_min_pairs`` aligned body sentences nearly all in the same order (``rewrite_ordered_share``).
    A rewriter follows its origin paragraph by paragraph; two reporters of one event order their facts each their
    own way."""
    lo, hi = sorted((al.coverage_a, al.coverage_b))
    body_pairs = sum(1 for p in al.pairs if p.a >= 0 and p.b >= 0)
    return (hi >= s.rewrite_ordered_high - 1e-9 and lo >= s.rewrite_ordered_coverage - 1e-9
            and body_pairs >= s.rewrite_ordered_min_pairs and in_order(al) >= s.rewrite_ordered_share - 1e-9)


def shingle_containment(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(containment, Jaccard) of two sorted unique shingle-hash arrays."""
    if len(a) == 0 or len(b) == 0:
        return 0.0, 0.0
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / min(len(a), len(b)), inter / (len(a) + len(b) - inter)


@dataclass(frozen=True, slots=True)
class EditCost:
    """The edits that turn one word sequence into the other, by kind (see :func:`edit_cost`)."""

    light: int = 0  # words/sentences added or dropped, typos, numbers, function words swapped (1 each)
    substitutions: int = 0  # content words replaced by different words (weighted)
    moves: int = 0  # blocks deleted in one place and inserted in another (1 each, plus their substitutions)
    edges: int = 0  # non-empty replacements before the first / after the last anchor (1 each)

    def __add__(self, other: "EditCost") -> "EditCost":
        return EditCost(self.light + other.light, self.substitutions + other.substitutions,
                        self.moves + other.moves, self.edges + other.edges)

    def total(self, substitution_weight: float) -> float:
        return self.light + self.moves + self.edges + substitution_weight * self.substitutions


def _is_anchor(block: Sequence[str]) -> bool:
    """A run of equal words that does not match by chance (``for the`` does; ``white house`` does not)."""
    return len(block) >= 3 or (len(block) == 2 and any(w not in STOPWORDS for w in block))


def _gaps(wa: Sequence[str], wb: Sequence[str]) -> list[tuple[bool, list[str], list[str]]]:
    """``(at_edge, words of a, words of b)`` for each stretch between anchors of the alignment of ``wa``/``wb``."""
    ops = difflib.SequenceMatcher(None, wa, wb, autojunk=False).get_opcodes()
    seq: list[tuple[list[str], list[str]] | None] = []  # None marks an anchor
    ga: list[str] = []
    gb: list[str] = []
    for op, i1, i2, j1, j2 in ops:
        if op == "equal" and _is_anchor(wa[i1:i2]):
            if ga or gb:
                seq.append((ga, gb))
            seq.append(None)
            ga, gb = [], []
        else:
            ga, gb = ga + list(wa[i1:i2]), gb + list(wb[j1:j2])
    if ga or gb:
        seq.append((ga, gb))
    for k, g in enumerate(seq):  # equal words at a gap's ends (too short to anchor) are still not edits
        if g is not None:
            x, y = g
            while x and y and x[0] == y[0]:
                x, y = x[1:], y[1:]
            while x and y and x[-1] == y[-1]:
                x, y = x[:-1], y[:-1]
            seq[k] = (x, y)
    seq = [g for g in seq if g is None or g[0] or g[1]]
    anchors = [k for k, g in enumerate(seq) if g is None]
    return [
        (not anchors or k < anchors[0] or k > anchors[-1], g[0], g[1]) for k, g in enumerate(seq) if g is not None
    ]


def _near(x: str, y: str, typo_similarity: float) -> bool:
    """The same word, a typo of it (character similarity), or both numbers (a changed figure)."""
    if x == y:
        return True
    if any(c.isdigit() for c in x) and any(c.isdigit() for c in y):
        return True
    return len(x) > 3 and len(y) > 3 and difflib.SequenceMatcher(None, x, y).ratio() >= typo_similarity


def _substituted(a: Sequence[str], b: Sequence[str], typo_similarity: float) -> int:
    """Content words replaced: of the content words of each side without a near match on the other, the fewer."""
    ua = sum(1 for w in a if w not in STOPWORDS and not any(_near(w, v, typo_similarity) for v in b))
    ub = sum(1 for w in b if w not in STOPWORDS and not any(_near(w, v, typo_similarity) for v in a))
    return min(ua, ub)


def edit_cost(wa: Sequence[str], wb: Sequence[str], typo_similarity: float = 0.75) -> EditCost:
    """The edits between two word sequences (one field: title or body), priced as described in the module docstring.

    >>> edit_cost("the rules that allowed it were changed".split(), "the regulations permitted it".split())
    EditCost(light=0, substitutions=0, moves=0, edges=1)
    >>> edit_cost("a b c rules d e f allowed g h i".split(), "a b c regulations d e f permitted g h i".split())
    EditCost(light=0, substitutions=2, moves=0, edges=0)
    >>> edit_cost("a b c whtie d e f g h i".split(), "a b c white d e f h i".split())
    EditCost(light=2, substitutions=0, moves=0, edges=0)
    """
    gaps = _gaps(wa, wb)
    deleted = [k for k, (_, a, b) in enumerate(gaps) if a and not b and len(a) >= 3]
    inserted = [k for k, (_, a, b) in enumerate(gaps) if b and not a and len(b) >= 3]
    moved: dict[int, int] = {}
    for k in deleted:  # a block dropped here and added there is a moved sentence (rewriters reorder, copies don't)
        ca = {w for w in gaps[k][1] if w not in STOPWORDS}
        best, best_share = -1, 0.5
        for m in inserted:
            if m in moved.values():
                continue
            cb = {w for w in gaps[m][2] if w not in STOPWORDS}
            share = len(ca & cb) / max(1, min(len(ca), len(cb)))
            if share >= best_share:
                best, best_share = m, share
        if best >= 0:
            moved[k] = best
    light = subs = moves = edges = 0
    for k, m in moved.items():
        moves += 1
        subs += _substituted(gaps[k][1], gaps[m][2], typo_similarity)
    done = set(moved) | set(moved.values())
    for k, (edge, a, b) in enumerate(gaps):
        if k in done:
            continue
        if not a or not b:
            light += not edge
        elif edge:
            edges += 1
        else:
            n = _substituted(a, b, typo_similarity)
            if n:
                subs += n
            else:
                light += 1
    return EditCost(light, subs, moves, edges)


class PairJudge:
    """Classifies article pairs. ``encoder`` (optional) is a sentence encoder for rewrite alignment."""

    def __init__(self, settings: CopiesSettings | None = None, encoder: SentenceEncoder | None = None, *,
                 screen: bool = True):
        self.settings = settings or CopiesSettings()
        self.encoder = encoder
        self.screen = screen  # skip aligning pairs whose coverage bound rules out a rewrite (same verdicts)
        self._cache: dict[str, tuple[np.ndarray, str, list[str], list[str]]] = {}
        self._stem_cache: dict[str, tuple[dict[str, int], int]] = {}

    @property
    def method(self) -> str:
        return "lexical" if self.encoder is None else "dense+lexical"

    def _features(self, article: Article) -> tuple[np.ndarray, str, list[str], list[str]]:
        key = article.id
        if key not in self._cache:
            if len(self._cache) > 20_000:
                self._cache.clear()
            title, body = words(article.title or ""), words(article.text)
            self._cache[key] = (
                shingle_hashes(title + body, self.settings.shingle_words), body_hash(article.text), title, body,
            )
        return self._cache[key]

    def _stem_counts(self, article: Article) -> tuple[dict[str, int], int]:
        key = article.id
        got = self._stem_cache.get(key)
        if got is None:
            if len(self._stem_cache) > 20_000:
                self._stem_cache.clear()
            got = self._stem_cache[key] = unit_stem_counts(article.text, article.title)
        return got

    def cannot_be_rewrite(self, a: Article, b: Article) -> bool:
        """True when the lexical alignment provably cannot reach ``rewrite_coverage`` (see
        :func:`~storyline.copies.align.coverage_upper_bound`; a 1e-3 margin covers rounding). Never True with an
        encoder, whose embedding cosine can align sentences that share no stems."""
        if self.encoder is not None or not self.screen:
            return False
        s = self.settings
        ca, cb = self._stem_counts(a), self._stem_counts(b)
        limit = min(s.rewrite_coverage, s.rewrite_ordered_coverage) - 1e-3
        return (coverage_upper_bound(ca, cb, s.align_lexical) < limit
                or coverage_upper_bound(cb, ca, s.align_lexical) < limit)

    def copy_edits(self, a: Article, b: Article) -> tuple[float, int]:
        """(weighted edit cost of title→title plus body→body, words of the shorter article)."""
        _, _, ta, xa = self._features(a)
        _, _, tb, xb = self._features(b)
        s = self.settings
        cost = edit_cost(ta, tb, s.copy_typo_similarity) + edit_cost(xa, xb, s.copy_typo_similarity)
        return cost.total(s.copy_substitution_weight), min(len(ta) + len(xa), len(tb) + len(xb))

    def judge(self, a: Article, b: Article, *, align: bool = True) -> PairJudgement:
        """The relation of ``a`` and ``b``. With ``align=False`` a non-copy is not aligned (cheap screening)."""
        s = self.settings
        sa, ha, _, _ = self._features(a)
        sb, hb, _, _ = self._features(b)
        if ha == hb and a.text.strip():
            return PairJudgement("copy", 1.0, 1.0, 1.0, 1.0, 0.0, "hash")
        if a.headline_only or b.headline_only:
            # a headline with no body to compare: two headlines of one event share their words without one being
            # copied from the other; only a word-for-word equal headline (syndication) counts as a copy
            same = words(a.title or "") == words(b.title or "") and bool(words(a.title or ""))
            return PairJudgement("copy" if same else "independent", float(same), float(same), float(same), 0.0,
                                 0.0 if same else None, "title")
        cont, jac = shingle_containment(sa, sb)
        cont, jac = round(cont, 4), round(jac, 4)
        cost = None
        if cont >= s.copy_containment:
            cost, shorter = self.copy_edits(a, b)
            if cost <= max(s.copy_edit_slack, s.copy_max_edit_density * shorter) + 1e-9:
                return PairJudgement("copy", cont, cont, jac, 0.0, cost, "lexical")
        if not align or self.cannot_be_rewrite(a, b):  # the bound screens out most story-member pairs
            return PairJudgement("independent", cont, cont, jac, 0.0, cost, "lexical")
        al = align_pair(
            a.text, b.text, a.title, b.title,
            lexical_threshold=s.align_lexical, dense_threshold=s.align_dense, encoder=self.encoder,
        )
        cov = round(al.coverage, 4)
        relation: Relation = "rewrite" if cov >= s.rewrite_coverage or _ordered_rewrite(al, s) else "independent"
        return PairJudgement(relation, cov, cont, jac, cov, cost, al.method, al)
