"""B-cubed and pairwise metrics on cases computed by hand."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storyline.errors import StorylineError
from storyline.eval.metrics import bcubed, pairwise


def test_bcubed_perfect_clustering_scores_one():
    gold = {"a": 1, "b": 1, "c": 2}
    pred = {"a": "x", "b": "x", "c": "y"}
    r = bcubed(pred, gold)
    assert (r.precision, r.recall, r.f1) == (1.0, 1.0, 1.0)


def test_bcubed_hand_computed_case():
    # gold: {a,b,c} {d,e}; predicted: {a,b} {c,d,e}
    # precision: a,b: 2/2; c: 1/3; d,e: 2/3 each -> (1+1+1/3+2/3+2/3)/5 = (11/3)/5 = 11/15
    # recall:    a,b: 2/3; c: 1/3; d,e: 2/2    -> (2/3+2/3+1/3+1+1)/5 = (11/3)/5 = 11/15
    gold = {"a": "g1", "b": "g1", "c": "g1", "d": "g2", "e": "g2"}
    pred = {"a": "p1", "b": "p1", "c": "p2", "d": "p2", "e": "p2"}
    r = bcubed(pred, gold)
    assert r.precision == pytest.approx(11 / 15)
    assert r.recall == pytest.approx(11 / 15)
    assert r.f1 == pytest.approx(11 / 15)


def test_bcubed_all_singletons_and_all_in_one():
    gold = {"a": 1, "b": 1, "c": 1, "d": 2}
    singletons = bcubed({k: k for k in gold}, gold)
    assert singletons.precision == 1.0
    assert singletons.recall == pytest.approx((1 / 3 * 3 + 1) / 4)  # 0.5
    one = bcubed({k: 0 for k in gold}, gold)
    assert one.recall == 1.0
    assert one.precision == pytest.approx((3 / 4 * 3 + 1 / 4) / 4)  # 0.625
    assert one.f1 == pytest.approx(2 * 0.625 / 1.625)


def test_pairwise_hand_computed_case():
    # same case as above: gold pairs ab ac bc de (4); predicted pairs ab cd ce de (4); shared ab de (2)
    gold = {"a": "g1", "b": "g1", "c": "g1", "d": "g2", "e": "g2"}
    pred = {"a": "p1", "b": "p1", "c": "p2", "d": "p2", "e": "p2"}
    r = pairwise(pred, gold)
    assert (r.precision, r.recall, r.f1) == (0.5, 0.5, 0.5)


def test_pairwise_no_predicted_pairs_has_precision_one_and_recall_zero():
    gold = {"a": 1, "b": 1}
    r = pairwise({"a": 1, "b": 2}, gold)
    assert (r.precision, r.recall, r.f1) == (1.0, 0.0, 0.0)


def test_metrics_refuse_mismatched_items():
    with pytest.raises(StorylineError, match="same items"):
        bcubed({"a": 1}, {"a": 1, "b": 1})


labels = st.dictionaries(st.integers(0, 30), st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=1)


@given(labels)
def test_metrics_are_in_unit_interval_and_bcubed_swaps_precision_and_recall(pairs):
    pred = {k: v[0] for k, v in pairs.items()}
    gold = {k: v[1] for k, v in pairs.items()}
    for fn in (bcubed, pairwise):
        r = fn(pred, gold)
        assert 0.0 <= r.precision <= 1.0 and 0.0 <= r.recall <= 1.0 and 0.0 <= r.f1 <= 1.0
    a, b = bcubed(pred, gold), bcubed(gold, pred)
    assert a.precision == pytest.approx(b.recall) and a.recall == pytest.approx(b.precision)
    assert bcubed(gold, gold).f1 == 1.0


def test_bcubed_of_some_items_counts_their_mistakes_against_the_others():
    from storyline.eval.metrics import bcubed, bcubed_of

    gold = {"a": 1, "b": 1, "c": 2, "d": 2}
    pred = {"a": "x", "b": "x", "c": "x", "d": "y"}  # c wrongly joined a and b
    assert bcubed_of(pred, gold, gold) == bcubed(pred, gold)
    held = bcubed_of(pred, gold, ["c", "d"])
    assert held.precision == (1 / 3 + 1) / 2 and held.recall == (1 / 2 + 1 / 2) / 2
