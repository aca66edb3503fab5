"""Content-Encoding br and zstd (and stacked codings): decoded within the size limit, bombs refused."""

from __future__ import annotations

import gzip
import sys
import time
import tracemalloc

import brotli
import pytest
import zstandard

from storyline.ingest import fetch as fetch_module
from storyline.ingest.fetch import Fetcher, FetchError, accepted_encodings
from storyline.ingest.web import read_inputs, web_session
from storyline.pipeline import open_pipeline
from storyline.records import RawItem
from storyline.settings import FetchSettings, Settings

from .fixtures.web.server import fixture_bytes

pytestmark = pytest.mark.backends("sqlite", "postgres")  # every test that takes `store` runs on both

LOCAL = FetchSettings(allow_networks="127.0.0.1/32", min_host_interval_s=0.0)
SETTINGS = Settings().with_overrides({"cluster.profile": "lexical", "fetch.allow_networks": "127.0.0.1/32",
                                      "fetch.min_host_interval_s": "0"})
PAGE = fixture_bytes("ledger_dam.html")
RSS = fixture_bytes("ledger_feed.rss")
MiB = 1024 * 1024


def reason(f: Fetcher, url: str) -> FetchError:
    with pytest.raises(FetchError) as e:
        f.fetch(url)
    return e.value


def test_br_and_zstd_are_asked_for_when_their_packages_are_importable(server):
    url = server.route("/a.html", PAGE)
    with Fetcher(LOCAL) as f:
        f.fetch(url)
    assert accepted_encodings() == ("gzip", "deflate", "br", "zstd")
    assert server.hits("/a.html")[0]["accept-encoding"] == "gzip, deflate, br, zstd"


@pytest.mark.parametrize("coding,compress", [
    ("br", brotli.compress),
    ("zstd", lambda b: zstandard.ZstdCompressor().compress(b)),
])
def test_a_compressed_page_and_feed_are_ingested(store, server, coding, compress):
    body = compress(PAGE)
    assert body != PAGE and len(body) < len(PAGE)
    page = server.route("/news/dam.html", body, headers={"Content-Encoding": coding})
    feed_body = RSS.replace(b"{BASE}", server.base.encode())
    feed = server.route("/ledger.rss", compress(feed_body), content_type="application/rss+xml",
                        headers={"Content-Encoding": coding})
    server.route("/rescue.html", compress(fixture_bytes("courier_rescue.html")), headers={"Content-Encoding": coding})
    with web_session(store, SETTINGS) as session:
        items = list(read_inputs([page, feed], SETTINGS, session=session))
        stats = open_pipeline(store, SETTINGS).run(iter(items))
    assert all(isinstance(i, RawItem) for i in items), items
    first = items[0]
    assert "Lake Orvin" in first.text and first.title
    # the same page served plainly gives the same article
    plain = server.route("/plain.html", PAGE)
    with web_session(None, SETTINGS) as session:
        (again,) = list(read_inputs([plain], SETTINGS, session=session))
    assert (again.text, again.title) == (first.text, first.title)
    # the feed's summary-only entry was followed to its (compressed) page
    assert any(i.extra.get("text_from") == "linked-page" for i in items[1:])
    assert stats.balanced and stats.rejected == 0
    assert all(h["accept-encoding"] == "gzip, deflate, br, zstd" for _, h in server.log)


def test_stacked_codings_are_undone_in_reverse_order(server):
    body = gzip.compress(brotli.compress(PAGE))  # br applied first, then gzip
    url = server.route("/a.html", body, headers={"Content-Encoding": "br, gzip"})
    with Fetcher(LOCAL) as f:
        assert f.fetch(url).body == PAGE


def compressed(coding: str, data: bytes) -> bytes:
    return brotli.compress(data, quality=5) if coding == "br" else zstandard.ZstdCompressor(level=3).compress(data)


def _bomb(coding: str, size: int) -> bytes:
    return compressed(coding, b"<html><body>" + b"a" * size)


