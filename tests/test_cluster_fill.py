"""Recent stories as candidates (cluster.fill_candidates): when the inverted index finds fewer than max_candidates
stories, the active stories that gained a member last fill the list — dated articles only, never a sleeping or
merged-away story, never more than max_candidates."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from storyline.cluster.base import profile_threshold
from storyline.cluster.online import OnlineClusterer
from storyline.records import Article
from storyline.settings import Settings

LEXICAL = Settings().with_overrides({"cluster.profile": "lexical"}).cluster
T0 = datetime(2026, 3, 1, tzinfo=timezone.utc)

# five stories with no word in common
WORDS = ["harbour crane collapse dockers", "orchestra premiere symphony conductor", "glacier melt expedition ice",
         "vaccine trial volunteers dose", "railway strike commuters union"]


def _art(i: int, words: str, day: float | None) -> Article:
    return Article(id=f"a-{i:03d}", title=words, text=f"{words}.", source=f"s{i}",
                   date=None if day is None else T0 + timedelta(days=day))


def _clusterer(**kw) -> OnlineClusterer:
    cs = replace(LEXICAL, **kw)
    return OnlineClusterer(replace(cs, threshold=profile_threshold(cs)), None)


def _teach(c: OnlineClusterer, arts: list[Article]) -> None:
    c.teach(arts, [a.id for a in arts])  # each article its own story


def test_an_article_sharing_no_indexed_term_meets_the_recent_stories_most_recent_first() -> None:
    c = _clusterer(fill_candidates=12)
    _teach(c, [_art(i, w, 0.1 * i) for i, w in enumerate(WORDS)])
    f = c.features(_art(9, "completely unrelated lighthouse keeper", 1.0))
    got = c._candidates(f)
    recent = list(c._recent_active)
    assert got == recent[::-1]  # every active story, the one that gained a member last first
    two = _clusterer(fill_candidates=2)
    _teach(two, [_art(i, w, 0.1 * i) for i, w in enumerate(WORDS)])
    assert two._candidates(two.features(_art(9, "completely unrelated lighthouse keeper", 1.0))) == recent[:-3:-1]
    off = _clusterer(fill_candidates=0)
    _teach(off, [_art(i, w, 0.1 * i) for i, w in enumerate(WORDS)])
    assert off._candidates(off.features(_art(9, "completely unrelated lighthouse keeper", 1.0))) == []


def test_the_index_hits_come_first_and_the_list_stops_at_max_candidates() -> None:
    c = _clusterer(max_candidates=3, fill_candidates=12)
    _teach(c, [_art(i, w, 0.1 * i) for i, w in enumerate(WORDS)])
    hit = c._story_of_gold["a-000"]  # the story of the harbour crane
    got = c._candidates(c.features(_art(9, "harbour crane inspection", 1.0)))
    assert got[0] == hit and len(got) == 3
    assert got[1:] == [sid for sid in reversed(c._recent_active) if sid != hit][:2]


def test_an_undated_article_gets_no_filler() -> None:
    c = _clusterer(fill_candidates=12)
    _teach(c, [_art(i, w, 0.1 * i) for i, w in enumerate(WORDS)])
    assert c._candidates(c.features(_art(9, "completely unrelated lighthouse keeper", None))) == []


def test_sleeping_and_merged_stories_leave_the_recent_list() -> None:
    c = _clusterer(fill_candidates=12)
    _teach(c, [_art(0, WORDS[0], 0.0), _art(1, WORDS[1], 3.0), _art(2, WORDS[2], 9.0)])
    asleep = c._story_of_gold["a-000"]
    # the clock at day 9 put the stories idle for more than dormant_after_days (7) to sleep
    assert asleep not in c._recent_active and not c.stories[asleep].active
    got = c._candidates(c.features(_art(9, "completely unrelated lighthouse keeper", 9.5)))
    assert asleep not in got and set(got) == set(c._recent_active)
    keep, gone = c.stories[c._story_of_gold["a-001"]], c.stories[c._story_of_gold["a-002"]]
    c._merge(keep, gone)
    assert list(c._recent_active) == [keep.id]


def test_a_restore_rebuilds_the_recent_order(tmp_path) -> None:
    """The candidates after a restart are those of the run that stored the stories."""
    from storyline.cluster import make_clusterer
    from storyline.pipeline import open_pipeline
    from storyline.records import Origin, RawItem
    from storyline.store import open_store

    settings = Settings().with_overrides({"cluster.profile": "lexical"})
    items = [RawItem(Origin("t", i), text=f"{w}, update {k}.", title=f"{w} {k}", source=f"o{i}",
                     date=(T0 + timedelta(hours=5 * i)).isoformat())
             for i, (k, w) in enumerate((k, w) for k in range(2) for w in WORDS)]
    with open_store(tmp_path / "r.db") as store:
        pipe = open_pipeline(store, settings)
        pipe.run(items)
        live = list(pipe.clusterer._recent_active)
        again = make_clusterer(settings).restore(store)
        assert list(again._recent_active) == live and len(live) >= 2


def test_an_article_with_a_dense_vector_gets_no_filler() -> None:
    """The default profile's dense neighbours find the stories the terms miss: no filler there."""
    import numpy as np

    c = _clusterer(fill_candidates=12)
    _teach(c, [_art(i, w, 0.1 * i) for i, w in enumerate(WORDS)])
    f = c.features(_art(9, "completely unrelated lighthouse keeper", 1.0), np.ones(4, dtype=np.float32) / 2.0)
    assert c._candidates(f) == []
