"""A JSON Feed read from a file or standard input: its items become the RawItems the feed's URL gives.

The conversion is the one of :mod:`storyline.ingest.feeds` (the HTTP path's); these tests check the hand-over from
the JSON record reader, the items without content, malformed feeds, and that the run's counts balance.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from storyline.cli import app
from storyline.ingest.feeds import feed_entries, parse_feed
from storyline.ingest.files import read_json_bytes, read_paths, sniff_reader
from storyline.ingest.web import read_inputs, web_session
from storyline.pipeline import open_pipeline
from storyline.records import RawItem, Rejected
from storyline.settings import IngestSettings, Settings

from .fixtures.web.server import fixture_bytes

pytestmark = pytest.mark.backends("sqlite", "postgres")  # every test that takes `store` runs on both

SETTINGS = Settings().with_overrides({"cluster.profile": "lexical", "fetch.allow_networks": "127.0.0.1/32",
                                      "fetch.min_host_interval_s": "0"})
CLI_SETTINGS = ["--set", "cluster.profile=lexical", "--set", "fetch.allow_networks=127.0.0.1/32",
                "--set", "fetch.min_host_interval_s=0"]
V11 = "https://jsonfeed.org/version/1.1"
LIMIT = 5 * 1024 * 1024

DAM = ("<p>The earthen dam above Lake Orvin gave way shortly before dawn on Tuesday, sending a wall of water into "
       "the villages of Orvin, Bellac and Terre-Basse.</p><p>At least 140 residents were taken to emergency shelters "
       "in Saint-Aubry, the prefecture said.</p>")
INQUIRY = ("The regional prefect on Wednesday ordered an independent inquiry into the failure of the Orvin dam.\n\n"
           "The two other dams on the river Sauve will be inspected this week, the prefecture said.")
RESCUE_SUMMARY = "Rescue boats reached the last houses cut off by floodwater."


def sauve_feed(base: str) -> dict:
    """Four items: content_html, content_text (relative url), a summary and a url only, a url only."""
    return {"version": V11, "title": "Sauve Valley Post", "home_page_url": f"{base}/", "feed_url": f"{base}/feed.json",
            "authors": [{"name": "The Post desk"}],
            "items": [
                {"id": "sauve-dam", "url": f"{base}/dam.html", "title": "Dam gives way above three villages",
                 "content_html": DAM, "date_published": "2031-04-08T06:45:00+00:00",
                 "authors": [{"name": "Mira Castellan"}]},
                {"id": 20310409, "url": "/inquiry.html", "title": "Prefect orders inquiry into Orvin dam",
                 "content_text": INQUIRY, "date_modified": "2031-04-09T09:10:00Z"},
                {"id": "sauve-rescue", "url": f"{base}/rescue.html",
                 "title": "Boats reach cut-off houses after Orvin dam failure", "summary": RESCUE_SUMMARY},
                {"id": "sauve-dam-page", "url": f"{base}/ledger.html"},
            ]}


def write(tmp_path, doc: object, name: str = "feed.json", indent: int | None = 2) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(doc, indent=indent), encoding="utf-8")
    return str(path)


def test_a_json_feed_file_gives_the_items_of_the_http_path(tmp_path):
    """Without a fetcher: the same RawItems as the feed parsed by the HTTP path's conversion; the summary-only item
    keeps its summary, the link-only item is rejected naming its URL."""
    doc = sauve_feed("https://sauve.test")
    path = write(tmp_path, doc)
    items = list(read_inputs([path], SETTINGS))
    expected = [e.item for e in feed_entries(parse_feed(json.dumps(doc, indent=2).encode(), path, LIMIT))]
    assert items == expected
    dam, inquiry, rescue, link_only = items
    assert isinstance(dam, RawItem) and dam.format == "feed" and dam.source == "Sauve Valley Post"
    assert dam.text.startswith("The earthen dam above Lake Orvin") and "<p>" not in dam.text
    assert dam.byline == "Mira Castellan" and dam.external_id == "sauve-dam" and str(dam.origin) == f"{path}:1"
    assert inquiry.text == INQUIRY and inquiry.url == "https://sauve.test/inquiry.html"  # against feed_url
    assert inquiry.external_id == "20310409" and inquiry.byline == "The Post desk"
    assert rescue.text == RESCUE_SUMMARY and rescue.url == "https://sauve.test/rescue.html"
    assert isinstance(link_only, Rejected) and link_only.reason == "no-text"
    assert "https://sauve.test/ledger.html" in link_only.detail and link_only.ref == f"{path}:4"


def test_a_json_feed_file_through_the_pipeline_balances(store, tmp_path):
    path = write(tmp_path, sauve_feed("https://sauve.test"))
    stats = open_pipeline(store, SETTINGS).run(read_inputs([path, path], SETTINGS))
    assert stats.seen == 8 and stats.seen == stats.accepted + stats.rejected + stats.duplicates
    assert (stats.accepted, stats.rejected, stats.duplicates) == (3, 2, 3)
    assert stats.balanced


def test_cli_ingest_a_json_feed_file_follows_its_links_like_an_rss_file(tmp_path, server):
    """`storyline ingest feed.json` runs in a web session, as for an .rss file: the summary-only and link-only
    items are followed to their pages (on the local server)."""
    server.route("/rescue.html", fixture_bytes("courier_rescue.html"))
    server.route("/ledger.html", fixture_bytes("ledger_dam.html"))
    path = write(tmp_path, sauve_feed(server.base))
    db = str(tmp_path / "t.db")
    runner = CliRunner()
    result = runner.invoke(app, ["--db", db, *CLI_SETTINGS, "ingest", path])
    assert result.exit_code == 0, result.output
    assert "seen 4, accepted 4, rejected 0" in result.output
    assert len(server.hits("/rescue.html")) == 1 and len(server.hits("/ledger.html")) == 1


def test_cli_ingest_a_json_feed_file_without_following_links(tmp_path, server):
    server.route("/rescue.html", fixture_bytes("courier_rescue.html"))
    path = write(tmp_path, sauve_feed(server.base))
    db = str(tmp_path / "t.db")
    runner = CliRunner()
    result = runner.invoke(app, ["--db", db, *CLI_SETTINGS, "--set", "fetch.fetch_linked=false", "ingest", path])
    assert result.exit_code == 1, result.output  # the link-only item is rejected
    assert "seen 4, accepted 3, rejected 1" in result.output
    assert server.log == []  # nothing fetched
    rejects = runner.invoke(app, ["--db", db, "rejects", "--format", "json"])
    assert "no-text" in rejects.output and server.url("/ledger.html") in rejects.output


@pytest.mark.parametrize("indent", [2, None])
@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_a_json_feed_on_standard_input(indent, bom):
    doc = sauve_feed("https://sauve.test")
    data = bom + json.dumps(doc, indent=indent).encode() + b"\n"
    assert sniff_reader(data) is read_json_bytes
    items = list(read_paths(["-"], IngestSettings(), stdin=_Stdin(data)))
    expected = [e.item for e in feed_entries(parse_feed(data, "-", LIMIT))]
    assert items == expected
    assert [type(i) for i in items] == [RawItem, RawItem, RawItem, Rejected]
    assert items[0].format == "feed" and str(items[0].origin) == "-:1"


class _Stdin:
    def __init__(self, data: bytes):
        self.data = data

    def read(self) -> bytes:
        return self.data


def test_cli_ingest_a_json_feed_from_stdin(tmp_path):
    db = str(tmp_path / "t.db")
    data = json.dumps(sauve_feed("https://sauve.test"), indent=2).encode()
    result = CliRunner().invoke(app, ["--db", db, *CLI_SETTINGS, "--set", "fetch.fetch_linked=false", "ingest", "-"],
                                input=data)
    assert result.exit_code == 1, result.output  # the link-only item
    assert "seen 4, accepted 3, rejected 1" in result.output


MALFORMED = [
    (b'{"version": "https://jsonfeed.org/version/1.1", "title": "x"}', "malformed-feed", "without an items array"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "items": {"a": 1}}', "malformed-feed", "items is an object"),
    (b'{"version": "https://jsonfeed.org/version/2", "items": []}', "not-a-feed", "not supported"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "title": ["x"], "items": []}', "malformed-feed",
     "feed.title is an array"),
    # not valid JSON: the record reader cannot know it was meant as a feed, and says where the JSON breaks
    (b'{"version": "https://jsonfeed.org/version/1.1",\n "items": [}', "malformed-json", "Expecting value"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "items": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}",
     "malformed-json", "nested too deeply"),
]


@pytest.mark.parametrize("data,reason,words", MALFORMED)
@pytest.mark.parametrize("where", ["file", "stdin"])
def test_a_malformed_json_feed_is_one_rejected_row(tmp_path, data, reason, words, where):
    if where == "file":
        path = tmp_path / "feed.json"
        path.write_bytes(data)
        items = list(read_paths([str(path)], IngestSettings()))
    else:
        items = list(read_paths(["-"], IngestSettings(), stdin=_Stdin(data)))
    assert len(items) == 1, items
    (bad,) = items
    assert isinstance(bad, Rejected) and bad.reason == reason, bad
    assert words in bad.detail


def test_an_item_with_a_wrongly_typed_field_is_rejected_alone(tmp_path):
    doc = sauve_feed("https://sauve.test")
    doc["items"][1]["title"] = {"text": "an object"}
    items = list(read_inputs([write(tmp_path, doc)], SETTINGS))
    assert [type(i) for i in items] == [RawItem, Rejected, RawItem, Rejected]
    assert items[1].reason == "malformed-entry" and "items[1].title is an object" in items[1].detail


def test_json_that_is_not_a_json_feed_is_still_read_as_records(tmp_path):
    """Records keep their meaning: a `version` that is not a JSON Feed's, or a text that mentions JSON Feed."""
    recs = [{"title": "Release notes", "text": "The app now reads https://jsonfeed.org/version/1.1 feeds.",
             "version": "2.0"},
            {"title": "Dam", "text": "The dam above Lake Orvin gave way.", "version": "https://example.org/version/1"}]
    items = list(read_inputs([write(tmp_path, recs, "recs.json")], SETTINGS))
    assert [i.format for i in items] == ["json", "json"] and items[1].extra == {"version": "https://example.org/version/1"}
    (one,) = list(read_inputs([write(tmp_path, recs[0], "one.json")], SETTINGS))
    assert one.format == "json" and one.text.startswith("The app now reads")


def test_a_json_feed_in_a_directory(tmp_path):
    (tmp_path / "in").mkdir()
    write(tmp_path / "in", sauve_feed("https://sauve.test"))
    items = list(read_inputs([str(tmp_path / "in")], SETTINGS))
    assert [i.external_id for i in items if isinstance(i, RawItem)] == ["sauve-dam", "20310409", "sauve-rescue"]


_text = st.one_of(st.none(), st.text(max_size=30), st.integers(), st.lists(st.integers(), max_size=2))
_item = st.fixed_dictionaries({}, optional={"id": _text, "url": _text, "title": _text, "content_text": _text,
                                            "content_html": _text, "summary": _text, "date_published": _text})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=st.lists(_item, max_size=6))
def test_every_item_of_a_json_feed_file_is_one_item_or_one_rejected_row(tmp_path, items):
    doc = {"version": V11, "title": "T", "items": items}
    out = list(read_json_bytes(json.dumps(doc).encode(), "f.json"))
    assert len(out) == len(items)
    for item in out:
        assert isinstance(item, (RawItem, Rejected))
        if isinstance(item, RawItem):
            assert (item.text.strip() or (item.title or "").strip()) and item.format == "feed"
