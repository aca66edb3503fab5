"""The guarded fetcher against a local HTTP server on 127.0.0.1 (never the network)."""

from __future__ import annotations

import gzip
import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storyline.errors import ConfigError
from storyline.ingest.fetch import (AddressGuard, Fetcher, FetchError, HostRateLimiter, blocked_reason,
                                    parse_networks)
from storyline.settings import FetchSettings

from .fixtures.web.server import LocalServer, fixture_bytes

LOCAL = FetchSettings(allow_networks="127.0.0.1/32", min_host_interval_s=0.0)


@pytest.fixture
def fetcher():
    with Fetcher(LOCAL) as f:
        yield f


# -- the address guard --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("addr", [
    "127.0.0.1", "127.9.9.9", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "169.254.1.1",
    "0.0.0.0", "100.64.0.1", "100.100.100.200", "224.0.0.1", "240.0.0.1", "255.255.255.255", "::1", "::",
    "fe80::1", "fc00::1", "fd00:ec2::254", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "2002:7f00:1::",
    "64:ff9b::a9fe:a9fe", "ff02::1",
])
def test_guard_refuses_non_public_addresses(addr):
    assert blocked_reason(ipaddress.ip_address(addr)) is not None


@pytest.mark.parametrize("addr", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_guard_lets_public_addresses_through(addr):
    assert blocked_reason(ipaddress.ip_address(addr)) is None


def test_metadata_address_is_named():
    assert blocked_reason(ipaddress.ip_address("169.254.169.254")) == "cloud metadata address"
    assert "metadata" in blocked_reason(ipaddress.ip_address("fd00:ec2::254"))


@given(st.integers(min_value=0, max_value=2**24 - 1))
def test_every_ten_slash_eight_address_and_its_mapped_form_are_refused(n):
    v4 = ipaddress.IPv4Address((10 << 24) | n)
    assert blocked_reason(v4) is not None
    assert blocked_reason(ipaddress.IPv6Address(f"::ffff:{v4}")) is not None


def test_allowlist_admits_only_its_networks():
    allowed = parse_networks("127.0.0.1/32")
    assert blocked_reason(ipaddress.ip_address("127.0.0.1"), allowed) is None
    assert blocked_reason(ipaddress.ip_address("127.0.0.2"), allowed) is not None
    assert blocked_reason(ipaddress.ip_address("::ffff:127.0.0.1"), allowed) is None
    with pytest.raises(ConfigError, match="not a network"):
        parse_networks("127.0.0.1/33")


def test_guard_checks_every_resolved_address():
    guard = AddressGuard((), lambda host, port: ["93.184.216.34", "10.0.0.5"])
    with pytest.raises(FetchError) as e:
        guard.check("http://mixed.test/", "mixed.test", 80)
    assert e.value.reason == "blocked-address" and "10.0.0.5" in e.value.detail
    assert str(AddressGuard((), lambda h, p: ["93.184.216.34"]).check("u", "pub.test", 80)) == "93.184.216.34"


def test_unresolvable_host_is_a_dns_error():
    def fail(host, port):
        raise OSError("Name or service not known")

    with pytest.raises(FetchError) as e:
        AddressGuard((), fail).check("http://nowhere.test/", "nowhere.test", 80)
    assert e.value.reason == "dns-error"


def test_loopback_is_refused_without_the_setting(server):
    url = server.route("/a.html", fixture_bytes("ledger_dam.html"))
    with Fetcher(FetchSettings(min_host_interval_s=0)) as f:
        with pytest.raises(FetchError) as e:
            f.fetch(url)
    assert e.value.reason == "blocked-address" and "loopback" in e.value.detail
    assert server.log == []  # refused before any connection


@pytest.mark.parametrize("host", ["2130706433", "0x7f.0.0.1", "127.1", "localhost", "[::ffff:127.0.0.1]"])
def test_obfuscated_loopback_hosts_are_refused(server, host):
    """Numeric and short forms resolve (getaddrinfo) to loopback and are checked after resolution."""
    server.route("/a.html", fixture_bytes("ledger_dam.html"))
    with Fetcher(FetchSettings(min_host_interval_s=0)) as f:
        with pytest.raises(FetchError) as e:
            f.fetch(f"http://{host}:{server.port}/a.html")
    assert e.value.reason == "blocked-address"
    assert server.log == []


def test_host_name_resolving_to_private_address_is_refused(server):
    server.route("/a.html", fixture_bytes("ledger_dam.html"))
    with Fetcher(LOCAL, resolver=lambda host, port: ["192.168.7.7"]) as f:
        with pytest.raises(FetchError) as e:
            f.fetch(f"http://intranet.test:{server.port}/a.html")
    assert e.value.reason == "blocked-address" and "192.168.7.7" in e.value.detail


def test_connects_to_the_checked_address_and_keeps_the_host_name(server):
    """The resolver is asked once per request and its checked answer is what we connect to (no second DNS lookup
    between the check and the connect). Two requests here: the host's robots.txt, then the page."""
    server.route("/a.html", fixture_bytes("ledger_dam.html"))
    asked = []

    def resolver(host, port):
        asked.append(host)
        return ["127.0.0.1"]

    with Fetcher(LOCAL, resolver=resolver) as f:
        result = f.fetch(f"http://news.test:{server.port}/a.html")
    assert asked == ["news.test", "news.test"]
    assert server.hits("/robots.txt")[0]["host"] == f"news.test:{server.port}"
    assert server.hits("/a.html")[0]["host"] == f"news.test:{server.port}"
    assert result.url == f"http://news.test:{server.port}/a.html"


# -- redirects ----------------------------------------------------------------------------------------------------
def test_redirects_are_followed_and_recorded(server, fetcher):
    server.route("/old", status=301, headers={"Location": "/mid"}, content_type=None)
    server.route("/mid", status=302, headers={"Location": server.url("/a.html")}, content_type=None)
    server.route("/a.html", fixture_bytes("ledger_dam.html"))
    result = fetcher.fetch(server.url("/old"))
    assert result.url == server.url("/a.html")
    assert result.redirects == (server.url("/old"), server.url("/mid"))
    assert b"Lake Orvin" in result.body


def test_redirect_limit(server):
    server.route("/loop", status=302, headers={"Location": "/loop"}, content_type=None)
    with Fetcher(FetchSettings(allow_networks="127.0.0.1/32", min_host_interval_s=0, max_redirects=3)) as f:
        with pytest.raises(FetchError) as e:
            f.fetch(server.url("/loop"))
    assert e.value.reason == "too-many-redirects"
    assert len(server.hits("/loop")) == 4  # the first request and three redirects


@pytest.mark.parametrize("target", ["http://169.254.169.254/latest/meta-data/", "http://127.0.0.2:{port}/a.html",
                                    "http://[::1]:{port}/a.html", "http://10.0.0.1/"])
def test_redirect_to_a_forbidden_address_is_refused(server, fetcher, target):
    server.route("/go", status=302, headers={"Location": target.format(port=server.port)}, content_type=None)
    with pytest.raises(FetchError) as e:
        fetcher.fetch(server.url("/go"))
    assert e.value.reason == "blocked-address" and "redirected to" in str(e.value)


def test_redirect_to_another_scheme_is_refused(server, fetcher):
    server.route("/go", status=302, headers={"Location": "file:///etc/passwd"}, content_type=None)
    with pytest.raises(FetchError) as e:
        fetcher.fetch(server.url("/go"))
    assert e.value.reason == "bad-url"


# -- limits -------------------------------------------------------------------------------------------------------
def test_slow_server_times_out(server):
    url = server.route("/slow.html", fixture_bytes("ledger_dam.html"), delay_s=2.0)
    with Fetcher(FetchSettings(allow_networks="127.0.0.1/32", min_host_interval_s=0, read_timeout_s=0.3)) as f:
        with pytest.raises(FetchError) as e:
            f.fetch(url)
    assert e.value.reason == "timeout"


def test_dripping_server_hits_the_total_deadline(server):
    url = server.route("/drip.html", b"<html><body>" + b"x" * 200 + b"</body></html>", drip_s=0.02)
    settings = FetchSettings(allow_networks="127.0.0.1/32", min_host_interval_s=0, read_timeout_s=1.0,
                             total_timeout_s=0.5)
    with Fetcher(settings) as f:
        with pytest.raises(FetchError) as e:
            f.fetch(url)
    assert e.value.reason == "timeout" and "total_timeout_s" in e.value.detail


def test_oversized_body_is_refused_by_content_length(server):
    url = server.route("/big.html", b"<html>" + b"a" * 5000 + b"</html>")
    with Fetcher(FetchSettings(allow_networks="127.0.0.1/32", min_host_interval_s=0, max_body_bytes=1000)) as f:
        with pytest.raises(FetchError) as e:
            f.fetch(url)
    assert e.value.reason == "too-large" and "Content-Length" in e.value.detail


def test_oversized_body_without_length_is_refused_while_reading(server):
    url = server.route("/big.html", b"<html>" + b"a" * 50_000 + b"</html>", lie_length=True)
    with Fetcher(FetchSettings(allow_networks="127.0.0.1/32", min_host_interval_s=0, max_body_bytes=1000)) as f:
        with pytest.raises(FetchError) as e:
            f.fetch(url)
    assert e.value.reason == "too-large" and "Content-Length" not in e.value.detail


def test_gzip_bomb_is_refused_after_decompressing_only_the_limit(server):
    bomb = gzip.compress(b"<html>" + b"a" * 20_000_000)
    assert len(bomb) < 100_000
    url = server.route("/bomb.html", bomb, headers={"Content-Encoding": "gzip"})
    with Fetcher(FetchSettings(allow_networks="127.0.0.1/32", min_host_interval_s=0, max_body_bytes=1_000_000)) as f:
        with pytest.raises(FetchError) as e:
            f.fetch(url)
    assert e.value.reason == "too-large" and "decompressed" in e.value.detail


def test_gzip_body_is_decoded(server, fetcher):
    url = server.route("/z.html", gzip.compress(fixture_bytes("ledger_dam.html")), headers={"Content-Encoding": "gzip"})
    assert fetcher.fetch(url).body == fixture_bytes("ledger_dam.html")


@pytest.mark.parametrize("ctype", ["application/pdf", "image/png", "application/json", "text/plain"])
def test_non_html_content_is_refused(server, fetcher, ctype):
    url = server.route("/thing", b"%PDF-1.4 not a page", content_type=ctype)
    with pytest.raises(FetchError) as e:
        fetcher.fetch(url)
    assert e.value.reason == "bad-content-type" and ctype in e.value.detail


def test_feed_kind_refuses_html_and_page_kind_refuses_feeds(server, fetcher):
    page = server.route("/a.html", fixture_bytes("ledger_dam.html"))
    feed = server.route("/f.rss", fixture_bytes("courier_feed.atom"), content_type="application/atom+xml")
    with pytest.raises(FetchError):
        fetcher.fetch(page, kind="feed")
    with pytest.raises(FetchError):
        fetcher.fetch(feed, kind="html")
    assert fetcher.fetch(feed, kind="any").kind == "feed"
    assert fetcher.fetch(page, kind="any").kind == "html"


def test_missing_content_type_is_sniffed(server, fetcher):
    url = server.route("/nt", fixture_bytes("ledger_dam.html"), content_type=None)
    assert fetcher.fetch(url).kind == "html"


def test_http_errors_are_reported_with_status(server, fetcher):
    url = server.route("/gone", b"gone", status=410)
    with pytest.raises(FetchError) as e:
        fetcher.fetch(url)
    assert e.value.reason == "http-error" and "410" in e.value.detail
    with pytest.raises(FetchError) as e:
        fetcher.fetch(server.url("/missing"))
    assert "404" in e.value.detail


# -- politeness and conditional requests ---------------------------------------------------------------------------
def test_user_agent_names_storyline(server, fetcher):
    fetcher.fetch(server.route("/a.html", fixture_bytes("ledger_dam.html")))
    assert server.hits("/a.html")[0]["user-agent"].startswith("storyline/")


def test_conditional_request_with_etag_gets_304(server, fetcher):
    url = server.route("/f.xml", fixture_bytes("courier_feed.atom"), content_type="application/atom+xml",
                       etag='"v7"')
    first = fetcher.fetch(url, kind="feed")
    assert first.etag == '"v7"' and not first.not_modified
    second = fetcher.fetch(url, kind="feed", etag=first.etag)
    assert second.not_modified and second.body == b"" and second.status == 304
    assert server.hits("/f.xml")[1]["if-none-match"] == '"v7"'


def test_conditional_request_with_last_modified_gets_304(server, fetcher):
    stamp = "Thu, 10 Apr 2031 08:00:00 GMT"
    url = server.route("/f.xml", fixture_bytes("courier_feed.atom"), content_type="application/atom+xml",
                       last_modified=stamp)
    first = fetcher.fetch(url, kind="feed")
    assert first.last_modified == stamp
    assert fetcher.fetch(url, kind="feed", last_modified=stamp).not_modified
    assert server.hits("/f.xml")[1]["if-modified-since"] == stamp


def test_rate_limiter_spaces_requests_per_host():
    now = [100.0]
    slept: list[float] = []

    def sleep(s):
        slept.append(s)
        now[0] += s

    limiter = HostRateLimiter(2.0, clock=lambda: now[0], sleep=sleep)
    limiter.wait("a.test")
    now[0] += 0.5
    limiter.wait("a.test")
    limiter.wait("b.test")  # another host does not wait
    assert slept == [1.5]


def test_fetcher_applies_the_rate_limit(server):
    url = server.route("/a.html", fixture_bytes("ledger_dam.html"))
    slept: list[float] = []
    clock = [0.0]

    def sleep(s):  # a fake sleep that moves the fake clock, as a real one would
        slept.append(s)
        clock[0] += s

    settings = FetchSettings(allow_networks="127.0.0.1/32", min_host_interval_s=5.0)
    with Fetcher(settings, clock=lambda: clock[0], sleep=sleep) as f:
        f.fetch(url)
        f.fetch(url)
    assert slept == [5.0, 5.0]  # robots.txt (fetched once) is a request to the host too: it counts
    assert [p for p, _ in server.log] == ["/robots.txt", "/a.html", "/a.html"]


# -- TLS: connecting to the checked IP keeps certificate verification on the host name ------------------------------
@pytest.fixture
def tls_server(tmp_path):
    import shutil
    import ssl
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=news.test", "-addext", "subjectAltName=DNS:news.test"],
                   check=True, capture_output=True, timeout=60)
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert, key)
    client_ctx = ssl.create_default_context(cafile=str(cert))
    with LocalServer(tls=server_ctx) as srv:
        yield srv, client_ctx


def test_https_to_the_checked_address_verifies_the_host_name(tls_server):
    srv, client_ctx = tls_server
    srv.route("/a.html", fixture_bytes("ledger_dam.html"))
    with Fetcher(LOCAL, resolver=lambda h, p: ["127.0.0.1"], verify=client_ctx) as f:
        result = f.fetch(f"https://news.test:{srv.port}/a.html")
        assert b"Lake Orvin" in result.body
        with pytest.raises(FetchError) as e:  # same IP, another name: the certificate does not match
            f.fetch(f"https://other.test:{srv.port}/a.html")
    # the first request to other.test is its robots.txt: unreachable, so the page is not fetched either
    assert e.value.reason == "robots-unavailable" and "certificate" in e.value.detail.lower()
    no_robots = FetchSettings(allow_networks="127.0.0.1/32", min_host_interval_s=0.0, respect_robots=False)
    with Fetcher(no_robots, resolver=lambda h, p: ["127.0.0.1"], verify=client_ctx) as f:
        with pytest.raises(FetchError) as e:  # the page request itself is verified the same way
            f.fetch(f"https://other.test:{srv.port}/a.html")
    assert e.value.reason == "connect-error" and "certificate" in e.value.detail.lower()
