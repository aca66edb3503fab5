"""Clustering metrics against gold labels: B-cubed and pairwise precision / recall / F1.

B-cubed (Bagga & Baldwin 1998; Amigó et al. 2009): for each item ``i`` with predicted cluster ``P(i)`` and gold
cluster ``G(i)``, ``precision(i) = |P(i) ∩ G(i)| / |P(i)|`` and ``recall(i) = |P(i) ∩ G(i)| / |G(i)|``; the set's
precision and recall are the means over items, F1 their harmonic mean.

Pairwise: over all unordered pairs of items, a pair is predicted-positive when both are in one predicted cluster and
gold-positive when both are in one gold cluster. Counted from the contingency table, never by enumerating pairs.
With no positive pairs at all, precision (or recall) is 1.0 by convention (nothing was claimed / nothing to find).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Hashable, Mapping

from ..errors import StorylineError


@dataclass(frozen=True, slots=True)
class PRF:
    precision: float
    recall: float
    f1: float

    def as_dict(self) -> dict[str, float]:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1}


def _f1(p: float, r: float) -> float:
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def _check(pred: Mapping[Hashable, Hashable], gold: Mapping[Hashable, Hashable]) -> None:
    if set(pred) != set(gold):
        missing = set(gold) - set(pred)
        extra = set(pred) - set(gold)
        raise StorylineError(
            f"predicted and gold labels must cover the same items; {len(missing)} gold items have no prediction "
            f"(e.g. {sorted(map(str, missing))[:3]}), {len(extra)} predictions have no gold label "
            f"(e.g. {sorted(map(str, extra))[:3]})"
        )


def bcubed(pred: Mapping[Hashable, Hashable], gold: Mapping[Hashable, Hashable]) -> PRF:
    """B-cubed precision, recall and F1 of ``pred`` (item → predicted cluster) against ``gold``."""
    _check(pred, gold)
    if not gold:
        return PRF(1.0, 1.0, 1.0)
    joint = Counter((pred[i], gold[i]) for i in gold)
    psize = Counter(pred.values())
    gsize = Counter(gold.values())
    # every item in cell (p, g) has the same per-item precision n_pg/|p| and recall n_pg/|g|
    p = sum(n * n / psize[pc] for (pc, _), n in joint.items()) / len(gold)
    r = sum(n * n / gsize[gc] for (_, gc), n in joint.items()) / len(gold)
    return PRF(p, r, _f1(p, r))


def bcubed_of(pred: Mapping[Hashable, Hashable], gold: Mapping[Hashable, Hashable], items) -> PRF:
    """B-cubed over the whole clustering, averaged over ``items`` only (e.g. the held-out stories' articles of a
    stream clustered whole: a held-out article wrongly put with other articles still loses precision)."""
    _check(pred, gold)
    items = list(items)
    if not items:
        return PRF(1.0, 1.0, 1.0)
    joint = Counter((pred[i], gold[i]) for i in gold)
    psize = Counter(pred.values())
    gsize = Counter(gold.values())
    p = sum(joint[pred[i], gold[i]] / psize[pred[i]] for i in items) / len(items)
    r = sum(joint[pred[i], gold[i]] / gsize[gold[i]] for i in items) / len(items)
    return PRF(p, r, _f1(p, r))


def pairwise(pred: Mapping[Hashable, Hashable], gold: Mapping[Hashable, Hashable]) -> PRF:
    """Pairwise precision, recall and F1 (pairs of items placed together)."""
    _check(pred, gold)

    def pairs(n: int) -> int:
        return n * (n - 1) // 2

    tp = sum(pairs(n) for n in Counter((pred[i], gold[i]) for i in gold).values())
    pp = sum(pairs(n) for n in Counter(pred.values()).values())
    gp = sum(pairs(n) for n in Counter(gold.values()).values())
    p = tp / pp if pp else 1.0
    r = tp / gp if gp else 1.0
    return PRF(p, r, _f1(p, r))
