"""The learned join decision: the shipped models load, the features are what they say, decisions are explainable."""

from __future__ import annotations

import json
import math
import os
import subprocess

import numpy as np
import pytest

from storyline.cluster import make_clusterer
from storyline.cluster.model import FEATURES, JoinModel, features_for, load_model, model_path
from storyline.errors import ConfigError
from storyline.settings import Settings

from .test_cluster import BIN, DEMO_CORPUS, HashingEncoder, article

LEARNED = Settings().with_overrides({"cluster.profile": "lexical", "cluster.decision": "learned"})


@pytest.mark.parametrize("profile", ["default", "lexical"])
def test_the_shipped_models_load_with_their_profiles_features(profile):
    m = load_model(profile)
    assert m.profile == profile and m.features == features_for(profile)
    assert 0.0 < m.threshold < 1.0 and np.all(np.isfinite(m.coef)) and np.all(m.scale > 0)
    assert m.meta["cut_chosen_by"] and m.meta["pairs"] > 1000
    assert ("dense_avg" in m.features) == (profile == "default")
    raw = json.loads(model_path(profile).read_text("utf-8"))
    assert set(raw) >= {"features", "mean", "scale", "coef", "intercept", "threshold"}  # plain JSON, no pickle


def test_predict_and_contributions_agree():
    names = features_for("lexical")
    rng = np.random.default_rng(3)
    m = JoinModel("lexical", names, rng.normal(size=len(names)), rng.uniform(0.5, 2, len(names)),
                  rng.normal(size=len(names)), -0.7, 0.4)
    X = rng.normal(size=(6, len(names)))
    p = m.predict(X)
    assert np.all((p > 0) & (p < 1))
    for x, pi in zip(X, p):
        logit = m.intercept + sum(m.contributions(x).values())
        assert math.isclose(1 / (1 + math.exp(-logit)), pi, rel_tol=1e-9)
    assert JoinModel.from_dict(m.as_dict()).as_dict() == m.as_dict()


@pytest.mark.parametrize("profile", ["default", "lexical"])
def test_the_shipped_models_read_no_value_beyond_their_training_range(profile):
    """A story far bigger than any the model was fitted on (the training pairs' candidate stories have 5 or 6
    members at most) is judged as the biggest it saw, not by extrapolating log_size's weight; inside the range
    nothing changes."""
    m = load_model(profile)
    assert m.low is not None and m.high is not None and np.all(m.low <= m.high)
    size = m.features.index("log_size")
    biggest = round(math.exp(m.high[size]))
    assert biggest in (5, 6) and math.isclose(m.high[size], math.log(biggest), rel_tol=1e-9)
    x = (m.low + m.high) / 2  # a pair inside the range: the clip is the identity
    x[size] = math.log(3)
    assert np.array_equal(m.clip(x[None, :]), x[None, :])
    rows = np.repeat(x[None, :], 3, axis=0)
    for r, n in zip(rows, (biggest, 300, 5000)):  # the interaction terms of log_size follow it, as pair_features makes them
        for j, name in enumerate(m.features):
            parts = name.split("*")
            if "log_size" in parts:
                r[j] = math.prod(math.log(n) if p == "log_size" else x[m.features.index(p)] for p in parts)
    p6, p300, p5000 = m.predict(rows)
    assert p300 == pytest.approx(p6, rel=1e-12) and p5000 == pytest.approx(p6, rel=1e-12)
    unclipped = JoinModel(m.profile, m.features, m.mean, m.scale, m.coef, m.intercept, m.threshold)
    assert unclipped.predict(rows)[1] != p6  # without the range the weight extrapolates
    c300, c6 = m.contributions(rows[1]), m.contributions(rows[0])
    assert c300 == c6  # explain shows the values the decision used


def test_a_model_with_a_training_range_round_trips_and_checks_it(tmp_path):
    names = features_for("lexical")
    k = len(names)
    m = JoinModel("lexical", names, np.zeros(k), np.ones(k), np.ones(k), 0.0, 0.5, {}, -np.ones(k), np.ones(k))
    assert JoinModel.from_dict(m.as_dict()).as_dict() == m.as_dict()
    X = np.full((1, k), 7.0)
    assert np.array_equal(m.clip(X), np.ones((1, k)))
    assert math.isclose(m.logits(X)[0], k)
    d = m.as_dict()
    for bad in ({**d, "low": d["high"], "high": d["low"]}, {**d, "low": d["low"][:-1]}, {**d, "high": None},
                {k2: v for k2, v in d.items() if k2 != "high"}):
        path = tmp_path / "bad.json"
        path.write_text(json.dumps(bad))
        with pytest.raises(ConfigError, match="low"):
            load_model("lexical", str(path))


