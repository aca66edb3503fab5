import pytest
from hypothesis import given, strategies as st

from storyline.headline import representative_index, story_headline_index
from storyline.pipeline import ingest
from storyline.records import Origin, RawItem
from storyline.settings import Settings
from storyline.stories import build_view

pytestmark = pytest.mark.backends("sqlite", "postgres")  # every test that takes `store` runs on both


def test_the_title_closest_to_the_others_wins_and_real_titles_beat_derived():
    titles = ["Storm hits coast", "Storm hits the northern coast, thousands without power",
              "Thousands without power after storm hits northern coast"]
    assert representative_index(titles) in (1, 2)
    assert representative_index(["Storm hits coast", "Storm hits coast"], [True, False]) == 1
    assert representative_index([]) is None


@given(st.lists(st.text(max_size=30), min_size=1, max_size=12))
def test_representative_index_is_a_valid_index(titles):
    i = representative_index(titles)
    assert 0 <= i < len(titles)


def _rest_cosines(titles, pool):
    """cos(v_i, Σ_j v_j − v_i), written out with a rest vector per title (what _scores computes without one)."""
    import math
    from collections import Counter

    from storyline.headline import _vector

    vectors = {i: _vector(titles[i]) for i in pool}
    total = Counter()
    for v in vectors.values():
        total.update(v)
    out = {}
    for i in pool:
        rest = {w: x for w, x in total.items()}
        for w, x in vectors[i].items():
            rest[w] -= x
        norm = math.sqrt(sum(x * x for x in rest.values()))
        out[i] = sum(x * rest[w] for w, x in vectors[i].items()) / norm if norm > 1e-12 else 0.0
    return out


WORDS = st.sampled_from("storm coast power thousands ferry strike pay crews vellmar the of 12 dam river opens".split())


@given(st.lists(st.lists(WORDS, max_size=8).map(" ".join), min_size=1, max_size=10))
def test_title_scores_are_the_cosine_with_the_other_titles_sum(titles):
    from storyline.headline import _scores

    pool = list(range(len(titles)))
    got, want = _scores(titles, pool), _rest_cosines(titles, pool)
    assert got.keys() == want.keys()
    for i in pool:
        assert got[i] == pytest.approx(want[i], abs=1e-9)


TEXTS = ["Ferry crews walked out at dawn in Vellmar over pay.",
         "Crews on the Vellmar ferries went on strike on Tuesday morning, demanding higher wages.",
         "All crossings from Vellmar were cancelled as ferry staff stayed away in a row over pay."]


def test_stored_headline_is_the_view_headline_and_follows_the_story(store):
    # three independent reports (different words: not copies); the newest representative title leads
    items = [RawItem(origin=Origin("x", i), source=f"S{i}", title=t, date=f"2026-03-0{i + 1}", text=TEXTS[i])
             for i, t in enumerate(["Ferry strike", "Vellmar ferry crews strike over pay",
                                    "Ferry crews in Vellmar strike over pay, crossings cancelled"])]
    ingest(store, items, Settings().with_overrides({"cluster.profile": "lexical", "cluster.decision": "score",
                                                  "cluster.lexical_threshold": 0.05}))
    [story] = store.list_stories()
    assert story.n_articles == 3
    assert story.headline == build_view(store, story.id).to_dict()["headline"] == \
        "Ferry crews in Vellmar strike over pay, crossings cancelled"


def test_headline_follows_the_newest_representative_title_or_keeps_the_first():
    titles = ["Fire at Tamsford mill kills three", "Tamsford mill fire death toll rises to four",
              "Weather: a dry week ahead"]
    assert story_headline_index(titles, dates=[1, 2, 3]) == 1  # the newest is not representative: the one before
    assert story_headline_index(titles[:1] + titles[2:], dates=[1, 2]) == 0  # nothing newer representative
    assert story_headline_index(titles, dates=[1, 2, 3], independent=[True, False, True]) == 0  # a copy proposes none
    assert story_headline_index(titles, dates=[3, 2, 1]) == 0  # dates, not list order
    assert story_headline_index([]) is None