@pytest.mark.parametrize("coding", ["br", "zstd"])
def test_a_decompression_bomb_is_refused_in_bounded_memory(server, coding):
    """64 MiB of page in well under 1 MiB of br/zstd: the compressed body passes the 1 MiB limit, the decoded body
    is cut off just after it, so memory never holds the 64 MiB."""
    bomb = _bomb(coding, 64 * MiB)
    assert len(bomb) < 100_000
    url = server.route("/bomb.html", bomb, headers={"Content-Encoding": coding})
    settings = FetchSettings(allow_networks="127.0.0.1/32", min_host_interval_s=0.0, max_body_bytes=MiB)
    with Fetcher(settings) as f:
        tracemalloc.start()
        started = time.perf_counter()
        try:
            err = reason(f, url)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        elapsed = time.perf_counter() - started
    assert err.reason == "too-large"
    assert f"decompressed ({coding}) body over fetch.max_body_bytes={MiB}" in err.detail
    assert peak < 8 * MiB, peak
    assert elapsed < 5.0


@pytest.mark.parametrize("coding", ["br", "zstd"])
def test_a_body_exactly_at_the_limit_is_kept_and_one_byte_more_is_refused(server, coding):
    data = b"<html><body>" + b"b" * (MiB - 12)
    assert len(data) == MiB
    url = server.route("/edge.html", compressed(coding, data), headers={"Content-Encoding": coding})
    over = server.route("/over.html", compressed(coding, data + b"!"), headers={"Content-Encoding": coding})
    settings = FetchSettings(allow_networks="127.0.0.1/32", min_host_interval_s=0.0, max_body_bytes=MiB)
    with Fetcher(settings) as f:
        assert f.fetch(url).body == data
        assert reason(f, over).reason == "too-large"


def test_a_zstd_bomb_without_a_content_size_in_several_frames_is_refused(server):
    """Frames streamed without a declared size, one after another: the limit counts across frames."""
    frame = zstandard.ZstdCompressor(write_content_size=False).compress(b"c" * (MiB // 2))
    url = server.route("/frames.html", frame * 5, headers={"Content-Encoding": "zstd"})
    settings = FetchSettings(allow_networks="127.0.0.1/32", min_host_interval_s=0.0, max_body_bytes=2 * MiB)
    with Fetcher(settings) as f:
        assert reason(f, url).reason == "too-large"
        server.route("/two.html", frame * 2, headers={"Content-Encoding": "zstd"})
        assert f.fetch(server.url("/two.html")).body == b"c" * MiB


def test_a_zstd_frame_needing_a_window_over_8_mib_is_refused(server):
    params = zstandard.ZstdCompressionParameters(window_log=25, enable_ldm=True)  # a 32 MiB window
    obj = zstandard.ZstdCompressor(compression_params=params).compressobj()
    body = obj.compress(bytes(range(256)) * 40_000) + obj.flush()
    url = server.route("/wide.html", body, headers={"Content-Encoding": "zstd"})
    with Fetcher(LOCAL) as f:
        err = reason(f, url)
    assert err.reason == "bad-encoding" and "RFC 9659" in err.detail


@pytest.mark.parametrize("coding,body", [
    ("br", b"this is not brotli at all" * 3),
    # a truncated br stream is truncated-body now: tests/test_fetch_truncation.py
    ("zstd", b"not zstd either" * 3),
    ("compress", b"whatever"),
])
def test_a_body_that_does_not_decode_is_bad_encoding(server, coding, body):
    url = server.route("/bad.html", body, headers={"Content-Encoding": coding})
    with Fetcher(LOCAL) as f:
        err = reason(f, url)
    assert err.reason == "bad-encoding" and coding in err.detail


def test_without_the_packages_br_and_zstd_are_not_asked_for_and_refused(server, monkeypatch):
    """As on an install without the brotli and zstandard packages (the import fails)."""
    monkeypatch.setitem(sys.modules, "brotli", None)
    monkeypatch.setitem(sys.modules, "zstandard", None)
    fetch_module._brotli.cache_clear()
    fetch_module._zstandard.cache_clear()
    try:
        assert accepted_encodings() == ("gzip", "deflate")
        url = server.route("/a.html", brotli.compress(PAGE), headers={"Content-Encoding": "br"})
        with Fetcher(LOCAL) as f:
            err = reason(f, url)
        assert server.hits("/a.html")[0]["accept-encoding"] == "gzip, deflate"
        assert err.reason == "bad-encoding" and "pip install 'storyline[fetch]'" in err.detail
    finally:
        fetch_module._brotli.cache_clear()
        fetch_module._zstandard.cache_clear()