def test_an_interaction_term_is_read_from_its_parts_as_read():
    names = ("lex_avg", "log_size", "lex_avg*log_size")
    m = JoinModel("lexical", names, np.zeros(3), np.ones(3), np.ones(3), 0.0, 0.5, {}, np.zeros(3),
                  np.array([1.0, 2.0, 1.5]))
    X = np.array([[0.5, 1.0, 0.5],  # inside: unchanged
                  [0.5, 4.0, 2.0],  # log_size beyond: read as 2.0, the product as 0.5 * 2.0
                  [1.0, 4.0, 4.0]])  # both: the product 1.0 * 2.0 taken into its own range, 1.5
    assert m.clip(X).tolist() == [[0.5, 1.0, 0.5], [0.5, 2.0, 1.0], [1.0, 2.0, 1.5]]
    assert np.array_equal(m.clip(X[:1]), X[:1])
    assert list(m.contributions(X[1]).values()) == [0.5, 2.0, 1.0]


def test_a_malformed_or_missing_model_is_a_config_error(tmp_path):
    d = load_model("lexical").as_dict()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**d, "coef": d["coef"][:-1]}))
    with pytest.raises(ConfigError, match="retrain"):
        load_model("lexical", str(bad))
    unknown = tmp_path / "unknown.json"
    unknown.write_text(json.dumps({**d, "features": ["shoe_size"] + d["features"][1:]}))
    with pytest.raises(ConfigError, match="unknown features"):
        load_model("lexical", str(unknown))
    with pytest.raises(ConfigError, match="train_cluster"):
        make_clusterer(LEARNED.with_overrides({"cluster.join_model": str(tmp_path / "none.json")}))
    with pytest.raises(ConfigError, match="features"):  # the default profile's model under the lexical profile
        make_clusterer(LEARNED.with_overrides({"cluster.join_model": str(model_path("default"))}))


def test_pair_features_on_a_hand_made_stream():
    c = make_clusterer(LEARNED)
    c.assign([article(0, "storm", 0, 0), article(1, "storm", 1, 1), article(2, "vote", 0, 0)])
    f = c.features(article(3, "storm", 2, 3))
    c._advance_clock(f.day)
    scored, contents = c._score(f)
    X = c.pair_features(f, scored, contents, FEATURES)
    row = dict(zip(FEATURES, X[0]))
    storm = c.stories[scored[0][2]]
    assert storm.n == 2 and math.isclose(row["log_size"], math.log(2))
    assert row["lex_best"] >= row["lex_avg"] > 0.3 and row["title_avg"] > 0.5
    assert math.isclose(row["log_gap_newest"], math.log1p(2.0)) and math.isclose(row["log_gap_oldest"], math.log1p(3))
    assert row["undated"] == 0.0 and row["dense_avg"] == 0.0  # no encoder: no dense
    assert math.isclose(row["log_tokens"], math.log1p(f.n_tokens))
    if len(X) > 1:  # the margin over the best other candidate
        assert row["margin"] > 0 and dict(zip(FEATURES, X[1]))["margin"] < 0
    else:  # a sole candidate has no other to be ahead of: no evidence either way, not its whole similarity
        assert row["margin"] == 0.0 and row["lex_avg"] > 0.3
    undated = c.features(article(4, "storm", 0, None))
    sc2, ct2 = c._score(undated)
    assert dict(zip(FEATURES, c.pair_features(undated, sc2, ct2, FEATURES)[0]))["undated"] == 1.0


def test_learned_decision_joins_the_same_story_and_starts_others():
    c = make_clusterer(LEARNED)
    out = c.assign([article(0, "storm", 0, 0), article(1, "storm", 1, 0), article(2, "vote", 0, 0),
                    article(3, "fire", 0, None), article(4, "fire", 2, None)])
    assert out[0].is_new and not out[1].is_new and out[2].is_new
    assert out[1].story_id == out[0].story_id != out[2].story_id and out[4].story_id == out[3].story_id
    assert out[1].score >= c.settings.threshold and out[1].components["p_join"] == out[1].score
    assert {f"f:{n}" for n in features_for("lexical") if "*" not in n} <= set(out[1].components)
    assert out[2].components["nearest_story_score"] < c.settings.threshold
    assert out[2].components.get("nearest_story", out[0].story_id) == out[0].story_id  # (when it had a candidate)


