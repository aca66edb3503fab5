"""The online clusterer's per-story state: a new story takes its first member's vectors without copying them, and
the best link's early stop gives the full maximum."""

from __future__ import annotations

import math
import operator
from dataclasses import replace

from storyline.cluster.base import profile_threshold
from storyline.cluster.online import OnlineClusterer
from storyline.records import Article
from storyline.settings import Settings

from .test_cluster import TOPICS, article

LEXICAL = Settings().with_overrides({"cluster.profile": "lexical"}).cluster


def _clusterer() -> OnlineClusterer:
    return OnlineClusterer(replace(LEXICAL, threshold=profile_threshold(LEXICAL)), None)


def _sum(vectors: list[dict[str, float]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for v in vectors:
        for t, x in v.items():
            out[t] = out.get(t, 0.0) + x
    return out


def test_first_member_vector_is_shared_until_the_story_grows() -> None:
    c = _clusterer()
    a, b, d = (article(i, "storm", i, 1) for i in range(3))
    fa, fb, fd = c.features(a), c.features(b), c.features(d)
    first = dict(fa.lex)
    st = c._new_story(a.id)
    c._add_member(st, fa)
    assert st.lex is fa.lex and st.recent_lex[0] is fa.lex  # one vector for a one-member story
    c._add_member(st, fb)
    assert st.lex is not fa.lex
    assert fa.lex == first  # the member's own vector is untouched by the sum
    assert st.lex == _sum([first, fb.lex])
    # a merge into a one-member story copies its sum before adding
    other = c._new_story(d.id)
    c._add_member(other, fd)
    d_first = dict(fd.lex)
    keep, gone = (other, st) if other.seq < st.seq else (st, other)
    c._merge(keep, gone)
    assert fd.lex == d_first
    expected = _sum([first, fb.lex, d_first])
    assert keep.lex.keys() == expected.keys()
    assert all(math.isclose(keep.lex[t], x) for t, x in expected.items())


def test_best_link_equals_the_maximum_over_recent_members() -> None:
    c = _clusterer()
    texts = list(TOPICS)
    arts = [article(i, texts[i % 2], i, 1 + i % 3) for i in range(12)]
    for a in arts[:-1]:
        c.assign([a])
    f = c.features(arts[-1])
    scored, contents = c._score(f)
    names = ("lex_avg", "lex_best")
    X = c.pair_features(f, scored, contents, names)
    for row, (_, _, sid, _) in zip(X, scored):
        st = c.stories[sid]
        dots = []
        for m in st.recent_lex:
            common = list(f.lex.keys() & m.keys())
            dots.append(min(1.0, max(0.0, math.fsum(map(operator.mul, map(f.lex.__getitem__, common),
                                                        map(m.__getitem__, common))))))
        full = max(dots)
        assert row[1] == full
    assert any(c.stories[sid].n > 1 for _, _, sid, _ in scored)


def test_candidate_scoring_equals_its_reference_formulas() -> None:
    """_compare inlines _mean_dot, _time and content for speed: its components and content similarities must be
    what those give, exactly."""
    from storyline.cluster.online import _mean_dot

    c = _clusterer()
    texts = list(TOPICS)
    arts = [article(i, texts[i % len(texts)], i, 1 + i % 4) for i in range(16)]
    for a in arts[:-1]:
        c.assign([a])
    # a report that shares words with two stories, so that more than one is a candidate
    mixed = replace(arts[-1], id="a-mixed", text=TOPICS["storm"] + ". " + TOPICS["fire"])
    f = c.features(mixed)
    rows = c._compare(f)
    assert len(rows) >= 2
    for st, comps, content in rows:
        lex, ent = _mean_dot(f.lex, st.lex, st.n), _mean_dot(f.ent, st.ent, st.n)
        assert comps == {"lexical": lex, "entities": ent, "time": c._time(f.day, st.first, st.last)}
        assert content == c.content(lex, None, ent)
