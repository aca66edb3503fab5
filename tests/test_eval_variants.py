"""Variants of a labelled set (bench/robustness.py): the same stories as a real stream might carry them."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from storyline.errors import StorylineError
from storyline.eval.runner import evaluate, with_profile
from storyline.eval.variants import VARIANTS, variant, write_variant
from storyline.settings import Settings

from .test_eval_runner import write_set

REC = {"id": "x-1", "cluster": "c", "date": "2026-03-01T10:00:00+00:00", "source": "Daily A",
       "title": "Storm Hera floods Maravel", "text": "Storm Hera flooded the town of Maravel on Monday. Rescuers "
       "evacuated hundreds.\n\nThe river burst its banks."}


def test_each_variant_changes_only_what_it_names():
    assert variant(REC, "given") == REC
    assert variant(REC, "headline") == {**REC, "text": ""}
    assert variant(REC, "lead")["text"] == "Storm Hera flooded the town of Maravel on Monday."
    assert variant(REC, "full") == REC and variant({**REC, "full_text": "long"}, "full")["text"] == "long"
    assert variant(REC, "undated") == {**REC, "date": None}
    assert variant(REC, "no-outlet") == {**REC, "source": None}
    spread = variant(REC, "spread", seed=3)
    shift = datetime.fromisoformat(spread["date"]) - datetime.fromisoformat(REC["date"])
    assert 0 <= shift.total_seconds() <= 2 * 86400 and spread == variant(REC, "spread", seed=3)
    assert {k: v for k, v in spread.items() if k != "date"} == {k: v for k, v in REC.items() if k != "date"}
    with pytest.raises(StorylineError, match="valid variants"):
        variant(REC, "upside-down")


def test_every_variant_of_a_set_evaluates(tmp_path):
    src = write_set(tmp_path / "s.jsonl")
    for v in VARIANTS:
        path = write_variant(src, tmp_path / f"{v}.jsonl", v)
        rows = [json.loads(x) for x in path.read_text().splitlines()]
        assert [r["cluster"] for r in rows] == [json.loads(x)["cluster"] for x in src.read_text().splitlines()]
        r = evaluate(path, with_profile(Settings(), "lexical"))
        assert r.n_articles == 6 and r.n_rejected == 0 and r.bcubed.f1 > 0.5  # headline-only items are articles


def test_crowded_variants_put_every_story_in_the_same_days():
    from storyline.eval.variants import CROWD_START

    recs = [{**REC, "id": f"x-{i}", "cluster": f"c{i % 5}", "date": f"20{10 + i}-0{1 + i % 9}-01T10:00:00-07:00"}
            for i in range(40)]
    for name, days in (("crowd1", 1.0), ("crowd3", 3.0)):
        out = [variant(r, name, seed=3) for r in recs]
        offsets = [(datetime.fromisoformat(o["date"]) - CROWD_START).total_seconds() / 86400 for o in out]
        assert all(0 <= x <= days for x in offsets) and len(set(offsets)) == len(recs)  # years apart -> same days
        assert out == [variant(r, name, seed=3) for r in recs] != [variant(r, name, seed=4) for r in recs]
        assert all({k: v for k, v in o.items() if k != "date"} == {k: v for k, v in r.items() if k != "date"}
                   for o, r in zip(out, recs))
        assert variant({**REC, "date": None}, name)["date"] is None  # an undated record stays undated


def test_the_years_variant_thins_the_stories_out_and_keeps_each_storys_reports_together():
    from storyline.eval.variants import YEARS_DAYS

    recs = [{**REC, "id": f"x-{i}", "cluster": f"c{i % 20}", "date": "2021-05-01T10:00:00+00:00"} for i in range(60)]
    out = [variant(r, "years", seed=3) for r in recs]
    days: dict[str, list[float]] = {}
    for o in out:
        d = (datetime.fromisoformat(o["date"]) - datetime.fromisoformat(REC["date"].replace("2026-03", "2021-05")))
        days.setdefault(o["cluster"], []).append(d.total_seconds() / 86400)
    assert all(max(v) - min(v) <= 2.0 for v in days.values())  # one event's reports within 2 days
    starts = sorted(min(v) for v in days.values())
    assert 0 <= starts[0] and starts[-1] <= YEARS_DAYS + 2 and starts[-1] - starts[0] > 365  # events over years
    assert out == [variant(r, "years", seed=3) for r in recs] != [variant(r, "years", seed=4) for r in recs]
    assert all({k: v for k, v in o.items() if k != "date"} == {k: v for k, v in r.items() if k != "date"}
               for o, r in zip(out, recs))
    assert variant({**REC, "date": None}, "years")["date"] is None


def test_the_dated_variant_dates_an_undated_set_story_by_story():
    from storyline.eval.variants import DATED_DAYS, DATED_START

    recs = [{**REC, "id": f"n-{i}", "cluster": f"c{i // 3}", "date": None} for i in range(60)]  # 20 triplets
    out = [variant(r, "dated", seed=3) for r in recs]
    days = [(datetime.fromisoformat(o["date"]) - DATED_START).total_seconds() / 86400 for o in out]
    assert all(0 <= d <= DATED_DAYS + 2 for d in days)
    for k in range(20):  # a story's reports within the 0-2 days after its own day
        mine = days[3 * k:3 * k + 3]
        assert max(mine) - min(mine) <= 2.0
    starts = sorted(min(days[3 * k:3 * k + 3]) for k in range(20))
    assert starts[-1] - starts[0] > 30  # the stories themselves spread over the half year
    assert out == [variant(r, "dated", seed=3) for r in recs] != [variant(r, "dated", seed=4) for r in recs]
    assert all({k: v for k, v in o.items() if k != "date"} == {k: v for k, v in r.items() if k != "date"}
               for o, r in zip(out, recs))
    assert variant(REC, "dated") == REC  # a dated record keeps its date
    # composed with a crowded variant, an undated set becomes an aggregator's stream: every story in the same days
    crowded = [variant(variant(r, "dated", 3), "crowd3", 3) for r in recs]
    assert all(c["date"] is not None for c in crowded)
