"""Bodies that end early are refused as ``truncated-body``, never ingested as partial text.

Three ways a body arrives short, each against a local server on 127.0.0.1, for identity, gzip, deflate, br and zstd:
- the connection closes before the bytes its Content-Length announced (httpx notices; the fetcher says so);
- the connection closes a body that had no Content-Length (only the coding's own end-of-stream can tell);
- the server sends a Content-Length that matches bytes which were truncated upstream (likewise).
"""

from __future__ import annotations

import gzip
import zlib

import brotli
import pytest
import zstandard
from typer.testing import CliRunner

from storyline.cli import app
from storyline.ingest.fetch import Fetcher, FetchError, decode_content
from storyline.ingest.web import read_inputs, web_session
from storyline.pipeline import open_pipeline
from storyline.records import RawItem, Rejected
from storyline.settings import FetchSettings, Settings

from .fixtures.web.server import fixture_bytes

pytestmark = pytest.mark.backends("sqlite", "postgres")  # every test that takes `store` runs on both

LOCAL = FetchSettings(allow_networks="127.0.0.1/32", min_host_interval_s=0.0)
SETTINGS = Settings().with_overrides({"cluster.profile": "lexical", "fetch.allow_networks": "127.0.0.1/32",
                                      "fetch.min_host_interval_s": "0"})
CLI_SETTINGS = ["--set", "cluster.profile=lexical", "--set", "fetch.allow_networks=127.0.0.1/32",
                "--set", "fetch.min_host_interval_s=0"]
PAGE = fixture_bytes("ledger_dam.html")
RSS = fixture_bytes("ledger_feed.rss")


def deflate(data: bytes) -> bytes:
    return zlib.compress(data)


def raw_deflate(data: bytes) -> bytes:
    c = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return c.compress(data) + c.flush()


ENCODERS = {
    "gzip": gzip.compress,
    "deflate": deflate,
    "br": brotli.compress,
    "zstd": lambda b: zstandard.ZstdCompressor(level=3, write_checksum=True).compress(b),
}
CODINGS = sorted(ENCODERS)


def refused(url: str, settings: FetchSettings = LOCAL) -> FetchError:
    with Fetcher(settings) as f, pytest.raises(FetchError) as e:
        f.fetch(url)
    return e.value


