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

from ..errors import StorylineError
from ..records import Article
from ..sentences import Sentence, split_sentences
from ..settings import StoriesSettings
from ..terms import terms

__all__ = ["AlignedPair", "Alignment", "Encoder", "SentenceRef", "align_sentences", "encode_texts", "tfidf",
           "tfidf_terms"]


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
    """Aligned sentences. Pairs are kept as a symmetric sparse score matrix (``adjacency``) so that stories of
    hundreds of articles (hundreds of thousands of pairs) stay fast; :attr:`pairs` materialises them on demand."""

    sentences: tuple[SentenceRef, ...]
    adjacency: Any = field(repr=False)  # scipy CSR (n × n), symmetric, entry = score of an aligned pair
    method: str  # "lexical" or "dense+lexical"
    lexical_vectors: Any = field(repr=False, default=None)  # scipy CSR, rows l2-normalised, one per sentence
    dense_vectors: np.ndarray | None = field(repr=False, default=None)  # rows l2-normalised, or None
    lexical_scores: Any = field(repr=False, default=None)  # CSR like adjacency: the lexical cosine of each pair
    dense_scores: Any = field(repr=False, default=None)  # CSR like adjacency: the dense cosine, or None
    lexical_terms: tuple[str, ...] | None = field(repr=False, default=None)  # the stem of each lexical column

    @property
    def pairs(self) -> tuple[AlignedPair, ...]:
        """Every aligned pair ``a < b`` with its scores (sorted by ``a``, then ``b``)."""
        up = sparse.triu(self.adjacency, k=1).tocoo()
        order = np.lexsort((up.col, up.row))
        lex = self.lexical_scores.tocsr() if self.lexical_scores is not None else None
        den = self.dense_scores.tocsr() if self.dense_scores is not None else None
        out = []
        for k in order.tolist():
            i, j = int(up.row[k]), int(up.col[k])
            out.append(AlignedPair(i, j, float(up.data[k]), float(lex[i, j]) if lex is not None else float(up.data[k]),
                                   float(den[i, j]) if den is not None else None))
        return tuple(out)

    @property
    def n_pairs(self) -> int:
        return int(self.adjacency.nnz // 2)

    def neighbours(self, i: int) -> list[tuple[int, float]]:
        """Sentences of other articles aligned with sentence ``i``, best first: ``[(j, score), …]``."""
        A = self.adjacency
        lo, hi = A.indptr[i], A.indptr[i + 1]
        cols, vals = A.indices[lo:hi], A.data[lo:hi]
        order = np.lexsort((cols, -vals))
        return [(int(cols[k]), float(vals[k])) for k in order]

    def of_article(self, article_id: str) -> list[int]:
        return [i for i, s in enumerate(self.sentences) if s.article_id == article_id]

    def best_pairs(self, article_a: str, article_b: str) -> list[AlignedPair]:
        """A one-to-one matching of the two articles' sentences (greedy by score), pairs oriented a→b."""
        rows_a, rows_b = self.of_article(article_a), set(self.of_article(article_b))
        lex = self.lexical_scores.tocsr() if self.lexical_scores is not None else None
        den = self.dense_scores.tocsr() if self.dense_scores is not None else None
        candidates = [(sc, i, j) for i in rows_a for j, sc in self.neighbours(i) if j in rows_b]
        chosen: list[AlignedPair] = []
        used_a: set[int] = set()
        used_b: set[int] = set()
        for sc, i, j in sorted(candidates, key=lambda x: (-x[0], x[1], x[2])):
            if i not in used_a and j not in used_b:
                chosen.append(AlignedPair(i, j, sc, float(lex[i, j]) if lex is not None else sc,
                                          float(den[i, j]) if den is not None else None))
                used_a.add(i)
                used_b.add(j)
        return sorted(chosen, key=lambda p: p.a)

    def groups(self) -> list[list[int]]:
        """Connected groups (≥ 2 sentences) of aligned sentences, each sorted, ordered by first member."""
        from scipy.sparse.csgraph import connected_components

        n = len(self.sentences)
        if n == 0:
            return []
        _, labels = connected_components(self.adjacency, directed=False)
        out: dict[int, list[int]] = {}
        for i, lab in enumerate(labels.tolist()):
            out.setdefault(lab, []).append(i)
        return sorted((g for g in out.values() if len(g) > 1), key=lambda g: g[0])

    def support_counts(self) -> np.ndarray:
        """For every sentence, the number of *other* sources that have a sentence aligned with it."""
        n = len(self.sentences)
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        codes: dict[str, int] = {}
        src = np.array([codes.setdefault(r.source, len(codes)) for r in self.sentences])
        onehot = sparse.csr_matrix((np.ones(n, dtype=np.float32), (np.arange(n), src)), shape=(n, len(codes)))
        B = self.adjacency.copy()
        B.data[:] = 1.0
        per_source = (B @ onehot).tocsr()
        per_source.data = (per_source.data > 0).astype(np.float32)
        counts = np.asarray(per_source.sum(axis=1)).ravel()
        own = np.asarray(per_source[np.arange(n), src]).ravel()
        return (counts - own).astype(np.int64)

    def supporting_sources(self, i: int) -> set[str]:
        """Sources other than sentence ``i``'s own that have a sentence aligned with it."""
        own = self.sentences[i].source
        return {self.sentences[j].source for j, _ in self.neighbours(i)} - {own}


def tfidf(texts: Sequence[str]) -> sparse.csr_matrix:
    """TF-IDF vectors (CSR, l2-normalised rows) of ``texts`` over stemmed content words; IDF from ``texts``
    (:func:`tfidf_terms` without the terms)."""
    return tfidf_terms(texts)[0]


def tfidf_terms(texts: Sequence[str]) -> tuple[sparse.csr_matrix, tuple[str, ...]]:
    """TF-IDF vectors (CSR, l2-normalised rows) of ``texts`` over stemmed content words; IDF from ``texts``; and the
    stem of each column.

    The weighting of scikit-learn's ``TfidfVectorizer(sublinear_tf=True, norm="l2")`` — tf ``1 + ln(count)``, idf
    ``ln((1 + n) / (1 + df)) + 1``, columns in sorted term order — computed here with scipy, so that a story view
    does not import scikit-learn (about a second of imports; a test compares both).
    """
    # identical texts (wire copies) are analysed once; the document frequencies count every copy
    distinct: dict[str, int] = {}
    code = np.array([distinct.setdefault(t, len(distinct)) for t in texts], dtype=np.int64)
    mult = np.bincount(code, minlength=len(distinct)) if len(texts) else np.zeros(0, dtype=np.int64)
    vocab: dict[str, int] = {}
    indptr = [0]
    indices: list[int] = []
    counts: list[int] = []
    for text in distinct:
        row: dict[int, int] = {}
        for t in terms(text):
            j = vocab.setdefault(t, len(vocab))
            row[j] = row.get(j, 0) + 1
        for j in sorted(row):  # by first-seen term id, as CountVectorizer stores them
            indices.append(j)
            counts.append(row[j])
        indptr.append(len(indices))
    n, m = len(texts), len(distinct)
    if not vocab:  # every text is empty of content words
        return sparse.csr_matrix((n, 1), dtype=np.float32), ("",)
    rank = np.empty(len(vocab), dtype=np.int64)  # first-seen term id → column of the term in sorted order
    rank[np.array([vocab[t] for t in sorted(vocab)])] = np.arange(len(vocab))
    X = sparse.csr_matrix((np.array(counts, dtype=np.float32), rank[np.array(indices, dtype=np.int64)],
                           np.array(indptr, dtype=np.int64)), shape=(m, len(vocab)))
    return weigh_counts(X, mult, code), tuple(sorted(vocab))


def weigh_counts(X: sparse.csr_matrix, mult: np.ndarray, code: np.ndarray) -> sparse.csr_matrix:
    """:func:`tfidf`'s weighting of a float32 count matrix ``X`` of distinct texts (``mult``: how many texts each
    stands for; ``code``: the distinct text of each text): sublinear tf × idf, l2-normalised rows, one row per text.
    """
    n, m = len(code), X.shape[0]
    # float32 steps in scikit-learn's order, so both give the same vectors to the last bit
    idf = np.full(X.shape[1], 1.0 + n, dtype=np.float32)
    per_entry = np.repeat(mult, np.diff(X.indptr))
    idf /= np.bincount(X.indices, weights=per_entry, minlength=X.shape[1]).astype(np.float32) + np.float32(1.0)
    np.log(idf, out=idf)
    idf += np.float32(1.0)
    np.log(X.data, X.data)
    X.data += np.float32(1.0)
    X.data *= idf[X.indices]
    # squares in float32, their sums and the division in float64 (as scikit-learn's l2 row normalisation does)
    lengths = np.diff(X.indptr)
    sums = np.zeros(m, dtype=np.float64)
    rows = lengths > 0
    sums[rows] = np.add.reduceat((X.data * X.data).astype(np.float64), X.indptr[:-1][rows])
    sums[sums == 0.0] = 1.0
    X.data /= np.repeat(np.sqrt(sums), lengths)
    return X if m == n else X[code]


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


def _spread_pairs(Xd: Any, code: np.ndarray, owner: np.ndarray, threshold: float,
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (i, j) of sentences of different articles whose distinct texts (rows of ``Xd``; ``code`` maps a
    sentence to its text) reach ``threshold`` cosine, with the cosine; both orders, as the adjacency stores them."""
    m, n = Xd.shape[0], len(code)
    S = (Xd @ Xd.T).tocsr()
    S.data[S.data < threshold - 1e-6] = 0
    S.eliminate_zeros()
    counts = np.bincount(code, minlength=m)
    by_code = np.argsort(code, kind="stable")  # sentences grouped by text
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    a = np.repeat(np.arange(m), np.diff(S.indptr))
    b, v = S.indices, S.data
    per = counts[b]  # each similar pair of texts (a, b) stands for every sentence of text b
    k = np.repeat(np.arange(len(b)), per)
    offs = np.arange(int(per.sum())) - np.repeat(np.cumsum(per) - per, per)
    nb_row, nb_val = by_code[starts[b][k] + offs], v[k]
    ptr = np.concatenate([[0], np.cumsum(np.bincount(a[k], minlength=m))])
    length = ptr[code + 1] - ptr[code]  # ... and every sentence of text a gets them
    rows = np.repeat(np.arange(n), length)
    idx = np.repeat(ptr[code], length) + (np.arange(int(length.sum())) - np.repeat(np.cumsum(length) - length, length))
    cols, vals = nb_row[idx], nb_val[idx]
    keep = owner[rows] != owner[cols]  # only pairs of different articles
    return rows[keep], cols[keep], vals[keep]


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
    method = "lexical" if encoder is None else "dense+lexical"
    if n == 0:
        empty = sparse.csr_matrix((0, 0), dtype=np.float32)
        return Alignment((), empty, method, sparse.csr_matrix((0, 1), dtype=np.float32), None, empty, None)
    X, vocab = tfidf_terms([r.text for r in refs])
    D = encode_texts(encoder, [r.text for r in refs]) if encoder is not None else None
    art_index: dict[str, int] = {}
    owner = np.array([art_index.setdefault(r.article_id, len(art_index)) for r in refs])

    t_lex, t_dense = settings.align_lexical_threshold, settings.align_dense_threshold
    # identical sentences (wire copies) have identical vectors: products are taken over the distinct ones and
    # spread back to every sentence
    text_code: dict[str, int] = {}
    code = np.array([text_code.setdefault(r.text, len(text_code)) for r in refs], dtype=np.int64)
    first = np.zeros(len(text_code), dtype=np.int64)
    first[code[::-1]] = np.arange(n)[::-1]
    Xd = X[first]
    if D is None:  # lexical only: the pairs of distinct sentences, spread to their sentences (no dense matrices)
        rows, cols, vals = _spread_pairs(Xd, code, owner, t_lex)
        lex = np.round(vals.astype(np.float32), 4)
        A = sparse.csr_matrix((lex, (rows, cols)), shape=(n, n))
        return Alignment(tuple(refs), A, method, X, None, A.copy(), None, vocab)
    Xt = Xd.T.tocsr()
    Dt = D[first].T if D is not None else None
    rows_l, cols_l, score_l, lex_l, dense_l = [], [], [], [], []
    chunk = 512
    for lo in range(0, n, chunk):
        hi = min(n, lo + chunk)
        S = (X[lo:hi] @ Xt).toarray()[:, code]  # (chunk, n) lexical cosines
        Dd = (D[lo:hi] @ Dt)[:, code] if Dt is not None else None
        hit = S >= t_lex - 1e-6
        if Dd is not None:
            hit |= Dd >= t_dense - 1e-6
        hit &= owner[None, :] != owner[lo:hi, None]  # only pairs of different articles
        ii, jj = np.nonzero(hit)
        lex = S[ii, jj].astype(np.float32)
        den = Dd[ii, jj].astype(np.float32) if Dd is not None else None
        rows_l.append(ii + lo)
        cols_l.append(jj)
        lex_l.append(lex)
        score_l.append(np.maximum(lex, den) if den is not None else lex)
        if den is not None:
            dense_l.append(den)
    rows, cols = np.concatenate(rows_l), np.concatenate(cols_l)
    shape = (n, n)
    A = sparse.csr_matrix((np.round(np.concatenate(score_l), 4), (rows, cols)), shape=shape)
    L = sparse.csr_matrix((np.round(np.concatenate(lex_l), 4), (rows, cols)), shape=shape)
    Dm = sparse.csr_matrix((np.round(np.concatenate(dense_l), 4), (rows, cols)), shape=shape) if dense_l else None
    return Alignment(tuple(refs), A, method, X, D, L, Dm, vocab)
