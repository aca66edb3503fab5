"""`storyline eval`: a labelled JSONL through the real pipeline, scored; the JSON contract."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from storyline.errors import StorylineError
from storyline.eval.runner import evaluate, with_profile
from storyline.settings import Settings

from .conftest import DATA, needs_data

BIN = Path(sys.executable).with_name("storyline")
LEXICAL = with_profile(Settings(), "lexical")


def write_set(path: Path) -> Path:
    rows = []
    stories = {
        "storm": ("Storm Hera floods Maravel", "Storm Hera flooded the coastal town of Maravel on Monday, "
                  "forcing hundreds of residents from their homes as the Tavi river burst its banks."),
        "vote": ("Ostria parliament passes budget", "The Ostrian parliament passed the 2026 budget after the "
                 "coalition settled a dispute over pension reform and fuel taxes."),
    }
    for k, (cluster, (title, text)) in enumerate(stories.items()):
        for j, src in enumerate(["Daily A", "Herald B", "Times C"]):
            rows.append({"id": f"{cluster}-{j}", "cluster": cluster, "date": f"2026-03-0{k + 1}T10:00:00+00:00",
                         "source": src, "title": f"{title} ({src})", "text": text + f" Reported by {src}."})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_evaluate_scores_a_small_labelled_set_through_the_pipeline(tmp_path):
    r = evaluate(write_set(tmp_path / "s.jsonl"), LEXICAL)
    assert (r.n_articles, r.n_gold) == (6, 2)
    assert r.bcubed.f1 == 1.0 and r.pairwise.f1 == 1.0 and r.n_pred == 2
    assert r.articles_per_s > 0 and r.peak_rss_mb > 0
    shuffled = evaluate(tmp_path / "s.jsonl", LEXICAL, order="shuffled")
    assert shuffled.bcubed.f1 == 1.0


def test_evaluate_refuses_records_without_gold_labels(tmp_path):
    p = tmp_path / "u.jsonl"
    p.write_text(json.dumps({"id": "x", "title": "t", "text": "body"}) + "\n")
    with pytest.raises(StorylineError, match="'cluster'"):
        evaluate(p, LEXICAL)


def test_eval_cli_json_contract(tmp_path):
    p = subprocess.run([str(BIN), "eval", str(write_set(tmp_path / "s.jsonl")), "--profile", "lexical",
                        "--format", "json"], capture_output=True, timeout=120, env={**os.environ})
    assert p.returncode == 0, p.stderr.decode()
    out = json.loads(p.stdout)
    assert set(out) >= {"bcubed", "pairwise", "n_pred", "n_gold", "n_articles", "articles_per_s", "peak_rss_mb"}
    assert set(out["bcubed"]) == {"precision", "recall", "f1"} == set(out["pairwise"])
    assert out["n_gold"] == 2 and out["n_articles"] == 6
    table = subprocess.run([str(BIN), "eval", str(tmp_path / "s.jsonl"), "--profile", "lexical"],
                           capture_output=True, timeout=120)
    assert table.returncode == 0 and b"B-cubed" in table.stdout and b"articles/s" in table.stdout


def test_records_the_reader_rejects_are_counted_and_left_out(tmp_path):
    p = write_set(tmp_path / "s.jsonl")
    with p.open("a", encoding="utf-8") as f:
        f.write(json.dumps({"id": "empty", "cluster": "storm", "title": "", "text": ""}) + "\n")
    r = evaluate(p, LEXICAL)
    assert (r.n_articles, r.n_rejected, r.bcubed.f1) == (6, 1, 1.0)
    with p.open("a", encoding="utf-8") as f:  # a headline with no text is an article (headline-only), scored
        f.write(json.dumps({"id": "h", "cluster": "storm", "title": "Storm Hera floods Maravel", "text": ""}) + "\n")
    assert (evaluate(p, LEXICAL).n_articles, evaluate(p, LEXICAL).n_rejected) == (7, 1)


@needs_data
@pytest.mark.slow
def test_lexical_profile_meets_its_allsides_target():
    r = evaluate(DATA / "allsides-2021.jsonl", LEXICAL)
    assert r.bcubed.f1 >= 0.85, r.as_dict()


def _set_with_encoded_ids(path: Path, rename: bool) -> Path:
    """Undated stories whose ids encode the cluster (as neus ids do), or the same records with opaque ids."""
    topics = {
        "storm": ("Storm Hera floods Maravel", "Storm Hera flooded the coastal town of Maravel, forcing residents "
                  "from their homes as the Tavi river burst its banks."),
        "vote": ("Ostria parliament passes budget", "The Ostrian parliament passed the budget after the coalition "
                 "settled a dispute over pension reform and fuel taxes."),
        "fire": ("Wildfire near Lund forces evacuations", "A wildfire near Lund forced hundreds to evacuate as "
                 "crews fought flames fanned by strong winds."),
    }
    rows = []
    for k, (cluster, (title, text)) in enumerate(topics.items()):
        for j, src in enumerate(["Daily A", "Herald B", "Times C", "Post D"]):
            rid = f"x{(k * 4 + j) * 7 % 12:02d}" if rename else f"{cluster}-{j}"  # 7k mod 12: a bijection
            rows.append({"id": rid, "cluster": cluster, "date": None, "source": src,
                         "title": f"{title} ({src})" if j % 2 else title, "text": text + f" Reported by {src}."})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_ids_that_encode_the_story_change_nothing(tmp_path):
    from storyline.eval.runner import arrival_order, labelled_items

    a = evaluate(_set_with_encoded_ids(tmp_path / "a.jsonl", False), LEXICAL)
    b = evaluate(_set_with_encoded_ids(tmp_path / "b.jsonl", True), LEXICAL)
    assert a.as_dict()["bcubed"] == b.as_dict()["bcubed"] and a.n_pred == b.n_pred
    items, gold, _ = labelled_items(tmp_path / "a.jsonl", LEXICAL)
    assert all("cluster" not in it.extra for it in items) and len(gold) == 12
    # undated items are not fed in id order (which would put each story's articles side by side)
    ordered = [it.external_id for it in arrival_order(items)]
    assert ordered != sorted(ordered) and sorted(ordered) == sorted(gold)
    assert ordered == [it.external_id for it in arrival_order(items)]  # seeded: the same order every time
    assert ordered != [it.external_id for it in arrival_order(items, seed=5)]


def test_the_gold_label_never_reaches_the_pipeline(tmp_path, monkeypatch):
    from storyline.pipeline import Pipeline

    seen = []
    real = Pipeline.run

    def spy(self, items, *args, **kwargs):
        items = list(items)
        seen.extend(items)
        return real(self, items, *args, **kwargs)

    monkeypatch.setattr(Pipeline, "run", spy)
    evaluate(write_set(tmp_path / "s.jsonl"), LEXICAL)
    assert len(seen) == 6 and all("cluster" not in it.extra for it in seen)


def test_equal_dates_are_ordered_by_the_seed_not_by_id(tmp_path):
    from storyline.eval.runner import arrival_order, labelled_items

    items, _, _ = labelled_items(write_set(tmp_path / "s.jsonl"), LEXICAL)
    orders = {tuple(it.external_id for it in arrival_order(items, seed=s)) for s in range(8)}
    assert len(orders) > 1
    for o in orders:  # dates still rule: the 03-01 story's articles come before the 03-02 one's
        assert all(x.startswith("storm") for x in o[:3])
