"""JSON Feed (versions 1 and 1.1): detected, turned into the items an RSS/Atom feed gives, read by `ingest URL…` and
`watch`; a malformed JSON Feed is a Rejected row, never a crash."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from storyline.cli import app
from storyline.ingest.feeds import feed_entries, parse_feed
from storyline.ingest.fetch import Fetcher
from storyline.service.watch import FeedStates, Watcher
from storyline.ingest.web import read_inputs, web_session
from storyline.pipeline import open_pipeline
from storyline.records import RawItem, Rejected
from storyline.settings import Settings

from .fixtures.web.server import Clock, fixture_bytes

pytestmark = pytest.mark.backends("sqlite", "postgres")  # every test that takes `store` runs on both

SETTINGS = Settings().with_overrides({"cluster.profile": "lexical", "fetch.allow_networks": "127.0.0.1/32",
                                      "fetch.min_host_interval_s": "0"})
CLI_SETTINGS = ["--set", "cluster.profile=lexical", "--set", "fetch.allow_networks=127.0.0.1/32",
                "--set", "fetch.min_host_interval_s=0"]
LIMIT = 5 * 1024 * 1024
V11 = "https://jsonfeed.org/version/1.1"
V1 = "https://jsonfeed.org/version/1"

DAM = ("<p>The earthen dam above Lake Orvin gave way shortly before dawn on Tuesday, sending a wall of water into "
       "the villages of Orvin, Bellac and Terre-Basse.</p><p>At least 140 residents were taken to emergency shelters "
       "in Saint-Aubry, the prefecture said.</p>")
INQUIRY = ("The regional prefect on Wednesday ordered an independent inquiry into the failure of the Orvin dam.\n\n"
           "The two other dams on the river Sauve will be inspected this week, the prefecture said.")


def sauve_feed(base: str, version: str = V11, extra: bool = False) -> dict:
    """A JSON Feed with a content_html item, a content_text item and a summary-only item linking to a page."""
    items = [
        {"id": "sauve-2031-04-08-dam", "url": f"{base}/dam.html", "title": "Dam gives way above three villages",
         "content_html": DAM, "summary": "Floodwater reached Orvin before dawn.",
         "date_published": "2031-04-08T06:45:00+00:00", "date_modified": "2031-04-08T09:00:00+00:00",
         "authors": [{"name": "Mira Castellan"}, {"name": "Jo Aubry", "url": "https://sauve.test/jo"}]},
        {"id": 20310409, "url": "/inquiry.html", "title": "Prefect orders inquiry into Orvin dam",
         "content_text": INQUIRY, "date_modified": "2031-04-09T09:10:00Z"},
        {"id": "sauve-2031-04-08-rescue", "url": f"{base}/rescue.html",
         "title": "Boats reach cut-off houses after Orvin dam failure",
         "summary": "Rescue boats reached the last houses cut off by floodwater."},
    ]
    if extra:
        items.append({"id": "sauve-2031-04-12-director", "title": "Orvin dam operator suspends its director",
                      "content_text": "The company that runs the Orvin dam suspended its director on Saturday "
                                      "pending the inquiry ordered by the prefect."})
    doc = {"version": version, "title": "Sauve Valley Post", "home_page_url": f"{base}/",
           "feed_url": f"{base}/feed.json", "items": items}
    if version == V11:
        doc["authors"] = [{"name": "The Post desk"}]
    else:
        doc["author"] = {"name": "The Post desk"}
        items[0].pop("authors")
        items[0]["author"] = {"name": "Mira Castellan"}
    return doc


def encoded(doc: object) -> bytes:
    return json.dumps(doc).encode()


# -- the mapping ------------------------------------------------------------------------------------------------------
def test_items_become_the_items_an_rss_entry_gives():
    feed = parse_feed(encoded(sauve_feed("https://sauve.test")), "https://sauve.test/feed.json", LIMIT)
    assert feed.title == "Sauve Valley Post" and feed.link == "https://sauve.test/"
    dam, inquiry, rescue = [e.item for e in feed_entries(feed)]
    assert isinstance(dam, RawItem) and dam.format == "feed"
    assert dam.external_id == "sauve-2031-04-08-dam" and dam.url == "https://sauve.test/dam.html"
    assert dam.title == "Dam gives way above three villages"
    assert dam.text.startswith("The earthen dam above Lake Orvin") and "\n\nAt least 140 residents" in dam.text
    assert "<p>" not in dam.text
    assert dam.date == "2031-04-08T06:45:00+00:00"  # published before modified
    assert dam.byline == "Mira Castellan, Jo Aubry" and dam.source == "Sauve Valley Post"
    # a number id is coerced to a string; a relative url is resolved against the feed's URL
    assert inquiry.external_id == "20310409" and inquiry.url == "https://sauve.test/inquiry.html"
    assert inquiry.text == INQUIRY and inquiry.date == "2031-04-09T09:10:00Z"  # only modified: modified
    assert inquiry.byline == "The Post desk"  # no authors: the feed's
    # no content and no session: the summary
    assert rescue.text == "Rescue boats reached the last houses cut off by floodwater."


def test_version_1_with_its_single_author_objects():
    feed = parse_feed(encoded(sauve_feed("https://sauve.test", version=V1)), "f.json", LIMIT)
    dam, inquiry, _ = [e.item for e in feed_entries(feed)]
    assert dam.byline == "Mira Castellan" and inquiry.byline == "The Post desk"


def test_the_same_story_from_rss_and_json_feed_gives_the_same_fields():
    """The Ledger's RSS feed and a JSON Feed of the same entries: the RawItems agree field by field."""
    base = "https://ledger.example"
    rss = parse_feed(fixture_bytes("ledger_feed.rss").replace(b"{BASE}", base.encode()), "l.rss", LIMIT)
    doc = {"version": V11, "title": "The Valoria Ledger", "items": [
        {"id": "ledger-2031-04-08-dam", "url": f"{base}/dam.html", "title": "Dam gives way above three Valorian villages",
         "date_published": "Tue, 08 Apr 2031 06:45:00 GMT", "authors": [{"name": "Mira Castellan"}],
         "summary": "Floodwater reached Orvin, Bellac and Terre-Basse before dawn.",
         "content_html": "<p>The earthen dam above Lake Orvin gave way shortly before dawn on Tuesday, sending a wall "
                         "of water into the villages of Orvin, Bellac and Terre-Basse.</p><p>At least 140 residents "
                         "were taken to emergency shelters in Saint-Aubry.</p>"}]}
    jf = parse_feed(encoded(doc), "l.json", LIMIT)
    a = next(iter(feed_entries(rss))).item
    b = next(iter(feed_entries(jf))).item
    for field in ("text", "title", "date", "source", "url", "byline", "external_id", "format"):
        assert getattr(a, field) == getattr(b, field), field


