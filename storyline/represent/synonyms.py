"""Near-synonym stems for the clusterer's soft title similarity, read with numpy alone.

The word table ``storyline/stories/data/word_neighbours.npz`` (pairs of stems of
:func:`storyline.terms.stem` with their cosine ≥ 0.5 in a static model distilled from MiniLM; built by
``bench/build_word_table.py``) is also read by :mod:`storyline.stories.wordsim` for the story view, through scipy.
The lexical profile must not import scipy (≈ 0.3 s per process; a test checks its imports), so this reader builds
its own compressed rows with numpy and looks a stem's neighbours up on demand.

The clusterer's terms (:func:`storyline.represent.lexical.tokens`: plurals folded only) are mapped to the table's
stems with :func:`storyline.terms.stem`, which also folds "remained" and "remain": two terms of one table
stem count as neighbours at cosine 1.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

__all__ = ["TABLE", "Neighbours", "load", "table", "table_stem"]

TABLE = Path(__file__).resolve().parents[1] / "stories" / "data" / "word_neighbours.npz"


def table_stem(term: str) -> str:
    """The table's stem of a clusterer term (:func:`storyline.terms.stem`, imported on first use: importing
    the ``storyline.stories`` package loads the story view's modules, which the lexical profile does not need)."""
    from ..terms import stem

    return stem(term)


class Neighbours:
    """Each stem's neighbours and cosines, as compressed rows (both directions of every pair)."""

    def __init__(self, stems: tuple[str, ...], pairs: np.ndarray, sims: np.ndarray) -> None:
        self.stems = stems
        self.index = {s: k for k, s in enumerate(stems)}
        rows = np.concatenate([pairs[:, 0], pairs[:, 1]])
        cols = np.concatenate([pairs[:, 1], pairs[:, 0]])
        order = np.lexsort((cols, rows))  # by row, then column: compressed sparse rows (the view reads them as such)
        self.cols = cols[order]
        self.sims = np.concatenate([sims, sims])[order].astype(np.float64)
        self.ptr = np.searchsorted(rows[order], np.arange(len(stems) + 1))
        self._cache: dict[str, tuple[tuple[str, float], ...]] = {}

    def of(self, stem: str) -> tuple[tuple[str, float], ...]:
        """The neighbours of ``stem`` with their cosines (none when it is not in the table)."""
        got = self._cache.get(stem)
        if got is None:
            k = self.index.get(stem)
            if k is None:
                got = ()
            else:
                lo, hi = int(self.ptr[k]), int(self.ptr[k + 1])
                got = tuple((self.stems[c], s) for c, s in zip(self.cols[lo:hi].tolist(),
                                                                 self.sims[lo:hi].tolist()))
            self._cache[stem] = got
        return got


def load(path: Path | str) -> Neighbours | None:
    """The table at ``path``, or ``None`` when there is no such file."""
    p = Path(path)
    if not p.is_file():
        return None
    with np.load(p, allow_pickle=False) as z:
        return Neighbours(tuple(z["stems"].tolist()), z["pairs"].astype(np.int64), z["sims"].astype(np.float32))


@lru_cache(maxsize=1)
def table() -> Neighbours | None:
    """The packaged table, read on first use; ``None`` when it is not installed (the soft similarity is then the
    exact one, folded inflections aside)."""
    return load(TABLE)
