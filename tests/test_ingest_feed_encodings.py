"""Feeds in any encoding Python knows are read (transcoded to UTF-8 before the XML screen); an encoding it does not
know is one Rejected row naming the codec, and the other inputs of the command are stored (issue: a feed declaring
``x-bogus`` or ``shift_jis`` used to stop the whole ingest)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from storyline.cli import app
from storyline.ingest.feeds import parse_feed, screen_xml, xml_as_utf8
from storyline.records import Rejected

pytestmark = pytest.mark.backends("sqlite", "postgres")  # every test that takes `store` runs on both

LIMIT = 5_000_000
GOOD = b'{"id":"g1","title":"Good","text":"A good article about talks in Doha on Saturday.","source":"t"}\n'


def rss(title: str, item: str, body: str, encoding: str | None) -> str:
    decl = f'<?xml version="1.0" encoding="{encoding}"?>' if encoding else '<?xml version="1.0"?>'
    return (f'{decl}<rss version="2.0"><channel><title>{title}</title><item><guid>1</guid><title>{item}</title>'
            f'<description>{body}</description></item></channel></rss>')


@pytest.mark.parametrize("codec, title, item, body", [
    ("shift_jis", "日本の新聞", "東京で首脳会談", "東京で首脳会談が開かれた。"),
    ("gb2312", "新闻", "北京举行会谈", "双方在北京举行了会谈。"),
    ("euc-kr", "신문", "서울에서 회담", "서울에서 정상회담이 열렸다."),
    ("euc-jp", "新聞", "大阪で会議", "大阪で会議が開かれた。"),
    ("big5", "新聞", "台北舉行會談", "雙方在台北舉行會談。"),
    ("windows-1251", "Новости", "Переговоры в Москве", "Стороны провели переговоры."),
    ("koi8-r", "Новости", "Переговоры", "Стороны провели переговоры."),
    ("iso-8859-7", "Νέα", "Συνομιλίες στην Αθήνα", "Οι συνομιλίες συνεχίστηκαν."),
    ("utf-16", "News", "Talks résumé", "Talks resumed in Doha."),
    ("utf-32", "News", "Talks", "Talks resumed in Doha."),
    ("latin-1", "Nouvelles", "Négociations à Genève", "Les négociations ont repris."),
])
def test_a_feed_in_a_codec_python_knows_is_read(codec, title, item, body):
    data = rss(title, item, body, codec).encode(codec)
    feed = parse_feed(data, "f.rss", LIMIT)
    assert not isinstance(feed, Rejected), feed
    assert feed.title == title and feed.entries[0]["title"] == item and feed.entries[0]["summary"] == body


def test_transcoding_rewrites_the_declaration():
    out = xml_as_utf8(rss("T", "東京", "本文", "Shift_JIS").encode("shift_jis"), "f.rss")
    assert out.startswith(b'<?xml version="1.0" encoding="utf-8"?>') and "東京".encode() in out


@pytest.mark.parametrize("declared, reason, words", [
    ("x-bogus", "unknown-encoding", "'x-bogus', which Python does not know"),
    ("base64", "unknown-encoding", "not a text encoding"),
    ("rot13", "unknown-encoding", "not a text encoding"),
    ("utf-8\x00", "unknown-encoding", "does not know"),
])
def test_an_encoding_python_does_not_know_is_rejected_naming_it(declared, reason, words):
    data = rss("F", "Item", "Body", "ENC").encode("ascii").replace(b"ENC", declared.encode("latin-1"))
    out = screen_xml(data, "a.rss", LIMIT)
    assert isinstance(out, Rejected) and out.reason == reason and words in out.detail and out.ref == "a.rss"


def test_bytes_invalid_in_the_declared_encoding_are_undecodable():
    data = rss("F", "Item", "Body", "shift_jis").encode("ascii").replace(b"Body", b"\x81\x20\xff")
    out = screen_xml(data, "a.rss", LIMIT)
    assert isinstance(out, Rejected) and out.reason == "undecodable" and "shift_jis" in out.detail


@pytest.mark.parametrize("declared", ["x-bogus", "shift_jis"])
def test_cli_ingest_goes_on_past_a_feed_in_a_strange_encoding(tmp_path, declared):
    """The issue's reproduction: the bad feed is a stored reject naming the file, the good file is stored."""
    bad = tmp_path / "a.rss"
    bad.write_bytes(f'<?xml version="1.0" encoding="{declared}"?><rss version="2.0"><channel><title>F</title>'
                    f'</channel></rss>'.encode("ascii"))
    (tmp_path / "b.jsonl").write_bytes(GOOD)
    db = str(tmp_path / "r.db")
    runner = CliRunner()
    result = runner.invoke(app, ["--db", db, "--set", "cluster.profile=lexical", "ingest", str(bad),
                                 str(tmp_path / "b.jsonl")])
    assert "seen 1, accepted 1, rejected 0" in result.output if declared == "shift_jis" else \
        "seen 2, accepted 1, rejected 1" in result.output, result.output
    listed = runner.invoke(app, ["--db", db, "articles", "--format", "json"])
    assert "Good" in listed.output
    if declared == "x-bogus":
        rejects = runner.invoke(app, ["--db", db, "rejects", "--format", "json"])
        assert "unknown-encoding" in rejects.output and "a.rss" in rejects.output and "x-bogus" in rejects.output