# -- through `ingest URL…` ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("content_type", ["application/feed+json", "application/json; charset=utf-8", None])
def test_ingest_url_reads_a_json_feed_and_follows_summary_only_items(store, server, content_type):
    server.route("/rescue.html", fixture_bytes("courier_rescue.html"))
    url = server.route("/feed.json", encoded(sauve_feed(server.base)), content_type=content_type)
    with web_session(store, SETTINGS) as session:
        items = list(read_inputs([url], SETTINGS, session=session))
        stats = open_pipeline(store, SETTINGS).run(iter(items))
    assert [type(i) for i in items] == [RawItem] * 3
    rescue = items[2]
    assert rescue.extra["text_from"] == "linked-page" and rescue.format == "feed+html"
    assert rescue.external_id == "sauve-2031-04-08-rescue" and rescue.url == server.url("/rescue.html")
    assert "152 people had been moved to shelters" in rescue.text  # the page's text, not the item's summary
    assert stats.balanced and (stats.accepted, stats.rejected) == (3, 0)
    assert len(server.hits("/rescue.html")) == 1
    assert "application/feed+json" in server.hits("/feed.json")[0]["accept"]


def test_an_item_with_a_malformed_url_keeps_its_summary_and_says_why(store, server):
    doc = sauve_feed(server.base)
    doc["items"][2]["url"] = "http://[::1/rescue.html"
    url = server.route("/feed.json", encoded(doc), content_type="application/feed+json")
    with web_session(store, SETTINGS) as session:
        items = list(read_inputs([url], SETTINGS, session=session))
    rescue = items[2]
    assert rescue.url == "http://[::1/rescue.html" and rescue.extra["text_from"] == "summary"
    assert rescue.extra["linked_page_error"].startswith("bad-url:")


