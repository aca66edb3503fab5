"""The online clusterer: invariants (hypothesis), merging and aliases, restore, the demo corpus, explanations."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from storyline.cluster import make_clusterer
from storyline.cluster.online import OnlineClusterer
from storyline.eval.metrics import bcubed
from storyline.ingest import read_paths
from storyline.pipeline import Pipeline
from storyline.records import Article
from storyline.settings import ClusterSettings, Settings
from storyline.store import Store

from .conftest import DEMO_CORPUS

LEXICAL = Settings().with_overrides({"cluster.profile": "lexical"})
BIN = Path(sys.executable).with_name("storyline")

TOPICS = {
    "storm": "Storm Hera floods the coastal town of Maravel; rescuers evacuate residents as rivers burst banks",
    "vote": "Parliament of Ostria votes on the budget; coalition partners split over pension reform and taxes",
    "match": "Lindby United beat Porto Vela three goals to one in the cup final at the national stadium",
    "fire": "Wildfire near Kesten forces closure of the highway; firefighters battle flames in dry winds",
}


def article(i: int, topic: str, variant: int, day: int | None) -> Article:
    words = TOPICS[topic].split()
    text = " ".join(words[variant % 3 :] + words[: variant % 3]) + f". Report {variant}."
    date = None if day is None else datetime(2026, 3, 1, tzinfo=timezone.utc) + timedelta(days=day)
    return Article(id=f"a-{i:04d}", title=" ".join(words[:6]), text=text, source=f"src{variant}", date=date)


streams = st.lists(
    st.tuples(st.sampled_from(sorted(TOPICS)), st.integers(0, 5), st.one_of(st.none(), st.integers(0, 20))),
    min_size=1, max_size=30,
)


def run_stream(clusterer: OnlineClusterer, arts: list[Article], batch: int = 7):
    out = []
    for i in range(0, len(arts), batch):
        out.extend(clusterer.assign(arts[i : i + batch]))
    return out


@hsettings(max_examples=40, deadline=None)
@given(streams)
def test_every_article_gets_exactly_one_story_and_scores_are_in_unit_interval(recs):
    arts = [article(i, t, v, d) for i, (t, v, d) in enumerate(recs)]
    c = make_clusterer(LEXICAL)
    out = run_stream(c, arts)
    assert [a.article_id for a in out] == [a.id for a in arts]
    for a in out:
        assert 0.0 <= a.score <= 1.0
        signals = {k: v for k, v in a.components.items() if not k.startswith("f:") and k != "nearest_story"}
        assert all(0.0 <= v <= 1.0 for v in signals.values()), a.components
        assert all(math.isfinite(v) for k, v in a.components.items() if k.startswith("f:"))  # the model's features
        assert c.resolve(a.components.get("nearest_story", a.story_id)) in c.stories
        assert c.resolve(a.story_id) in c.stories
    assert sum(s.n for s in c.stories.values()) == len(arts)


@hsettings(max_examples=25, deadline=None)
@given(streams)
def test_same_input_order_gives_same_stories(recs):
    arts = [article(i, t, v, d) for i, (t, v, d) in enumerate(recs)]
    a = run_stream(make_clusterer(LEXICAL), arts, batch=5)
    b = run_stream(make_clusterer(LEXICAL), arts, batch=11)  # batching must not matter either
    assert [(x.story_id, x.is_new, round(x.score, 9)) for x in a] == [(y.story_id, y.is_new, round(y.score, 9))
                                                                        for y in b]


@hsettings(max_examples=25, deadline=None)
@given(streams)
def test_story_similarity_is_symmetric_and_in_unit_interval(recs):
    arts = [article(i, t, v, d) for i, (t, v, d) in enumerate(recs)]
    c = make_clusterer(LEXICAL)
    run_stream(c, arts)
    stories = list(c.stories.values())
    for x in stories[:6]:
        for y in stories[:6]:
            sxy, syx = c.story_similarity(x, y), c.story_similarity(y, x)
            assert sxy == pytest.approx(syx)
            assert 0.0 <= sxy <= 1.0


def test_same_topic_joins_and_other_topic_starts_a_story():
    c = make_clusterer(LEXICAL)
    out = c.assign([article(0, "storm", 0, 0), article(1, "storm", 1, 0), article(2, "vote", 0, 0)])
    assert out[0].is_new and not out[1].is_new and out[2].is_new
    assert out[1].story_id == out[0].story_id != out[2].story_id
    assert "maravel" in out[1].shared or "hera" in out[1].shared
    assert set(out[1].components) >= {"lexical", "entities", "time"}


def test_time_decay_separates_the_same_words_weeks_apart_and_dormant_stories_leave_the_index():
    c = make_clusterer(LEXICAL)
    first = c.assign([article(0, "storm", 0, 0)])[0]
    later = c.assign([article(1, "storm", 1, 30)])[0]  # a new storm a month later: a new story
    assert later.is_new and later.story_id != first.story_id
    assert not c.stories[first.story_id].active
    assert all(first.story_id not in post for post in c.postings.values())


def test_undated_articles_cluster_on_content():
    c = make_clusterer(LEXICAL)
    out = c.assign([article(0, "fire", 0, None), article(1, "fire", 2, None), article(2, "match", 1, None)])
    assert out[1].story_id == out[0].story_id != out[2].story_id


def _bridge_articles() -> list[Article]:
    d = datetime(2026, 3, 1, tzinfo=timezone.utc)
    return [
        Article(id="a-1", title="Kesten bridge collapse", text="The Kesten bridge collapsed into the Aller river.",
                source="x", date=d),
        Article(id="a-2", title="Aller crossing falls", text="Engineers say the Aller crossing at Kesten fell.",
                source="y", date=d),
        Article(id="a-3", title="Kesten bridge collapse: Aller crossing falls",
                text="The Kesten bridge collapsed into the Aller river; engineers say the Aller crossing fell.",
                source="z", date=d),
    ]


@pytest.mark.backends("sqlite", "postgres")
def test_a_bridging_article_merges_two_stories_and_the_older_id_survives(tmp_path, store):
    cs = replace(LEXICAL.cluster, decision="score", lexical_threshold=0.45, merge_threshold=0.2)
    settings = replace(LEXICAL, cluster=cs)
    with Store(tmp_path / "m.db") as alone:
        pipe = Pipeline(alone, settings, make_clusterer(settings))
        arts = _bridge_articles()
        out = pipe.clusterer.assign(arts[:2])
        assert out[0].story_id != out[1].story_id  # apart at first
        third = pipe.clusterer.assign(arts[2:])[0]
        assert third.merged == (out[1].story_id,)
        assert third.story_id == out[0].story_id  # the older story survives
        assert pipe.clusterer.resolve(out[1].story_id) == out[0].story_id
    # the same through the pipeline and the store: the gone id stays an alias that resolves
    pipe = Pipeline(store, settings, make_clusterer(settings))
    from storyline.records import Origin, RawItem

    items = [RawItem(origin=Origin("t", i), text=a.text, title=a.title, source=a.source,
                     date=a.date.isoformat()) for i, a in enumerate(_bridge_articles())]
    for it in items:  # one article per batch, as a live feed would bring them
        pipe.run([it])
    assert store.count_stories() == 1
    [(alias, survivor)] = store.alias_map().items()
    assert store.resolve_story_id(alias) == survivor
    assert store.get_story(alias).n_articles == 3
    from storyline.cli.cluster import explain_payload

    starters = [explain_payload(store, a["id"]) for a in store.list_articles()]
    assert sorted((p["started_story"], p["started_merged_story"]) for p in starters) == [
        (False, False), (True, False), (True, True)]


def _demo_items():
    return [*read_paths([DEMO_CORPUS / "articles.jsonl", DEMO_CORPUS / "wire"])]


def _demo_scores(store: Store) -> float:
    gold = json.loads((DEMO_CORPUS.parent / "gold.json").read_text("utf-8"))
    pred = {}
    for r in store.query("SELECT a.external_id, a.origin, m.story_id FROM articles a JOIN memberships m "
                         "ON m.article_id = a.id"):
        key = r["external_id"] or Path(r["origin"]).name
        pred[key] = r["story_id"]
    return bcubed(pred, gold).f1


@pytest.mark.slow
def test_lexical_profile_clusters_the_demo_corpus(tmp_path):
    with Store(tmp_path / "d.db") as store:
        Pipeline(store, LEXICAL).run(_demo_items())
        assert _demo_scores(store) >= 0.85


@pytest.mark.backends("sqlite", "postgres")
def test_restore_rebuilds_the_same_state(tmp_path, store):
    items = _demo_items()
    with Store(tmp_path / "a.db") as one:
        Pipeline(one, LEXICAL).run(items)
        whole = one.story_of_articles()
    Pipeline(store, LEXICAL).run(items[:30])
    Pipeline(store, LEXICAL).run(items[30:])  # a new pipeline restores the clusterer from the store
    assert store.story_of_articles() == whole


def _python(code: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter (what a module imports shows only in a new process)."""
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return p


