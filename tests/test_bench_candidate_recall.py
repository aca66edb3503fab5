"""bench/candidate_recall.py's teacher-forced replay, on a small stream, with and without dense vectors."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from storyline.cluster import make_clusterer
from storyline.records import Article
from storyline.settings import Settings

from .test_cluster import HashingEncoder

SPEC = importlib.util.spec_from_file_location("candidate_recall", Path(__file__).resolve().parents[1] / "bench" /
                                              "candidate_recall.py")
candidate_recall = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(candidate_recall)

EVENTS = ["Harbour crane collapses during storm", "Mill fire injures three workers",
          "Stadium roof repairs delayed again", "Library wins national design award"]


def _stream():
    """Three reports of each of four events, interleaved, and one report whose words its story never used."""
    arts, labels = [], []
    for r in range(3):
        for e, title in enumerate(EVENTS):
            arts.append(Article(id=f"a{r}-{e}", title=f"{title} report {r}", text=f"{title}, officials said.",
                                source=f"Outlet {r}", date=None))
            labels.append(f"e{e}")
    arts.append(Article(id="odd", title="Quayside gantry toppled by gale", text="Quayside gantry toppled by gale.",
                        source="Outlet 9", date=None))
    labels.append("e0")
    return arts, labels


@pytest.mark.parametrize("dense", [False, True])
def test_recall_finds_stories_that_share_terms_and_counts_a_report_that_shares_none(dense):
    settings = Settings().with_overrides({"cluster.profile": "default" if dense else "lexical"})
    clusterer = make_clusterer(settings, HashingEncoder() if dense else None)
    arts, labels = _stream()
    r = candidate_recall.recall(clusterer, arts, labels)
    assert r["articles"] == 13 and r["with_story"] == 9  # every report after its story's first
    assert r["no_shared_term"] == pytest.approx(1 / 9)  # the gantry report shares no term with the crane story
    assert r["found"] >= 8 / 9 and r["top"] <= r["found"]