def test_a_summary_only_item_whose_page_fails_keeps_its_summary(store, server):
    url = server.route("/feed.json", encoded(sauve_feed(server.base)), content_type="application/feed+json")
    # /rescue.html is not routed: a 404
    with web_session(store, SETTINGS) as session:
        items = list(read_inputs([url], SETTINGS, session=session))
    rescue = items[2]
    assert rescue.extra["text_from"] == "summary" and rescue.extra["linked_page_error"].startswith("http-error")


def test_cli_ingest_a_json_feed_url(tmp_path, server):
    server.route("/rescue.html", fixture_bytes("courier_rescue.html"))
    url = server.route("/feed.json", encoded(sauve_feed(server.base)), content_type="application/feed+json")
    db = str(tmp_path / "t.db")
    result = CliRunner().invoke(app, ["--db", db, *CLI_SETTINGS, "ingest", url])
    assert result.exit_code == 0, result.output
    assert "accepted 3" in result.output


# -- malformed JSON Feeds: Rejected rows, never a crash ------------------------------------------------------------------
MALFORMED = [
    (b'{"version": "https://jsonfeed.org/version/1.1", "items": [', "malformed-feed", "not valid JSON"),
    (b'{"version": "https://jsonfeed.org/version/1.1",\n "items": [}', "malformed-feed", "line 2"),
    (b"[1, 2, 3]", "not-a-feed", "top level is an array"),
    (b'{"name": "not a feed"}', "not-a-feed", "without a JSON Feed version"),
    (b'{"version": 1.1, "items": []}', "not-a-feed", "without a JSON Feed version"),
    (b'{"version": "https://jsonfeed.org/version/2", "items": []}', "not-a-feed", "not supported"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "title": "x"}', "malformed-feed", "items array"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "items": {"a": 1}}', "malformed-feed", "items is an object"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "title": ["x"], "items": []}', "malformed-feed",
     "feed.title is an array"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "authors": "me", "items": []}', "malformed-feed",
     "feed.authors is a string"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "items": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}",
     "malformed-feed", "nested too deeply"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "title": "\xff\xfe", "items": []}', "malformed-feed", "UTF-8"),
]


@pytest.mark.parametrize("data,reason,words", MALFORMED)
def test_a_malformed_json_feed_is_one_rejected_row(data, reason, words):
    out = parse_feed(data, "f.json", LIMIT, "application/feed+json")
    assert isinstance(out, Rejected) and out.reason == reason, out
    assert words in out.detail


def test_an_oversized_json_feed_is_refused_before_parsing():
    out = parse_feed(encoded(sauve_feed("https://s.test")), "f.json", 100)
    assert isinstance(out, Rejected) and out.reason == "too-large"


def test_feed_json_content_type_with_a_body_that_is_not_json_is_malformed():
    out = parse_feed(b"<rss version='2.0'></rss>", "f.json", LIMIT, "application/feed+json")
    assert isinstance(out, Rejected) and out.reason == "malformed-feed"


def test_an_item_with_a_wrongly_typed_field_is_rejected_and_the_others_kept():
    doc = sauve_feed("https://s.test")
    doc["items"][1]["title"] = {"text": "nested"}
    doc["items"].append({"content_text": "an item without id whose date is a number", "date_published": 20310410})
    doc["items"].append("an item that is not an object")
    items = [e.item for e in feed_entries(parse_feed(encoded(doc), "f.json", LIMIT))]
    assert [type(i) for i in items] == [RawItem, Rejected, RawItem, Rejected, Rejected]
    assert items[1].reason == "malformed-entry" and "items[1].title is an object" in items[1].detail
    assert "'20310409'" in items[1].detail  # its id still names it
    assert items[3].ref == "f.json:4" and "items[3].date_published is a number" in items[3].detail
    assert items[4].reason == "malformed-entry" and "items[4] is a string, expected an object" in items[4].detail


def test_malformed_json_feeds_through_ingest_url_are_rejected_rows(store, server):
    urls = [server.route(f"/bad{i}.json", data, content_type="application/feed+json")
            for i, (data, _, _) in enumerate(MALFORMED[:6])]
    plain = server.route("/plain.json", b'{"hello": "world"}', content_type="application/json")
    bare = server.route("/bare", b'{"hello": "world"}', content_type=None)
    with web_session(store, SETTINGS) as session:
        items = list(read_inputs([*urls, plain, bare], SETTINGS, session=session))
        stats = open_pipeline(store, SETTINGS).run(iter(items))
    assert all(isinstance(i, Rejected) for i in items) and len(items) == len(urls) + 2
    assert stats.balanced and stats.rejected == len(urls) + 2
    reasons = {r["ref"].split(".json")[0] + (".json" if ".json" in r["ref"] else ""): r["reason"]
               for r in store.list_rejects()}  # an invalid JSON's ref carries its line: URL:N
    assert [reasons[u] for u in urls] == [reason for _, reason, _ in MALFORMED[:6]]
    # JSON that is not a JSON Feed, served as application/json or without a type, is refused by the fetcher
    assert reasons[plain] == reasons[bare] == "bad-content-type"


