"""HTML pages (files and URLs) through extraction, the raw-page archive, the pipeline and `storyline ingest URL…`."""

from __future__ import annotations

import io
import zlib

import pytest
from typer.testing import CliRunner

from storyline.cli import app
from storyline.ingest.files import read_paths, sniff_reader
from storyline.ingest.html import PageArchive, extract_html, meta_tags, reextract
from storyline.ingest.web import read_inputs, web_session
from storyline.pipeline import open_pipeline
from storyline.records import RawItem, Rejected
from storyline.settings import Settings

from .fixtures.web.server import fixture_bytes

pytestmark = pytest.mark.backends("sqlite", "postgres")  # every test that takes `store` runs on both

SETTINGS = Settings().with_overrides({"cluster.profile": "lexical", "fetch.allow_networks": "127.0.0.1/32",
                                      "fetch.min_host_interval_s": "0"})
CLI_SETTINGS = ["--set", "cluster.profile=lexical", "--set", "fetch.allow_networks=127.0.0.1/32",
                "--set", "fetch.min_host_interval_s=0"]


def test_extracts_text_and_metadata_from_a_news_page():
    item = extract_html(fixture_bytes("ledger_dam.html"), "ledger_dam.html")
    assert isinstance(item, RawItem)
    assert item.title == "Dam gives way above three Valorian villages"
    assert item.source == "The Valoria Ledger"
    assert item.byline == "Mira Castellan"
    assert item.date == "2031-04-08T06:45:00+00:00"  # the tag's timestamp, on trafilatura's day
    assert item.lang == "en"
    assert item.url == "https://ledger.example/valoria/2031/04/08/orvin-dam"
    paragraphs = item.text.split("\n\n")
    assert paragraphs[0].startswith("The earthen dam above Lake Orvin")
    assert len(paragraphs) == 5
    for boilerplate in ("Most read", "All rights reserved", "Sport", "Cup final"):
        assert boilerplate not in item.text


def test_meta_tags_fill_what_the_page_body_lacks():
    item = extract_html(fixture_bytes("courier_rescue.html"), "courier_rescue.html", url="https://courier.example/r")
    assert item.source == "Sauve Valley Courier"  # og:site_name
    assert item.date == "2031-04-08T15:20:00Z"  # article:published_time
    assert item.url == "https://courier.example/r"
    assert "152 people" in item.text and "local news since 1921" not in item.text


def test_meta_tags_reads_og_name_itemprop_canonical_and_lang():
    from trafilatura.utils import load_html

    meta = meta_tags(load_html(fixture_bytes("ledger_dam.html")))
    assert meta["og:site_name"] == "The Valoria Ledger"
    assert meta["author"] == "Mira Castellan"
    assert meta["canonical"].startswith("https://ledger.example/")
    assert meta["lang"] == "en-GB"


def test_page_without_main_text_is_rejected():
    out = extract_html(fixture_bytes("nav_only.html"), "nav_only.html")
    assert isinstance(out, Rejected) and out.reason == "no-text" and "min_page_chars" in out.detail


def test_html_files_are_read_by_extension_and_stdin_is_sniffed(tmp_path):
    import storyline.ingest.web  # noqa: F401  (registers the readers)

    (tmp_path / "a.html").write_bytes(fixture_bytes("ledger_dam.html"))
    (tmp_path / "b.htm").write_bytes(fixture_bytes("courier_rescue.html"))
    items = list(read_paths([tmp_path]))
    assert [i.format for i in items] == ["html", "html"]
    reader = sniff_reader(fixture_bytes("ledger_dam.html"))
    assert getattr(reader, "__name__", "") == "read_html_bytes"
    stdin_items = list(read_paths(["-"], stdin=io.BytesIO(fixture_bytes("ledger_dam.html"))))
    assert stdin_items[0].title == "Dam gives way above three Valorian villages"


