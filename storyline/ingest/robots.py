"""robots.txt: may storyline fetch this URL, and how often?

:class:`RobotsCache` keeps one :class:`RobotsPolicy` per origin (scheme, host and port, as RFC 9309 scopes a
robots.txt) for ``fetch.robots_ttl_s``. The file is fetched by the caller's ``get`` function, which in
:class:`~storyline.ingest.fetch.Fetcher` is the guarded fetcher itself (address guard, timeouts, rate limit,
User-Agent, a ``fetch.robots_max_bytes`` size limit); :mod:`urllib.robotparser` only parses the lines, it never
opens a connection. What an answer means:

* 2xx: the rules are parsed with :class:`urllib.robotparser.RobotFileParser`;
* 401 or 403: everything is disallowed, as Python's ``RobotFileParser.read`` reads it. RFC 9309 and Google
  treat every 4xx but 429 as "no robots.txt"; we take the cautious reading of a site that forbids its robots.txt;
* 404, 410 and the other 4xx but 429: there is no robots.txt, everything is allowed;
* 429, 5xx, a network error or a body over the size limit: the file is *unreachable*, which RFC 9309 says means
  disallow all. The host is blocked for ``fetch.robots_retry_s``, then the file is fetched again. A policy fetched
  earlier that has since expired is kept while the file is unreachable (RFC 9309 §2.4).

The group is chosen as ``RobotFileParser`` chooses it: the first group with a user-agent contained in our product
token (``storyline`` in ``storyline/0.1 (+…)``), else the ``*`` group. Within the group the rule is chosen as RFC
9309 §2.2.2 says, not as ``RobotFileParser.can_fetch`` does (the first rule in file order): the rule with the
longest path that is a prefix of the URL's path wins, and an ``Allow`` wins a tie. So ``Allow: /news/`` followed by
``Disallow: /news/drafts/`` keeps the drafts out, which ``can_fetch`` would let through. The parser's rules
(``entries``, ``default_entry``, ``rulelines``: attributes stable since Python 2, though undocumented) are read for
this. ``*`` and ``$`` inside paths are not understood (``RobotFileParser`` keeps them as literal characters).
``Crawl-delay`` (whole seconds) is reported so that the fetcher can space its requests to the host by it when it is
longer than ``fetch.min_host_interval_s``.
"""

from __future__ import annotations

import threading
import time
import urllib.parse
from dataclasses import dataclass, replace
from typing import Callable
from urllib.robotparser import RobotFileParser

from ..settings import FetchSettings

RobotsGet = Callable[[str], tuple[int, bytes]]  # robots.txt URL -> (HTTP status, body); raises FetchError

RULES = "rules"
ALLOW_ALL = "allow-all"
DISALLOW_ALL = "disallow-all"
UNREACHABLE = "unreachable"


def agent_token(user_agent: str) -> str:
    """The product token that robots.txt groups are matched against: ``storyline`` for ``storyline/0.1 (+…)``."""
    words = user_agent.strip().split("/", 1)[0].split()
    return words[0] if words else "*"


def origin_of(scheme: str, host: str, port: int | None) -> str:
    """``http://example.org`` (the default port left out, an IPv6 host in brackets): the key of a robots.txt."""
    scheme = scheme.lower()
    host = host.lower()
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != {"http": 80, "https": 443}.get(scheme):
        netloc += f":{port}"
    return f"{scheme}://{netloc}"


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a URL may be fetched; ``why`` names the robots.txt and the rule (or status) that decided."""

    allowed: bool
    reason: str  # "" when allowed, else "robots-disallowed" or "robots-unavailable"
    why: str  # the URL, the robots.txt and the rule or answer that decided
    crawl_delay: float | None = None


@dataclass(frozen=True, slots=True)
class RobotsPolicy:
    """What one origin's robots.txt says. ``parser`` is set when ``status`` is ``rules``; it is only read."""

    robots_url: str
    status: str  # rules, allow-all, disallow-all or unreachable
    detail: str  # how the status was reached, e.g. "HTTP 404: no robots.txt, everything is allowed"
    fetched_at: float  # clock seconds
    expires_at: float
    parser: RobotFileParser | None = None

    def verdict(self, agent: str, url: str) -> Verdict:
        """May ``agent`` fetch ``url``? A refusal says which robots.txt, and which rule or answer, decided."""
        if self.status == ALLOW_ALL:
            return Verdict(True, "", f"{self.robots_url}: {self.detail}")
        if self.status == DISALLOW_ALL:
            return Verdict(False, "robots-disallowed", f"{url} is not fetched: {self.robots_url} {self.detail}")
        if self.status == UNREACHABLE or self.parser is None:
            return Verdict(False, "robots-unavailable", f"{url} is not fetched: {self.robots_url} {self.detail}")
        delay = self.parser.crawl_delay(agent)
        crawl_delay = float(delay) if delay is not None else None
        allowed, rule = decide(self.parser, agent, url)
        if allowed:
            return Verdict(True, "", f"{self.robots_url}: " + (rule or "no rule matches"), crawl_delay)
        return Verdict(False, "robots-disallowed",
                       f"{url} is disallowed for user-agent {agent!r} by {self.robots_url} ({rule})", crawl_delay)