def test_the_default_profile_model_runs_with_dense_features():
    # the model is calibrated on MiniLM; this 64-dimension hashing encoder only checks the mechanics: dense
    # features are computed, and every join is the most probable candidate at or above the cut
    c = make_clusterer(Settings().with_overrides({"cluster.decision": "learned"}), HashingEncoder())
    topics = ["storm", "vote", "match", "fire"]
    out = c.assign([article(i, topics[i % 4], i // 4, 0) for i in range(12)])
    joined = [o for o in out if not o.is_new]
    # (best link >= average link, up to float32 rounding: identical leads give cosines of 1 ± 1e-7)
    assert joined and all(o.components["f:dense_best"] + 1e-6 >= o.components["f:dense_avg"] > 0 for o in joined)
    assert all(o.score == o.components["p_join"] >= c.settings.threshold for o in joined)
    assert all(o.components["nearest_story_score"] < c.settings.threshold for o in out if o.is_new)


def test_teacher_forcing_labels_the_gold_story():
    c = make_clusterer(LEARNED.with_overrides({"cluster.decision": "score"}))
    arts = [article(0, "storm", 0, 0), article(1, "vote", 0, 0), article(2, "storm", 1, 0), article(3, "vote", 2, 0)]
    X, y = c.teach(arts, ["s", "v", "s", "v"])
    assert X.shape[1] == len(features_for("lexical")) and len(X) == len(y) and y.sum() == 2
    assert {st.n for st in c.stories.values()} == {2}


def test_explain_names_the_nearest_story_and_shows_features_and_threshold(tmp_path):
    db = tmp_path / "e.db"
    env = {**os.environ, "STORYLINE_CLUSTER_PROFILE": "lexical", "STORYLINE_CLUSTER_DECISION": "learned"}
    p = subprocess.run([str(BIN), "--db", str(db), "ingest", str(DEMO_CORPUS / "articles.jsonl")],
                       capture_output=True, env=env, timeout=120)
    assert p.returncode == 0, p.stderr.decode()
    from storyline.store import Store

    with Store(db) as store:
        started = [r[0] for r in store.query("SELECT article_id FROM memberships WHERE components "
                                             "LIKE '%\"nearest_story\"%'")]
        joined = store.query("SELECT article_id FROM memberships WHERE shared != '[]' LIMIT 1")[0][0]
    out = json.loads(subprocess.run([str(BIN), "--db", str(db), "explain", started[-1], "--format", "json"],
                                    capture_output=True, env=env, timeout=120).stdout)
    th = load_model("lexical").threshold
    assert out["started_story"] and out["decision"] == "learned" and out["threshold"] == pytest.approx(th, abs=1e-4)
    near = out["nearest_story"]
    assert near["id"].startswith("s-") and near["id"] != out["story_id"] and near["headline"]
    assert near["score"] < out["threshold"]
    assert set(out["features"]) == set(features_for("lexical")) == set(out["contributions"])
    text = subprocess.run([str(BIN), "--db", str(db), "explain", started[-1]], capture_output=True, env=env,
                          timeout=120).stdout.decode()
    assert near["id"] in text and "threshold" in text and "contribution" in text and "log-odds" in text
    out = json.loads(subprocess.run([str(BIN), "--db", str(db), "explain", joined, "--format", "json"],
                                    capture_output=True, env=env, timeout=120).stdout)
    assert not out["started_story"] and out["score"] >= out["threshold"] and out["nearest_story"]["id"] == out["story_id"]


def test_a_configured_model_file_brings_its_own_cut(tmp_path):
    """--set cluster.join_model=FILE uses FILE's stored cut, not the shipped model's; cluster.threshold still wins."""
    d = load_model("lexical").as_dict()
    own = tmp_path / "own.json"
    own.write_text(json.dumps({**d, "threshold": 0.8125}))
    c = make_clusterer(LEARNED.with_overrides({"cluster.join_model": str(own)}))
    assert c.settings.threshold == 0.8125 and c.model.threshold == 0.8125
    c = make_clusterer(LEARNED.with_overrides({"cluster.join_model": str(own), "cluster.threshold": 0.3}))
    assert c.settings.threshold == 0.3
    assert make_clusterer(LEARNED).settings.threshold == load_model("lexical").threshold != 0.8125


def test_the_extra_features_and_interaction_terms():
    """The features a model may add (EXTRA_FEATURES, products "a*b"): centroid cosine, entity cover, title numbers,
    the gap relative to the story's span, the candidate's rank; a model file using them loads and decides."""
    from storyline.cluster.model import ALL_FEATURES, EXTRA_FEATURES, is_computable
    from storyline.cluster.online import _dot

    c = make_clusterer(LEARNED)
    c.assign([article(0, "storm", 0, 0), article(1, "storm", 1, 2), article(2, "vote", 0, 0)])
    f = c.features(article(3, "storm", 2, 5))
    c._advance_clock(f.day)
    scored, contents = c._score(f)
    names = [n for n in ALL_FEATURES if is_computable(n, "lexical")] + ["lex_avg*undated", "score*log_tokens"]
    X = c.pair_features(f, scored, contents, names)
    row = dict(zip(names, X[0]))
    storm = c.stories[scored[0][2]]
    assert math.isclose(row["lex_centroid"], _dot(f.lex, storm.lex) / math.sqrt(_dot(storm.lex, storm.lex)),
                        rel_tol=1e-9)
    assert row["lex_centroid"] >= row["lex_avg"]  # the centroid is closer than the members on average
    assert 0.0 < row["ent_cover"] <= 1.0 and row["rank"] == 0.0
    assert math.isclose(row["gap_rel"], 3.0 / (1.0 + 2.0))  # 3 days after a story spanning 2 days
    assert row["title_num_miss"] == 0.0  # the titles carry no numbers
    assert row["lex_avg*undated"] == 0.0 and math.isclose(row["score*log_tokens"], row["score"] * row["log_tokens"])
    if len(X) > 1:
        assert X[1][names.index("rank")] == 1.0
    assert not is_computable("dense_centroid", "lexical") and is_computable("dense_centroid*undated", "default")
    assert set(EXTRA_FEATURES) < set(ALL_FEATURES)
    d = load_model("lexical").as_dict()
    extra = {**d, "features": d["features"] + ["ent_cover", "lex_avg*undated"], "mean": d["mean"] + [0.5, 0.1],
             "scale": d["scale"] + [0.3, 0.2], "coef": d["coef"] + [0.4, 0.2], "low": d["low"] + [0.0, 0.0],
             "high": d["high"] + [1.0, 1.0]}
    model = JoinModel.from_dict(extra)
    c2 = make_clusterer(LEARNED)
    c2.model = model
    out = c2.assign([article(0, "storm", 0, 0), article(1, "storm", 1, 0)])
    # the base features are stored; an interaction term is recomputed from its parts (explain's feature vector)
    stored = {k[2:]: v for k, v in out[1].components.items() if k.startswith("f:")}
    assert "ent_cover" in stored and "lex_avg*undated" not in stored
    f1 = c2.features(article(2, "storm", 2, 0))
    sc, ct = c2._score(f1)
    x = c2.pair_features(f1, sc, ct, model.features)[0]
    assert model.row(dict(zip(model.features, x))) == pytest.approx(list(x))
    with pytest.raises(ConfigError, match="unknown features"):
        JoinModel.from_dict({**extra, "features": d["features"] + ["ent_cover", "lex_avg*shoe_size"]})
    with pytest.raises(ConfigError, match="parts"):  # a product whose parts are not features of the model
        JoinModel.from_dict({**extra, "features": d["features"] + ["ent_cover", "rank*undated"]})


def test_title_numbers_that_the_story_lacks():
    c = make_clusterer(LEARNED)
    from datetime import datetime, timezone

    from storyline.records import Article

    day = datetime(2026, 3, 1, tzinfo=timezone.utc)
    c.assign([Article(id="n1", title="US tops 6 million virus cases", text="The US passed 6 million cases.",
                      source="a", date=day)])
    f = c.features(Article(id="n2", title="US passes 25 million virus cases", text="The US passed 25 million.",
                           source="b", date=day))
    scored, contents = c._score(f)
    assert scored and c.pair_features(f, scored, contents, ["title_num_miss"])[0][0] == 1.0


def test_stream_gap_follows_the_gaps_of_joins_and_is_restored(tmp_path):
    """stream_gap starts at cluster.gap_prior and moves towards ln(1 + days) from each joining member to its story's
    newest member; undated joins and new stories leave it alone; restore replays it exactly."""
    from storyline.cluster.online import OnlineClusterer
    from storyline.store import open_store

    cs = Settings().with_overrides({"cluster.profile": "lexical", "cluster.decision": "score"}).cluster
    c = OnlineClusterer(cs)
    assert c._gap_mean == cs.gap_prior
    c.teach([article(0, "storm", 0, 0), article(1, "vote", 0, 0), article(2, "fire", 0, None)], ["s", "v", "f"])
    assert c._gap_mean == cs.gap_prior  # three new stories: no join yet
    c.teach([article(3, "fire", 1, None)], ["f"])
    assert c._gap_mean == cs.gap_prior  # an undated join says nothing about gaps
    c.teach([article(4, "storm", 1, 3)], ["s"])  # joins 3 days after the story's newest member
    expected = cs.gap_prior + (math.log1p(3.0) - cs.gap_prior) / (1 + cs.gap_prior_joins)
    assert math.isclose(c._gap_mean, expected)
    f = c.features(article(5, "storm", 2, 3))
    scored, contents = c._score(f)
    X = c.pair_features(f, scored, contents, ("stream_gap", "log_gap_newest*stream_gap"))
    assert np.allclose(X[:, 0], expected) and np.all(X[:, 1] >= 0)
    same_day = OnlineClusterer(cs)
    same_day.teach([article(i, "vote", i % 3, 0) for i in range(300)], ["v"] * 300)  # 299 same-day joins
    # the prior weighs as gap_prior_joins joins, then fades in the moving mean over gap_window joins
    assert 0.0 < same_day._gap_mean < cs.gap_prior * cs.gap_prior_joins / cs.gap_window

    settings = Settings().with_overrides({"cluster.profile": "lexical"})
    with open_store(tmp_path / "s.db") as store:
        from storyline.pipeline import open_pipeline
        from storyline.records import Origin, RawItem

        items = [RawItem(Origin("t", i), text=a.text, title=a.title, source=a.source, date=a.date.isoformat())
                 for i, a in enumerate(article(i, ["storm", "vote"][i % 2], i % 3, i // 2) for i in range(10))]
        pipe = open_pipeline(store, settings)
        pipe.run(items)
        live = pipe.clusterer._gap_mean
        restored = make_clusterer(settings).restore(store)
        assert math.isclose(restored._gap_mean, live) and live != cs.gap_prior


def test_explain_says_which_values_the_model_read_at_its_training_range(tmp_path):
    """A report joining a story bigger than any the model was trained on: explain shows the stored value of log_size,
    the range's end the model read instead, and contributions computed from what it read."""
    places = ["Harbourton", "Millbrook", "Eastcliff", "Norwood", "Ridgeford", "Lakemoor", "Stonebury", "Westvale",
              "Ashgrove", "Fairhaven"]
    src = tmp_path / "storm.jsonl"
    with src.open("w", encoding="utf-8") as f:
        for i, town in enumerate(places):
            f.write(json.dumps({
                "id": f"storm-{i}", "source": f"Outlet {i}", "date": "2024-03-0%d" % (1 + i // 5),
                "title": f"Storm Elowen floods the Kessel river valley, {town} evacuated",
                "text": f"Storm Elowen flooded the Kessel river valley on Friday. Rescuers evacuated residents of "
                        f"{town} as the river rose above its banks, officials of the valley said."}) + "\n")
    db = tmp_path / "e.db"
    env = {**os.environ, "STORYLINE_CLUSTER_PROFILE": "lexical", "STORYLINE_CLUSTER_DECISION": "learned"}
    p = subprocess.run([str(BIN), "--db", str(db), "ingest", str(src)], capture_output=True, env=env, timeout=120)
    assert p.returncode == 0, p.stderr.decode()
    from storyline.store import Store

    with Store(db) as store:
        ids = [r[0] for r in store.query("SELECT id FROM articles ORDER BY seq")]
        stories = {r[0] for r in store.query("SELECT story_id FROM memberships")}
    assert len(ids) == 10 and len(stories) == 1
    out = json.loads(subprocess.run([str(BIN), "--db", str(db), "explain", ids[-1], "--format", "json"],
                                    capture_output=True, env=env, timeout=120).stdout)
    m = load_model("lexical")
    size = m.features.index("log_size")
    assert out["features"]["log_size"] == pytest.approx(math.log(9), abs=1e-4)  # stored to 4 decimals
    assert out["read_as"]["log_size"] == pytest.approx(m.high[size])
    assert out["contributions"]["log_size"] == pytest.approx((m.high[size] - m.mean[size]) / m.scale[size]
                                                             * m.coef[size])
    text = subprocess.run([str(BIN), "--db", str(db), "explain", ids[-1]], capture_output=True, env=env,
                          timeout=120).stdout.decode()
    assert "read as" in text


def test_every_feature_has_a_readers_label_and_no_label_names_a_missing_feature():
    from storyline.cluster.explain import LABELS, label
    from storyline.cluster.model import ALL_FEATURES

    assert set(LABELS) == set(ALL_FEATURES)
    assert label("lex_avg*log_size") == f"{LABELS['lex_avg']} × {LABELS['log_size']}"