def test_a_json_feed_served_as_application_json_with_escaped_slashes_is_read(store, server):
    body = encoded(sauve_feed(server.base)).replace(b"/", b"\\/")
    assert b"https:\\/\\/jsonfeed.org" in body
    url = server.route("/feed.json", body, content_type="application/json")
    with web_session(store, SETTINGS) as session:
        items = list(read_inputs([url], SETTINGS, session=session))
    assert [type(i) for i in items] == [RawItem] * 3


JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                       max_size=3), max_leaves=8)
ITEM_KEYS = ["id", "url", "external_url", "title", "content_html", "content_text", "summary", "date_published",
             "date_modified", "author", "authors", "tags", "image"]


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["title", "home_page_url", "feed_url", "author", "authors", "items"]),
                       JSON_VALUES, max_size=4),
       st.lists(st.dictionaries(st.sampled_from(ITEM_KEYS), JSON_VALUES, max_size=6) | JSON_VALUES, max_size=4))
def test_any_json_in_a_json_feed_shape_gives_items_or_rejections_never_an_error(top, items):
    doc = {"version": V11, **top}
    if "items" not in top:
        doc["items"] = items
    feed = parse_feed(json.dumps(doc).encode(), "f.json", LIMIT)
    if isinstance(feed, Rejected):
        assert feed.reason in ("malformed-feed", "not-a-feed")
        return
    out = [e.item for e in feed_entries(feed)]
    assert len(out) == len(doc["items"])
    assert all(isinstance(i, (RawItem, Rejected)) for i in out)


# -- through watch ----------------------------------------------------------------------------------------------------


def test_watch_polls_a_json_feed_for_new_items_only(store, server):
    server.route("/rescue.html", fixture_bytes("courier_rescue.html"))
    url = server.route("/feed.json", encoded(sauve_feed(server.base)), content_type="application/feed+json",
                       etag='"j1"')
    clock = Clock()
    with Fetcher(SETTINGS.fetch) as f:
        watcher = Watcher(store, SETTINGS, f, open_pipeline(store, SETTINGS), interval_s=60, clock=clock)
        first = watcher.poll_once([url])
        assert (first.new_entries, first.stats.accepted, first.stats.rejected) == (3, 3, 0)
        assert FeedStates(store).get(url).title == "Sauve Valley Post"
        clock.now += timedelta(seconds=61)
        same = watcher.poll_once([url])
        assert same.not_modified == 1 and same.stats.seen == 0
        assert server.hits("/feed.json")[1]["if-none-match"] == '"j1"'
        server.route("/feed.json", encoded(sauve_feed(server.base, extra=True)), content_type="application/feed+json",
                     etag='"j2"')
        clock.now += timedelta(seconds=61)
        more = watcher.poll_once([url])
    assert (more.new_entries, more.stats.accepted) == (1, 1)
    assert store.count_articles() == 4 and FeedStates(store).count_seen(url) == 4
    assert len(server.hits("/rescue.html")) == 1


def test_watch_records_a_malformed_json_feed_as_a_failure_and_keeps_the_others(store, server):
    bad = server.route("/bad.json", b'{"version": "https://jsonfeed.org/version/1.1", "items": [',
                       content_type="application/feed+json")
    good = server.route("/feed.json", encoded(sauve_feed(server.base)), content_type="application/feed+json")
    server.route("/rescue.html", fixture_bytes("courier_rescue.html"))
    with Fetcher(SETTINGS.fetch) as f:
        watcher = Watcher(store, SETTINGS, f, open_pipeline(store, SETTINGS), interval_s=60, clock=Clock())
        report = watcher.poll_once([bad, good])
    assert (report.failed, report.stats.accepted, report.stats.rejected) == (1, 3, 1)
    state = FeedStates(store).get(bad)
    assert state.failures == 1 and state.last_error.startswith("malformed-feed")
    assert [r["reason"] for r in store.list_rejects()] == ["malformed-feed"]
