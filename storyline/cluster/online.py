"""The online story clusterer: each arriving article joins the best active story or starts a new one.

Design (after Miranda et al. 2018 and Staykovski et al. 2019; see docs/clustering.md):

* **Representations.** Every article gets a title-weighted TF-IDF vector under incrementally counted document
  frequencies, an idf-weighted entity vector, and (``default`` profile) an all-MiniLM-L6-v2 embedding of its title +
  lead; all unit length. A story keeps the *sums* of its members' vectors, the dates of its first and last members,
  its member count and the sum of its members' local densities.
* **Candidates** (never a scan of all stories): the stories that share one of the article's most distinctive terms or
  entities (an inverted index over *active* stories), plus, with dense vectors, the stories of the article's nearest
  stored neighbours in a faiss HNSW index. Stories whose last member is older than ``dormant_after_days`` (in stream
  time) leave the inverted index and are skipped when a neighbour points at them.
* **Content similarity** to a story is average link: the mean cosine to its members, per signal, computed in one dot
  product with the story's sum vector (``v · Σm / n``). Unlike the cosine to a centroid it does not grow as a story
  gets diffuse, so big stories do not snowball. ``content = (w_lex·lex + w_dense·dense + w_ent·ent) / Σw``.
* **Local density (CSLS).** An article's density is the mean of its ``density_k`` best content similarities; the
  score subtracts ``density_weight × (mean density of article and story − stream mean density)``, so articles in a
  crowded topic need more evidence (Conneau et al. 2018's hubness correction, here online).
* **Time.** ``score = adjusted content × time`` with ``time = 1 − w_time·(1 − exp(−gap / time_scale_days))``,
  ``gap`` being the distance in days from the article's date to the story's date range. With no date on either side
  ``time = undated_time``: undated articles cluster on content alone, but need a little more of it (no time evidence).
  Every score and component lies in [0, 1].
* **Decision.** ``decision="learned"`` (the default): for the ``decision_candidates`` best candidates (by score) a
  logistic join model (:mod:`storyline.cluster.model`) turns features of the pair — average and best link per signal,
  title similarity, time gaps to the story's newest and oldest member, story size, the article's length and density,
  the margin over the other candidates — into P(join); the article joins the most probable candidate when P(join)
  reaches the profile's cut, else it starts a story. ``decision="score"``: join the best candidate when its score
  reaches ``threshold``.
* **Merging.** After a join, the grown story is compared (story to story, average link over member pairs, same
  formula) with the other candidates that also scored above ``threshold`` for this article; at ``merge_threshold``
  the two are one story: the older id survives and the younger becomes an alias (``Assignment.merged``).
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import math
import operator
from collections import Counter, OrderedDict, deque
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from ..records import Article, Assignment, content_id
from ..represent.entities import entities
from ..represent import synonyms
from ..represent.lexical import DocumentFrequencies, tokens
from .adapter import load_adapter
from .model import JoinModel, computable, features_for, is_computable, load_model

if TYPE_CHECKING:
    from ..represent.dense import Encoder
    from ..settings import ClusterSettings
    from ..store import Store

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def day_number(d: datetime | None) -> float | None:
    """Days since 1970 (UTC) as a float, or None for an undated article."""
    if d is None:
        return None
    if d.tzinfo is None:
        d = d.replace(tzinfo=timezone.utc)
    return (d - _EPOCH).total_seconds() / 86400.0


@dataclass(slots=True)
class Features:
    """What the clusterer computes once per article."""

    tf: dict[str, float]
    lex: dict[str, float]
    ent: dict[str, float]
    day: float | None
    dense: np.ndarray | None = None
    density: float = 0.0
    index_terms: list[tuple[str, float]] | None = None
    title: dict[str, float] = field(default_factory=dict)  # TF-IDF of the title alone
    n_tokens: float = 0.0
    title_lower: str = ""  # the title lower-cased, the outlet's name taken out (title_ent_miss)


@dataclass(slots=True)
class StoryState:
    id: str
    seq: int
    lex: dict[str, float] = field(default_factory=dict)
    ent: dict[str, float] = field(default_factory=dict)
    dense: np.ndarray | None = None
    n: int = 0
    density_sum: float = 0.0
    first: float | None = None
    last: float | None = None
    active: bool = True
    indexed: set[str] = field(default_factory=set)
    title: dict[str, float] = field(default_factory=dict)  # sum of the members' title vectors
    recent_lex: list[dict[str, float]] = field(default_factory=list)  # the last best_link_members members' vectors
    recent_dense: list[np.ndarray] = field(default_factory=list)


_weight = operator.itemgetter(1)


def _add_sparse(target: dict[str, float], v: dict[str, float]) -> None:
    """target += v, in place."""
    get = target.get
    for t, x in v.items():
        target[t] = get(t, 0.0) + x


def _dot(a: dict[str, float], b: dict[str, float]) -> float:
    """The dot product of two sparse vectors (over the shared keys, exactly rounded)."""
    if len(b) < len(a):
        a, b = b, a
    common = a.keys() & b.keys()
    return math.fsum(map(operator.mul, map(a.__getitem__, common), map(b.__getitem__, common))) if common else 0.0


@lru_cache(maxsize=32)
def _feature_plan(names: tuple[str, ...]) -> tuple[frozenset[str], tuple[str, ...], np.ndarray]:
    """For a model's feature names: the base features to compute (an interaction term "a*b" needs a and b), their
    order in a row of base values (followed by a 1.0), and per column the indexes of its factors in that row, padded
    with the 1.0's index: column j is the product of ``row[idx[j, k]]`` over k (a base feature is itself times 1.0,
    an interaction term its parts' product, left to right, as ``math.prod`` takes it)."""
    parts = [n.split("*") for n in names]
    base = tuple(dict.fromkeys(p for ps in parts for p in ps))
    width = max((len(ps) for ps in parts), default=1)
    at = {b: i for i, b in enumerate(base)}
    one = len(base)
    idx = np.array([[at[p] for p in ps] + [one] * (width - len(ps)) for ps in parts], dtype=np.intp).reshape(
        len(names), width)
    return frozenset(base), base, idx


