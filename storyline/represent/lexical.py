"""Lexical representation: tokens, incrementally updated document frequencies, TF-IDF vectors.

Pure Python and numpy-free on purpose: the lexical profile must run fast without torch, and an article has only a
few dozen distinct terms, so dict-based sparse vectors beat building scipy matrices one row at a time.

Weights (where we differ from the textbook, which uses raw counts over a fixed corpus):

* term frequency ``tf = title_weight * n_title(t) + n_body(t)``; weight ``(1 + ln tf) * idf(t)``;
* ``idf(t) = ln((1 + N) / (1 + df(t))) + 1`` with ``N`` and ``df`` counted over the articles seen so far
  (:class:`DocumentFrequencies`, updated as each article arrives, as in Miranda et al. 2018), so a word that becomes
  common later in the stream loses weight for later articles;
* vectors are L2-normalised, so a dot product is a cosine in [0, 1].
"""

from __future__ import annotations

import math
import operator
import re
from collections import Counter
from itertools import repeat
from typing import Iterable, Mapping

# words (letters first) and numbers ("6", "25", "1,000", "3.5"): figures tell same-topic stories apart
WORD = re.compile(r"[^\W\d_][\w'’-]*[^\W_]|[^\W\d_]|\d+(?:[.,]\d+)*", re.UNICODE)

STOPWORDS = frozenset(
    """a about above after again against all also am among an and any are aren't as at be because been before being
    below between both but by can could couldn't did didn't do does doesn't doing don't down during each either few
    for from further get gets got had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers
    herself him himself his how how's however i i'd i'll i'm i've if in into is isn't it it's its itself just let's
    like made make many may me might more most much must mustn't my myself new no nor not now of off on once one only
    or other others ought our ours ourselves out over own per said same say says she she'd she'll she's should
    shouldn't since so some such than that that's the their theirs them themselves then there there's these they
    they'd they'll they're they've this those through thus to too two under until up upon us very via was wasn't we
    we'd we'll we're we've were weren't what what's when when's where where's whether which while who who's whom
    whose why why's will with within without won't would wouldn't year years yet you you'd you'll you're you've
    your yours yourself yourselves mr mrs ms week told according""".split()
)


def stem(word: str) -> str:
    """Harman's 'S' stemmer (plurals only): cheap, conservative, and enough to match 'deal' with 'deals'."""
    if len(word) > 3 and word.endswith("ies") and not word.endswith(("eies", "aies")):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("es") and not word.endswith(("aes", "ees", "oes")):
        return word[:-1]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("us", "ss")):
        return word[:-1]
    return word


def _content_word(w: str) -> str:
    """The index form of one lower-cased word, or '' when it is not a content word."""
    w = w.replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    if w in STOPWORDS or (len(w) < 2 and not w.isdigit()):
        return ""
    return stem(w)


_WORD_CACHE: dict[str, str] = {}
_WORD_CACHE_MAX = 500_000
# a whitespace-separated chunk of text ("Senate's", "votes,") -> its content words: no word spans whitespace and
# lower-casing does not look across it, so the tokens of a text are its chunks' tokens, and most chunks recur
_CHUNK_CACHE: dict[str, tuple[str, ...]] = {}
_CHUNK_CACHE_MAX = 200_000


def _chunk_tokens(chunk: str) -> tuple[str, ...]:
    cache = _WORD_CACHE
    out = []
    for m in WORD.findall(chunk.lower()):
        w = cache.get(m)
        if w is None:
            w = _content_word(m)
            if len(cache) < _WORD_CACHE_MAX:
                cache[m] = w
        if w:
            out.append(w)
    return tuple(out)


def tokens(text: str) -> list[str]:
    """Lower-cased, stemmed content words (stopwords and one-letter words dropped; apostrophes normalised).

    >>> tokens("The Senate's votes on deals")
    ['senate', 'vote', 'deal']
    """
    cache = _CHUNK_CACHE
    out: list[str] = []
    for chunk in text.split():
        got = cache.get(chunk)
        if got is None:
            got = _chunk_tokens(chunk)
            if len(cache) < _CHUNK_CACHE_MAX:
                cache[chunk] = got
        out += got
    return out


def term_counts(title: str, body: str, title_weight: float = 2.0) -> dict[str, float]:
    """Term frequencies with title words counted ``title_weight`` times."""
    tf: dict[str, float] = dict(Counter(tokens(body)))
    for t in tokens(title):
        tf[t] = tf.get(t, 0.0) + title_weight
    return tf


class DocumentFrequencies:
    """Document frequencies counted incrementally over a stream (``add`` each article's distinct terms once)."""

    __slots__ = ("df", "n_docs")

    def __init__(self) -> None:
        self.df: Counter[str] = Counter()
        self.n_docs = 0

    def add(self, terms: Iterable[str]) -> None:
        # a dict's keys are already distinct: counted as they are, without building a set of them
        self.df.update(terms.keys() if isinstance(terms, dict) else set(terms))
        self.n_docs += 1

    def idf(self, term: str) -> float:
        return math.log((1 + self.n_docs) / (1 + self.df.get(term, 0))) + 1.0

    def vector(self, tf: Mapping[str, float]) -> dict[str, float]:
        """The L2-normalised TF-IDF vector of term counts ``tf`` under the current frequencies."""
        n1 = 1 + self.n_docs
        df = self.df
        log = math.log
        v = {t: (1.0 + log(c)) * (log(n1 / (1 + df.get(t, 0))) + 1.0) for t, c in tf.items() if c > 0}
        x = list(v.values())
        norm = math.sqrt(sum(map(operator.mul, x, x)))  # the same products summed in the same order
        if norm == 0.0:
            return {}
        return dict(zip(v, map(operator.truediv, x, repeat(norm))))


def dot(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Sparse dot product, iterating over the shorter vector."""
    if len(a) > len(b):
        a, b = b, a
    get = b.get
    return sum(x * get(t, 0.0) for t, x in a.items())


def cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Cosine of two sparse vectors, clipped to [0, 1] (weights are non-negative)."""
    na = math.sqrt(sum(x * x for x in a.values()))
    nb = math.sqrt(sum(x * x for x in b.values()))
    if na == 0.0 or nb == 0.0:
        return 0.0
    return min(1.0, max(0.0, dot(a, b) / (na * nb)))
