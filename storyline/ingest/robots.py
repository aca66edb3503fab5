"""robots.txt: may storyline fetch this URL, and how often?

:class:`RobotsCache` keeps one :class:`RobotsPolicy` per origin (scheme, host and port, as RFC 9309 scopes a
robots.txt) for ``fetch.robots_ttl_s``. The file is fetched by the caller's ``get`` function, which in
:class:`~storyline.ingest.fetch.Fetcher` is the guarded fetcher itself (address guard, timeouts, rate limit,
User-Agent, a ``fetch.robots_max_bytes`` size limit); Protego only parses the text, it never opens a connection.
What an answer means:

* 2xx: the rules are parsed with Protego (:func:`parse_rules`);
* 401 or 403: everything is disallowed, as Python's ``RobotFileParser.read`` reads it. RFC 9309 and Google
  treat every 4xx but 429 as "no robots.txt"; we take the cautious reading of a site that forbids its robots.txt;
* 404, 410 and the other 4xx but 429: there is no robots.txt, everything is allowed;
* 429, 5xx, a network error or a body over the size limit: the file is *unreachable*, which RFC 9309 says means
  disallow all. The host is blocked for ``fetch.robots_retry_s``, then the file is fetched again. A policy fetched
  earlier that has since expired is kept while the file is unreachable (RFC 9309 §2.4).

The rules are matched by Protego (https://github.com/scrapy/protego, the parser Scrapy uses), which implements
RFC 9309 and Google's reading of it: the group is the one whose user-agent is the longest one found at the start of a
word of our product token (``storyline`` in ``storyline/0.1 (+…)``), else the ``*`` group; groups naming the same
user-agent are merged. Within the group the rule with the longest path pattern that matches the URL's path (and
query) wins, an ``Allow`` winning a tie; ``*`` matches any run of characters and a trailing ``$`` anchors the end,
so ``Disallow: /*.pdf$`` keeps out ``/a/b.pdf`` but not ``/a/b.pdf?x=1``. The verdict is Protego's public
``can_fetch``; only the text that names the deciding rule in a refusal reads Protego's rule list (private
attributes, checked by the tests; when they change, the message says "a rule in the group" instead).
``Crawl-delay`` (seconds, fractions allowed) is reported so that the fetcher can space its requests to the host by
it when it is longer than ``fetch.min_host_interval_s``.
"""

from __future__ import annotations

import threading
import time
import urllib.parse
from dataclasses import dataclass, replace
from typing import Callable
from typing import TYPE_CHECKING

from ..errors import NotInstalled
from ..settings import FetchSettings

if TYPE_CHECKING:
    from protego import Protego

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
    """What one origin's robots.txt says. ``parser`` (Protego) is set when ``status`` is ``rules``; it is only read."""

    robots_url: str
    status: str  # rules, allow-all, disallow-all or unreachable
    detail: str  # how the status was reached, e.g. "HTTP 404: no robots.txt, everything is allowed"
    fetched_at: float  # clock seconds
    expires_at: float
    parser: "Protego | None" = None

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


def parse_rules(text: str) -> "Protego":
    """A robots.txt's text parsed by Protego (which needs the ``fetch`` extra)."""
    try:
        from protego import Protego
    except ImportError:
        raise NotInstalled("protego", "fetch") from None
    return Protego.parse(text.removeprefix("\ufeff"))


def decide(parser: "Protego", agent: str, url: str) -> tuple[bool, str | None]:
    """May ``agent`` fetch ``url``, and which rule said so (as text; None when no rule matches: allowed).

    The verdict is Protego's ``can_fetch`` (RFC 9309: the longest matching pattern, ``Allow`` winning a tie,
    ``*`` and ``$`` understood). The text names the deciding rule (see :func:`deciding_rule`).
    """
    allowed = parser.can_fetch(url, agent)
    return allowed, deciding_rule(parser, agent, url, allowed)


def deciding_rule(parser: "Protego", agent: str, url: str, allowed: bool) -> str | None:
    """The rule that decided ``can_fetch`` for ``url``, as text for a message: ``rule 'Disallow: /*.pdf$' in the
    group for user-agent *``; None when no rule matched. Protego keeps a group's rules sorted by precedence
    (longest pattern first, Allow first on a tie) in private attributes; the first that matches is the one
    ``can_fetch`` applied. Should those attributes change, the text is less precise, never the verdict."""
    try:
        from protego._utils import _quote_path

        rule_set = parser._get_matching_rule_set(agent)
        if rule_set is None:
            return None
        quoted = _quote_path(url)
        rule = next((r for r in rule_set._rules if r.value.match(quoted)), None)
        group = rule_set.user_agent
        if rule is None:
            return None if allowed else f"a rule in the group for user-agent {group}"
        # the pattern as the file wrote it (Protego keeps its patterns percent-encoded, '?' as '%3F')
        written = {id(v): k for k, v in parser._url_patterns.items()}
        pattern = written.get(id(rule.value), rule.value._pattern)
    except (ImportError, AttributeError, TypeError):
        return None if allowed else f"a rule in the group for user-agent {agent} or *"
    return f"rule {rule.field.capitalize() + ': ' + pattern!r} in the group for user-agent {group}"


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
            parser = parse_rules(_robots_text(body))
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


__all__ = ["RobotsCache", "RobotsPolicy", "Verdict", "agent_token", "decide", "deciding_rule", "origin_of",
           "parse_rules"]


def _robots_text(body: bytes) -> str:
    """robots.txt is UTF-8 (RFC 9309; a UTF-8 byte-order mark is skipped), but a file saved as UTF-16 with its
    byte-order mark is read as UTF-16: decoding it as UTF-8 would turn every rule into garbage and allow everything
    the site meant to disallow."""
    if body.startswith((b"\xff\xfe", b"\xfe\xff")):
        return body.decode("utf-16", errors="replace")
    return body.decode("utf-8-sig", errors="replace")
