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


@needs_data
@pytest.mark.slow
def test_lexical_profile_meets_its_allsides_target():
    r = evaluate(DATA / "allsides-2021.jsonl", LEXICAL)
    assert r.bcubed.f1 >= 0.85, r.as_dict()