def test_lexical_profile_does_not_import_torch():
    code = (
        "import sys\n"
        "from storyline.settings import Settings\n"
        "from storyline.cluster import make_clusterer\n"
        "from storyline.records import Article\n"
        "c = make_clusterer(Settings().with_overrides({'cluster.profile': 'lexical'}))\n"
        "c.assign([Article(id='a', title='t', text='storm floods town', source='s', date=None)])\n"
        "import storyline.cli, storyline.pipeline, storyline.eval.runner\n"
        "print('torch' in sys.modules, 'sentence_transformers' in sys.modules)\n"
    )
    assert _python(code).stdout.split() == ["False", "False"]


def test_a_lexical_eval_imports_no_heavy_module(tmp_path):
    """A whole `storyline eval --profile lexical` run (language detection included) imports neither torch nor the
    encoders, scikit-learn, scipy, faiss, nor an HTTP client stack it has no use for."""
    path = tmp_path / "s.jsonl"
    path.write_text("\n".join(json.dumps({"id": str(i), "cluster": str(i % 2), "date": f"2024-05-0{1 + i}",
                                           "source": "Wire", "title": f"Storm floods town {i % 2}",
                                           "text": "The storm flooded the town and the river rose overnight."})
                              for i in range(4)) + "\n", encoding="utf-8")
    code = (
        "import sys\n"
        "from storyline.cli import main\n"
        f"sys.argv = ['storyline', 'eval', {str(path)!r}, '--profile', 'lexical', '--format', 'json']\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "heavy = ('torch', 'sentence_transformers', 'transformers', 'onnxruntime', 'sklearn', 'scipy', 'faiss',\n"
        "         'requests', 'urllib3')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy), file=sys.stderr)\n"
    )
    assert _python(code).stderr.strip().splitlines()[-1] == "[]"


def test_unknown_profile_is_a_config_error():
    from storyline.errors import ConfigError

    with pytest.raises(ConfigError, match="lexical"):
        make_clusterer(Settings().with_overrides({"cluster.profile": "fancy"}))


def test_explain_prints_score_components_and_shared_terms(tmp_path):
    db = tmp_path / "e.db"
    env = {**os.environ, "STORYLINE_CLUSTER_PROFILE": "lexical"}
    p = subprocess.run([str(BIN), "--db", str(db), "ingest", str(DEMO_CORPUS / "articles.jsonl")],
                       capture_output=True, env=env, timeout=120)
    assert p.returncode == 0, p.stderr.decode()
    with Store(db) as store:
        joined = store.query("SELECT article_id FROM memberships WHERE shared != '[]' LIMIT 1")[0][0]
    p = subprocess.run([str(BIN), "--db", str(db), "explain", joined, "--format", "json"],
                       capture_output=True, env=env, timeout=120)
    assert p.returncode == 0, p.stderr.decode()
    out = json.loads(p.stdout)
    assert out["article_id"] == joined and out["story_id"].startswith("s-")
    assert 0.0 < out["score"] <= 1.0 and not out["started_story"]
    assert {"lexical", "entities", "time"} <= set(out["components"])
    assert out["shared"] and all(isinstance(t, str) for t in out["shared"])
    p = subprocess.run([str(BIN), "--db", str(db), "explain", joined[:10]], capture_output=True, env=env,
                       timeout=120)
    assert p.returncode == 0 and b"shared:" in p.stdout and b"lexical" in p.stdout
    with Store(db) as store:
        first = store.query("SELECT article_id FROM memberships WHERE components LIKE '%nearest_story_score%'")[0][0]
    p = subprocess.run([str(BIN), "--db", str(db), "explain", first, "--format", "json"], capture_output=True,
                       env=env, timeout=120)
    out = json.loads(p.stdout)
    assert out["started_story"] and 0.0 <= out["components"]["nearest_story_score"] < 0.2
    p = subprocess.run([str(BIN), "--db", str(db), "explain", "a-nope"], capture_output=True, env=env, timeout=60)
    assert p.returncode == 1 and b"no such article" in p.stderr


class HashingEncoder:
    """A small real encoder for tests: hashed bag of words (scikit-learn), L2-normalised, 64 dimensions."""

    dim = 64
    name = "hashing-64"

    def __init__(self):
        from sklearn.feature_extraction.text import HashingVectorizer

        self.vec = HashingVectorizer(n_features=self.dim, alternate_sign=False, norm="l2")

    def encode(self, texts):
        return self.vec.transform(list(texts)).toarray().astype(np.float32)


class CountingEncoder(HashingEncoder):
    """HashingEncoder that records every text it is asked to encode."""

    def __init__(self):
        super().__init__()
        self.seen: list[str] = []

    def encode(self, texts):
        self.seen.extend(texts)
        return super().encode(texts)


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(sorted(TOPICS)), st.integers(0, 2), st.integers(0, 3)),
                min_size=1, max_size=40))
