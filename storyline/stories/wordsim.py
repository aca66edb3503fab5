"""Near-synonyms of words, from a static word-vector table, for the agreement rules' shared-word tests.

Two reports of one fact often word it differently: "Around 100 people *remain* there" / "About 100 residents …
*stayed* in their homes"; "the repairs will *begin* on Monday" / "the closure still *starts* on Monday". The stemmer
folds inflections, not such words. The table ``data/word_neighbours.npz`` lists, for pairs of stems (storyline's
stemmer, :func:`storyline.terms.stem`), their cosine in a static model distilled from the local MiniLM (model2vec;
built by ``bench/build_word_table.py`` from the model on disk, pairs with cosine ≥ 0.5 only, about 0.2 MB). It is
read lazily, once per process, by :mod:`storyline.represent.synonyms`; when the file is absent every test falls back to exact matching
(:func:`available` is ``False`` and :func:`soft_matched` returns the exact intersection).

A static model puts opposites close too ("increase"/"decrease" 0.60, "accepted"/"rejected" 0.57): the table only lets
words count as *shared*; whether two sentences contradict is still read by the rules of
:mod:`storyline.stories.claims` (opposite states, figures, negation, days).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import numpy as np
from scipy import sparse

from ..represent import synonyms

__all__ = ["TABLE", "WordTable", "available", "load", "soft_matched", "table"]

TABLE = synonyms.TABLE


@dataclass(frozen=True)
class WordTable:
    """Stems and, per stem, its neighbours with their cosines (CSR rows, both directions)."""

    index: dict[str, int]
    stems: tuple[str, ...]
    neighbours: sparse.csr_matrix  # float32 cosines ≥ the table's floor, zero diagonal

    def near(self, word: str, tau: float) -> list[str]:
        """The stems whose cosine with ``word`` reaches ``tau`` (none when ``word`` is not in the table)."""
        k = self.index.get(word)
        if k is None:
            return []
        lo, hi = self.neighbours.indptr[k], self.neighbours.indptr[k + 1]
        return [self.stems[c] for c, s in zip(self.neighbours.indices[lo:hi], self.neighbours.data[lo:hi])
                if s >= tau - 1e-6]


def load(path: Path | str) -> WordTable | None:
    """The table at ``path``, or ``None`` when there is no such file (read by :mod:`storyline.represent.synonyms`,
    the clusterer's reader of the same file; here its rows become a sparse matrix for the vectorised soft cosine)."""
    n = synonyms.load(path)
    if n is None:
        return None
    m = sparse.csr_matrix((n.sims.astype(np.float32), n.cols, n.ptr), shape=(len(n.stems), len(n.stems)))
    return WordTable(n.index, n.stems, m)


@lru_cache(maxsize=1)
def table() -> WordTable | None:
    """The packaged table (:data:`TABLE`), read on first use; ``None`` when it is not installed."""
    return load(TABLE)


def available() -> bool:
    return table() is not None


def soft_matched(a: Iterable[str], b: frozenset[str] | set[str], tau: float,
                 words: WordTable | None = None) -> set[str]:
    """The stems of ``a`` that are in ``b`` or have a neighbour in ``b`` with cosine ≥ ``tau`` (exact matches only
    when ``tau`` > 1 or there is no table)."""
    a = set(a)
    out = a & b
    t = words if words is not None else (table() if tau <= 1.0 else None)
    if t is None:
        return out
    for w in a - out:
        if any(x in b for x in t.near(w, tau)):
            out.add(w)
    return out
