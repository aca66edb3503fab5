"""Sentence alignment across the articles of a story: which sentence of one article says the same as which of another.

``align_sentences(articles)`` splits every article into sentences (:func:`storyline.sentences.split_sentences`),
scores every pair of sentences from *different* articles and keeps the pairs that reach a threshold:

- lexical: cosine of TF-IDF vectors over stemmed content words (IDF from the story's own sentences), always computed;
- dense: cosine of the encoder's sentence embeddings, when an encoder is given.

A pair is aligned when ``lexical >= align_lexical_threshold`` or ``dense >= align_dense_threshold``; its ``score`` is
the larger of the two cosines. The result keeps the sentences (with exact spans), the vectors (so the summary can
reuse them) and the pairs; :meth:`Alignment.best_pairs` gives a one-to-one matching between two articles (what the
copies/rewrite detector needs), :meth:`Alignment.groups` the connected groups of sentences saying the same thing.

>>> from storyline.records import Article
>>> a = Article("a", "t", "The talks start on Saturday in Doha. It rained.", "A", None)
>>> b = Article("b", "t", "Talks will start in Doha on Saturday. Prices rose.", "B", None)
>>> al = align_sentences([a, b])
>>> [(al.sentences[p.a].text, al.sentences[p.b].text) for p in al.pairs]
[('The talks start on Saturday in Doha.', 'Talks will start in Doha on Saturday.')]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Protocol, Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from ..errors import StorylineError
from ..records import Article
from ..sentences import Sentence, split_sentences
from ..settings import StoriesSettings
from .terms import terms

__all__ = ["AlignedPair", "Alignment", "Encoder", "SentenceRef", "align_sentences", "encode_texts", "tfidf"]


class Encoder(Protocol):
    """Anything with a sentence-transformers style ``encode(list[str]) -> array`` (rows are embeddings)."""

    def encode(self, sentences: list[str], *args: Any, **kwargs: Any) -> Any: ...


@dataclass(frozen=True, slots=True)
class SentenceRef:
    """A sentence of one article: ``article_id``, ``source``, its position ``index`` in that article, the sentence."""

    article_id: str
    source: str
    index: int
    sentence: Sentence

    @property
    def text(self) -> str:
        return self.sentence.text

    @property
    def start(self) -> int:
        return self.sentence.start

    @property
    def end(self) -> int:
        return self.sentence.end


@dataclass(frozen=True, slots=True)
class AlignedPair:
    """Two aligned sentences (indices into :attr:`Alignment.sentences`, ``a < b``) and their similarities."""

    a: int
    b: int
    score: float
    lexical: float
    dense: float | None = None


@dataclass(frozen=True)
class Alignment:
    sentences: tuple[SentenceRef, ...]
    pairs: tuple[AlignedPair, ...]
    method: str  # "lexical" or "dense+lexical"
    lexical_vectors: Any = field(repr=False, default=None)  # scipy CSR, rows l2-normalised, one per sentence
    dense_vectors: np.ndarray | None = field(repr=False, default=None)  # rows l2-normalised, or None
    _neighbours: dict[int, list[tuple[int, float]]] = field(repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        nb: dict[int, list[tuple[int, float]]] = {}
        for p in self.pairs:
            nb.setdefault(p.a, []).append((p.b, p.score))
            nb.setdefault(p.b, []).append((p.a, p.score))
        for v in nb.values():
            v.sort(key=lambda x: (-x[1], x[0]))
        object.__setattr__(self, "_neighbours", nb)

    def neighbours(self, i: int) -> list[tuple[int, float]]:
        """Sentences of other articles aligned with sentence ``i``, best first: ``[(j, score), …]``."""
        return self._neighbours.get(i, [])

    def of_article(self, article_id: str) -> list[int]:
        return [i for i, s in enumerate(self.sentences) if s.article_id == article_id]

    def best_pairs(self, article_a: str, article_b: str) -> list[AlignedPair]:
        """A one-to-one matching of the two articles' sentences (greedy by score), pairs oriented a→b."""
        chosen: list[AlignedPair] = []
        used_a: set[int] = set()
        used_b: set[int] = set()
        candidates = []
        for p in self.pairs:
            sa, sb = self.sentences[p.a].article_id, self.sentences[p.b].article_id
            if (sa, sb) == (article_a, article_b):
                candidates.append(p)
            elif (sa, sb) == (article_b, article_a):
                candidates.append(AlignedPair(p.b, p.a, p.score, p.lexical, p.dense))
        for p in sorted(candidates, key=lambda p: (-p.score, p.a, p.b)):
            if p.a not in used_a and p.b not in used_b:
                chosen.append(p)
                used_a.add(p.a)
                used_b.add(p.b)
        return sorted(chosen, key=lambda p: p.a)

    def groups(self) -> list[list[int]]:
        """Connected groups (≥ 2 sentences) of aligned sentences, each sorted, ordered by first member."""
        parent = list(range(len(self.sentences)))

        def find(x: int) -> int:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for p in self.pairs:
            ra, rb = find(p.a), find(p.b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
        out: dict[int, list[int]] = {}
        for i in range(len(self.sentences)):
            out.setdefault(find(i), []).append(i)
        return [g for _, g in sorted(out.items()) if len(g) > 1]

    def supporting_sources(self, i: int) -> set[str]:
        """Sources other than sentence ``i``'s own that have a sentence aligned with it."""
        own = self.sentences[i].source
        return {self.sentences[j].source for j, _ in self.neighbours(i)} - {own}


def tfidf(texts: Sequence[str]):
    """TF-IDF vectors (CSR, l2-normalised rows) of ``texts`` over stemmed content words; IDF from ``texts``."""
    vec = TfidfVectorizer(analyzer=terms, sublinear_tf=True, norm="l2", dtype=np.float32)
    try:
        return vec.fit_transform(texts)
    except ValueError:  # every text is empty of content words
        return sparse.csr_matrix((len(texts), 1), dtype=np.float32)


def encode_texts(encoder: Encoder, texts: Sequence[str]) -> np.ndarray:
    """Embed ``texts`` with ``encoder`` and l2-normalise the rows (float32)."""
    if not texts:
        return np.zeros((0, 1), dtype=np.float32)
    emb = np.asarray(encoder.encode(list(texts)), dtype=np.float32)
    if emb.ndim != 2 or emb.shape[0] != len(texts):
        raise StorylineError(
            f"encoder returned an array of shape {emb.shape} for {len(texts)} texts; expected ({len(texts)}, dim)"
        )
    norms = np.linalg.norm(emb, axis=1, keepdims=True)
    return emb / np.maximum(norms, 1e-12)


def _check(settings: StoriesSettings) -> None:
    for name in ("align_lexical_threshold", "align_dense_threshold"):
        v = getattr(settings, name)
        if not 0.0 < v <= 1.0:
            raise StorylineError(f"stories.{name} must be in (0, 1], got {v}; e.g. --set stories.{name}=0.3")


def align_sentences(
    articles: Sequence[Article],
    *,
    encoder: Encoder | None = None,
    settings: StoriesSettings | None = None,
    sentences: Iterable[SentenceRef] | None = None,
) -> Alignment:
    """Align the sentences of ``articles`` (any objects with ``id``, ``source`` and ``text``).

    ``sentences`` may be given pre-split (then ``articles`` is only used for nothing else); otherwise every article is
    split with :func:`split_sentences`. Only pairs from different articles are scored.
    """
    settings = settings or StoriesSettings()
    _check(settings)
    if sentences is None:
        refs = [
            SentenceRef(a.id, a.source, k, s) for a in articles for k, s in enumerate(split_sentences(a.text))
        ]
    else:
        refs = list(sentences)
    n = len(refs)
    if n == 0:
        return Alignment((), (), "lexical" if encoder is None else "dense+lexical",
                         sparse.csr_matrix((0, 1), dtype=np.float32), None)
    X = tfidf([r.text for r in refs])
    D = encode_texts(encoder, [r.text for r in refs]) if encoder is not None else None
    art_index: dict[str, int] = {}
    owner = np.array([art_index.setdefault(r.article_id, len(art_index)) for r in refs])

    pairs: list[AlignedPair] = []
    t_lex, t_dense = settings.align_lexical_threshold, settings.align_dense_threshold
    Xt = X.T.tocsr()
    chunk = 512
    for lo in range(0, n, chunk):
        hi = min(n, lo + chunk)
        S = (X[lo:hi] @ Xt).toarray()  # (chunk, n) lexical cosines
        Dd = D[lo:hi] @ D.T if D is not None else None
        rows = np.arange(lo, hi)[:, None]
        cols = np.arange(n)[None, :]
        keep = (cols > rows) & (owner[None, :] != owner[lo:hi, None])
        hit = S >= t_lex - 1e-6
        if Dd is not None:
            hit |= Dd >= t_dense - 1e-6
        ii, jj = np.nonzero(hit & keep)
        for i, j in zip(ii.tolist(), jj.tolist()):
            lex = float(S[i, j])
            dn = float(Dd[i, j]) if Dd is not None else None
            pairs.append(AlignedPair(lo + i, j, round(max(lex, dn or 0.0), 4), round(lex, 4),
                                     None if dn is None else round(dn, 4)))
    return Alignment(tuple(refs), tuple(pairs), "lexical" if D is None else "dense+lexical", X, D)