@pytest.mark.parametrize("coding", ["identity", *CODINGS])
def test_a_connection_closed_before_the_content_length_is_truncated_body(server, coding):
    full = PAGE if coding == "identity" else ENCODERS[coding](PAGE)
    cut = full[: len(full) // 2]
    headers = {"Content-Length": str(len(full))}
    if coding != "identity":
        headers["Content-Encoding"] = coding
    url = server.route("/cut.html", cut, headers=headers, lie_length=True)  # our own Content-Length, then close
    err = refused(url)
    assert err.reason == "truncated-body", err
    assert f"after {len(cut)} bytes of the body, of the {len(full)} bytes its Content-Length announced" in err.detail


@pytest.mark.parametrize("coding", CODINGS)
@pytest.mark.parametrize("framing", ["no-length", "honest-length"])
@pytest.mark.parametrize("keep", [0.5, "all-but-4"])
def test_a_compressed_stream_that_ends_early_is_truncated_body(server, coding, framing, keep):
    """The transfer is complete, so only the coding can tell: gzip without its trailer (or half of it), deflate,
    br and zstd without their last block (or checksum)."""
    full = ENCODERS[coding](PAGE)
    cut = full[: int(len(full) * keep)] if isinstance(keep, float) else full[:-4]
    url = server.route("/cut.html", cut, headers={"Content-Encoding": coding}, lie_length=framing == "no-length")
    err = refused(url)
    assert err.reason == "truncated-body", err
    assert f"the {coding} stream ends before its end ({len(cut)} bytes of {coding} arrived" in err.detail
    assert "refused rather than read as partial text" in err.detail


@pytest.mark.parametrize("coding", CODINGS)
def test_the_whole_stream_is_read_as_before(server, coding):
    url = server.route("/whole.html", ENCODERS[coding](PAGE), headers={"Content-Encoding": coding}, lie_length=True)
    with Fetcher(LOCAL) as f:
        assert f.fetch(url).body == PAGE


def test_raw_deflate_whole_and_truncated():
    """Some servers send deflate without its zlib header: that form's end of stream is checked too."""
    body = raw_deflate(PAGE)
    assert decode_content("u", "deflate", body, 10**6, "fetch.max_body_bytes") == PAGE
    with pytest.raises(FetchError) as e:
        decode_content("u", "deflate", body[: len(body) // 2], 10**6, "fetch.max_body_bytes")
    assert e.value.reason == "truncated-body"


def test_several_gzip_members_are_all_decoded_and_a_truncated_last_one_refused():
    """RFC 1952: a gzip body may be members one after another; the second is not dropped, nor a cut one kept."""
    first, second = PAGE[:900], PAGE[900:]
    body = gzip.compress(first) + gzip.compress(second)
    assert decode_content("u", "gzip", body, 10**6, "fetch.max_body_bytes") == PAGE
    with pytest.raises(FetchError) as e:
        decode_content("u", "gzip", body[:-4], 10**6, "fetch.max_body_bytes")
    assert e.value.reason == "truncated-body"
    # the limit counts across members
    with pytest.raises(FetchError) as e:
        decode_content("u", "gzip", body, len(PAGE) - 1, "fetch.max_body_bytes")
    assert e.value.reason == "too-large"
    assert decode_content("u", "gzip", body, len(PAGE), "fetch.max_body_bytes") == PAGE


def test_a_zstd_body_whose_second_frame_is_cut_is_refused():
    frame = zstandard.ZstdCompressor().compress(PAGE)
    body = frame + frame[:-6]
    with pytest.raises(FetchError) as e:
        decode_content("u", "zstd", body, 10**6, "fetch.max_body_bytes")
    assert e.value.reason == "truncated-body" and f"{len(PAGE)} bytes decoded so far" in e.value.detail
    assert decode_content("u", "zstd", frame + frame, 10**6, "fetch.max_body_bytes") == PAGE + PAGE


def test_stacked_codings_with_a_truncated_inner_stream_are_refused(server):
    inner = brotli.compress(PAGE)[:-10]  # br cut upstream, then gzip-compressed whole by a proxy
    url = server.route("/stacked.html", gzip.compress(inner), headers={"Content-Encoding": "br, gzip"})
    err = refused(url)
    assert err.reason == "truncated-body" and "the br stream" in err.detail


def test_an_empty_compressed_body_is_empty_not_an_error():
    assert decode_content("u", "gzip", b"", 100, "fetch.max_body_bytes") == b""


def test_the_body_of_an_error_response_is_not_decoded(server):
    """A 404 whose body is a truncated gzip stream is an http-error, as any 404: its body is never used."""
    url = server.route("/gone.html", gzip.compress(PAGE)[:100], status=404, headers={"Content-Encoding": "gzip"})
    assert refused(url).reason == "http-error"


@pytest.mark.parametrize("coding", ["identity", "gzip", "zstd"])
def test_ingest_stores_a_truncated_page_or_feed_as_a_rejected_row_and_the_rest(store, server, coding):
    """Through read_inputs and the pipeline: one Rejected row per truncated document, nothing partial stored,
    the counts balance."""
    enc = (lambda b: b) if coding == "identity" else ENCODERS[coding]
    headers = {} if coding == "identity" else {"Content-Encoding": coding}
    page_full = enc(PAGE)
    cut_page = server.route("/cut.html", page_full[: len(page_full) * 2 // 3], lie_length=True,
                            headers={**headers, "Content-Length": str(len(page_full))})
    feed_full = enc(RSS.replace(b"{BASE}", server.base.encode()))
    cut_feed = server.route("/cut.rss", feed_full[:-4] if coding != "identity" else feed_full[:-200],
                            content_type="application/rss+xml", headers=headers, lie_length=coding != "identity")
    whole = server.route("/whole.html", enc(PAGE), headers=headers)
    with web_session(store, SETTINGS) as session:
        items = list(read_inputs([cut_page, cut_feed, whole], SETTINGS, session=session))
        stats = open_pipeline(store, SETTINGS).run(iter(items))
    rejected = [i for i in items if isinstance(i, Rejected)]
    kept = [i for i in items if isinstance(i, RawItem)]
    assert [r.reason for r in rejected] == ["truncated-body", "truncated-body" if coding != "identity" else
                                            "malformed-feed"]
    assert [k.url for k in kept] == [whole] and "Lake Orvin" in kept[0].text
    assert stats.balanced and stats.seen == stats.accepted + stats.rejected + stats.duplicates
    assert stats.rejected == 2 and stats.accepted == 1


def test_cli_ingest_of_a_truncated_page_exits_1_with_the_reason(tmp_path, server):
    full = gzip.compress(PAGE)
    url = server.route("/cut.html", full[:-8], headers={"Content-Encoding": "gzip"})
    db = str(tmp_path / "t.db")
    runner = CliRunner()
    result = runner.invoke(app, ["--db", db, *CLI_SETTINGS, "ingest", url])
    assert result.exit_code == 1, result.output
    rejects = runner.invoke(app, ["--db", db, "rejects", "--format", "json"])
    assert "truncated-body" in rejects.output and "gzip stream ends before its end" in rejects.output
