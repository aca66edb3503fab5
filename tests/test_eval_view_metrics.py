"""The eval-view scorer (storyline/eval/view.py) on hand-made views and gold stories."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storyline.eval.view import (Ratio, agreement_scores, boilerplate_leaks, copy_scores, figure_scores, match,
                                 quote_scores, read_dataset, score_story, token_overlap, total, unique_scores)

GOLD = {
    "story": "s",
    "facts": [
        {"id": "f1", "sentences": [
            {"article": "a1", "text": "Three people died in the fire on Monday."},
            {"article": "a2", "text": "Three people died in the fire on Monday."},  # a2 is a copy of a1
            {"article": "a3", "text": "The blaze on Monday killed three people."},
            {"article": "a4", "text": "Three were killed in Monday's blaze."}]},
        {"id": "f2", "sentences": [
            {"article": "a1", "text": "The cause is being investigated."},
            {"article": "a3", "text": "Police are investigating the cause."}]},
    ],
    "not_agree": [{"a": {"article": "a1", "text": "Fourteen engines were sent."},
                   "b": {"article": "a3", "text": "A dozen engines were sent."}, "why": "figure"}],
    "figures": [
        {"about": "engines", "kind": "dispute", "values": [
            {"article": "a1", "span": "Fourteen engines", "sentence": "Fourteen engines were sent."},
            {"article": "a3", "span": "A dozen engines", "sentence": "A dozen engines were sent."}]},
        {"about": "toll", "kind": "update", "values": [
            {"article": "a1", "span": "Three people", "sentence": "Three people died in the fire on Monday."},
            {"article": "a5", "span": "four", "sentence": "The toll rose to four."}]},
    ],
    "quotes": [
        {"article": "a1", "quote": "It spread fast", "speaker": "Dan Marr", "sentence": "It spread fast, Marr said."},
        {"article": "a2", "quote": "It spread fast", "speaker": "Dan Marr", "sentence": "It spread fast, Marr said."},
        {"article": "a3", "quote": "We are heartbroken", "speaker": "Ann Lee", "sentence": "x"},
    ],
    "unique": [{"article": "a3", "text": "The mayor visited the scene on Monday morning."}],
    "copies": [{"article": "a2", "origin": "a1", "relation": "copy"}],
    "boilerplate": [{"article": "a2", "text": "Read more at the Courier."}],
}
ARTS = {"a1", "a2", "a3", "a4", "a5"}


def item(a, text, rel="independent"):
    return {"article_id": a, "source": a.upper(), "text": text, "start": 0, "end": len(text), "relation": rel}


def test_match_rule():
    assert match("Three  people died.", "TAMSFORD - Three people died. More.")  # containment, whitespace, case
    assert match("\u201cIt spread fast\u201d", '"It spread fast"')  # curly quotes
    assert token_overlap("a b c d e", "a b c d f") == pytest.approx(0.8)
    assert match("a b c d e", "a b c d f")
    assert not match("a b c d e", "a b c f g")
    assert not match("", "anything")


def test_agreement_precision_and_recall():
    view = {"agreements": [
        {"items": [item("a1", "Three people died in the fire on Monday."),
                   item("a2", "Three people died in the fire on Monday.", "copy"),
                   item("a3", "The blaze on Monday killed three people.")]},
        {"items": [item("a1", "Fourteen engines were sent."), item("a3", "A dozen engines were sent.")]},  # not_agree
        {"items": [item("a1", "Some sentence nobody annotated."), item("a4", "Another unannotated one.")]},
    ]}
    prec, rec, _ = agreement_scores([view], GOLD, ARTS)
    # judged pairs among independent items: (a1,a3) f1 right, (a1,a3) not_agree wrong; the unannotated pair is
    # not judged; the copy item is not independent support
    assert (prec.num, prec.den) == (1, 2)
    # gold independent pairs (the copy a2 left out): f1 a1-a3, a1-a4, a3-a4; f2 a1-a3 → 1 of 4 shown
    assert (rec.num, rec.den) == (1, 4)


def test_agreement_with_unique_or_boilerplate_is_wrong_and_other_story_is_wrong():
    view = {"agreements": [
        {"items": [item("a3", "The mayor visited the scene on Monday morning."),
                   item("a1", "The cause is being investigated.")]},
        {"items": [item("a1", "The cause is being investigated."), item("zz", "The cause is being investigated.")]},
    ]}
    prec, _, _ = agreement_scores([view], GOLD, ARTS)
    assert (prec.num, prec.den) == (0, 2)


def test_summary_also_in_precision_skips_copy_pairs():
    view = {"summary": [{"text": "Three people died in the fire on Monday.",
                         "citations": [{"article_id": "a1"}],
                         "also_in": [{"article_id": "a2", "text": "Three people died in the fire on Monday."},
                                     {"article_id": "a3", "text": "The blaze on Monday killed three people."},
                                     {"article_id": "a4", "text": "An unannotated sentence."}]},
                        {"text": "Fourteen engines were sent.", "citations": [{"article_id": "a1"}],
                         "also_in": [{"article_id": "a3", "text": "A dozen engines were sent."}]}]}
    _, _, also = agreement_scores([view], GOLD, ARTS)
    # a1-a2 is a copy pair (skipped), a1-a3 the same fact, a1-a4 not judged, the engines pair a not_agree pair
    assert (also.num, also.den) == (1, 2)


def test_disputes_and_updates():
    dispute = {"kind": "dispute", "values": [
        {"article_id": "a1", "value": "Fourteen engines", "text": "Fourteen engines were sent."},
        {"article_id": "a3", "value": "A dozen engines", "text": "A dozen engines were sent."}]}
    toll_as_dispute = {"values": [  # no kind: a dispute
        {"article_id": "a1", "value": "Three people", "text": "Three people died in the fire on Monday."},
        {"article_id": "a5", "value": "four", "text": "The toll rose to four."}]}
    p, r, u = figure_scores([{"conflicts": [dispute, toll_as_dispute]}], GOLD, ARTS)
    assert (p.num, p.den, r.num, r.den, u.num, u.den) == (1, 2, 1, 1, 0, 1)
    toll_as_update = dict(toll_as_dispute, kind="update")
    p, r, u = figure_scores([{"conflicts": [dispute, toll_as_update]}], GOLD, ARTS)
    assert (p.num, p.den, u.num, u.den) == (1, 1, 1, 1)
    # an update also shown as a dispute is not counted as shown as an update
    p, r, u = figure_scores([{"conflicts": [toll_as_update, toll_as_dispute]}], GOLD, ARTS)
    assert (u.num, u.den) == (0, 1)


def test_quotes_coverage_speaker_and_copy_origin():
    view = {"quotes": [{"article_id": "a1", "text": "It spread fast", "speaker": "Dan Marr"},
                       {"article_id": "a3", "text": "We are heartbroken", "speaker": "the mayor"}]}
    cov, spk = quote_scores([view], GOLD)
    assert (cov.num, cov.den) == (3, 3)  # a2's quote is found in its origin a1
    assert (spk.num, spk.den) == (2, 3)


def test_unique_precision_judges_only_annotated_sentences():
    view = {"unique": [item("a3", "The mayor visited the scene on Monday morning."),  # right
                       item("a3", "Police are investigating the cause."),  # a fact sentence: wrong
                       item("a2", "Something in the copy."),  # in a copy: wrong
                       item("a4", "Something unannotated.")]}  # not judged
    p, r = unique_scores([view], GOLD, ARTS)
    assert (p.num, p.den) == (1, 3)
    assert (r.num, r.den) == (1, 1)


def test_copies_and_boilerplate_leaks():
    rec, rel = copy_scores([{"copies": [{"article_id": "a2", "origin_id": "a1", "relation": "rewrite"}]}], GOLD)
    assert (rec.num, rec.den, rel.num, rel.den) == (1, 1, 0, 1)
    rec, _ = copy_scores([{"copies": [{"article_id": "a2", "origin_id": "a3", "relation": "copy"}]}], GOLD)
    assert (rec.num, rec.den) == (0, 1)
    view = {"unique": [item("a2", "Read more at the Courier.")],
            "latest": {"items": [{"article_id": "a2", "text": "Read more at the Courier."}]},
            "summary": [{"text": "Read more at the Courier.", "citations": [{"article_id": "a1"}], "also_in": []}]}
    leaks = boilerplate_leaks([view], GOLD)
    assert sorted(x["section"] for x in leaks) == ["latest", "unique"]  # the summary item cites a1, not a2


def test_score_story_and_total_add_counts():
    s = score_story([{"copies": [{"article_id": "a2", "origin_id": "a1", "relation": "copy"}]}], GOLD, ARTS)
    t = total([s, s])
    assert t["copy_recall"] == {"value": 1.0, "num": 2, "den": 2}
    assert t["agreement_precision"]["value"] is None
    assert t["boilerplate_leaks"] == 0
    assert Ratio(1, 2) + Ratio(1, 2) == Ratio(2, 4)


def test_read_dataset_strips_the_gold_story(tmp_path: Path):
    (tmp_path / "articles.jsonl").write_text(json.dumps({"id": "x", "story": "s", "title": "t", "text": "b"}) + "\n")
    (tmp_path / "gold.json").write_text(json.dumps([{"story": "s"}]))
    records, story_of, gold = read_dataset(tmp_path)
    assert records == [{"id": "x", "title": "t", "text": "b"}]
    assert story_of == {"x": "s"} and gold == [{"story": "s"}]
    from storyline.errors import StorylineError

    with pytest.raises(StorylineError, match="gold.json"):
        read_dataset(tmp_path / "missing")


def _tiny_dataset(d: Path) -> None:
    base = "TOWN, May 1 - Three people died when a fire swept through a warehouse in the town early on Monday."
    arts = [
        {"id": "x1", "story": "fire", "date": "2025-05-01T08:00:00Z", "source": "Wire",
         "title": "Three dead in warehouse fire", "text": base + " The cause is being investigated.\n\nRead more at "
                                                                    "the Wire."},
        {"id": "x2", "story": "fire", "date": "2025-05-01T09:00:00Z", "source": "Herald",
         "title": "Three dead in warehouse fire", "text": base + " The cause is being investigated."},
    ]
    (d / "articles.jsonl").write_text("".join(json.dumps(a) + "\n" for a in arts), "utf-8")
    gold = [{"story": "fire", "facts": [], "not_agree": [], "figures": [], "quotes": [], "unique": [],
             "copies": [{"article": "x2", "origin": "x1", "relation": "copy"}],
             "boilerplate": [{"article": "x1", "text": "Read more at the Wire."}]}]
    (d / "gold.json").write_text(json.dumps(gold), "utf-8")


def test_evaluate_views_runs_the_pipeline_without_the_gold_story(tmp_path: Path):
    from storyline.eval.view import evaluate_views
    from storyline.settings import Settings

    _tiny_dataset(tmp_path)
    report = evaluate_views(tmp_path, Settings())
    assert report["clustering"] == {"gold_stories": 1, "views": 1, "split_stories": 0, "merged_stories": 0}
    (story,) = report["stories"]
    assert story["copy_recall"]["den"] == 1
    assert set(report["total"]) >= {"agreement_precision", "boilerplate_leaks", "copy_recall"}


def test_eval_view_cli_json_and_bad_folder(tmp_path: Path):
    import os
    import subprocess
    import sys

    _tiny_dataset(tmp_path)
    bin_ = Path(sys.executable).with_name("storyline")
    p = subprocess.run([str(bin_), "eval-view", str(tmp_path), "--format", "json"], capture_output=True,
                       env=dict(os.environ), timeout=120)
    assert p.returncode == 0, p.stderr.decode()
    out = json.loads(p.stdout)
    assert out["total"]["copy_recall"]["den"] == 1
    p = subprocess.run([str(bin_), "eval-view", str(tmp_path / "nope")], capture_output=True, env=dict(os.environ),
                       timeout=120)
    assert p.returncode == 1 and b"articles.jsonl" in p.stderr