@pytest.mark.backends("sqlite")  # reads the stored bytes of raw_pages to see them compressed
def test_raw_html_is_kept_compressed_and_extraction_can_be_redone(store, server):
    url = server.route("/dam.html", fixture_bytes("ledger_dam.html"))
    with web_session(store, SETTINGS):
        stats = open_pipeline(store, SETTINGS).run(read_inputs([url], SETTINGS))
    assert (stats.accepted, stats.rejected) == (1, 0)
    article = next(store.iter_articles())
    key = article.extra["raw_page"]
    row = store.query("SELECT size, length(body) AS stored, url, body FROM raw_pages WHERE key=?", (key,))[0]
    raw = fixture_bytes("ledger_dam.html")
    assert row["size"] == len(raw) and row["stored"] < len(raw)  # compressed
    assert zlib.decompress(row["body"]) == raw and row["url"] == url
    assert PageArchive(store).for_article(article.id).body == raw
    again = reextract(store, article.id)
    assert isinstance(again, RawItem) and again.text == item_text(raw)


def item_text(raw: bytes) -> str:
    return extract_html(raw, "x").text


def test_identical_pages_are_archived_once(store):
    archive = PageArchive(store)
    k1 = archive.put(b"<html>same</html>", "a")
    k2 = archive.put(b"<html>same</html>", "b")
    assert k1 == k2 and archive.count() == 1


def test_keep_raw_html_off_keeps_nothing(store, server):
    url = server.route("/dam.html", fixture_bytes("ledger_dam.html"))
    settings = SETTINGS.with_overrides({"fetch.keep_raw_html": "false"})
    with web_session(store, settings):
        open_pipeline(store, settings).run(read_inputs([url], settings))
    assert PageArchive(store).count() == 0
    assert "raw_page" not in next(store.iter_articles()).extra


def test_url_fetch_failures_are_rejected_rows_and_good_inputs_are_kept(store, server, tmp_path):
    ok = server.route("/dam.html", fixture_bytes("ledger_dam.html"))
    pdf = server.route("/doc.pdf", b"%PDF-1.4", content_type="application/pdf")
    (tmp_path / "c.html").write_bytes(fixture_bytes("courier_rescue.html"))
    args = [ok, pdf, server.url("/missing"), str(tmp_path / "c.html"), "http://169.254.169.254/latest/meta-data/"]
    with web_session(store, SETTINGS):
        stats = open_pipeline(store, SETTINGS).run(read_inputs(args, SETTINGS))
    assert stats.balanced and (stats.seen, stats.accepted, stats.rejected) == (5, 2, 3)
    reasons = {r["ref"]: (r["stage"], r["reason"]) for r in store.list_rejects()}
    assert reasons[pdf] == ("fetch", "bad-content-type")
    assert reasons[server.url("/missing")] == ("fetch", "http-error")
    assert reasons["http://169.254.169.254/latest/meta-data/"] == ("fetch", "blocked-address")


def test_cli_ingest_urls_pages_and_feeds(tmp_path, server):
    page = server.route("/dam.html", fixture_bytes("ledger_dam.html"))
    feed = server.route("/c.atom", fixture_bytes("courier_feed.atom"), content_type="application/atom+xml")
    db = str(tmp_path / "t.db")
    runner = CliRunner()
    result = runner.invoke(app, ["--db", db, *CLI_SETTINGS, "ingest", page, feed])
    assert result.exit_code == 0, result.output
    assert "accepted 3" in result.output
    again = runner.invoke(app, ["--db", db, *CLI_SETTINGS, "ingest", page])
    assert again.exit_code == 0 and "duplicates 1" in again.output


def test_cli_ingest_exits_1_when_a_url_is_rejected(tmp_path, server):
    db = str(tmp_path / "t.db")
    result = CliRunner().invoke(app, ["--db", db, "--set", "cluster.profile=lexical", "ingest",
                                      server.route("/dam.html", fixture_bytes("ledger_dam.html"))])
    assert result.exit_code == 1  # loopback refused: the allow setting is not given
    rejects = CliRunner().invoke(app, ["--db", db, "rejects", "--format", "json"])
    assert '"blocked-address"' in rejects.output
