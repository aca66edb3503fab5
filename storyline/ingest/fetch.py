"""Fetching pages and feeds over HTTP(S), safely.

:class:`Fetcher` wraps an ``httpx.Client`` with:

* timeouts (connect, between chunks, and a total deadline for the whole body);
* a body size limit (``Content-Length`` checked first, then the streamed byte count; never truncated), applied
  again to the decoded body: gzip, deflate, and (when the ``brotli`` / ``zstandard`` packages are importable, and
  only then advertised in ``Accept-Encoding``) br and zstd bodies are decompressed only up to the limit, so a
  compression bomb is refused, never read into memory; a body that arrives short (cut before its Content-Length, or a
  compressed stream without its end) is refused as ``truncated-body``, never read as partial text;
* a redirect limit, redirects followed by hand so every hop goes through the address guard again;
* content-type checks (a page must be HTML, a feed must be XML/RSS/Atom or JSON Feed);
* conditional requests (``If-None-Match`` / ``If-Modified-Since``; a 304 is reported as ``not_modified``);
* a per-host rate limit (thread-safe: one Fetcher can serve several threads) and a User-Agent naming storyline;
* robots.txt (:mod:`storyline.ingest.robots`), fetched through this same fetcher and obeyed before every request
  unless ``fetch.respect_robots`` is off; a host's ``Crawl-delay`` widens its rate limit.

The address guard (SSRF): the host is resolved here with :func:`socket.getaddrinfo` and *every* address is checked
with :mod:`ipaddress` — loopback, private, link-local, reserved, multicast, unspecified, shared (CGNAT), the cloud
metadata endpoints ``169.254.169.254`` and ``fd00:ec2::254``, and IPv6 forms that embed an IPv4 address (mapped,
6to4, NAT64 ``64:ff9b::/96``) are refused unless they fall in ``fetch.allow_networks``. The request is then sent
to the checked IP itself (the URL's host replaced by the address, the ``Host`` header and the TLS SNI/certificate
name kept as the original host name through httpx's ``sni_hostname`` extension), so a DNS answer that changes
between the check and the connect (DNS rebinding) cannot reach an unchecked address. Connections are not kept
alive (a pooled connection is keyed by IP and could otherwise be reused for another host name on the same IP).
No proxy from the environment is used (``trust_env=False``).
"""

from __future__ import annotations

import functools
import io
import ipaddress
import math
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable
from urllib.parse import urljoin, urlsplit, urlunsplit

from ..errors import NotInstalled, StorylineError
from ..settings import FetchSettings
from .robots import RobotsCache

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]

METADATA_ADDRESSES = frozenset({ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254"),
                                ipaddress.ip_address("100.100.100.200")})  # AWS/GCP/Azure, AWS IPv6, Alibaba
SHARED_SPACE = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT (RFC 6598): not public
NAT64 = ipaddress.ip_network("64:ff9b::/96")

HTML_TYPES = ("text/html", "application/xhtml+xml")
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml", "text/xml",
              "application/x-rss+xml", "application/feed+xml", "application/feed+json", "application/json")
KINDS = {"html": HTML_TYPES, "feed": FEED_TYPES, "any": HTML_TYPES + FEED_TYPES}
ROBOTS_ACCEPT = "text/plain, */*;q=0.1"
# RFC 9659: a zstd content coding needs at most an 8 MB window; a frame asking for more is refused, not decoded
ZSTD_MAX_WINDOW = 8 * 1024 * 1024
REDIRECTS = (301, 302, 303, 307, 308)


class FetchError(StorylineError):
    """A fetch that did not give a usable body. ``reason`` is a short code stored in the Rejected row."""

    def __init__(self, url: str, reason: str, detail: str):
        super().__init__(f"{url}: {reason}: {detail}")
        self.url = url
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class FetchResult:
    """A response. ``url`` is the final URL after redirects; ``body`` is empty when ``not_modified``."""

    url: str
    status: int
    content_type: str
    body: bytes
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    redirects: tuple[str, ...] = ()
    kind: str = "html"  # "html" or "feed", from the content type (or the body's first bytes when it has none)


def parse_networks(spec: str) -> tuple[Network, ...]:
    """``"127.0.0.1/32, ::1"`` → networks; a bad entry is a ConfigError naming it."""
    from ..errors import ConfigError

    out = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        try:
            out.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ConfigError(f"fetch.allow_networks: {part!r} is not a network; use CIDR like 127.0.0.1/32") from None
    return tuple(out)


