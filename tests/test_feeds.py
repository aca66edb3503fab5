"""Feeds: screening (entity bombs, external entities, malformed XML) before feedparser, entries to items."""

from __future__ import annotations

import time
import tracemalloc

import pytest

from storyline.ingest.feeds import entry_key, feed_entries, html_to_text, parse_feed, read_feed_bytes, screen_xml
from storyline.ingest.fetch import Fetcher
from storyline.ingest.session import WebSession, use_session
from storyline.ingest.web import web_session
from storyline.pipeline import open_pipeline
from storyline.records import RawItem, Rejected
from storyline.settings import FetchSettings, Settings

from .fixtures.web.server import fixture_bytes

pytestmark = pytest.mark.backends("sqlite", "postgres")  # every test that takes `store` runs on both

LOCAL = FetchSettings(allow_networks="127.0.0.1/32", min_host_interval_s=0.0)
LIMIT = 5_000_000


def ledger_feed(base: str) -> bytes:
    return fixture_bytes("ledger_feed.rss").replace(b"{BASE}", base.encode())


def test_rss_entries_become_items_with_their_metadata():
    feed = parse_feed(ledger_feed("https://ledger.example"), "ledger.rss", LIMIT)
    assert feed.title == "The Valoria Ledger"
    entries = list(feed_entries(feed))
    assert [e.key for e in entries] == ["ledger-2031-04-08-dam", "ledger-2031-04-09-inquiry", "ledger-2031-04-08-rescue"]
    first = entries[0].item
    assert isinstance(first, RawItem) and first.format == "feed"
    assert first.title == "Dam gives way above three Valorian villages"
    assert first.date == "Tue, 08 Apr 2031 06:45:00 GMT"
    assert first.byline == "Mira Castellan"
    assert first.source == "The Valoria Ledger"
    assert first.external_id == "ledger-2031-04-08-dam"
    assert first.text.split("\n\n")[1] == "At least 140 residents were taken to emergency shelters in Saint-Aubry."
    assert str(first.origin) == "ledger.rss:1"
    # no session: the summary-only entry keeps its summary
    assert entries[2].item.text == "Rescue boats reached the last houses cut off by floodwater."


def test_atom_entries_content_and_summary():
    feed = parse_feed(fixture_bytes("courier_feed.atom"), "c.atom", LIMIT)
    items = [e.item for e in feed_entries(feed)]
    assert items[0].byline == "Paul Demaret" and "3.2 million valors" in items[0].text
    assert items[0].url == "https://courier.example/farmers"
    assert items[1].text.startswith("The last emergency shelters in Saint-Aubry closed")


def test_billion_laughs_is_refused_quickly_in_bounded_memory():
    data = fixture_bytes("billion_laughs.rss")
    tracemalloc.start()
    t0 = time.perf_counter()
    out = parse_feed(data, "laughs.rss", LIMIT)
    elapsed = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert isinstance(out, Rejected) and out.reason == "xml-entities"
    assert peak < 5_000_000 and elapsed < 2.0  # expanded, &lol9; would be 10^9 "lol"s (3 GB)


@pytest.mark.parametrize("codec", ["UTF-16", "UTF-32", "cp037"])
def test_an_entity_bomb_in_another_encoding_is_refused(codec):
    """The document is transcoded to UTF-8 before the byte scan, which then sees the declarations however they
    were encoded (in UTF-16, UTF-32 or EBCDIC the bytes of "<!ENTITY" are not there to see); a document whose very
    declaration is unreadable (EBCDIC: no "<?xml" in ASCII) is not well-formed UTF-8."""
    data = fixture_bytes("billion_laughs.rss").decode().replace('<?xml version="1.0"?>',
                                                               f'<?xml version="1.0" encoding="{codec}"?>')
    encoded = data.encode(codec)
    assert b"<!ENTITY" not in encoded
    out = screen_xml(encoded, "u16.rss", LIMIT)
    assert isinstance(out, Rejected) and out.reason == ("malformed-feed" if codec == "cp037" else "xml-entities")


def test_external_entity_is_refused():
    out = parse_feed(fixture_bytes("xxe.rss"), "xxe.rss", LIMIT)
    assert isinstance(out, Rejected) and out.reason == "xml-entities"


def test_malformed_feed_is_rejected_with_its_line():
    out = parse_feed(fixture_bytes("malformed.rss"), "malformed.rss", LIMIT)
    assert isinstance(out, Rejected) and out.reason == "malformed-feed"
    assert out.ref == "malformed.rss:3" and "mismatched tag" in out.detail


