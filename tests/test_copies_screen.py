"""The rewrite screen: the coverage bound never falls below the real lexical coverage, so screening a pair out never
turns a pair the full judge calls rewrite (or copy) into independent."""

from __future__ import annotations

from hypothesis import given, settings as hsettings, strategies as st

from storyline.copies import PairJudge
from storyline.copies.align import align_pair, coverage_upper_bound, unit_stem_counts
from storyline.records import Article

VOCAB = ["talks", "doha", "saturday", "taliban", "envoy", "prices", "rose", "rain", "court", "ruled", "vote",
         "senate", "the", "and", "in", "on", "a", "of", "troops", "border", "deal", "signed", "oil", "markets"]

sentence = st.lists(st.sampled_from(VOCAB), min_size=1, max_size=12).map(lambda ws: " ".join(ws).capitalize() + ".")
body = st.lists(sentence, min_size=1, max_size=6).map(" ".join)
title = st.one_of(st.just(""), sentence)


@hsettings(max_examples=300, deadline=None)
@given(body, body, title, title, st.sampled_from([0.3, 0.6, 0.8]))
def test_bound_is_at_least_the_coverage(body_a: str, body_b: str, title_a: str, title_b: str, lam: float) -> None:
    al = align_pair(body_a, body_b, title_a, title_b, lexical_threshold=lam)
    ca, cb = unit_stem_counts(body_a, title_a), unit_stem_counts(body_b, title_b)
    assert coverage_upper_bound(ca, cb, lam) >= al.coverage_a - 1e-9
    assert coverage_upper_bound(cb, ca, lam) >= al.coverage_b - 1e-9


@hsettings(max_examples=200, deadline=None)
@given(body, body, title)
def test_screen_keeps_the_verdict(body_a: str, body_b: str, title_a: str) -> None:
    judge = PairJudge()
    a = Article(id="a", title=title_a, text=body_a, source="x", date=None)
    b = Article(id="b", title=title_a, text=body_b, source="y", date=None)
    assert judge.judge(a, b).relation == PairJudge(screen=False).judge(a, b).relation


def test_screen_rejects_unrelated_and_keeps_rewrites() -> None:
    judge = PairJudge()
    a = Article(id="a", title="Talks start in Doha", text="Talks with the Taliban start Saturday in Doha. "
                "The US envoy will attend.", source="x", date=None)
    rewrite = Article(id="b", title="Doha talks begin", text="The talks in Doha with the Taliban begin on "
                      "Saturday. America's envoy is to attend.", source="y", date=None)
    other = Article(id="c", title="Oil markets", text="Oil prices rose on Monday. Markets were calm.",
                    source="z", date=None)
    assert judge.cannot_be_rewrite(a, other)
    assert judge.judge(a, other).relation == "independent"
    assert not judge.cannot_be_rewrite(a, rewrite)
