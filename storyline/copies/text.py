"""Text features for copy detection: normalized words, word shingles, a body hash and content-word stems.

Normalization for hashing is deliberately coarse: Unicode NFKC, case-folded, only word characters kept
(punctuation, quotes and whitespace differences vanish). Two bodies with the same :func:`body_hash` are exact
duplicates; shingles are hashed to 32-bit integers (CRC32 of each word, combined per k-gram with the MurmurHash3
finaliser) so a whole corpus can be MinHashed with numpy in one pass.

>>> words("Hello, World! It's 5 p.m.")
['hello', 'world', 'it', 's', '5', 'p', 'm']
>>> len(shingle_hashes(["a", "b", "c", "d"], 3))
2
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from typing import Sequence

import numpy as np

__all__ = ["words", "body_hash", "shingle_hashes", "content_stems", "STOPWORDS"]

_WORD = re.compile(r"\w+", re.UNICODE)
_M1 = np.uint32(0x85EBCA6B)
_M2 = np.uint32(0xC2B2AE35)
_MIX = np.uint32(0x9E3779B1)
_word_cache: dict[str, int] = {}


def words(text: str) -> list[str]:
    """Case-folded word tokens of ``text`` after NFKC normalization."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def body_hash(text: str) -> str:
    """A hash of the normalized words of ``text``: equal for bodies that differ only in case/punctuation/space."""
    return hashlib.sha256(" ".join(words(text)).encode("utf-8")).hexdigest()[:32]


def _fmix32(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint32(16))
    h = h * _M1
    h = h ^ (h >> np.uint32(13))
    h = h * _M2
    return h ^ (h >> np.uint32(16))


def word_ids(tokens: Sequence[str]) -> np.ndarray:
    """CRC32 of each word (cached per process; CRC32 is stable across processes, unlike ``hash``)."""
    cache = _word_cache
    out = np.empty(len(tokens), dtype=np.uint32)
    for i, w in enumerate(tokens):
        v = cache.get(w)
        if v is None:
            v = zlib.crc32(w.encode("utf-8"))
            if len(cache) < 2_000_000:
                cache[w] = v
        out[i] = v
    return out


def shingle_hashes_from_ids(ids: np.ndarray, k: int) -> np.ndarray:
    """32-bit hashes of the word ``k``-grams of a word-id sequence (one shingle of all words if shorter than k)."""
    n = len(ids)
    if n == 0:
        return np.zeros(0, dtype=np.uint32)
    if n < k:
        k = n
    with np.errstate(over="ignore"):
        h = ids[: n - k + 1].copy()
        for j in range(1, k):
            h = _fmix32(h * _MIX ^ ids[j : n - k + 1 + j])
    return np.unique(h)


def shingle_hashes(tokens: Sequence[str], k: int = 3) -> np.ndarray:
    """Sorted unique 32-bit hashes of the word ``k``-shingles of ``tokens``."""
    return shingle_hashes_from_ids(word_ids(tokens), k)


# Function words that carry no content: alignment and coverage look at the remaining words.
STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have having he
    her here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not
    now of off on once only or other our ours out over own same she should so some such than that the their theirs
    them themselves then there these they this those through to too under until up very was we were what when where
    which while who whom why will with would you your yours s t said says say says told according mr ms mrs""".split()
)
_SUFFIXES = ("ingly", "edly", "ings", "ing", "ies", "ied", "ers", "est", "ed", "es", "ly", "er", "s")


def stem(word: str) -> str:
    """A crude, fast stem: strip one common English suffix, cap at 7 characters (``reported`` → ``report``)."""
    if len(word) > 4 and not word.isdigit():
        for suf in _SUFFIXES:
            if word.endswith(suf) and len(word) - len(suf) >= 3:
                word = word[: -len(suf)]
                break
    return word[:7]


_stem_cache: dict[str, str] = {}  # word -> stem, or '' for a stopword (bounded: cleared when full)


def content_stems(text: str) -> list[str]:
    """Stems of the content words of ``text`` (stopwords dropped, numbers kept), in order."""
    cache = _stem_cache
    if len(cache) > 500_000:
        cache.clear()
    out = []
    for w in words(text):
        st = cache.get(w)
        if st is None:
            st = cache[w] = "" if w in STOPWORDS else stem(w)
        if st:
            out.append(st)
    return out
