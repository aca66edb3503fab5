"""The default profile with the real all-MiniLM-L6-v2 encoder (marked dense: needs torch + the model)."""

from __future__ import annotations

import numpy as np
import pytest

from storyline.pipeline import Pipeline
from storyline.settings import Settings
from storyline.store import Store

from .test_cluster import _demo_items, _demo_scores

pytestmark = pytest.mark.dense


@pytest.fixture(scope="module")
def encoder():
    pytest.importorskip("sentence_transformers")
    from storyline.cluster.base import make_encoder

    return make_encoder(Settings())


def test_encoder_gives_unit_vectors_and_paraphrases_are_closer(encoder):
    v = encoder.encode(["Storm floods coastal town", "Coastal town flooded by storm", "Budget passes parliament"])
    assert v.shape == (3, 384)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-3)
    assert v[0] @ v[1] > v[0] @ v[2]


@pytest.mark.slow
def test_default_profile_clusters_the_demo_corpus_and_restores_without_reencoding(tmp_path, encoder):
    from storyline.cluster import make_clusterer

    settings = Settings()
    with Store(tmp_path / "d.db") as store:
        Pipeline(store, settings, make_clusterer(settings, encoder)).run(_demo_items())
        assert _demo_scores(store) >= 0.85
        n = store.query("SELECT count(*) FROM article_embeddings")[0][0]
        assert n == store.count_articles()

        class Refuses:
            dim, name = encoder.dim, encoder.name

            def encode(self, texts):
                raise AssertionError(f"restore re-encoded {len(texts)} texts")

        restored = make_clusterer(settings, Refuses()).restore(store)
        assert sum(s.n for s in restored.stories.values()) == store.count_articles()
