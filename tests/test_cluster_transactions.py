"""A batch that does not commit leaves no trace in the clusterer or the copy index; `cluster.threshold` overrides
the profile's own cut under every profile."""

from __future__ import annotations

import pytest

from storyline.cluster import make_clusterer
from storyline.pipeline import Pipeline, default_observers
from storyline.settings import Settings
from storyline.store import Store

from .test_cluster import LEXICAL, _demo_items

pytestmark = pytest.mark.backends("sqlite", "postgres")  # every test that takes `store` runs on both


def _stories(store: Store) -> dict[str, str]:
    return store.story_of_articles()


def _stored_signatures(store, settings: Settings) -> int:
    """How many copy signatures a restart would load from the store."""
    from storyline.copies.detector import CopyDetector

    index = CopyDetector(settings.copies).restore(store).index
    return 0 if index is None else len(index)


def test_a_rolled_back_batch_leaves_no_phantom_story_in_memory(tmp_path, monkeypatch, store):
    items = _demo_items()
    settings = LEXICAL.with_overrides({"ingest.batch_size": 10})
    with Store(tmp_path / "ref.db") as ref:
        Pipeline(ref, settings, observers=default_observers(settings)).run(items)
        whole = _stories(ref)
        ref_copies = _stored_signatures(ref, settings)
    pipe = Pipeline(store, settings, observers=default_observers(settings))
    pipe.run(items[:20])
    committed = _stories(store)
    stories_before = set(pipe.clusterer.stories)
    backend = type(store)  # SQLite's Store or PostgresStore
    real = backend.add_memberships
    monkeypatch.setattr(backend, "add_memberships", lambda self, a: (_ for _ in ()).throw(
        RuntimeError("disk full (injected)")))
    with pytest.raises(RuntimeError, match="injected"):
        pipe.run(items[20:30])
    monkeypatch.setattr(backend, "add_memberships", real)
    assert _stories(store) == committed  # the store rolled back ...
    assert set(pipe.clusterer.stories) == stories_before  # ... and so did the clusterer's memory
    assert sum(st.n for st in pipe.clusterer.stories.values()) == len(committed)
    copy_index = next(o for o in pipe.observers if type(o).__name__ == "CopyDetector").index
    assert copy_index is None or len(copy_index) == len(committed)
    pipe.run(items[20:])  # the same pipeline, retried: exactly the stories of a run that never failed
    assert _stories(store) == whole
    assert _stored_signatures(store, settings) == ref_copies > 0


def test_a_failing_observer_rolls_back_the_clusterer_too(store):
    items = _demo_items()

    class Boom:
        calls = 0

        def observe(self, store, articles, assignments):
            Boom.calls += 1
            if Boom.calls == 2:
                raise ValueError("observer failed (injected)")

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
