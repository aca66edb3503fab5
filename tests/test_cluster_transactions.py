"""A batch that does not commit leaves no trace in the clusterer or the copy index; `cluster.threshold` overrides
the profile's own cut under every profile."""

from __future__ import annotations

import pytest

from storyline.cluster import make_clusterer
from storyline.pipeline import Pipeline, default_observers
from storyline.settings import Settings
from storyline.store import Store

from .test_cluster import LEXICAL, _demo_items


def _stories(store: Store) -> dict[str, str]:
    return {r[0]: r[1] for r in store.query("SELECT article_id, story_id FROM memberships")}


def test_a_rolled_back_batch_leaves_no_phantom_story_in_memory(tmp_path, monkeypatch):
    items = _demo_items()
    settings = LEXICAL.with_overrides({"ingest.batch_size": 10})
    with Store(tmp_path / "ref.db") as ref:
        Pipeline(ref, settings, observers=default_observers(settings)).run(items)
        whole = _stories(ref)
        ref_copies = ref.query("SELECT count(*) FROM copy_signatures")[0][0]
    with Store(tmp_path / "f.db") as store:
        pipe = Pipeline(store, settings, observers=default_observers(settings))
        pipe.run(items[:20])
        committed = _stories(store)
        stories_before = set(pipe.clusterer.stories)
        real = Store.add_memberships
        monkeypatch.setattr(Store, "add_memberships", lambda self, a: (_ for _ in ()).throw(
            RuntimeError("disk full (injected)")))
        with pytest.raises(RuntimeError, match="injected"):
            pipe.run(items[20:30])
        monkeypatch.setattr(Store, "add_memberships", real)
        assert _stories(store) == committed  # the store rolled back ...
        assert set(pipe.clusterer.stories) == stories_before  # ... and so did the clusterer's memory
        assert sum(st.n for st in pipe.clusterer.stories.values()) == len(committed)
        copy_index = next(o for o in pipe.observers if type(o).__name__ == "CopyDetector").index
        assert copy_index is None or len(copy_index) == len(committed)
        pipe.run(items[20:])  # the same pipeline, retried: exactly the stories of a run that never failed
        assert _stories(store) == whole
        assert store.query("SELECT count(*) FROM copy_signatures")[0][0] == ref_copies


def test_a_failing_observer_rolls_back_the_clusterer_too(tmp_path):
    items = _demo_items()

    class Boom:
        calls = 0

        def observe(self, store, articles, assignments):
            Boom.calls += 1
            if Boom.calls == 2:
                raise ValueError("observer failed (injected)")

    with Store(tmp_path / "o.db") as store:
        pipe = Pipeline(store, LEXICAL.with_overrides({"ingest.batch_size": 16}), observers=[Boom()])
        with pytest.raises(ValueError, match="injected"):
            pipe.run(items[:40])
        assert sum(st.n for st in pipe.clusterer.stories.values()) == len(_stories(store)) == 16


@pytest.mark.parametrize("profile", ["lexical"])
def test_cluster_threshold_overrides_the_profile_cut(profile):
    from storyline.cluster.base import profile_threshold

    base = Settings().with_overrides({"cluster.profile": profile})
    own = profile_threshold(base.cluster)
    assert own > 0 and make_clusterer(base).settings.threshold == own
    for cut in (0.05, 0.9):
        s = base.with_overrides({"cluster.threshold": cut})
        assert make_clusterer(s).settings.threshold == cut
    score = base.with_overrides({"cluster.decision": "score"})
    assert make_clusterer(score).settings.threshold == score.cluster.lexical_threshold
    assert make_clusterer(score.with_overrides({"cluster.lexical_threshold": 0.4})).settings.threshold == 0.4


def test_threshold_changes_the_stories_under_the_lexical_profile():
    from storyline.records import Article

    arts = [a for a in _demo_articles()]
    n = {}
    for cut in (0.02, 0.5, 0.99):
        c = make_clusterer(LEXICAL.with_overrides({"cluster.threshold": cut}))
        out = c.assign(arts)
        n[cut] = len({x.story_id for x in out})
        assert all(x.score >= cut for x in out if not x.is_new)
    assert n[0.99] > n[0.5] > n[0.02]
    assert all(isinstance(a, Article) for a in arts)


def _demo_articles():
    from storyline.normalize import normalize

    return [normalize(it) for it in _demo_items()]
