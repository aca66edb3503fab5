"""The story view shows the copies stage's provenance and reuses its stored sentence alignments."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyline.ingest import read_paths
from storyline.pipeline import open_pipeline
from storyline.records import Article
from storyline.settings import Settings
from storyline.store import Store
from storyline.stories.align import align_sentences
from storyline.stories.render import to_html, to_markdown
from storyline.stories.view import build_view, build_view_from_articles, merge_stored_alignments

from .conftest import DEMO_CORPUS

LEXICAL = Settings().with_overrides({"cluster.profile": "lexical"})


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    if not (DEMO_CORPUS / "articles.jsonl").exists() or not (DEMO_CORPUS / "wire").is_dir():
        pytest.skip("the demo corpus (storyline/demo/corpus with wire/) is not present")
    path = tmp_path_factory.mktemp("prov") / "demo.db"
    with Store(path) as store:
        open_pipeline(store, LEXICAL).run(read_paths([DEMO_CORPUS], LEXICAL.ingest))
    with Store(path) as store:
        yield store


def _silo_story(store: Store) -> str:
    rows = store.query("SELECT m.story_id FROM memberships m JOIN articles a ON a.id=m.article_id "
                       "WHERE a.source='Meridian Press' AND a.title LIKE '%silo%Tollan%'")
    assert rows, "the Meridian Press Tollan silo fire report is not in the demo store"
    return rows[0][0]


def test_demo_silo_fire_view_shows_origin_carried_by_outlets(demo_store):
    view = build_view(demo_store, _silo_story(demo_store), settings=LEXICAL)
    d = view.to_dict()
    meridian = [p for p in d["provenance"] if p["source"] == "Meridian Press"]
    assert len(meridian) == 1
    origin = meridian[0]
    assert origin["carried_by"] >= 3
    assert "Meridian Press" not in origin["outlets"]
    assert demo_store.get_article(origin["origin_id"]).source == "Meridian Press"
    assert "silo" in origin["title"].lower()
    # corroboration counts independent reports: the origin once, its carriers not at all
    carriers = set(origin["outlets"])
    all_sources = {s["source"] for s in d["sources"]}
    assert d["independent_sources"] == len(all_sources - carriers)
    assert d["independent_sources"] < len(all_sources)
    assert "provenance_summary" in d["methods"]["copies"]
    assert "sentence_alignments" in d["methods"]["stored_alignments"]
    line = f"Origin: Meridian Press ({origin['title']}) — carried by {origin['carried_by']} outlets"
    assert line in to_markdown(view).replace("\\", "")
    assert "carried by" in to_html(view)


def _pair() -> tuple[Article, Article]:
    a = Article("a1", "Quake", "A strong earthquake shook the coastal city on Monday. Officials counted the damage.",
                "Alpha", None)
    b = Article("b1", "Quake", "Tremors rattled the seaside town early in the week. Officials counted the damage.",
                "Beta", None)
    return a, b


def test_stored_alignment_pair_makes_sentences_aligned():
    a, b = _pair()
    al = align_sentences([a, b])
    ia = next(i for i, r in enumerate(al.sentences) if r.article_id == "a1" and r.index == 0)
    ib = next(i for i, r in enumerate(al.sentences) if r.article_id == "b1" and r.index == 0)
    assert ib not in [j for j, _ in al.neighbours(ia)]  # lexically unrelated: not aligned by similarity
    ra, rb = al.sentences[ia], al.sentences[ib]
    row = {"article_a": "a1", "article_b": "b1", "a_start": ra.start, "a_end": ra.end, "b_start": rb.start,
           "b_end": rb.end, "lexical": 0.2, "dense": 0.81}
    merged, used, added = merge_stored_alignments(al, [row])
    assert (used, added) == (1, 1)
    assert ib in [j for j, _ in merged.neighbours(ia)] and ia in [j for j, _ in merged.neighbours(ib)]
    assert merged.n_pairs == al.n_pairs + 1

    plain = build_view_from_articles([a, b], settings=LEXICAL)
    view = build_view_from_articles([a, b], settings=LEXICAL, stored_alignments=[row])
    plain_unique = {u.text for u in plain.unique}
    unique = {u.text for u in view.unique}
    assert ra.text in plain_unique and rb.text in plain_unique
    assert ra.text not in unique and rb.text not in unique
    assert view.counts["stored_alignment_pairs"] == 1
    assert "1 stored pairs" in view.methods["stored_alignments"]


def test_stored_row_with_inexact_span_is_ignored():
    a, b = _pair()
    al = align_sentences([a, b])
    ra = next(r for r in al.sentences if r.article_id == "a1" and r.index == 0)
    rb = next(r for r in al.sentences if r.article_id == "b1" and r.index == 0)
    row = {"article_a": "a1", "article_b": "b1", "a_start": ra.start, "a_end": ra.end + 5, "b_start": rb.start,
           "b_end": rb.end, "lexical": 0.9, "dense": None}
    merged, used, added = merge_stored_alignments(al, [row])
    assert (used, added) == (0, 0) and merged is al


def test_without_copies_tables_every_source_is_independent():
    a, b = _pair()
    view = build_view_from_articles([a, b], settings=LEXICAL)
    d = view.to_dict()
    assert d["provenance"] == [] and d["independent_sources"] == 2
    assert "every article counted as independent" in d["methods"]["copies"]
    assert d["methods"]["stored_alignments"].startswith("none")
