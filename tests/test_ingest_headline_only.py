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

    from storyline.web import create_app

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


# -- each reader ------------------------------------------------------------------------------------------------
def _read(paths):
    import storyline.ingest.web  # noqa: F401  (registers the HTML and feed readers)
    from storyline.ingest import read_paths

    return list(read_paths([str(p) for p in paths]))


def _headline(item, title):
    return isinstance(item, RawItem) and item.title == title and not (item.text or "").strip()


def test_structured_readers_keep_title_only_records(tmp_path):
    import json

    (tmp_path / "a.jsonl").write_text('{"title": "Dam gives way", "source": "Wire"}\n{"text": "", "title": ""}\n')
    (tmp_path / "b.json").write_text(json.dumps([{"headline": "Harbour reopens", "body": None}, {"url": "x"}]))
    (tmp_path / "c.csv").write_text("title,text,source\nBridge closes,,Wire\n,,Wire\n")
    items = _read([tmp_path / "a.jsonl", tmp_path / "b.json", tmp_path / "c.csv"])
    assert _headline(items[0], "Dam gives way") and _headline(items[2], "Harbour reopens")
    assert _headline(items[4], "Bridge closes")
    assert [i.reason for i in items if isinstance(i, Rejected)] == ["no-text"] * 3


def test_a_text_file_that_is_only_a_headline(tmp_path):
    (tmp_path / "h.txt").write_text("Ceasefire talks resume in Doha\n")
    (tmp_path / "d.txt").write_text("date 2021-10-09 Ceasefire talks resume in Doha\n\n")
    (tmp_path / "s.txt").write_text("The talks resumed in Doha on Saturday.\n")  # one sentence: a body
    (tmp_path / "e.txt").write_text("date 2021-10-09\n")  # neither headline nor body
    d, e, h, s = _read(sorted(tmp_path.iterdir()))
    assert _headline(h, "Ceasefire talks resume in Doha") and _headline(d, "Ceasefire talks resume in Doha")
    assert d.date == "2021-10-09"
    assert s.title is None and s.text == "The talks resumed in Doha on Saturday."
    assert isinstance(normalize(e), Rejected) and normalize(e).reason == "no-text"
    assert normalize(h).headline_only and not normalize(s).headline_only


ARTICLE_PAGE = (b'<!doctype html><html lang="en"><head><title>Harbour reopens - The Ledger</title>'
                b'<meta property="og:type" content="article"><meta property="og:title" content="Harbour reopens">'
                b'<meta property="og:site_name" content="The Ledger">'
                b'<meta property="article:published_time" content="2021-10-09T10:00:00Z"></head>'
                b'<body><article><h1>Harbour reopens</h1><p>Subscribe to read.</p></article></body></html>')
JSONLD_PAGE = (b'<!doctype html><html><head><title>Dam</title><script type="application/ld+json">'
               b'{"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Dam fails above Lake Orvin"}'
               b'</script></head><body><p>Watch the video.</p></body></html>')
LINK_LIST = (b'<!doctype html><html><head><title>World news</title><meta property="og:type" content="website">'
             b'</head><body><ul><li><a href="/a">Dam fails above Lake Orvin</a></li>'
             b'<li><a href="/b">Harbour reopens after the storm</a></li></ul></body></html>')


def test_html_article_page_without_body_is_headline_only_but_a_link_list_is_not(tmp_path):
    from .fixtures.web.server import fixture_bytes

    (tmp_path / "a.html").write_bytes(ARTICLE_PAGE)
    (tmp_path / "b.html").write_bytes(JSONLD_PAGE)
    (tmp_path / "c.html").write_bytes(LINK_LIST)
    (tmp_path / "d.html").write_bytes(fixture_bytes("nav_only.html"))
    a, b, c, d = _read(sorted(tmp_path.iterdir()))
    assert _headline(a, "Harbour reopens") and a.source == "The Ledger" and a.date == "2021-10-09T10:00:00Z"
    assert "page type 'article'" in a.extra["headline_only"]  # the teaser line is not kept as the text
    assert _headline(b, "Dam fails above Lake Orvin") and "newsarticle" in b.extra["headline_only"]
    for bad in (c, d):
        assert isinstance(bad, Rejected) and bad.reason == "no-text" and "declare itself an article" in bad.detail
    full = _read([tmp_path / "a.html"])[0]
    assert normalize(full).headline_only


RSS = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>Headlines</title>'
       b'<item><title>Dam gives way</title><link>https://l.test/dam</link><guid>d1</guid>'
       b'<pubDate>Tue, 08 Apr 2031 06:45:00 GMT</pubDate></item>'
       b'<item><guid>d2</guid></item></channel></rss>')
ATOM = (b'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Courier</title>'
        b'<id>urn:c</id><updated>2031-04-08T07:00:00Z</updated>'
        b'<entry><title>Harbour reopens</title><id>urn:c:1</id><updated>2031-04-08T07:00:00Z</updated></entry>'
        b'</feed>')


def test_feed_entries_with_a_title_only(tmp_path):
    import json

    (tmp_path / "a.rss").write_bytes(RSS)
    (tmp_path / "b.atom").write_bytes(ATOM)
    (tmp_path / "c.json").write_text(json.dumps({
        "version": "https://jsonfeed.org/version/1.1", "title": "Post",
        "items": [{"id": "p1", "title": "Bridge closes"}, {"id": "p2", "url": "https://p.test/x"}]}))
    rss, rss_empty, atom, jf, jf_empty = _read(sorted(tmp_path.iterdir()))
    assert _headline(rss, "Dam gives way") and rss.url == "https://l.test/dam" and rss.source == "Headlines"
    assert rss.date and rss.external_id == "d1"
    assert _headline(atom, "Harbour reopens") and atom.source == "Courier"
    assert _headline(jf, "Bridge closes") and jf.external_id == "p1"
    for bad in (rss_empty, jf_empty):
        assert isinstance(bad, Rejected) and bad.reason == "no-text"


def test_a_title_only_entry_whose_page_is_a_link_list_keeps_its_headline(server):
    from storyline.ingest.feeds import feed_entries, parse_feed
    from storyline.ingest.fetch import Fetcher
    from storyline.ingest.session import WebSession
    from storyline.settings import FetchSettings

    server.route("/dam", LINK_LIST)
    local = FetchSettings(allow_networks="127.0.0.1/32", min_host_interval_s=0.0)
    feed = parse_feed(RSS.replace(b"https://l.test", server.base.encode()), "f.rss", 5_000_000)
    with Fetcher(local) as f:
        items = [e.item for e in feed_entries(feed, WebSession(local, f))]
    assert _headline(items[0], "Dam gives way") and items[0].extra["text_from"] == "title"
    assert "no-text" in items[0].extra["linked_page_error"]