@lru_cache(maxsize=32)
def _stored_features(names: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """The keys (``f:<name>``) and columns of a model's features a membership stores: all but the interaction
    terms (explain recomputes a*b from a and b)."""
    cols = tuple(i for i, n in enumerate(names) if "*" not in n)
    return tuple(f"f:{names[i]}" for i in cols), cols


# leads per encoder call, by position in the clusterer's batch (OnlineClusterer._encode_leads): the encoder's own
# batch, so a pipeline batch of 64 (the default before 256) is one call, as it always was
ENCODE_GROUP = 64


def lead_groups(seq: Sequence[Any]) -> list[Sequence[Any]]:
    """``seq`` in consecutive groups of :data:`ENCODE_GROUP` (a short or empty ``seq`` is one group): the leads of one
    encoder call each (backfill's EncodePlanner cuts the same groups)."""
    return [seq[i:i + ENCODE_GROUP] for i in range(0, len(seq), ENCODE_GROUP)] or [seq]


_DIGITS = frozenset("0123456789")
_ZEROS = itertools.repeat(0.0)  # a feature a model names but the profile lacks (dense without an encoder) is 0


def _numbers(terms) -> set[str]:
    """The terms that are numbers ("6", "1,000", "25")."""
    return {t for t in terms if t[:1] in _DIGITS}


def _soft_terms(title: dict[str, float]) -> list[tuple[float, str, tuple[tuple[str, float], ...]]]:
    """For each title term (weight, term, its near-synonym table stems with their cosines): the expansion of
    feature ``title_soft``, computed once per article."""
    words = synonyms.table()
    out = []
    for t, w in title.items():
        key = synonyms.table_stem(t)
        out.append((w, key, words.of(key) if words is not None else ()))
    return out


def _soft_title(soft: list[tuple[float, str, tuple[tuple[str, float], ...]]], total: dict[str, float],
                n: int) -> float:
    """Title-to-title similarity, average link, crediting near-synonyms: each title term of the article counts its
    weight times the story's summed title weight on the best of (the same table stem at cosine 1, a neighbour stem
    at its cosine); over the story's size, clipped to [0, 1]. Exact overlap alone is ``title_avg``; a headline
    reworded ("stays" / "remains") shares few exact terms.

    The story's title terms are folded to table stems once per call (a story's summed title vector holds a few
    dozen terms; only the best 5 candidates are described)."""
    if not soft or n <= 0 or not total:
        return 0.0
    by_stem: dict[str, float] = {}
    get = by_stem.get
    stem_of = synonyms.table_stem
    for u, x in total.items():
        k = stem_of(u)
        by_stem[k] = get(k, 0.0) + x
    acc = 0.0
    for w, key, near in soft:
        best = get(key, 0.0)
        for v, c in near:
            y = get(v)
            if y is not None and c * y > best:
                best = c * y
        acc += w * best
    return min(1.0, max(0.0, acc / n))


def _title_ent_miss(f: "Features", story_ent: dict[str, float]) -> float:
    """The share of the (idf-weighted) entities named in the article's title that no member of the story names:
    reports of one event share its names; templated headlines of different events ("Orvalla dam: update 1 from
    North Gazette" / "Quillon bridge: update 1 from North Gazette") share their words but not all their names."""
    title, total, miss = f.title_lower, 0.0, 0.0
    if not title:
        return 0.0
    for e, w in f.ent.items():
        if e in title:
            total += w
            if e not in story_ent:
                miss += w
    return miss / total if total > 0 else 0.0


def _mean_dot(v: dict[str, float], total: dict[str, float], n: int) -> float:
    """Mean dot product of ``v`` with the ``n`` unit vectors summed in ``total`` (average-link similarity)."""
    if n <= 0 or not v:
        return 0.0
    # the shared terms (a C-level key intersection; usually far fewer than either side's terms), summed with fsum:
    # exactly rounded, so the result does not depend on the intersection's hash order
    common = v.keys() & total.keys()
    if not common:
        return 0.0
    return min(1.0, max(0.0, math.fsum(map(operator.mul, map(v.__getitem__, common),
                                           map(total.__getitem__, common))) / n))


class OnlineClusterer:
    """Online, time-aware story clustering over lexical, entity and (optionally) dense evidence.

    ``encoder`` is None for the ``lexical`` profile. ``settings`` is a :class:`~storyline.settings.ClusterSettings`.
    """

    def __init__(self, settings: "ClusterSettings", encoder: "Encoder | None" = None):
        self.settings = settings
        self.encoder = encoder
        self.df = DocumentFrequencies()
        self.edf = DocumentFrequencies()
        self.stories: dict[str, StoryState] = {}
        self.alias: dict[str, str] = {}
        self.postings: dict[str, dict[str, None]] = {}  # term -> active story ids (a dict: ordered, deterministic)
        self.now: float | None = None
        self._heap: list[tuple[float, int, str]] = []
        self._seq = 0
        self._index = None
        self._member_story: list[str] = []
        self._pending: list[tuple[str, np.ndarray]] = []
        # active story ids, the story that gained a member last at the end (candidates fill from its end)
        self._recent_active: dict[str, None] = {}
        self._density_sum = 0.0
        self._density_n = 0
        # the stream's usual gap within a story (feature stream_gap): a moving mean of ln(1 + days) from each dated
        # joining member to its story's newest member (settings gap_prior, gap_prior_joins, gap_window)
        self._gap_mean = settings.gap_prior
        self._gap_n = 0
        self._rate_days: deque[float] = deque()  # days of the dated arrivals of the last day (feature log_rate)
        self._vec_rows: list[np.ndarray] = []  # float16 copies of the index rows, for rebuilds
        self._dormant_rows = 0
        self.dim = encoder.dim if encoder is not None else 0
        self._recent_leads: OrderedDict[bytes, np.ndarray] = OrderedDict()  # lead hash -> vector (encoder_reuse)
        self.reused_encodings = 0  # leads whose vector came from an identical text instead of the encoder
        # the event adapter (storyline/cluster/adapter.py): the clusterer reads normalize(v @ W) of the encoder's v
        self.adapter = load_adapter(settings.dense_adapter, self.dim, getattr(encoder, "name", "")) \
            if encoder is not None else None
        self.model: JoinModel | None = None
        if settings.decision == "learned":
            profile = "default" if encoder is not None else "lexical"
            self.model = load_model(profile, settings.join_model or None)
            if not all(is_computable(n, profile) for n in self.model.features):
                from ..errors import ConfigError

                raise ConfigError(f"the join model {settings.join_model or profile!r} has features "
                                  f"{list(self.model.features)}, the {profile} profile computes "
                                  f"{list(computable(profile))}; train one with: python bench/train_cluster.py")

    def warm_up(self) -> None:
        """Load the encoder's model now rather than on the first batch."""
        if self.encoder is not None and hasattr(self.encoder, "warm_up"):
            self.encoder.warm_up()

    # -- representation ----------------------------------------------------------------------------------------
    def features(self, article: Article, dense: np.ndarray | None = None) -> Features:
        s = self.settings
        body = article.text if s.body_chars <= 0 else article.text[: s.body_chars]
        # term_counts(title, body, title_weight), with the title tokenized once for both vectors
        title_counts = Counter(tokens(article.title))
        # the outlet's own name in its headline ("... update 1 from North Gazette") says who reports, not what
        # happened: it leaves the headline's terms here and its lower-cased text below (title_ent_miss)
        if article.source and title_counts:
            for t in tokens(article.source):
                title_counts.pop(t, None)
        tf: dict[str, float] = dict(Counter(tokens(body)))
        for t, c in title_counts.items():
            tf[t] = tf.get(t, 0.0) + c * s.title_weight
        ent_counts = entities(article.title, body)
        self.df.add(tf)
        self.edf.add(ent_counts)
        f = Features(tf, self.df.vector(tf), self.edf.vector(ent_counts), day_number(article.date), dense)
        f.title = self.df.vector(title_counts)
        f.n_tokens = sum(tf.values())
        f.title_lower = article.title.lower().replace(article.source.lower(), " ") if article.source else \
            article.title.lower()
        return f

    # -- the story index ---------------------------------------------------------------------------------------
    def _index_terms(self, f: Features) -> list[tuple[str, float]]:
        """The article's most distinctive terms (and entities, prefixed with NUL) with their weights."""
        if f.index_terms is None:
            k = self.settings.index_terms
            lex = sorted(f.lex.items(), key=_weight, reverse=True)[:k]  # stable: ties keep text order
            ent = sorted(f.ent.items(), key=_weight, reverse=True)[: max(1, k // 2)]
            f.index_terms = lex + [("\x00" + e, w) for e, w in ent]
        return f.index_terms

    def _candidates(self, f: Features) -> list[str]:
        """Candidate story ids, best first: stories sharing the article's distinctive terms (votes weighted by the
        terms' TF-IDF weights) and the stories of its nearest stored neighbours (weighted by cosine)."""
        s = self.settings
        votes: dict[str, float] = {}
        get = votes.get
        max_post = s.max_posting
        for t, w in self._index_terms(f):
            post = self.postings.get(t)
            if not post or len(post) > max_post:
                continue
            for sid in post:
                votes[sid] = get(sid, 0.0) + w
        if f.dense is not None and self._index is not None and self._index.ntotal:
            k = min(s.dense_neighbours, self._index.ntotal)
            sims, ids = self._index.search(f.dense.reshape(1, -1), k)
            for sim, i in zip(sims[0], ids[0]):
                if i < 0:
                    continue
                sid = self.resolve(self._member_story[i])
                st = self.stories.get(sid)
                if st is not None and st.active:
                    votes[sid] = get(sid, 0.0) + 1.0 + float(sim)
        # ties keep insertion order, which only depends on the order articles arrived in (postings are dicts); a
        # stable sort is heapq.nlargest's definition, and on a few hundred votes it costs less than the heap
        ranked = sorted(votes.items(), key=_weight, reverse=True)
        out = [sid for sid, _ in ranked[: s.max_candidates]]
        room = min(s.fill_candidates, s.max_candidates - len(out))
        if room > 0 and f.day is not None and f.dense is None:
            # the inverted index holds each member's top terms only, so a story can share words with the article
            # and still not be found; the slots left go to the active stories that gained a member last (in a
            # sparse stream: all of them), at most fill_candidates, whatever the number of active stories. Dated
            # articles only: in an undated stream no story sleeps, and the last joined are no nearer than any other.
            # The lexical profile only: the default profile's dense neighbours already find those stories (its
            # candidate recall is 0.97-0.999), and its model, refitted with them, split full-text stories that
            # develop over days more often when it had never seen such a set (docs/clustering.md)
            for sid in reversed(self._recent_active):
                if sid not in votes:
                    out.append(sid)
                    room -= 1
                    if not room:
                        break
        return out

    def _index_story(self, st: StoryState, f: Features) -> None:
        for t, _ in self._index_terms(f):
            if t not in st.indexed:
                st.indexed.add(t)
                self.postings.setdefault(t, {})[st.id] = None

    def _unindex_story(self, st: StoryState) -> None:
        for t in st.indexed:
            post = self.postings.get(t)
            if post is not None:
                post.pop(st.id, None)
                if not post:
                    del self.postings[t]
        st.indexed = set()

    def _advance_clock(self, day: float | None) -> None:
        """Move stream time forward and put stories idle for longer than the dormancy window to sleep."""
        if day is None:
            return
        # the stream's rate (feature log_rate): the dated arrivals within a day of the stream's clock
        rate, now = self._rate_days, day if self.now is None or day > self.now else self.now
        if day >= now - 1.0:
            rate.append(day)
        while rate and rate[0] < now - 1.0:
            rate.popleft()
        if self.now is not None and day <= self.now:
            return
        self.now = day
        horizon = day - self.settings.dormant_after_days
        heap = self._heap
        while heap and heap[0][0] < horizon:
            last, _, sid = heapq.heappop(heap)
            st = self.stories.get(sid)
            if st is not None and st.active and st.last is not None and st.last < horizon:
                self._sleep(st)
        if self._index is not None and self._dormant_rows > max(self.settings.hnsw_rebuild_min,
                                                                self._index.ntotal // 2):
            self._rebuild_dense()

    def _sleep(self, st: StoryState) -> None:
        """A dormant story is never a candidate again: it leaves the index and drops its vectors (memory stays
        bounded by the active stories); its id, size and dates remain."""
        st.active = False
        self._recent_active.pop(st.id, None)
        self._unindex_story(st)
        st.lex, st.ent, st.dense, st.title, st.recent_lex, st.recent_dense = {}, {}, None, {}, [], []
        self._dormant_rows += st.n

    def _rebuild_dense(self) -> None:
        """Rebuild the HNSW index from the members of active stories only (HNSW cannot delete)."""
        keep = [i for i, sid in enumerate(self._member_story)
                if (st := self.stories.get(self.resolve(sid))) is not None and st.active]
        self._index = None
        rows, stories = self._vec_rows, self._member_story
        self._vec_rows, self._member_story = [], []
        self._dormant_rows = 0
        if keep:
            self._new_index()
            mat = np.stack([rows[i] for i in keep]).astype(np.float32)
            self._index.add(mat)
            self._vec_rows = [rows[i] for i in keep]
            self._member_story = [stories[i] for i in keep]

    # -- scoring -----------------------------------------------------------------------------------------------
    def _time(self, day: float | None, first: float | None, last: float | None) -> float:
        """The time factor for a gap from ``day`` to the range [first, last] (see the module doc)."""
        s = self.settings
        if day is None or first is None or last is None:
            return s.undated_time
        gap = 0.0 if first <= day <= last else min(abs(day - first), abs(day - last))
        return 1.0 - s.w_time * (1.0 - math.exp(-gap / s.time_scale_days))

    def content(self, lex: float, dense: float | None, ent: float) -> float:
        """Weighted mean of the content similarities (dense left out when there is no encoder)."""
        s = self.settings
        num = s.w_lexical * lex + s.w_entities * ent
        den = s.w_lexical + s.w_entities
        if dense is not None:
            num += s.w_dense * dense
            den += s.w_dense
        return num / den if den > 0 else 0.0

    def combine(self, content: float, density: float, time: float) -> float:
        """The score: density-adjusted content similarity times the time factor, clipped to [0, 1].

        ``density`` is the mean local density of the two sides (see :meth:`_density`); subtracting it and adding
        back the stream's mean density is CSLS (Conneau et al. 2018), which stops "hub" articles in crowded topics
        from attracting everything.
        """
        s = self.settings
        adjusted = content - s.density_weight * (density - self._mean_density())
        return min(1.0, max(0.0, adjusted * time))

    def _mean_density(self) -> float:
        return self._density_sum / self._density_n if self._density_n else 0.0

    def _density(self, contents: list[float]) -> float:
        """Local density of an article: the mean of its ``density_k`` best content similarities to candidate
        stories (missing candidates count as 0)."""
        k = self.settings.density_k
        top = sorted(contents, reverse=True)[:k]  # heapq.nlargest(k, contents), cheaper on ≈ 20 values
        return sum(top) / k if k > 0 else 0.0

    def story_similarity(self, a: StoryState, b: StoryState) -> float:
        """Story-to-story score (average link over member pairs, same formula; symmetric); decides merges."""
        nn = a.n * b.n
        lex = _mean_dot(a.lex, b.lex, nn)
        ent = _mean_dot(a.ent, b.ent, nn)
        dense = None
        if a.dense is not None and b.dense is not None:
            dense = float(np.clip(np.dot(a.dense, b.dense) / nn, 0.0, 1.0))
        if a.first is None or b.first is None or a.last is None or b.last is None:
            time = self._time(None, None, None)
        else:
            gap = max(0.0, max(a.first, b.first) - min(a.last, b.last))
            time = 1.0 - self.settings.w_time * (1.0 - math.exp(-gap / self.settings.time_scale_days))
        density = 0.5 * (a.density_sum / a.n + b.density_sum / b.n)
        return self.combine(self.content(lex, dense, ent), density, time)

    # -- updates -----------------------------------------------------------------------------------------------
    def resolve(self, story_id: str) -> str:
        while story_id in self.alias:
            story_id = self.alias[story_id]
        return story_id

    def _new_story(self, article_id: str) -> StoryState:
        sid = content_id(article_id, prefix="s-", length=12)
        self._seq += 1
        st = StoryState(sid, self._seq)
        self.stories[sid] = st
        return st

    def _add_member(self, st: StoryState, f: Features) -> None:
        if st.n and f.day is not None and st.last is not None:
            s = self.settings
            self._gap_n += 1
            self._gap_mean += (math.log1p(abs(f.day - st.last)) - self._gap_mean) / min(
                self._gap_n + s.gap_prior_joins, s.gap_window)
        if st.n == 0 and not st.lex and not st.ent and not st.title:
            # a new story's sums are its first member's vectors (0.0 + x is x): taken, not copied. The lexical one
            # stays shared with recent_lex[0] until the story changes it (_own_lex): one-member stories, most of
            # them, keep one vector instead of two
            st.lex, st.ent, st.title = f.lex, f.ent, f.title
        else:
            _add_sparse(self._own_lex(st), f.lex)
            _add_sparse(st.ent, f.ent)
            _add_sparse(st.title, f.title)
        m = self.settings.best_link_members
        st.recent_lex.append(f.lex)
        del st.recent_lex[:-m]
        if f.dense is not None:
            st.dense = f.dense.copy() if st.dense is None else st.dense + f.dense
            st.recent_dense.append(f.dense)
            del st.recent_dense[:-m]
        st.n += 1
        st.density_sum += f.density
        if f.day is not None:
            st.first = f.day if st.first is None else min(st.first, f.day)
            st.last = f.day if st.last is None else max(st.last, f.day)
            heapq.heappush(self._heap, (st.last, st.seq, st.id))
        if not st.active:
            st.active = True
        self._touch(st.id)
        self._index_story(st, f)

    def _touch(self, sid: str) -> None:
        """``sid`` to the end of the active stories in join order (the candidates' filler reads it from the end)."""
        self._recent_active.pop(sid, None)
        self._recent_active[sid] = None

    @staticmethod
    def _own_lex(st: StoryState) -> dict[str, float]:
        """``st.lex``, copied first when it is still its first member's vector (shared with ``recent_lex``)."""
        if st.recent_lex and st.recent_lex[0] is st.lex:
            st.lex = dict(st.lex)
        return st.lex

    def _new_index(self) -> None:
        import faiss

        self._index = faiss.IndexHNSWFlat(self.dim, self.settings.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        self._index.hnsw.efSearch = self.settings.hnsw_ef_search
        self._index.hnsw.efConstruction = self.settings.hnsw_ef_construction

    def _add_dense(self, sid: str, vec: np.ndarray) -> None:
        if self._index is None:
            self._new_index()
        self._index.add(vec.reshape(1, -1).astype(np.float32))
        self._member_story.append(sid)
        self._vec_rows.append(vec.astype(np.float16))

    def _merge(self, keep: StoryState, gone: StoryState) -> None:
        _add_sparse(self._own_lex(keep), gone.lex)
        _add_sparse(keep.ent, gone.ent)
        _add_sparse(keep.title, gone.title)
        m = self.settings.best_link_members
        keep.recent_lex = (keep.recent_lex + gone.recent_lex)[-m:]
        keep.recent_dense = (keep.recent_dense + gone.recent_dense)[-m:]
        if gone.dense is not None:
            keep.dense = gone.dense.copy() if keep.dense is None else keep.dense + gone.dense
        keep.n += gone.n
        keep.density_sum += gone.density_sum
        for attr, pick in (("first", min), ("last", max)):
            a, b = getattr(keep, attr), getattr(gone, attr)
            setattr(keep, attr, b if a is None else a if b is None else pick(a, b))
        if keep.last is not None:
            heapq.heappush(self._heap, (keep.last, keep.seq, keep.id))
        gone_terms = set(gone.indexed)
        self._unindex_story(gone)
        self._recent_active.pop(gone.id, None)
        del self.stories[gone.id]
        self.alias[gone.id] = keep.id
        if keep.active:
            self._touch(keep.id)  # the merged story holds the member that joined last
            for t in gone_terms - keep.indexed:
                keep.indexed.add(t)
                self.postings.setdefault(t, {})[keep.id] = None

    def _shared(self, f: Features, st: StoryState) -> tuple[str, ...]:
        s = self.settings
        terms = sorted((f.lex[t] * st.lex[t], t) for t in f.lex if t in st.lex)
        ents = sorted((f.ent[e] * st.ent[e], e) for e in f.ent if e in st.ent)
        top = [e for _, e in reversed(ents)][: s.explain_top] + [t for _, t in reversed(terms)][: s.explain_top]
        out: list[str] = []
        for x in top:
            if x not in out:
                out.append(x)
        return tuple(out[: s.explain_top])

    def assign(self, articles: Sequence[Article]) -> list[Assignment]:
        """Assign each article (in the order given) to a story; see the module doc for the rule."""
        if not articles:
            return []
        raw = dense = None
        if self.encoder is not None:
            raw = self._encode_leads([a.lead for a in articles])
            dense = self._adapt(raw)
        out: list[Assignment] = []
        for i, a in enumerate(articles):
            vec = None if dense is None else dense[i]
            out.append(self._assign_one(a, vec))
            if raw is not None:
                self._pending.append((a.id, raw[i]))  # the store keeps the encoder's own vector
        return out

    def _adapt(self, X: np.ndarray) -> np.ndarray:
        """The vectors the clusterer reads: the encoder's, through the event adapter when there is one; applied per
        :data:`ENCODE_GROUP` rows, as the leads are encoded (a matrix product's last bits depend on its shape, and
        an article's vector should not depend on the batch size that cut the stream)."""
        if self.adapter is None or not len(X):
            return X
        parts = [self.adapter.apply(g) for g in lead_groups(X)]
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def _encode_leads(self, leads: list[str]) -> np.ndarray:
        """The encoder's vectors for ``leads``, each distinct text encoded once: wire copies carried by many outlets
        share their title + lead, so a group's repeats and the texts of the last ``encoder_reuse`` encoded leads
        (a bounded LRU keyed by the text's hash) are not re-encoded. The vectors are the encoder's own.

        The leads go to the encoder in groups of :data:`ENCODE_GROUP` consecutive leads, one call per group: the int8
        encoder's vector for a text depends on the other texts of its call (dynamic quantization scales by the whole
        call), so fixed groups keep an article's vector the same whatever ``ingest.batch_size`` cuts the stream
        into, as long as it is a multiple of the group (storyline/service/backfill.py plans the same groups)."""
        parts = [self._encode_group(g) for g in lead_groups(leads)]
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def _encode_group(self, leads: list[str]) -> np.ndarray:
        """:meth:`_encode_leads` of one group: its texts not among the recent leads, in one encoder call."""
        recent = self._recent_leads
        keys = [hashlib.blake2b(t.encode("utf-8"), digest_size=16).digest() for t in leads]
        todo: dict[bytes, str] = {}
        for k, t in zip(keys, leads):
            if k not in recent and k not in todo:
                todo[k] = t
        fresh = dict(zip(todo, self.encoder.encode(list(todo.values())))) if todo else {}
        out = np.empty((len(leads), self.dim), dtype=np.float32)
        for i, k in enumerate(keys):
            v = fresh.get(k)
            if v is None:
                v = recent[k]
                recent.move_to_end(k)
            out[i] = v
        self.reused_encodings += len(leads) - len(fresh)
        cap = self.settings.encoder_reuse
        if cap > 0:
            for k, v in fresh.items():
                recent[k] = v
            while len(recent) > cap:
                recent.popitem(last=False)
        return out

    def _compare(self, f: Features) -> list[tuple[StoryState, dict[str, float], float]]:
        """(story, components, content similarity) for each candidate; sets ``f.density``.

        Per candidate: :func:`_mean_dot` of the lexical and entity vectors, the dense mean cosine, :meth:`_time` and
        :meth:`content`, inlined: this loop runs for ≈ 20 candidates per article and the calls cost more than the
        sums (exactly rounded sums, as in :func:`_mean_dot`; tests/test_cluster_state.py holds the two equal)."""
        s = self.settings
        stories = self.stories
        fsum, mul = math.fsum, operator.mul
        flex, fent, fdense, day = f.lex, f.ent, f.dense, f.day
        lex_keys, ent_keys = flex.keys(), fent.keys()
        lex_of, ent_of = flex.__getitem__, fent.__getitem__
        w_lex, w_ent, w_dense = s.w_lexical, s.w_entities, s.w_dense
        den_ld = w_lex + w_ent
        den_all = den_ld + w_dense
        w_time, scale, undated_time = s.w_time, s.time_scale_days, s.undated_time
        exp = math.exp
        rows = []
        # min(1.0, max(0.0, x)) is written out as comparisons (the same value, -0.0 and all: max keeps its first
        # argument on a tie); an article without entities skips their intersections
        for sid in self._candidates(f):
            st = stories[sid]
            n = st.n
            total = st.lex
            common = lex_keys & total.keys()
            if common:
                lex = fsum(map(mul, map(lex_of, common), map(total.__getitem__, common))) / n
                lex = (lex if lex < 1.0 else 1.0) if lex > 0.0 else 0.0
            else:
                lex = 0.0
            if ent_keys:
                total = st.ent
                common = ent_keys & total.keys()
                if common:
                    ent = fsum(map(mul, map(ent_of, common), map(total.__getitem__, common))) / n
                    ent = (ent if ent < 1.0 else 1.0) if ent > 0.0 else 0.0
                else:
                    ent = 0.0
            else:
                ent = 0.0
            first, last = st.first, st.last
            if day is None or first is None or last is None:
                time = undated_time
            else:
                gap = 0.0 if first <= day <= last else min(abs(day - first), abs(day - last))
                time = 1.0 - w_time * (1.0 - exp(-gap / scale))
            num = w_lex * lex + w_ent * ent
            if fdense is not None and st.dense is not None:
                dense = float(np.clip(np.dot(fdense, st.dense) / n, 0.0, 1.0))
                comps = {"lexical": lex, "entities": ent, "dense": dense, "time": time}
                num += w_dense * dense
                content = num / den_all if den_all > 0 else 0.0
            else:
                comps = {"lexical": lex, "entities": ent, "time": time}
                content = num / den_ld if den_ld > 0 else 0.0
            rows.append((st, comps, content))
        f.density = self._density([c for _, _, c in rows])
        return rows

    def _score(self, f: Features) -> tuple[list[tuple[float, int, str, dict[str, float]]], dict[str, float]]:
        """The candidates scored, best first, as (score, -seq, story id, components), and their content
        similarities by story id; sets the article's density and counts it in the stream's mean."""
        rows = self._compare(f)
        scored = []
        contents: dict[str, float] = {}
        # combine(), inlined (the stream's mean density does not change while an article is scored)
        dw = self.settings.density_weight
        mean_density = self._mean_density()
        density = f.density
        for st, comps, content in rows:
            x = (content - dw * (0.5 * (density + st.density_sum / st.n) - mean_density)) * comps["time"]
            sid = st.id
            scored.append(((x if x < 1.0 else 1.0) if x > 0.0 else 0.0, -st.seq, sid, comps))  # min(1, max(0, x))
            contents[sid] = content
        scored.sort(reverse=True)
        self._density_sum += density
        self._density_n += 1
        return scored, contents

    def pair_features(self, f: Features, scored: list[tuple[float, int, str, dict[str, float]]],
                      contents: dict[str, float], names: Sequence[str]) -> np.ndarray:
        """The join model's features (columns ``names``) for each scored candidate (rows, in ``scored`` order);
        only the features named are computed."""
        want, base, idx = _feature_plan(tuple(names))
        if not scored:
            return np.zeros((0, len(names)), dtype=np.float64)
        fsum, mul = math.fsum, operator.mul
        best2 = sorted(contents.values(), reverse=True)[:2]
        log_tokens = math.log1p(f.n_tokens)
        log_rate = math.log1p(len(self._rate_days)) if f.day is not None else 0.0
        title_nums = _numbers(f.title) if "title_num_miss" in want else set()
        ent_total = math.fsum(f.ent.values()) if "ent_cover" in want else 0.0
        want_lex_best, want_title = "lex_best" in want, "title_avg" in want
        want_extra = not want.isdisjoint(("lex_centroid", "ent_cover", "title_num_miss", "gap_rel", "time", "log_span",
                                          "title_soft", "title_ent_miss"))
        flex, ftitle = f.lex, f.title
        lex_keys, title_keys, lex_of, title_of = flex.keys(), ftitle.keys(), flex.__getitem__, ftitle.__getitem__
        soft = _soft_terms(ftitle) if "title_soft" in want else None
        rows = []
        for i, (sc, _, sid, comps) in enumerate(scored):
            st = self.stories[sid]
            content = contents[sid]
            # the margin over the best other candidate; a sole candidate has none to be ahead of, so its margin is
            # 0 (no evidence either way), not its whole similarity: with that, a lone dated candidate looked like a
            # clear winner, which it is only in a sparse stream, not when many stories share the same days
            other = best2[1] if content == best2[0] and len(best2) > 1 else best2[0] if content != best2[0] else content
            undated = f.day is None or st.first is None or st.last is None
            d = {
                "lex_avg": comps["lexical"],
                "ent_avg": comps["entities"],
                "score": sc,
                "log_gap_newest": 0.0 if undated else math.log1p(abs(f.day - st.last)),  # type: ignore[operator]
                "log_gap_oldest": 0.0 if undated else math.log1p(abs(f.day - st.first)),  # type: ignore[operator]
                "undated": 1.0 if undated else 0.0,
                "log_size": math.log(st.n),
                "log_tokens": log_tokens,
                "density": f.density,
                "margin": content - other,
                "rank": float(i),
                "stream_gap": self._gap_mean,
                "log_rate": log_rate,
            }
            if want_lex_best:
                # the best link: _mean_dot(f.lex, m, 1) over the recent members, inlined (up to 8 dots per
                # candidate); a one-member story's best link is its average link (the same clipped dot product)
                if st.n == 1 and len(st.recent_lex) == 1:
                    best = comps["lexical"]
                else:
                    # every member's dot product is ≥ 0 and together they are the average link times n (the recent
                    # members are among those summed in st.lex): once the best so far reaches what the members not
                    # yet looked at can still add, none of them can beat it (the margin covers the sums' rounding)
                    avg = comps["lexical"]
                    left = avg * st.n * (1.0 + 1e-9) if avg < 1.0 else math.inf
                    best = 0.0
                    for m in st.recent_lex:
                        if best >= left:
                            break
                        common = lex_keys & m.keys()
                        if common:
                            x = fsum(map(mul, map(lex_of, common), map(m.__getitem__, common)))
                            left -= x
                            x = min(1.0, max(0.0, x))
                            if x > best:
                                best = x
                d["lex_best"] = best
            if want_title:
                total = st.title
                common = title_keys & total.keys()
                d["title_avg"] = (min(1.0, max(0.0, fsum(map(mul, map(title_of, common),
                                                             map(total.__getitem__, common))) / st.n))
                                  if common else 0.0)
            if want_extra:
                self._extra_features(f, st, comps, d, want, undated, title_nums, ent_total)
                if soft is not None:
                    d["title_soft"] = _soft_title(soft, st.title, st.n)
            if f.dense is not None:
                d["dense_avg"] = comps.get("dense", 0.0)
                if "dense_best" in want:
                    d["dense_best"] = (float(np.max(np.stack(st.recent_dense) @ f.dense))
                                       if st.recent_dense else 0.0)
                if "dense_centroid" in want and st.dense is not None:
                    norm = float(np.linalg.norm(st.dense))
                    d["dense_centroid"] = float(np.dot(f.dense, st.dense)) / norm if norm > 0 else 0.0
            row = list(map(d.get, base, _ZEROS))
            row.append(1.0)
            rows.append(row)
        # each column is the product of its factors (a base feature times 1.0), in one pass over all candidates
        B = np.array(rows, dtype=np.float64)
        X = B.take(idx[:, 0], axis=1)  # take: row-major (as the model's products were always computed on), and
        for k in range(1, idx.shape[1]):  # half the cost of indexing B[:, idx[:, k]] and copying that to C order
            X *= B.take(idx[:, k], axis=1)
        return X

    @staticmethod
    def _extra_features(f: Features, st: StoryState, comps: dict[str, float], d: dict[str, float],
                        want: frozenset[str], undated: bool, title_nums: set[str], ent_total: float) -> None:
        """The features of EXTRA_FEATURES (storyline/cluster/model.py) that ``want`` names, into ``d``."""
        if "time" in want:
            d["time"] = comps["time"]
        if "log_span" in want:
            d["log_span"] = 0.0 if undated else math.log1p(st.last - st.first)  # type: ignore[operator]
        if "lex_centroid" in want:  # the norm of the story's sum, computed when a model asks for it
            sq = math.fsum(x * x for x in st.lex.values())
            d["lex_centroid"] = min(1.0, max(0.0, comps["lexical"] * st.n / math.sqrt(sq))) if sq > 0 else 0.0
        if "ent_cover" in want:
            d["ent_cover"] = (math.fsum(w for e, w in f.ent.items() if e in st.ent) / ent_total
                              if ent_total > 0 else 0.0)
        if "title_num_miss" in want:
            theirs = _numbers(st.title) if title_nums else set()
            d["title_num_miss"] = 1.0 if title_nums and theirs and not title_nums <= theirs else 0.0
        if "title_ent_miss" in want:
            d["title_ent_miss"] = _title_ent_miss(f, st.ent)
        if "gap_rel" in want:
            if undated:
                d["gap_rel"] = 0.0
            else:
                gap = 0.0 if st.first <= f.day <= st.last else min(abs(f.day - st.first),  # type: ignore
                                                                  abs(f.day - st.last))  # type: ignore
                d["gap_rel"] = gap / (1.0 + st.last - st.first)  # type: ignore[operator]

    def _assign_one(self, a: Article, vec: np.ndarray | None) -> Assignment:
        s = self.settings
        f = self.features(a, vec)
        self._advance_clock(f.day)
        scored, contents = self._score(f)
        if self.model is not None:
            return self._decide_learned(a, f, vec, scored, contents)
        merged: list[str] = []
        if scored and scored[0][0] >= s.threshold:
            sc, _, sid, comps = scored[0]
            st = self.stories[sid]
            shared = self._shared(f, st)
            self._add_member(st, f)
            st = self._merge_passing(st, [(x[0], x[2]) for x in scored[1:]], merged)
            asg = Assignment(a.id, st.id, sc, False, {**comps, "threshold": s.threshold}, shared, tuple(merged))
        else:
            st = self._new_story(a.id)
            self._add_member(st, f)
            # a new story: the components say how close the nearest existing story came
            comps = dict(scored[0][3]) if scored else {}
            comps["nearest_story_score"] = scored[0][0] if scored else 0.0
            comps["threshold"] = s.threshold
            if scored:
                comps["nearest_story"] = scored[0][2]  # type: ignore[assignment]  # an id, kept for explain
            asg = Assignment(a.id, st.id, 1.0, True, comps, ())
        self._after_assign(st, vec)
        return asg

    def _merge_passing(self, st: StoryState, others: list[tuple[float, str]], merged: list[str]) -> StoryState:
        """After a join: merge the grown story with each other candidate that also passed the cut (``others``,
        best first, as (score or P(join), story id)) when their story-to-story score reaches merge_threshold."""
        s = self.settings
        for sc2, sid2 in others:
            if sc2 < s.threshold:
                break
            other = self.stories.get(sid2)
            if other is None or other.id == st.id:
                continue
            if self.story_similarity(st, other) >= s.merge_threshold:
                keep, gone = (st, other) if st.seq < other.seq else (other, st)
                self._merge(keep, gone)
                merged.append(gone.id)
                st = keep
        return st

    def _after_assign(self, st: StoryState, vec: np.ndarray | None) -> None:
        if vec is not None:
            self._add_dense(st.id, vec)

    def _decide_learned(self, a: Article, f: Features, vec: np.ndarray | None,
                        scored: list[tuple[float, int, str, dict[str, float]]],
                        contents: dict[str, float]) -> Assignment:
        """Join the candidate the model finds most probable when P(join) reaches the cut; the membership keeps the
        features (``f:<name>``), P(join) and, for a new story, the nearest story's id (for ``explain``)."""
        s = self.settings
        model = self.model
        assert model is not None
        top = scored[: s.decision_candidates]
        X = self.pair_features(f, top, contents, model.features)
        p: list[float] = model.predict(X).tolist() if top else []
        order = sorted(range(len(p)), key=lambda k: -p[k])  # most probable first; ties keep the score order
        merged: list[str] = []
        comps: dict[str, float] = {}
        if top:
            j = order[0]
            comps = dict(top[j][3])
            # the model's features; an interaction term a*b is not stored (a and b are: explain recomputes it)
            keys, cols = _stored_features(model.features)
            row = X[j].tolist()
            comps.update(zip(keys, map(row.__getitem__, cols)))
            comps["p_join"] = p[j]
        comps["threshold"] = s.threshold
        if top and p[order[0]] >= s.threshold:
            st = self.stories[top[order[0]][2]]
            shared = self._shared(f, st)
            self._add_member(st, f)
            st = self._merge_passing(st, [(p[k], top[k][2]) for k in order[1:]], merged)
            asg = Assignment(a.id, st.id, p[order[0]], False, comps, shared, tuple(merged))
        else:
            st = self._new_story(a.id)
            self._add_member(st, f)
            comps["nearest_story_score"] = p[order[0]] if top else 0.0
            if top:
                comps["nearest_story"] = top[order[0]][2]  # type: ignore[assignment]  # an id, for explain
            asg = Assignment(a.id, st.id, 1.0, True, comps, ())
        self._after_assign(st, vec)
        return asg

    def teach(self, articles: Sequence[Article], labels: Sequence[str], names: Sequence[str] | None = None,
              vectors: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Teacher forcing, for training the join model: each article is scored against its candidates exactly as
        :meth:`assign` would (features in :func:`~storyline.cluster.model.features_for` order), then put in the
        story of its gold label. Returns (X, y): one row per (article, candidate), y = 1 when the candidate is the
        article's gold story."""
        if names is None:
            names = features_for("default" if self.encoder is not None else "lexical")
        # ``vectors``: the articles' vectors as the clusterer should read them (bench/train_cluster.py gives each
        # story's through an event adapter fitted without it), instead of the encoder's through self.adapter
        dense = vectors if vectors is not None or self.encoder is None else \
            self._adapt(self._encode_leads([a.lead for a in articles]))
        label_of: dict[str, str] = getattr(self, "_gold_of_story", {})
        story_of: dict[str, str] = getattr(self, "_story_of_gold", {})
        self._gold_of_story, self._story_of_gold = label_of, story_of
        xs, ys = [], []
        for i, (a, lab) in enumerate(zip(articles, labels)):
            vec = None if dense is None else dense[i]
            f = self.features(a, vec)
            self._advance_clock(f.day)
            scored, contents = self._score(f)
            top = scored[: self.settings.decision_candidates]
            if top:
                xs.append(self.pair_features(f, top, contents, names))
                ys.extend(1 if label_of.get(x[2]) == lab else 0 for x in top)
            sid = story_of.get(lab)
            if sid is None or sid not in self.stories:
                st = self._new_story(a.id)
                story_of[lab], label_of[st.id] = st.id, lab
            else:
                st = self.stories[sid]
            self._add_member(st, f)
            self._after_assign(st, vec)
        self._pending = []
        X = np.concatenate(xs) if xs else np.zeros((0, len(names)))
        return X, np.asarray(ys, dtype=np.int8)

    # -- persistence -------------------------------------------------------------------------------------------
    def observe(self, store: "Store", articles: Sequence[Article], assignments: Sequence[Assignment]) -> None:
        """Pipeline observer: persist this batch's embeddings (float16) beside the stored articles."""
        if not self._pending or self.encoder is None:
            self._pending = []
            return
        store.add_embeddings(self.encoder.name, self._pending)
        self._pending = []

    def restore(self, store: "Store") -> "OnlineClusterer":
        """Rebuild the learned state from the store: replay the memberships of current articles in arrival order
        (no re-encoding when embeddings are stored; missing ones are encoded in batches). An article superseded by a
        newer version of itself (docs/versions.md) is left out: it no longer counts in its story."""
        rows = list(store.current_members())
        if not rows:
            return self
        vecs: dict[str, np.ndarray] = {}
        if self.encoder is not None:
            for aid, blob in zip(*store.embedding_rows(self.encoder.name)):
                vecs[aid] = np.frombuffer(blob, dtype=np.float16).astype(np.float32)
            missing = [a for a, _ in rows if a.id not in vecs]
            if missing:  # stored before embeddings were kept (or by another model): encode once and keep them
                enc = self.encoder.encode([m.lead for m in missing])
                with store.transaction():
                    store.add_embeddings(self.encoder.name, list(zip((m.id for m in missing), enc)))
                for m, v in zip(missing, enc):
                    vecs[m.id] = v
            if vecs and self.adapter is not None:  # stored vectors are the encoder's own
                ids = list(vecs)
                vecs = dict(zip(ids, self._adapt(np.stack([vecs[i] for i in ids]))))
        for a, sid in rows:
            vec = vecs.get(a.id)
            f = self.features(a, vec)
            self._advance_clock(f.day)
            self._compare(f)  # the article's local density, as it was computed when it arrived
            self._density_sum += f.density
            self._density_n += 1
            st = self.stories.get(sid)
            if st is None:
                self._seq += 1
                st = StoryState(sid, self._seq)
                self.stories[sid] = st
            self._add_member(st, f)
            if vec is not None:
                self._add_dense(sid, vec)
        self.alias.update(store.alias_map())
        return self

    # -- introspection -----------------------------------------------------------------------------------------
    def index_stats(self) -> dict[str, float]:
        """Sizes of the candidate indexes (for the scale benchmark)."""
        n_post = sum(len(p) for p in self.postings.values())
        return {
            "stories": len(self.stories),
            "active_stories": sum(1 for st in self.stories.values() if st.active),
            "posting_entries": n_post,
            "dense_vectors": 0 if self._index is None else int(self._index.ntotal),
            "members_in_active_stories": sum(st.n for st in self.stories.values() if st.active),
        }

