"""The join-model features read from titles: the names a title gives that the story lacks (title_ent_miss, in the
lexical model) and the near-synonym title similarity (title_soft, computable, not shipped)."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np

from storyline.cluster.online import OnlineClusterer, _soft_terms, _soft_title
from storyline.records import Article
from storyline.represent import synonyms
from storyline.represent.lexical import tokens
from storyline.settings import Settings

DAY = datetime(2026, 3, 20, 9, tzinfo=timezone.utc)
CS = Settings().with_overrides({"cluster.profile": "lexical", "cluster.decision": "score"}).cluster


def _art(i: int, title: str, text: str, source: str) -> Article:
    return Article(id=f"a{i}", title=title, text=text, source=source, date=DAY)


def _features_against_first(first: Article, second: Article, names: tuple[str, ...]) -> np.ndarray:
    c = OnlineClusterer(CS)
    c.teach([first], ["s"])
    f = c.features(second)
    scored, contents = c._score(f)
    assert scored, "the second article must find the first one's story as a candidate"
    return c.pair_features(f, scored, contents, names)[0]


def test_title_ent_miss_counts_the_titles_names_the_story_never_names_and_ignores_the_outlets_name():
    dam = _art(0, "Orvalla dam: update 1 from North Gazette",
               "Engineers found a crack in the spillway of the Orvalla dam on Thursday. The water board lowered the "
               "reservoir by two metres, an update said.", "North Gazette")
    bridge = _art(1, "Quillon bridge: update 2 from Coastal Times",
                  "The Quillon bridge was closed to lorries on Thursday. The water board said the update came after "
                  "engineers found unusual vibration.", "Coastal Times")
    same = _art(2, "Orvalla dam: update 2 from Coastal Times",
                "Divers will survey the Orvalla dam spillway on Friday after engineers found a crack on Thursday.",
                "Coastal Times")
    assert _features_against_first(dam, bridge, ("title_ent_miss",))[0] == 1.0  # "Quillon": not in the dam story
    # the same event: its title's name is the story's, and "Coastal Times" (the outlet) does not count as missing
    assert _features_against_first(dam, same, ("title_ent_miss",))[0] == 0.0
    # a title without names says nothing either way
    plain = _art(3, "crack found in spillway", "Engineers found a crack in the Orvalla dam spillway.", "x")
    assert _features_against_first(dam, plain, ("title_ent_miss", "title_ent_miss*density"))[0] == 0.0


def test_the_outlets_own_name_is_not_a_headline_term():
    """Two outlets' templated headlines of different events share "update 1 from <outlet>": the outlet's name leaves
    the headline's terms (it says who reports), so the titles' overlap is the template word alone."""
    c = OnlineClusterer(CS)
    f = c.features(_art(0, "Orvalla dam: update 1 from North Gazette", "Engineers found a crack.", "North Gazette"))
    gazette, north = tokens("Gazette")[0], tokens("North")[0]
    assert set(f.title) == set(tokens("Orvalla dam update 1")) and gazette not in f.lex and north not in f.lex
    same_paper = _art(1, "Quillon bridge: update 1 from North Gazette", "The bridge was closed.", "North Gazette")
    row = _features_against_first(
        _art(2, "Orvalla dam: update 1 from North Gazette", "Engineers found a crack.", "North Gazette"),
        same_paper, ("title_avg",))
    assert 0.0 < row[0] < 0.5  # only "update" and "1" are shared
    # an article whose title is only its outlet's name keeps no title terms, and nothing fails
    assert c.features(_art(3, "North Gazette", "Body text here.", "North Gazette")).title == {}
    # without a source nothing is taken out
    assert {gazette, north} <= set(c.features(_art(4, "North Gazette reports", "Body.", "")).title)


def test_title_soft_credits_near_synonyms_that_title_avg_misses():
    assert synonyms.table() is not None, "the packaged word table storyline/stories/data/word_neighbours.npz"
    assert "stay" in dict(synonyms.table().of("remain"))
    a = {t: 0.1 for t in tokens("Flood residents remain in homes")}
    story = {t: 0.1 for t in tokens("Flood residents stayed in their houses")}
    exact = sum(w * story.get(t, 0.0) for t, w in a.items())
    soft = _soft_title(_soft_terms(a), story, 1)
    assert soft > exact  # "remain" meets "stayed" (and "homes" "houses"), not only the shared words
    # inflections fold at cosine 1; unrelated words earn nothing
    assert _soft_title(_soft_terms({"remained": 0.5}), {"remain": 1.0}, 1) == 0.5
    assert _soft_title(_soft_terms({"volcano": 0.5}), {"budget": 1.0}, 1) == 0.0
    # average link: over the story's size, and clipped to [0, 1]
    assert _soft_title(_soft_terms({"remain": 1.0}), {"remain": 2.0}, 2) == 1.0
    assert _soft_title(_soft_terms({"remain": 0.8}), {"remain": 1.0}, 2) == 0.4


def test_title_soft_is_computed_through_the_clusterer():
    first = _art(0, "Flood residents stayed in their houses", "Residents of the valley stayed in their houses as the "
                 "flood rose.", "a")
    second = _art(1, "Flood residents remain in homes", "Residents of the valley remain in their homes as the flood "
                  "rose.", "b")
    x = _features_against_first(first, second, ("title_avg", "title_soft"))
    assert x[1] > x[0] >= 0.0


def test_the_shipped_lexical_model_keeps_templated_same_day_events_apart_in_any_batch_order():
    """The three template-titled events of tests/test_serve_workers.py, ingested after the demo corpus in 30 shuffled
    orders of the test's six batches (bench/replay_events.py): every event is one story of its own in every order.
    With stream_gap but without title_ent_miss the lexical model merged two events in 6 of these 30 orders."""
    import subprocess
    import sys

    from .conftest import DEMO_CORPUS, REPO

    if not (DEMO_CORPUS / "articles.jsonl").exists():
        import pytest

        pytest.skip("the demo corpus (storyline/demo/corpus) is not present")
    out = subprocess.run([sys.executable, str(REPO / "bench" / "replay_events.py"), "--orders", "30"], cwd=REPO,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert "orders with a wrong grouping: 0 of 30" in out.stdout, out.stdout