def test_identical_leads_are_encoded_once_and_decide_the_same(recs):
    """Wire copies share their title + lead: each distinct text reaches the encoder once (within a batch and across
    batches), and the stories are exactly those of a clusterer that encodes every article on its own."""
    arts = [article(i, t, v, d) for i, (t, v, d) in enumerate(recs)]
    reuse, plain = CountingEncoder(), CountingEncoder()
    a = run_stream(make_clusterer(Settings(), reuse), arts, batch=7)
    once = make_clusterer(Settings().with_overrides({"cluster.encoder_reuse": 0}), plain)
    b = run_stream(once, arts, batch=1)
    assert [(x.story_id, x.score, x.components) for x in a] == [(x.story_id, x.score, x.components) for x in b]
    assert sorted(reuse.seen) == sorted({x.lead for x in arts})  # every distinct lead once
    assert len(plain.seen) == len(arts)  # no cache, batches of one: every article encoded


def test_the_lead_cache_is_bounded():
    enc = CountingEncoder()
    c = make_clusterer(Settings().with_overrides({"cluster.encoder_reuse": 2}), enc)
    arts = [article(i, "storm", v, 0) for i, v in enumerate([0, 1, 2, 0, 2, 1])]
    run_stream(c, arts, batch=1)
    # capacity 2: lead 0 was evicted by 1 and 2 before it came back; 2 was still cached; 1 was evicted by 0
    assert [x.split(". Report ")[-1] for x in enc.seen] == ["0.", "1.", "2.", "0.", "1."]
    assert len(c._recent_leads) == 2 and c.reused_encodings == 1


