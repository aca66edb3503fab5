"""A story's headline: the most representative of its members' titles.

score(i) = cos(v_i, Σ_j v_j − v_i) over content-word count vectors: the title closest, on average, to the other
titles. Real titles are preferred to titles derived from a first sentence; ties go to the earliest title. O(n) per
story (one sum vector), cheap enough for the pipeline to refresh the stories each batch touches.
"""

from __future__ import annotations

import math
import operator
import re
from collections import Counter
from functools import lru_cache
from typing import Any, Sequence

from .represent.lexical import STOPWORDS

_WORD = re.compile(r"\w+", re.UNICODE)


@lru_cache(maxsize=65536)  # the pipeline rescores every title of each story a batch grows; callers never mutate it
def _vector(title: str) -> dict[str, float]:
    counts = Counter(w for w in _WORD.findall(title.lower()) if w not in STOPWORDS and (len(w) > 1 or w.isdigit()))
    norm = math.sqrt(sum(c * c for c in counts.values())) or 1.0
    return {w: c / norm for w, c in counts.items()}


def representative_index(titles: Sequence[str], derived: Sequence[bool] | None = None) -> int | None:
    """Index of the most representative title (``None`` for no titles).

    >>> representative_index(["Dam opens", "New dam opens on river", "River dam opens to traffic"])
    1
    """
    if not titles:
        return None
    derived = derived if derived is not None else [False] * len(titles)
    pool = [i for i in range(len(titles)) if not derived[i]] or list(range(len(titles)))
    if len(pool) == 1:
        return pool[0]
    scores = _scores(titles, pool)
    best, best_score = pool[0], -1.0
    for i in pool:
        if scores[i] > best_score + 1e-12:
            best, best_score = i, scores[i]
    return best


def _scores(titles: Sequence[str], pool: Sequence[int]) -> dict[int, float]:
    """cos(v_i, Σ_j v_j − v_i) for the titles of ``pool``: with T = Σ_j v_j, (v_i·T − |v_i|²) / |T − v_i|, where
    |T − v_i|² = |T|² − 2 v_i·T + |v_i|² (no rest vector is built per title)."""
    vectors = [_vector(titles[i]) for i in pool]
    total: Counter[str] = Counter()
    for v in vectors:
        total.update(v)
    out = {}
    total_sq = sum(x * x for x in total.values())
    get = total.__getitem__
    for i, v in zip(pool, vectors):
        vals = v.values()
        dot = sum(map(operator.mul, vals, map(get, v)))
        own = sum(map(operator.mul, vals, vals))
        rest_norm = math.sqrt(max(total_sq - 2 * dot + own, 0.0))
        out[i] = (dot - own) / rest_norm if rest_norm > 1e-12 else 0.0
    return out


def story_headline_index(titles: Sequence[str], derived: Sequence[bool] | None = None,
                         dates: Sequence[Any] | None = None, independent: Sequence[bool] | None = None,
                         *, ratio: float = 0.5) -> int | None:
    """The headline that follows the story: among independent reports' real titles, the newest one whose
    representativeness (as in :func:`representative_index`) reaches ``ratio`` × the best title's; when none newer
    than the first report does, the first report's title. Undated titles come after dated ones; ``None`` for no
    titles.

    >>> story_headline_index(["Fire at mill", "Mill fire toll rises to four", "Weather today"],
    ...                      dates=[1, 2, 3])
    1
    """
    n = len(titles)
    if n == 0:
        return None
    derived = derived if derived is not None else [False] * n
    independent = independent if independent is not None else [True] * n
    pool = [i for i in range(n) if independent[i] and not derived[i]] or \
        [i for i in range(n) if independent[i]] or list(range(n))
    if dates is None:
        order = list(pool)
    else:
        order = sorted(pool, key=lambda i: (dates[i] is None, dates[i] if dates[i] is not None else 0, i))
    if len(order) == 1:
        return order[0]
    scores = _scores(titles, order)
    best = max(scores.values())
    if best <= 0:
        return order[0]
    for i in reversed(order[1:]):
        if scores[i] >= ratio * best:
            return i
    return order[0]