def _embedded_v4(addr: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    if addr.sixtofour is not None:
        return addr.sixtofour
    if addr in NAT64:
        return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    return None


def blocked_reason(addr: Address, allowed: Iterable[Network] = ()) -> str | None:
    """Why ``addr`` may not be fetched from, or None when it is a public address (or explicitly allowed)."""
    allowed = tuple(allowed)
    if any(addr.version == n.version and addr in n for n in allowed):
        return None
    if isinstance(addr, ipaddress.IPv6Address):
        inner = _embedded_v4(addr)
        if inner is not None:
            why = blocked_reason(inner, allowed)
            return None if why is None else f"{why} (embedded in IPv6 {addr})"
    if addr in METADATA_ADDRESSES:
        return "cloud metadata address"
    checks = (("loopback", addr.is_loopback), ("unspecified", addr.is_unspecified),
              ("link-local", addr.is_link_local), ("private", addr.is_private), ("multicast", addr.is_multicast),
              ("reserved", addr.is_reserved),
              ("shared (CGNAT)", isinstance(addr, ipaddress.IPv4Address) and addr in SHARED_SPACE),
              ("not global", not addr.is_global))
    for name, hit in checks:
        if hit:
            return f"{name} address"
    return None


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass
class AddressGuard:
    """Resolves a host and refuses it unless every address it resolves to is allowed."""

    allowed: tuple[Network, ...] = ()
    resolver: Resolver = system_resolver

    def check(self, url: str, host: str, port: int) -> Address:
        """The address to connect to (the first resolved one, all having passed), or FetchError."""
        try:
            literal = ipaddress.ip_address(host.strip("[]"))
            addresses: list[Address] = [literal]
        except ValueError:
            try:
                names = self.resolver(host, port)
            except (OSError, UnicodeError) as e:
                raise FetchError(url, "dns-error", f"cannot resolve {host!r}: {e}") from None
            addresses = []
            for a in names:
                try:
                    addresses.append(ipaddress.ip_address(a.split("%", 1)[0]))
                except ValueError:
                    raise FetchError(url, "dns-error", f"{host!r} resolved to {a!r}, not an address") from None
        if not addresses:
            raise FetchError(url, "dns-error", f"{host!r} resolved to no address")
        for addr in addresses:
            why = blocked_reason(addr, self.allowed)
            if why is not None:
                raise FetchError(url, "blocked-address",
                                 f"{host} resolves to {addr}, a {why}; refused to prevent server-side request "
                                 f"forgery (allow it with --set fetch.allow_networks={addr}/{addr.max_prefixlen})")
        return addresses[0]


class WaitTooLong(StorylineError):
    """Raised by :meth:`HostRateLimiter.wait` when the wait for a host would exceed ``max_wait``."""

    def __init__(self, host: str, wait_s: float, max_wait_s: float):
        super().__init__(f"{host}: the next request may be sent in {wait_s:.1f}s, over the {max_wait_s:g}s allowed")
        self.host = host
        self.wait_s = wait_s
        self.max_wait_s = max_wait_s


@dataclass
class HostRateLimiter:
    """At most one request per host per ``interval`` seconds (clock and sleep are injectable).

    Thread-safe: each caller reserves the host's next free moment under a lock and then sleeps until it outside the
    lock, so two threads asking for one host at once are spaced by the interval, and threads on other hosts never
    wait for them.
    """

    interval: float
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _last: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def wait(self, host: str, interval: float | None = None, max_wait: float = math.inf) -> float:
        """Sleep until ``host`` may be asked again (``interval`` overrides the default for this request, e.g. a
        Crawl-delay) and return the seconds slept. When that is over ``max_wait`` nothing is reserved and
        :class:`WaitTooLong` is raised."""
        gap = self.interval if interval is None else max(interval, 0.0)
        with self._lock:
            now = self.clock()
            last = self._last.get(host)
            at = now if last is None or gap <= 0 else max(now, last + gap)
            delay = at - now
            if delay > max_wait:
                raise WaitTooLong(host, delay, max_wait)
            self._last[host] = at
        if delay > 0:
            self.sleep(delay)
        return delay


def sniff_kind(body: bytes) -> str | None:
    head = body[:2048].lstrip().lower()
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head[:512]:
        return "html"
    if head.startswith(b"<?xml") or head.startswith((b"<rss", b"<feed", b"<rdf:rdf")):
        return "feed"
    if head.startswith(b"{"):  # JSON: a JSON Feed is a feed; other JSON is refused by the fetcher
        return "feed"
    return None


def _is_json(body: bytes) -> bool:
    return body[:4096].removeprefix(b"\xef\xbb\xbf").lstrip()[:1] == b"{"


def is_json_feed(body: bytes) -> bool:
    """A JSON object that names a JSON Feed version (``https://jsonfeed.org/version/``, also with escaped slashes,
    which JSON allows) anywhere in it: enough to tell a JSON Feed served as plain ``application/json`` from other
    JSON before parsing it; :func:`storyline.ingest.feeds.parse_json_feed` then checks the version properly."""
    return _is_json(body) and (b"jsonfeed.org/version/" in body or b"jsonfeed.org\\/version\\/" in body)


def _kind_of(content_type: str) -> str | None:
    if content_type in HTML_TYPES:
        return "html"
    if content_type in FEED_TYPES or content_type.endswith("+xml"):
        return "feed"
    return None


@functools.lru_cache(maxsize=1)
def _brotli() -> object | None:
    """The ``brotli`` module when it is importable and can bound its output (``output_buffer_limit``, brotli 1.2),
    else None."""
    try:
        import brotli
    except ImportError:
        return None
    try:
        brotli.Decompressor().process(b"", output_buffer_limit=1)
    except TypeError:  # an older brotli: it could not stop a bomb, so br is neither asked for nor accepted
        return None
    return brotli


@functools.lru_cache(maxsize=1)
def _zstandard() -> object | None:
    try:
        import zstandard
    except ImportError:
        return None
    return zstandard


def accepted_encodings() -> tuple[str, ...]:
    """The content codings sent in ``Accept-Encoding``: gzip and deflate, and br / zstd when their packages are
    importable (the ``fetch`` extra installs them)."""
    return ("gzip", "deflate") + (("br",) if _brotli() is not None else ()) + (
        ("zstd",) if _zstandard() is not None else ())


def _truncated(url: str, coding: str, data: bytes, decoded: int) -> FetchError:
    return FetchError(url, "truncated-body",
                      f"the {coding} stream ends before its end ({len(data)} bytes of {coding} arrived, "
                      f"{decoded} bytes decoded so far): the connection was cut or the body was truncated "
                      f"upstream; refused rather than read as partial text")


def decode_content(url: str, coding: str, data: bytes, limit: int, limit_name: str) -> bytes:
    """One content coding undone, producing at most ``limit`` bytes; more is ``too-large`` (a FetchError), a
    stream that ends before its end-of-stream marker (gzip without its trailer, deflate, br or zstd without their
    last block) is ``truncated-body``, and a body that does not decode, or a coding we cannot decode, is
    ``bad-encoding``. An empty body stays empty (nothing arrived, so nothing partial is read)."""
    import zlib

    if not data:
        return b""
    too_large = FetchError(url, "too-large", f"decompressed ({coding}) body over {limit_name}={limit} bytes; "
                                             f"raise the setting to fetch it")
    if coding in ("gzip", "x-gzip", "deflate"):
        gzip_coding = "gzip" in coding
        wbits = 16 + zlib.MAX_WBITS if gzip_coding else zlib.MAX_WBITS
        d = zlib.decompressobj(wbits)
        try:
            out = d.decompress(data, limit + 1)
        except zlib.error:
            if coding == "deflate":  # some servers send raw deflate without the zlib header
                d = zlib.decompressobj(-zlib.MAX_WBITS)
                try:
                    out = d.decompress(data, limit + 1)
                except zlib.error as e:
                    raise FetchError(url, "bad-encoding", f"deflate body does not decompress: {e}") from None
            else:
                raise FetchError(url, "bad-encoding", "gzip body does not decompress") from None
        parts = [out]
        size = len(out)
        while True:
            if size > limit or d.unconsumed_tail:
                raise too_large
            if not d.eof:  # no end-of-stream (gzip: no trailer; deflate: no final block)
                raise _truncated(url, coding, data, size)
            # a gzip body may be several members one after another (RFC 1952 2.2): each is decoded, none dropped
            if not (gzip_coding and d.unused_data.startswith(b"\x1f\x8b")):
                break
            rest = d.unused_data
            d = zlib.decompressobj(wbits)
            try:
                out = d.decompress(rest, limit + 1 - size)
            except zlib.error:
                raise FetchError(url, "bad-encoding", f"gzip body does not decompress (member {len(parts) + 1})") \
                    from None
            parts.append(out)
            size += len(out)
        return b"".join(parts)
    if coding == "br":
        brotli: Any = _brotli()
        if brotli is None:
            raise FetchError(url, "bad-encoding", "Content-Encoding 'br' needs the brotli package (1.2 or later), "
                                                  "which was not asked for; pip install 'storyline[fetch]'")
        dec = brotli.Decompressor()
        try:
            out = dec.process(data, output_buffer_limit=limit + 1)
        except brotli.error as e:
            raise FetchError(url, "bad-encoding", f"br body does not decompress: {e}") from None
        if len(out) > limit or not dec.can_accept_more_data():
            raise too_large
        if not dec.is_finished():  # the stream's last meta-block never came
            raise _truncated(url, coding, data, len(out))
        return out
    if coding == "zstd":
        zstd: Any = _zstandard()
        if zstd is None:
            raise FetchError(url, "bad-encoding", "Content-Encoding 'zstd' needs the zstandard package, which was "
                                                  "not asked for; pip install 'storyline[fetch]'")
        size = 0
        parts: list[bytes] = []
        try:
            dctx = zstd.ZstdDecompressor(max_window_size=ZSTD_MAX_WINDOW)
            # pass 1, bounded: how many bytes the frames decode to, read at most `limit + 1` bytes at a time and
            # discarded, so a bomb stops here without being held in memory
            with dctx.stream_reader(io.BytesIO(data), read_across_frames=True) as reader:
                while size <= limit:
                    chunk = reader.read(min(limit + 1 - size, 1 << 20))
                    if not chunk:
                        break
                    size += len(chunk)
            if size > limit:
                raise too_large
            # pass 2: the body decodes to at most `limit` bytes; decode it frame by frame, and every frame must
            # reach its end (the stream reader returns a truncated frame's blocks without saying so)
            rest = data
            decoded = 0
            while rest:
                obj = dctx.decompressobj()
                out = obj.decompress(rest)
                parts.append(out)
                decoded += len(out)
                if not obj.eof:
                    raise _truncated(url, coding, data, decoded)
                rest = obj.unused_data
        except zstd.ZstdError as e:
            raise FetchError(url, "bad-encoding", f"zstd body does not decompress ({e}); frames needing a window "
                                                  f"over {ZSTD_MAX_WINDOW} bytes are refused (RFC 9659)") from None
        return b"".join(parts)
    raise FetchError(url, "bad-encoding",
                     f"unsupported Content-Encoding {coding!r}; valid: {', '.join(accepted_encodings())}")


class Fetcher:
    """Fetches URLs under the limits of :class:`FetchSettings`. Use as a context manager (closes the client).

    Collaborators (a resolver, a clock, a sleep function, an ``httpx`` transport, the TLS trust ``verify``: an
    ``ssl.SSLContext`` or a CA bundle path) can be passed in; tests use them, so do sites with a private CA.
    """

    def __init__(self, settings: FetchSettings | None = None, *, resolver: Resolver = system_resolver,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                 transport: object | None = None, verify: "ssl.SSLContext | str | bool" = True):
        try:
            import httpx
        except ImportError:  # pragma: no cover - the extra is installed in development
            raise NotInstalled("httpx", "fetch") from None
        self.settings = settings or FetchSettings()
        s = self.settings
        self.guard = AddressGuard(parse_networks(s.allow_networks), resolver)
        self.limiter = HostRateLimiter(s.min_host_interval_s, clock, sleep)
        self.clock = clock
        # robots.txt policies, kept in memory for the life of this fetcher (one per command: the process)
        self.robots: RobotsCache | None = RobotsCache(self._get_robots, s, clock) if s.respect_robots else None
        self._httpx = httpx
        timeout = httpx.Timeout(connect=s.connect_timeout_s, read=s.read_timeout_s, write=s.read_timeout_s,
                                pool=s.connect_timeout_s)
        self.client = httpx.Client(
            timeout=timeout, follow_redirects=False, trust_env=False, transport=transport,  # type: ignore[arg-type]
            verify=verify,
            limits=httpx.Limits(max_keepalive_connections=0), headers={"User-Agent": s.user_agent},
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> "Fetcher":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def fetch(self, url: str, *, kind: str = "any", etag: str | None = None,
              last_modified: str | None = None) -> FetchResult:
        """GET ``url`` (following at most ``max_redirects`` redirects). Raises :class:`FetchError`.

        Each hop is checked against its host's robots.txt first (unless ``fetch.respect_robots`` is off): a
        disallowed URL is a ``robots-disallowed`` error, one whose robots.txt is unreachable ``robots-unavailable``.
        """
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {sorted(KINDS)}, got {kind!r}")
        accept = ", ".join(KINDS[kind]) + ", */*;q=0.1"
        final, status, headers, body, hops = self._follow(url, accept, etag, last_modified, robots=True,
                                                          limit=self.settings.max_body_bytes,
                                                          limit_name="fetch.max_body_bytes")
        return self._result(url, final, status, headers, body, hops, kind)

    def _get_robots(self, robots_url: str) -> tuple[int, bytes]:
        """GET a robots.txt for :class:`RobotsCache`: the same guard, timeouts, rate limit and User-Agent as any
        request, redirects followed, a ``fetch.robots_max_bytes`` limit; any status is returned, not raised."""
        _, status, _, body, _ = self._follow(robots_url, ROBOTS_ACCEPT, None, None, robots=False,
                                             limit=self.settings.robots_max_bytes, limit_name="fetch.robots_max_bytes")
        return status, body

    def _follow(self, url: str, accept: str, etag: str | None, last_modified: str | None, *, robots: bool,
                limit: int, limit_name: str) -> tuple[str, int, dict[str, str], bytes, tuple[str, ...]]:
        """The hops of one GET: (final URL, status, headers, body, the URLs redirected from)."""
        hops: list[str] = []
        current = url
        while True:
            status, headers, body = self._request(current, url, accept, etag, last_modified, robots=robots,
                                                  limit=limit, limit_name=limit_name)
            if status in REDIRECTS and "location" in headers:
                if len(hops) >= self.settings.max_redirects:
                    raise FetchError(url, "too-many-redirects",
                                     f"more than fetch.max_redirects={self.settings.max_redirects} redirects "
                                     f"({' -> '.join([*hops, current])})")
                hops.append(current)
                try:
                    current = urljoin(current, headers["location"])
                except ValueError as e:
                    raise FetchError(url, "bad-url", f"redirected to {headers['location']!r}, which is not a valid "
                                                     f"URL ({e})") from None
                continue
            return current, status, headers, body, tuple(hops)

    def _obey_robots(self, original: str, url: str, scheme: str, host: str, port: int | None) -> float | None:
        """Refuse ``url`` when its robots.txt disallows it (FetchError); else its host's Crawl-delay, if any."""
        if self.robots is None:
            return None
        verdict = self.robots.check(url, scheme, host, port)
        if not verdict.allowed:
            hint = ("" if verdict.reason == "robots-unavailable" else
                    "; fetch.respect_robots=false turns the check off, for sites you run yourself")
            raise FetchError(original, verdict.reason, verdict.why + hint)
        return verdict.crawl_delay

    # -- one hop ----------------------------------------------------------------------------------------------
    def _request(self, url: str, original: str, accept: str, etag: str | None, last_modified: str | None, *,
                 robots: bool, limit: int, limit_name: str) -> tuple[int, dict[str, str], bytes]:
        httpx = self._httpx
        try:
            parts = urlsplit(url)
        except ValueError as e:  # e.g. "Invalid IPv6 URL" for http://[::1/x
            raise FetchError(original, "bad-url", f"{url!r} is not a valid URL ({e})") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError(original, "bad-url", f"{url!r} is not an http(s) URL with a host; e.g. https://example.org/")
        try:
            host = parts.hostname.encode("idna").decode("ascii") if not parts.hostname.isascii() else parts.hostname
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except (UnicodeError, ValueError) as e:
            raise FetchError(original, "bad-url", f"{url!r} has an invalid host or port ({e})") from None
        addr = self.guard.check(original if url == original else f"{original} (redirected to {url})", host, port)
        ip_host = f"[{addr}]" if addr.version == 6 else str(addr)
        target = urlunsplit((parts.scheme, f"{ip_host}:{port}", parts.path or "/", parts.query, ""))
        host_header = host if parts.port is None else f"{host}:{parts.port}"
        headers = {"Host": host_header, "Accept": accept, "Accept-Encoding": ", ".join(accepted_encodings())}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        crawl_delay = self._obey_robots(original, url, parts.scheme, host, parts.port) if robots else None
        if crawl_delay is not None and crawl_delay > self.settings.min_host_interval_s:
            max_wait = self.settings.robots_max_crawl_delay_s
            try:
                self.limiter.wait(host, crawl_delay, max_wait)
            except WaitTooLong as e:
                raise FetchError(original, "robots-crawl-delay",
                                 f"{host} asks for Crawl-delay: {crawl_delay:g} in its robots.txt; the next request "
                                 f"to it may be sent in {e.wait_s:.0f}s, over fetch.robots_max_crawl_delay_s="
                                 f"{max_wait:g}; raise the setting to wait that long") from None
        else:
            self.limiter.wait(host)
        deadline = self.clock() + self.settings.total_timeout_s
        size: int | None = None  # bytes of the body received, once its reading has begun
        length = ""
        try:
            request = self.client.build_request("GET", target, headers=headers, extensions={"sni_hostname": host})
            response = self.client.send(request, stream=True)
            try:
                hdrs = {k.lower(): v for k, v in response.headers.items()}
                if not 200 <= response.status_code < 300:
                    # the body of a redirect, a 304 or an error is never used, so it is not read (nor decoded)
                    return response.status_code, hdrs, b""
                length = hdrs.get("content-length", "")
                if length.isdigit() and int(length) > limit:
                    raise FetchError(original, "too-large",
                                     f"Content-Length {length} bytes, over {limit_name}={limit}; "
                                     f"raise the setting to fetch it")
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_raw():
                    size += len(chunk)
                    if size > limit:
                        raise FetchError(original, "too-large",
                                         f"body over {limit_name}={limit} bytes; raise the setting to fetch it")
                    if self.clock() > deadline:
                        raise FetchError(original, "timeout",
                                         f"the response took over fetch.total_timeout_s={self.settings.total_timeout_s}s")
                    chunks.append(chunk)
                raw = b"".join(chunks)
            finally:
                response.close()
        except httpx.InvalidURL as e:
            raise FetchError(original, "bad-url", f"{url!r}: {e}") from None
        except httpx.TimeoutException as e:
            raise FetchError(original, "timeout", f"{type(e).__name__} after the configured timeouts "
                                                  f"(fetch.connect_timeout_s / read_timeout_s)") from None
        except (httpx.RemoteProtocolError, httpx.ReadError) as e:
            if size is None:  # before the body: no answer at all
                raise FetchError(original, "connect-error", f"{type(e).__name__}: {e}") from None
            expected = (f"of the {length} bytes its Content-Length announced" if length.isdigit()
                        else "before its end (chunked or cut)")
            raise FetchError(original, "truncated-body",
                             f"the connection closed after {size} bytes of the body, {expected} "
                             f"({type(e).__name__}: {e}); refused rather than read as partial text") from None
        except httpx.HTTPError as e:
            raise FetchError(original, "connect-error", f"{type(e).__name__}: {e}") from None
        return response.status_code, hdrs, self._decode_body(original, hdrs, raw, limit, limit_name)

    def _decode_body(self, url: str, headers: dict[str, str], raw: bytes, limit: int, limit_name: str) -> bytes:
        """Undo Content-Encoding (gzip, deflate, br, zstd; several codings in reverse order of application) within
        the size limit: each decoder stops after ``limit + 1`` bytes, so a compression bomb is refused."""
        codings = [c.strip().lower() for c in headers.get("content-encoding", "").split(",")]
        codings = [c for c in codings if c not in ("", "identity")]
        body = raw
        for coding in reversed(codings):
            body = decode_content(url, coding, body, limit, limit_name)
        return body

    def _result(self, url: str, final: str, status: int, headers: dict[str, str], body: bytes,
                hops: tuple[str, ...], kind: str) -> FetchResult:
        etag = headers.get("etag")
        last_modified = headers.get("last-modified")
        if status == 304:
            return FetchResult(final, status, "", b"", etag, last_modified, True, hops, kind)
        if status in REDIRECTS:
            raise FetchError(url, "http-error", f"HTTP {status} redirect without a Location header")
        if status >= 400 or status < 200:
            raise FetchError(url, "http-error", f"HTTP {status}" + (f" from {final}" if hops else ""))
        ctype = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        found = _kind_of(ctype) if ctype else sniff_kind(body)
        if found is None or (kind != "any" and found != kind):
            wanted = ", ".join(KINDS[kind])
            raise FetchError(url, "bad-content-type",
                             f"Content-Type {ctype or '(none)'!r}; expected one of {wanted}")
        if (ctype == "application/json" or (not ctype and _is_json(body))) and not is_json_feed(body):
            raise FetchError(url, "bad-content-type",
                             f"Content-Type {ctype or '(none)'!r} and a body that is not a JSON Feed (no "
                             f"\"version\": \"https://jsonfeed.org/version/…\"); only JSON Feeds are read from URLs")
        return FetchResult(final, status, ctype, body, etag, last_modified, False, hops, found)
