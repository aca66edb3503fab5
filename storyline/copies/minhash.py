"""MinHash signatures of word shingles, computed for many documents at once, and an incremental LSH index.

Signatures are exactly datasketch's ``affine32`` MinHash (datasketch ≥ 2.0) of the 32-bit shingle hashes from
:mod:`storyline.copies.text`: ``min over shingles of (a_i * fmix32(h) + b_i) mod 2^32`` with datasketch's own
permutations for the seed. The difference is throughput: instead of one ``MinHash.update_batch`` per document,
:func:`signatures` concatenates the shingles of a whole batch and reduces them per document with
``np.minimum.reduceat``, so a million articles take minutes, not hours. Signatures are stored as ``uint32`` blobs
and indexed by :class:`LSHIndex` (datasketch's ``MinHashLSH`` banding in compact numpy arrays).

>>> s = Signer(num_perm=16)
>>> sig = s.signatures([["a", "b", "c", "d"], ["a", "b", "c", "d"], ["x", "y", "z"]])
>>> bool((sig[0] == sig[1]).all()), bool((sig[0] == sig[2]).all())
(True, False)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Hashable, Iterable, Sequence

import numpy as np

from ..errors import ConfigError
from .text import _fmix32, shingle_hashes_from_ids, word_ids

if TYPE_CHECKING:  # datasketch is imported when signatures are made (its import costs ~0.6-1.2 s, which a
    from datasketch import LeanMinHash  # `storyline show` reading stored copies should not pay)

__all__ = ["Signer", "LSHIndex", "estimate_jaccard"]

SCHEME = "affine32"
_EMPTY = np.array([0x9E3779B9], dtype=np.uint32)  # the one "shingle" of an empty document


class Signer:
    """Computes MinHash signatures (``uint32[num_perm]``) of word-shingle sets."""

    def __init__(self, num_perm: int = 64, seed: int = 1, shingle_words: int = 3, chunk: int = 1 << 18):
        if num_perm < 2:
            raise ConfigError(f"copies.num_perm must be at least 2, got {num_perm}")
        if shingle_words < 1:
            raise ConfigError(f"copies.shingle_words must be at least 1, got {shingle_words}")
        self.num_perm = num_perm
        self.seed = seed
        self.shingle_words = shingle_words
        self.chunk = chunk
        from datasketch import MinHash

        a, b = MinHash(num_perm=num_perm, seed=seed, scheme=SCHEME).permutations
        self._a = a.astype(np.uint32)
        self._b = b.astype(np.uint32)

    def shingles(self, tokens: Sequence[str]) -> np.ndarray:
        return shingle_hashes_from_ids(word_ids(tokens), self.shingle_words)

    def signatures(self, token_lists: Iterable[Sequence[str]]) -> np.ndarray:
        """One signature row per token list: ``uint32[n_docs, num_perm]``."""
        return self.signatures_of_shingles([self.shingles(t) for t in token_lists])

    def signatures_of_shingles(self, shingle_sets: Sequence[np.ndarray]) -> np.ndarray:
        sets = [s if len(s) else _EMPTY for s in shingle_sets]
        out = np.empty((len(sets), self.num_perm), dtype=np.uint32)
        i = 0
        while i < len(sets):
            # take documents until the chunk's shingle budget is used (at least one document)
            j, total = i, 0
            while j < len(sets) and (j == i or total + len(sets[j]) <= self.chunk):
                total += len(sets[j])
                j += 1
            flat = np.concatenate(sets[i:j])
            lengths = np.fromiter((len(s) for s in sets[i:j]), dtype=np.int64, count=j - i)
            starts = np.zeros(j - i, dtype=np.int64)
            np.cumsum(lengths[:-1], out=starts[1:])
            with np.errstate(over="ignore"):
                hv = _fmix32(flat)[:, None]
                phv = hv * self._a + self._b
            out[i:j] = np.minimum.reduceat(phv, starts, axis=0)
            i = j
        return out

    def lean(self, signature: np.ndarray) -> LeanMinHash:
        from datasketch import LeanMinHash

        return LeanMinHash(seed=self.seed, hashvalues=signature, scheme=SCHEME)


def estimate_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """The MinHash estimate of the Jaccard similarity of two signatures."""
    return float(np.count_nonzero(a == b)) / len(a)


class LSHIndex:
    """The live, incremental near-duplicate index: datasketch's LSH banding held in sorted numpy arrays.

    Same candidates as :class:`datasketch.MinHashLSH` with the same ``threshold`` and ``num_perm``: the bands × rows
    are datasketch's optimum (``_optimal_param`` with its default weights), and two signatures share a bucket in a
    band exactly when their ``r`` hash values there are equal (here: when the band's 64-bit key, a mix of those ``r``
    values, is equal; a collision of different values has probability 2⁻⁶⁴ and only adds a candidate that the caller
    re-checks anyway). A test compares the candidates with ``MinHashLSH.query``.

    Why not ``MinHashLSH`` itself: it keeps a Python set per bucket and the key tuples — ≈ 7 kB per article with 21
    bands (measured ≈ 0.7 GB per 100k). Here an article costs ``b`` keys (8 bytes) + ``b`` positions (4 bytes) in one
    sorted segment per band, plus its id string: ≈ 0.4 kB (``bench/bench_dedup.py`` prints the measured figure), so
    a million stored articles take ≈ 0.4 GB. New articles go to a small sorted *tail* that is merged into the main
    segment when it outgrows ``merge_at`` (or 1/8 of the main segment), so inserting stays cheap; a restart rebuilds
    the index from the stored signature blobs (:meth:`insert_many` on chunks), never by re-shingling.
    """

    def __init__(self, signer: Signer, threshold: float = 0.3, merge_at: int = 32_768):
        if not 0.0 < threshold < 1.0:
            raise ConfigError(f"copies.lsh_threshold must be in (0, 1), got {threshold}")
        self.signer = signer
        self.threshold = threshold
        self.bands = BandIndex(signer.num_perm, threshold)
        self.merge_at = merge_at
        b = self.bands.b
        self._ids: list[Hashable] = []
        self._known: set[Hashable] = set()
        # per segment: keys uint64[b, n] sorted along each row, docs int32[b, n] (positions into _ids) in that order
        self._main = (np.zeros((b, 0), dtype=np.uint64), np.zeros((b, 0), dtype=np.int32))
        self._tail = (np.zeros((b, 0), dtype=np.uint64), np.zeros((b, 0), dtype=np.int32))

    @property
    def size(self) -> int:
        return len(self._ids)

    def insert_many(self, keys: Sequence[Hashable], sigs: np.ndarray) -> None:
        """Add signatures (``uint32[n, num_perm]``) under ``keys``; keys already present are skipped."""
        rows: list[int] = []
        start = len(self._ids)
        for k, key in enumerate(keys):
            if key not in self._known:  # also skips a key repeated within this call
                self._known.add(key)
                self._ids.append(key)
                rows.append(k)
        if not rows:
            return
        band_keys = self.bands.band_keys(np.asarray(sigs, dtype=np.uint32)[rows]).T  # [b, m]
        docs = np.broadcast_to(np.arange(start, len(self._ids), dtype=np.int32), band_keys.shape)
        tk, td = self._tail
        self._tail = _sorted_rows(np.concatenate([tk, band_keys], axis=1), np.concatenate([td, docs], axis=1))
        if self._tail[0].shape[1] > max(self.merge_at, self._main[0].shape[1] // 8):
            mk, md = self._main
            tk, td = self._tail
            self._main = _sorted_rows(np.concatenate([mk, tk], axis=1), np.concatenate([md, td], axis=1))
            self._tail = (tk[:, :0], td[:, :0])

    def query_many(self, sigs: np.ndarray) -> list[list[Hashable]]:
        """For each signature, the keys sharing a bucket with it in at least one band."""
        qk = self.bands.band_keys(np.asarray(sigs, dtype=np.uint32).reshape(-1, self.signer.num_perm))  # [q, b]
        found: list[set[int]] = [set() for _ in range(len(qk))]
        for keys, docs in (self._main, self._tail):
            if keys.shape[1] == 0:
                continue
            for band in range(keys.shape[0]):
                lo = np.searchsorted(keys[band], qk[:, band], side="left")
                hi = np.searchsorted(keys[band], qk[:, band], side="right")
                for q in np.flatnonzero(hi > lo):
                    found[q].update(docs[band, lo[q] : hi[q]].tolist())
        return [[self._ids[d] for d in sorted(f)] for f in found]

    def query(self, sig: np.ndarray) -> list[Hashable]:
        return self.query_many(np.asarray(sig)[None, :])[0]

    def nbytes(self) -> int:
        """Bytes held by the band arrays (the id strings and their set come on top; the bench measures RSS)."""
        return sum(a.nbytes for seg in (self._main, self._tail) for a in seg)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._known

    def __len__(self) -> int:
        return len(self._ids)


def _sorted_rows(keys: np.ndarray, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(keys, axis=1, kind="stable")
    return np.take_along_axis(keys, order, axis=1), np.ascontiguousarray(np.take_along_axis(docs, order, axis=1))


class BandIndex:
    """The same banding as :class:`LSHIndex`, held in numpy arrays for bulk work (evaluation, the 1M benchmark).

    datasketch's :class:`MinHashLSH` keeps a Python set per bucket (≈ 7 GB and ≈ 4 min to insert a million
    signatures with 21 bands on this machine); here each band of each document is one ``uint64`` key, and the
    candidate pairs of a whole corpus come from sorting the keys of each band. Bands and rows are datasketch's
    optimum for the threshold, so the candidates are the ones :class:`MinHashLSH` would return.
    """

    def __init__(self, num_perm: int, threshold: float = 0.3, max_bucket: int = 64):
        from datasketch.lsh import _optimal_param

        self.b, self.r = _optimal_param(threshold, num_perm, 0.5, 0.5)
        self.max_bucket = max_bucket

    def band_keys(self, sigs: np.ndarray) -> np.ndarray:
        """``uint64[n_docs, b]``: one key per band (rows combined with a 64-bit multiplicative mix)."""
        n = len(sigs)
        keys = np.empty((n, self.b), dtype=np.uint64)
        with np.errstate(over="ignore"):
            for band in range(self.b):
                block = sigs[:, band * self.r : (band + 1) * self.r].astype(np.uint64)
                h = np.full(n, np.uint64(band + 1) * np.uint64(0x9E3779B97F4A7C15), dtype=np.uint64)
                for col in range(self.r):
                    h = (h ^ block[:, col]) * np.uint64(0xBF58476D1CE4E5B9)
                    h ^= h >> np.uint64(31)
                keys[:, band] = h
        return keys

    def candidate_pairs(self, keys: np.ndarray) -> np.ndarray:
        """``int64[m, 2]`` unique pairs ``(i, j)``, ``i < j``, that share a bucket in at least one band.

        A bucket with more than ``max_bucket`` members (boilerplate-only texts) links each member to its first
        ``max_bucket`` members instead of all pairs, so one degenerate bucket cannot make the output quadratic.
        """
        n = len(keys)
        found = []
        for band in range(keys.shape[1]):
            col = keys[:, band]
            order = np.argsort(col, kind="stable")
            sk = col[order]
            brk = np.flatnonzero(sk[1:] != sk[:-1]) + 1
            starts = np.concatenate(([0], brk))
            sizes = np.diff(np.concatenate((starts, [n])))
            multi = sizes > 1
            if not multi.any():
                continue
            # pairs (start + p, start + q) for p < q < size within each bucket, limited to p < max_bucket
            for size in np.unique(sizes[multi]):
                sel = starts[sizes == size]
                p, q = _bucket_pairs(int(size), self.max_bucket)
                a = order[(sel[:, None] + p[None, :]).ravel()]
                b = order[(sel[:, None] + q[None, :]).ravel()]
                found.append(np.stack([np.minimum(a, b), np.maximum(a, b)], axis=1))
        if not found:
            return np.zeros((0, 2), dtype=np.int64)
        pairs = np.concatenate(found).astype(np.int64)
        code = np.unique(pairs[:, 0] * n + pairs[:, 1])
        return np.stack([code // n, code % n], axis=1)


def _bucket_pairs(size: int, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs ``p < q < size`` with ``p < limit``."""
    m = min(size - 1, limit)
    p = np.repeat(np.arange(m), size - 1 - np.arange(m))
    q = np.concatenate([np.arange(i + 1, size) for i in range(m)])
    return p, q
