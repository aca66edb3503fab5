"""Character n-gram TF-IDF of sentences: what tells a re-wording the word stems miss ("diverted" / "diversion",
"a roof skylight" / "a skylight") from a different statement, for the unique-content check of the story view.

The features are scikit-learn's ``TfidfVectorizer(analyzer="char_wb", ngram_range=(4, 5), sublinear_tf=True)``'s:
each lower-cased, whitespace-separated word padded with one space either side, its 4- and 5-grams (a padded word of
3 characters is one feature, whole), weighted as :func:`storyline.stories.align.tfidf` weighs words (a test
compares both). Written with numpy here, not called from scikit-learn: importing scikit-learn costs a story view
about a second, and its Python loop over n-grams took 0.5 s for a 3,000-sentence story; here the n-grams of all
sentences are integer codes computed at once (exact while the sentences use fewer than 7,131 distinct characters;
beyond that a 64-bit polynomial hash, whose collisions are negligible).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from scipy import sparse

from .align import weigh_counts

__all__ = ["NGRAMS", "char_tfidf"]

NGRAMS = (4, 5)  # character n-gram lengths


def char_tfidf(texts: Sequence[str]) -> sparse.csr_matrix:
    """TF-IDF vectors (CSR, l2-normalised rows, float32) of ``texts`` over character 4- and 5-grams within words;
    IDF from ``texts``; identical texts are analysed once. Columns are in no particular order.

    >>> X = char_tfidf(["Drivers will be diverted", "The official diversion", "It rained"])
    >>> round(float((X[0] @ X[1].T).toarray()[0, 0]), 2) > round(float((X[0] @ X[2].T).toarray()[0, 0]), 2)
    True
    """
    distinct: dict[str, int] = {}
    code = np.array([distinct.setdefault(t, len(distinct)) for t in texts], dtype=np.int64)
    mult = np.bincount(code, minlength=len(distinct)) if len(texts) else np.zeros(0, dtype=np.int64)
    words: list[str] = []
    doc_of_word: list[int] = []
    for d, text in enumerate(distinct):
        ws = text.lower().split()
        words += ws
        doc_of_word += [d] * len(ws)
    if not words:
        return sparse.csr_matrix((len(texts), 1), dtype=np.float32)
    # the padded words one after another: " a  bc " is " a " + " bc "
    joined = " " + "  ".join(words) + " "
    chars = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    uniq, inv = np.unique(chars, return_inverse=True)
    ids = inv.astype(np.uint64) + np.uint64(1)  # ≥ 1: codes of different lengths never meet
    base = np.uint64(len(uniq) + 1)
    lengths = np.array([len(w) + 2 for w in words], dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    word_end = np.repeat(starts + lengths, lengths)  # per character: where its padded word ends
    doc_of_char = np.repeat(np.array(doc_of_word, dtype=np.int64), lengths)
    docs, codes = [], []
    with np.errstate(over="ignore"):  # uint64 wrap-around: the polynomial hash beyond 7,130 distinct characters
        for n in range(NGRAMS[0], NGRAMS[1] + 1):
            p = np.arange(len(chars) - n + 1)
            p = p[p + n <= word_end[p]]  # windows inside one padded word
            c = np.zeros(len(p), dtype=np.uint64)
            for k in range(n):
                c = c * base + ids[p + k]
            docs.append(doc_of_char[p])
            codes.append(c)
        short = starts[lengths < NGRAMS[0]]  # a padded word shorter than the shortest n-gram is one feature
        c = np.zeros(len(short), dtype=np.uint64)
        for k in range(3):
            c = c * base + ids[short + k]
    docs.append(doc_of_char[short])
    codes.append(c)
    vocab, col = np.unique(np.concatenate(codes), return_inverse=True)
    row = np.concatenate(docs)
    X = sparse.csr_matrix((np.ones(len(row), dtype=np.float32), (row, col.ravel())),
                          shape=(len(distinct), len(vocab)))
    X.sum_duplicates()
    X.sort_indices()
    return weigh_counts(X, mult, code)