def decide(parser: RobotFileParser, agent: str, url: str) -> tuple[bool, str | None]:
    """May ``agent`` fetch ``url``, and which rule said so (as text; None when no rule matches: allowed).

    The group as ``RobotFileParser.can_fetch`` picks it; in it the longest matching rule path, ``Allow`` winning a
    tie (RFC 9309 §2.2.2). The URL's path is normalised as ``can_fetch`` does, so it compares with the rules' paths.
    """
    parsed = urllib.parse.urlparse(urllib.parse.unquote(url))
    path = urllib.parse.quote(urllib.parse.urlunparse(("", "", parsed.path, parsed.params, parsed.query,
                                                       parsed.fragment))) or "/"
    entry = next((e for e in parser.entries if e.applies_to(agent)), parser.default_entry)
    if entry is None:
        return True, None
    best = None
    for line in entry.rulelines:
        if not line.applies_to(path):
            continue
        if best is None or len(line.path) > len(best.path) or (
                len(line.path) == len(best.path) and line.allowance and not best.allowance):
            best = line
    if best is None:
        return True, None
    return best.allowance, f"rule {str(best)!r} in the group for user-agent {', '.join(entry.useragents)}"


class RobotsCache:
    """robots.txt policies per origin, fetched with ``get`` and kept ``fetch.robots_ttl_s`` (thread-safe).

    Two threads asking about the same origin at once wait for one fetch of its robots.txt.
    """

    def __init__(self, get: RobotsGet, settings: FetchSettings | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.get = get
        self.settings = settings or FetchSettings()
        self.clock = clock
        self.agent = agent_token(self.settings.user_agent)
        self._policies: dict[str, RobotsPolicy] = {}
        self._lock = threading.Lock()
        self._origin_locks: dict[str, threading.Lock] = {}

    def check(self, url: str, scheme: str, host: str, port: int | None) -> Verdict:
        """The verdict for ``url`` (whose origin is ``scheme://host:port``), fetching its robots.txt if needed."""
        return self.policy(origin_of(scheme, host, port)).verdict(self.agent, url)

    def policy(self, origin: str) -> RobotsPolicy:
        with self._lock:
            lock = self._origin_locks.setdefault(origin, threading.Lock())
        with lock:
            current = self._policies.get(origin)
            if current is not None and self.clock() < current.expires_at:
                return current
            fresh = self._fetch(origin + "/robots.txt", current)
            self._policies[origin] = fresh
            return fresh

    def cached(self, origin: str) -> RobotsPolicy | None:
        """The policy held for ``origin`` (fresh or not), without fetching."""
        return self._policies.get(origin)

    def _fetch(self, robots_url: str, previous: RobotsPolicy | None) -> RobotsPolicy:
        from .fetch import FetchError

        s = self.settings
        try:
            status, body = self.get(robots_url)
        except FetchError as e:
            return self._unreachable(robots_url, previous, f"{e.reason}: {e.detail}")
        now = self.clock()
        if 200 <= status < 300:
            parser = RobotFileParser(robots_url)
            parser.parse(body.decode("utf-8", errors="replace").splitlines())
            return RobotsPolicy(robots_url, RULES, f"answered HTTP {status}", now, now + s.robots_ttl_s, parser)
        if status in (401, 403):
            return RobotsPolicy(robots_url, DISALLOW_ALL,
                                f"answered HTTP {status}, which means everything is disallowed", now,
                                now + s.robots_ttl_s)
        if 400 <= status < 500 and status != 429:
            return RobotsPolicy(robots_url, ALLOW_ALL, f"answered HTTP {status}: no robots.txt, everything is allowed",
                                now, now + s.robots_ttl_s)
        return self._unreachable(robots_url, previous, f"HTTP {status}")

    def _unreachable(self, robots_url: str, previous: RobotsPolicy | None, why: str) -> RobotsPolicy:
        now = self.clock()
        retry = now + self.settings.robots_retry_s
        if previous is not None and previous.status != UNREACHABLE:
            return replace(previous, expires_at=retry,
                           detail=f"{previous.detail}; kept while robots.txt is unreachable ({why})")
        return RobotsPolicy(robots_url, UNREACHABLE,
                            f"is unreachable ({why}), which means everything is disallowed until it can be read; it is "
                            f"asked for again after fetch.robots_retry_s={self.settings.robots_retry_s:g}s",
                            now, retry)


__all__ = ["RobotsCache", "RobotsPolicy", "Verdict", "agent_token", "decide", "origin_of"]
