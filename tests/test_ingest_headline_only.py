"""Headline-only items (a title and no body: aggregator exports, many RSS feeds, link lists) are articles.

Their ``text`` is empty (never invented, never a copy of the title); ``no-text`` is only for items with neither a
title nor a text.
"""

from __future__ import annotations

from storyline.normalize import normalize
from storyline.records import Origin, RawItem, Rejected
from storyline.settings import IngestSettings


def test_title_only_record_is_a_headline_only_article():
    a = normalize(RawItem(origin=Origin("agg.jsonl", 1), text="", title=" Ceasefire  talks resume in Doha ",
                          source="Wire", date="2021-10-09"))
    assert not isinstance(a, Rejected)
    assert a.title == "Ceasefire talks resume in Doha" and a.text == "" and a.headline_only
    assert not a.title_derived and a.warnings == () and a.lead == "Ceasefire talks resume in Doha"


def test_whitespace_body_is_no_body():
    a = normalize(RawItem(origin=Origin("x"), text=" \n\u200b\n ", title="Talks resume"))
    assert a.text == "" and a.headline_only


def test_neither_title_nor_text_is_rejected():
    r = normalize(RawItem(origin=Origin("agg.jsonl", 4), text=" ", title="\u200b"))
    assert isinstance(r, Rejected) and r.reason == "no-text" and r.ref == "agg.jsonl:4"


def test_a_body_under_min_text_chars_is_left_out_with_a_warning():
    raw = RawItem(origin=Origin("x"), text="Read more", title="Talks resume in Doha")
    a = normalize(raw, IngestSettings(min_text_chars=20))
    assert a.text == "" and a.headline_only and "min_text_chars=20" in a.warnings[0]
    r = normalize(RawItem(origin=Origin("x"), text="Read more"), IngestSettings(min_text_chars=20))
    assert isinstance(r, Rejected) and r.reason == "no-text"


def test_headline_only_ids_differ_by_title_and_source():
    one = normalize(RawItem(origin=Origin("x"), text="", title="A", source="S"))
    two = normalize(RawItem(origin=Origin("x"), text="", title="B", source="S"))
    three = normalize(RawItem(origin=Origin("x"), text="", title="A", source="T"))
    assert len({one.id, two.id, three.id}) == 3


def test_an_article_with_a_body_is_not_headline_only():
    a = normalize(RawItem(origin=Origin("x"), text="Body text.", title="T"))
    assert not a.headline_only and a.lead == "T\nBody text."


HEADLINES = [("Ceasefire talks resume in Doha", "Wire A", "2021-10-09T08:00:00Z"),
             ("Doha ceasefire talks resume on Saturday", "Wire B", "2021-10-09T12:00:00Z"),
             ("Talks on a ceasefire resume in Doha", "Wire C", "2021-10-10T09:00:00Z")]


def _headline_store(tmp_path):
    from storyline.pipeline import open_pipeline
    from storyline.settings import Settings
    from storyline.store import Store

    settings = Settings().with_overrides({"cluster.profile": "lexical"})
    db = tmp_path / "h.db"
    with Store(db) as s:
        items = [RawItem(Origin("agg.jsonl", i + 1), "", title=t, source=src, date=d)
                 for i, (t, src, d) in enumerate(HEADLINES)]
        stats = open_pipeline(s, settings).run(items)
    return db, settings, stats


def test_headline_only_articles_are_stored_searchable_and_shown(tmp_path):
    from storyline.stories.view import build_view
    from storyline.store import Store

    db, _, stats = _headline_store(tmp_path)
    assert (stats.seen, stats.accepted, stats.rejected) == (3, 3, 0)
    with Store(db) as s:
        hits = s.search("ceasefire Doha")
        assert {h["title"] for h in hits} == {t for t, _, _ in HEADLINES}
        arts = [a for st in s.list_stories() for a in s.iter_articles(st.id)]
        assert len(arts) == 3 and all(a.headline_only and a.text == "" for a in arts)
        for story in s.list_stories():
            v = build_view(s, story.id)
            assert {a.title for a in v.articles} <= {t for t, _, _ in HEADLINES}
            assert len(v.timeline) == len(v.articles) and {x.source for x in v.sources} == {a.source for a in v.articles}
            assert all(x.text.strip() for x in v.summary)  # no empty sentence
            assert all(t.sentences == 0 for t in v.timeline)
        # headlines of one event are not copies of one another (there is no body to compare)
        assert not s.query("SELECT * FROM copies")


def test_web_story_page_of_headline_only_articles(tmp_path):
    import pytest

    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from storyline.api import create_app

    db, settings, _ = _headline_store(tmp_path)
    with TestClient(create_app(db, settings)) as c:
        stories = c.get("/api/stories").json()["stories"]
        seen_titles = set()
        for st in stories:
            page = c.get(f"/stories/{st['id']}")
            assert page.status_code == 200
            for t, src, _ in HEADLINES:
                if t in page.text:
                    seen_titles.add(t)
                    assert src in page.text
            assert "<li>\n      <span class=\"text\"></span>" not in page.text
        assert seen_titles == {t for t, _, _ in HEADLINES}
        aid = c.get("/api/articles").json()["articles"][0]["id"]
        assert c.get(f"/articles/{aid}").status_code == 200
        assert c.get("/search", params={"q": "Doha"}).status_code == 200
