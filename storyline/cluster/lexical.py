"""A first online clusterer: TF-IDF centroids with an inverted index over story terms.

Each story keeps the sum of its members' TF-IDF term weights; a new article is compared (cosine) with the stories
that share at least one of its terms and joins the best one above ``threshold``, else starts a new story.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Sequence

from ..records import Article, Assignment, content_id

if TYPE_CHECKING:
    from ..store import Store

_WORD = re.compile(r"[^\W\d_]{2,}", re.UNICODE)
STOPWORDS = frozenset(
    "a an and are as at be been but by for from had has have he her his i in is it its of on or that the their "
    "they this to was were will with would said says not no we you our after over about more than also who which "
    "what when where there then them these those into out up new one two can could may might".split()
)


def terms(article: Article) -> Counter[str]:
    """Lower-cased content words of the text, title words counted three times."""
    c: Counter[str] = Counter(w for w in (m.lower() for m in _WORD.findall(article.text)) if w not in STOPWORDS)
    for w in (m.lower() for m in _WORD.findall(article.title)):
        if w not in STOPWORDS:
            c[w] += 3
    return c


class LexicalClusterer:
    def __init__(self, threshold: float = 0.25):
        self.threshold = threshold
        self.df: Counter[str] = Counter()
        self.n_docs = 0
        self.centroids: dict[str, Counter[str]] = {}
        self.index: dict[str, set[str]] = defaultdict(set)

    def _vector(self, tf: Counter[str]) -> dict[str, float]:
        n = self.n_docs + 1
        v = {t: (1 + math.log(c)) * math.log((n + 1) / (self.df[t] + 1)) for t, c in tf.items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        return {t: x / norm for t, x in v.items()}

    def _add(self, story_id: str, vec: dict[str, float]) -> None:
        centroid = self.centroids.setdefault(story_id, Counter())
        for t, x in vec.items():
            centroid[t] += x
            self.index[t].add(story_id)

    def assign(self, articles: Sequence[Article]) -> list[Assignment]:
        out = []
        for a in articles:
            tf = terms(a)
            vec = self._vector(tf)
            candidates = set().union(*(self.index.get(t, ()) for t in vec)) if vec else set()
            best, best_score, shared = None, 0.0, ()
            for sid in candidates:
                c = self.centroids[sid]
                cnorm = math.sqrt(sum(x * x for x in c.values())) or 1.0
                score = sum(x * c.get(t, 0.0) for t, x in vec.items()) / cnorm
                if score > best_score:
                    best, best_score = sid, score
            if best is not None and best_score >= self.threshold:
                c = self.centroids[best]
                shared = tuple(sorted((t for t in vec if t in c), key=lambda t: -vec[t] * c[t])[:8])
                out.append(Assignment(a.id, best, best_score, False, {"lexical": best_score}, shared))
                self._add(best, vec)
            else:
                sid = content_id(a.id, prefix="s-", length=12)
                out.append(Assignment(a.id, sid, 1.0, True, {"lexical": 1.0}))
                self._add(sid, vec)
            self.df.update(tf.keys())
            self.n_docs += 1
        return out

    def restore(self, store: "Store") -> "LexicalClusterer":
        rows = store.query("SELECT article_id, story_id FROM memberships ORDER BY rowid")
        for r in rows:
            a = store.get_article(r["article_id"])
            tf = terms(a)
            self._add(r["story_id"], self._vector(tf))
            self.df.update(tf.keys())
            self.n_docs += 1
        return self