def test_a_utf16_feed_file_with_a_byte_order_mark_is_not_binary(tmp_path):
    from storyline.ingest import read_paths

    f = tmp_path / "u.rss"
    f.write_bytes(rss("News", "Talks resume", "Talks resumed in Doha.", "utf-16").encode("utf-16"))
    (item,) = read_paths([str(f)])
    assert item.title == "Talks resume" and item.text == "Talks resumed in Doha."


def _served_feeds(server):
    sj = rss("日本の新聞", "東京で首脳会談", "東京で首脳会談が開かれた。", "shift_jis").encode("shift_jis")
    bogus = rss("F", "Item", "Body", "x-bogus").encode("ascii")
    return (server.route("/sj.rss", sj, content_type="application/rss+xml"),
            server.route("/bogus.rss", bogus, content_type="application/rss+xml"))


def test_url_feeds_in_shift_jis_and_x_bogus(tmp_path, server):
    """`storyline ingest URL…` goes the same way: the Shift_JIS feed is read, the x-bogus one is a reject."""
    from storyline.ingest.web import read_inputs, web_session
    from storyline.settings import Settings

    sj, bogus = _served_feeds(server)
    settings = Settings().with_overrides({"fetch.allow_networks": "127.0.0.1/32", "fetch.min_host_interval_s": "0"})
    with web_session(None, settings):
        items = list(read_inputs([bogus, sj], settings))
    bad, good = items
    assert isinstance(bad, Rejected) and bad.reason == "unknown-encoding" and bad.ref == bogus
    assert good.title == "東京で首脳会談" and good.text == "東京で首脳会談が開かれた。" and good.source == "日本の新聞"


def test_watch_reads_a_shift_jis_feed_and_records_an_x_bogus_one_as_failed(store, server):
    from storyline.ingest.fetch import Fetcher
    from storyline.service.watch import Watcher
    from storyline.pipeline import open_pipeline
    from storyline.settings import Settings

    from .fixtures.web.server import Clock

    settings = Settings().with_overrides({"cluster.profile": "lexical", "fetch.allow_networks": "127.0.0.1/32",
                                          "fetch.min_host_interval_s": "0"})
    sj, bogus = _served_feeds(server)
    with Fetcher(settings.fetch) as f:
        watcher = Watcher(store, settings, f, open_pipeline(store, settings), interval_s=60.0, clock=Clock())
        report = watcher.poll_once([sj, bogus])
    assert report.stats.accepted == 1 and report.stats.balanced
    assert [a.title for a in store.iter_articles()] == ["東京で首脳会談"]
    assert any(r["reason"] == "unknown-encoding" and r["ref"] == bogus for r in store.list_rejects())


def test_a_feed_nested_too_deep_is_refused_quickly():
    import time

    n = 100_000
    data = b'<?xml version="1.0"?><rss version="2.0"><channel>' + b"<x>" * n + b"</x>" * n + b"</channel></rss>"
    t0 = time.perf_counter()
    out = parse_feed(data, "deep.rss", LIMIT)
    assert isinstance(out, Rejected) and out.reason == "malformed-feed" and "nested more than" in out.detail
    assert time.perf_counter() - t0 < 5  # feedparser took 10 s on it
    ok = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><item><title>A</title><description>' \
         + b"&lt;div&gt;" * 300 + b"x</description></item></channel></rss>"  # markup in text is not nesting
    assert not isinstance(parse_feed(ok, "ok.rss", LIMIT), Rejected)


def test_an_entry_with_unpaired_surrogates_is_read_with_a_utf8_key():
    import json

    from storyline.ingest.feeds import entry_key, feed_entries

    doc = {"version": "https://jsonfeed.org/version/1.1", "title": "T",
           "items": [{"title": "\udfff broken", "summary": "A \ud800 summary."}, {"id": "x\ud800", "title": "B"}]}
    feed = parse_feed(json.dumps(doc).encode(), "f.json", LIMIT)
    keys = [entry_key(e) for e in feed.entries]
    assert all(k.encode("utf-8") for k in keys) and keys[1] == "x\ufffd"
    items = [e.item for e in feed_entries(feed)]
    assert [i.title for i in items] == ["\udfff broken", "B"]  # normalize replaces them (and says so)