def test_xml_that_is_not_a_feed_is_rejected():
    out = parse_feed(fixture_bytes("not_a_feed.xml"), "x.xml", LIMIT)
    assert isinstance(out, Rejected) and out.reason == "not-a-feed"


def test_oversized_feed_is_refused_before_parsing():
    out = parse_feed(fixture_bytes("courier_feed.atom"), "c.atom", 100)
    assert isinstance(out, Rejected) and out.reason == "too-large"


def test_plain_doctype_without_entities_is_accepted():
    data = fixture_bytes("courier_feed.atom").replace(b"?>\n", b'?>\n<!DOCTYPE feed>\n', 1)
    assert screen_xml(data, "d.atom", LIMIT) is None


def test_feed_files_go_through_the_pipeline_and_bad_ones_are_rejected_rows(store, tmp_path):
    import storyline.ingest.web  # noqa: F401  (registers the readers)
    from storyline.ingest.files import read_paths

    for name in ("courier_feed.atom", "billion_laughs.rss", "malformed.rss"):
        (tmp_path / name).write_bytes(fixture_bytes(name))
    settings = Settings().with_overrides({"cluster.profile": "lexical"})
    stats = open_pipeline(store, settings).run(read_paths([tmp_path]))
    assert stats.balanced and (stats.accepted, stats.rejected) == (2, 2)
    assert sorted(r["reason"] for r in store.list_rejects()) == ["malformed-feed", "xml-entities"]


def test_summary_only_entry_is_followed_to_its_page(server):
    server.route("/rescue.html", fixture_bytes("courier_rescue.html"))
    feed = parse_feed(ledger_feed(server.base), server.url("/feed.rss"), LIMIT)
    with Fetcher(LOCAL) as f, use_session(WebSession(LOCAL, f)) as session:
        items = [e.item for e in feed_entries(feed, session)]
    rescue = items[2]
    assert rescue.extra["text_from"] == "linked-page" and rescue.format == "feed+html"
    assert "152 people had been moved to shelters" in rescue.text
    assert rescue.title == "Boats reach cut-off houses after Orvin dam failure"
    assert rescue.external_id == "ledger-2031-04-08-rescue"
    # entries with content are not fetched (the host's robots.txt is asked first)
    assert [p for p, _ in server.log] == ["/robots.txt", "/rescue.html"]


def test_failed_linked_page_keeps_the_summary_and_says_why(server):
    server.route("/rescue.html", b"%PDF", content_type="application/pdf")
    feed = parse_feed(ledger_feed(server.base), "f.rss", LIMIT)
    with Fetcher(LOCAL) as f:
        items = [e.item for e in feed_entries(feed, WebSession(LOCAL, f))]
    assert items[2].text == "Rescue boats reached the last houses cut off by floodwater."
    assert items[2].extra["text_from"] == "summary" and "bad-content-type" in items[2].extra["linked_page_error"]


def test_fetch_linked_setting_off_fetches_nothing(server):
    settings = FetchSettings(allow_networks="127.0.0.1/32", min_host_interval_s=0.0, fetch_linked=False)
    feed = parse_feed(ledger_feed(server.base), "f.rss", LIMIT)
    with Fetcher(settings) as f:
        items = [e.item for e in feed_entries(feed, WebSession(settings, f))]
    assert len(items) == 3 and server.log == []


def test_feed_file_in_a_web_session_follows_links(store, server):
    server.route("/rescue.html", fixture_bytes("courier_rescue.html"))
    settings = Settings().with_overrides({"fetch.allow_networks": "127.0.0.1/32", "fetch.min_host_interval_s": "0"})
    with web_session(store, settings):
        items = list(read_feed_bytes(ledger_feed(server.base), "ledger.rss"))
    assert items[2].extra["text_from"] == "linked-page" and items[2].extra["raw_page"]


def test_entry_without_id_or_link_gets_a_content_key():
    data = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
            b"<item><title>A headline</title><description>Some text of the entry.</description></item>"
            b"<item><title>Only a headline</title></item><item><description> </description></item></channel></rss>")
    feed = parse_feed(data, "t.rss", LIMIT)
    keys = [entry_key(e) for e in feed.entries]
    assert keys[0].startswith("h-") and keys[0] != keys[1]
    items = [e.item for e in feed_entries(feed)]
    assert isinstance(items[1], RawItem) and items[1].title == "Only a headline" and items[1].text == ""
    assert isinstance(items[2], Rejected) and items[2].reason == "no-text"


def test_html_to_text_keeps_paragraphs_and_drops_scripts():
    assert html_to_text("<p>One <b>bold</b> line.</p><script>alert(1)</script><p>Two.</p>") == \
        "One bold line.\n\nTwo."
    assert html_to_text("plain text") == "plain text"