def test_dense_path_uses_the_ann_index_and_keeps_it_to_active_stories():
    # the index's mechanics, under the score decision (the learned model is calibrated on MiniLM, not on this
    # 64-dimension hashing encoder)
    settings = Settings().with_overrides({"cluster.hnsw_rebuild_min": 10, "cluster.decision": "score"})
    c = make_clusterer(settings, HashingEncoder())
    topics = sorted(TOPICS)
    # ten bursts of four trios (one per topic), ten days apart: each burst's stories are asleep by the next one
    arts = [article(i, topics[(i // 3) % 4], i % 3, day=(i // 12) * 10) for i in range(120)]
    out = run_stream(c, arts, batch=9)
    assert all("dense" in a.components for a in out if not a.is_new)
    same = sum(out[i].story_id == out[i - 1].story_id for i in range(1, 120) if i % 3)
    assert same == 80  # every second/third article of a trio joins it
    assert len({a.story_id for a in out}) == 40  # and bursts ten days apart never share a story
    stats = c.index_stats()
    assert stats["dense_vectors"] < 120  # dormant stories' rows were dropped by a rebuild
    assert stats["dense_vectors"] <= 2 * stats["members_in_active_stories"] + 10
    asleep = [s for s in c.stories.values() if not s.active]
    assert asleep and all(s.dense is None and not s.lex for s in asleep)
