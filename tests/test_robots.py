"""robots.txt: fetched through the guarded fetcher, cached per origin, obeyed by `ingest URL…` and `watch`."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from urllib.robotparser import RobotFileParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storyline.errors import ConfigError
from storyline.ingest.fetch import Fetcher, FetchError, HostRateLimiter, WaitTooLong
from storyline.ingest.robots import RobotsCache, agent_token, decide, origin_of, parse_rules
from storyline.service.watch import FeedStates, Watcher
from storyline.ingest.web import read_inputs, web_session
from storyline.pipeline import open_pipeline
from storyline.records import RawItem, Rejected
from storyline.settings import FetchSettings, Settings

from .fixtures.web.server import fixture_bytes

pytestmark = pytest.mark.backends("sqlite", "postgres")  # every test that takes `store` runs on both

LOCAL = FetchSettings(allow_networks="127.0.0.1/32", min_host_interval_s=0.0)
SETTINGS = Settings().with_overrides({"cluster.profile": "lexical", "fetch.allow_networks": "127.0.0.1/32",
                                      "fetch.min_host_interval_s": "0"})
PAGE = fixture_bytes("ledger_dam.html")
ATOM = fixture_bytes("courier_feed.atom")


def robots(server, text: str, **kw) -> None:
    server.route("/robots.txt", text, content_type="text/plain", **kw)


class FakeClock:
    """A monotonic clock the test moves; the fake sleep moves it too."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, s: float) -> None:
        self.slept.append(s)
        self.now += s


def reason_of(fetcher: Fetcher, url: str, kind: str = "any") -> str:
    with pytest.raises(FetchError) as e:
        fetcher.fetch(url, kind=kind)
    return e.value.reason


# -- the rules ------------------------------------------------------------------------------------------------------
def test_disallowed_path_is_refused_with_the_rule_and_allowed_path_is_fetched(server):
    robots(server, "User-agent: *\nDisallow: /private/\n")
    server.route("/private/a.html", PAGE)
    ok = server.route("/news/a.html", PAGE)
    with Fetcher(LOCAL) as f:
        assert b"Lake Orvin" in f.fetch(ok).body
        with pytest.raises(FetchError) as e:
            f.fetch(server.url("/private/a.html"))
    err = e.value
    assert err.reason == "robots-disallowed" and err.url == server.url("/private/a.html")
    assert server.url("/private/a.html") in err.detail and server.url("/robots.txt") in err.detail
    assert "Disallow: /private/" in err.detail and "user-agent *" in err.detail
    assert "fetch.respect_robots=false" in err.detail  # the hint
    assert server.hits("/private/a.html") == []  # never requested
    assert len(server.hits("/robots.txt")) == 1


def test_group_for_storyline_wins_over_the_star_group(server):
    robots(server, "User-agent: *\nDisallow: /\n\nUser-agent: storyline\nDisallow: /drafts/\n")
    ok = server.route("/a.html", PAGE)
    server.route("/drafts/a.html", PAGE)
    with Fetcher(LOCAL) as f:
        assert f.fetch(ok).status == 200
        with pytest.raises(FetchError) as e:
            f.fetch(server.url("/drafts/a.html"))
    assert e.value.reason == "robots-disallowed" and "user-agent storyline" in e.value.detail


def test_robots_txt_is_sent_our_user_agent_and_matched_by_its_product_token(server):
    robots(server, "User-agent: otherbot\nDisallow: /\n")
    ok = server.route("/a.html", PAGE)
    with Fetcher(LOCAL) as f:
        f.fetch(ok)
    assert server.hits("/robots.txt")[0]["user-agent"] == LOCAL.user_agent
    assert agent_token(LOCAL.user_agent) == "storyline"
    assert agent_token("  ") == "*"


def parsed(text: str):
    return parse_rules(text)


def stdlib(text: str) -> RobotFileParser:
    """Python's parser: an independent reading for rules without wildcards."""
    parser = RobotFileParser()
    parser.parse(text.splitlines())
    return parser


@pytest.mark.parametrize("rules,path,allowed,rule", [
    ("Allow: /news/\nDisallow: /news/drafts/", "/news/drafts/a.html", False, "Disallow: /news/drafts/"),
    ("Allow: /news/\nDisallow: /news/drafts/", "/news/a.html", True, "Allow: /news/"),
    ("Disallow: /a\nAllow: /a/b", "/a/b/c.html", True, "Allow: /a/b"),  # stdlib can_fetch: first rule, disallowed
    ("Disallow: /a\nAllow: /a/b", "/a/x.html", False, "Disallow: /a"),
    ("Disallow: /p\nAllow: /p", "/p/x", True, "Allow: /p"),  # a tie: Allow wins
    ("Disallow:", "/anything", True, None),  # an empty Disallow is no rule: everything is allowed
    ("Disallow: /", "/", False, "Disallow: /"),
])
def test_the_longest_matching_rule_decides(rules, path, allowed, rule):
    verdict, why = decide(parsed("User-agent: *\n" + rules + "\n"), "storyline", "http://h.test" + path)
    assert verdict is allowed
    assert why == (None if rule is None else f"rule {rule!r} in the group for user-agent *")


PATHS = st.lists(st.sampled_from(["/", "/a", "/a/", "/a/b", "/ab", "/b", "/b/c", "/a/b/c"]), max_size=5)


@given(PATHS, st.sampled_from(["/", "/a", "/a/b/c.html", "/ab/x", "/b", "/c"]))
def test_with_only_disallow_rules_the_verdict_is_can_fetch_s(paths, path):
    text = "User-agent: *\n" + "".join(f"Disallow: {p}\n" for p in paths)
    url = "http://h.test" + path
    assert decide(parsed(text), "storyline", url)[0] == stdlib(text).can_fetch("storyline", url)


@given(st.lists(st.tuples(st.booleans(), st.sampled_from(["/", "/a", "/a/", "/a/b", "/ab", "/b"])), max_size=6),
       st.sampled_from(["/", "/a", "/a/b/c.html", "/ab/x", "/b", "/c"]), st.randoms())
def test_the_order_of_the_rules_does_not_change_the_verdict(rules, path, rnd):
    def text(rs):
        return "User-agent: *\n" + "".join(f"{'Allow' if a else 'Disallow'}: {p}\n" for a, p in rs)

    shuffled = list(rules)
    rnd.shuffle(shuffled)
    url = "http://h.test" + path
    assert decide(parsed(text(rules)), "storyline", url)[0] == decide(parsed(text(shuffled)), "storyline", url)[0]


@pytest.mark.parametrize("status", [404, 410, 400])
def test_missing_robots_txt_allows_everything(server, status):
    if status != 404:  # an unrouted path is a 404 already
        robots(server, "nothing here", status=status)
    ok = server.route("/a.html", PAGE)
    with Fetcher(LOCAL) as f:
        assert f.fetch(ok).status == 200
        policy = f.robots.cached(server.base)
    assert policy.status == "allow-all" and str(status) in policy.detail


@pytest.mark.parametrize("status", [401, 403])
def test_forbidden_robots_txt_disallows_everything(server, status):
    robots(server, "go away", status=status)
    server.route("/a.html", PAGE)
    with Fetcher(LOCAL) as f:
        with pytest.raises(FetchError) as e:
            f.fetch(server.url("/a.html"))
    assert e.value.reason == "robots-disallowed" and f"HTTP {status}" in e.value.detail
    assert server.hits("/a.html") == []


@pytest.mark.parametrize("status", [500, 503, 429])
def test_unreachable_robots_txt_disallows_and_is_retried_later(server, status):
    robots(server, "oops", status=status)
    ok = server.route("/a.html", PAGE)
    clock = FakeClock()
    settings = FetchSettings(allow_networks="127.0.0.1/32", min_host_interval_s=0.0, robots_retry_s=300.0)
    with Fetcher(settings, clock=clock, sleep=clock.sleep) as f:
        with pytest.raises(FetchError) as e:
            f.fetch(ok)
        assert e.value.reason == "robots-unavailable" and f"HTTP {status}" in e.value.detail
        assert "robots_retry_s=300" in e.value.detail
        clock.now += 100  # within the retry time: refused without asking again
        assert reason_of(f, ok) == "robots-unavailable"
        assert len(server.hits("/robots.txt")) == 1
        robots(server, "User-agent: *\nDisallow:\n")  # the site recovers
        clock.now += 201
        assert f.fetch(ok).status == 200
    assert len(server.hits("/robots.txt")) == 2 and len(server.hits("/a.html")) == 1


def test_network_failure_on_robots_txt_disallows(server):
    """robots.txt that times out: the page is not fetched, and the reason says why."""
    robots(server, "User-agent: *\nDisallow:\n", delay_s=1.0)
    ok = server.route("/a.html", PAGE)
    settings = FetchSettings(allow_networks="127.0.0.1/32", min_host_interval_s=0.0, read_timeout_s=0.2)
    with Fetcher(settings) as f:
        with pytest.raises(FetchError) as e:
            f.fetch(ok)
    assert e.value.reason == "robots-unavailable" and "timeout" in e.value.detail
    assert server.hits("/a.html") == []


def test_a_policy_read_before_is_kept_while_robots_txt_is_unreachable(server):
    robots(server, "User-agent: *\nDisallow: /private/\n")
    ok = server.route("/a.html", PAGE)
    server.route("/private/a.html", PAGE)
    clock = FakeClock()
    settings = FetchSettings(allow_networks="127.0.0.1/32", min_host_interval_s=0.0, robots_ttl_s=3600.0)
    with Fetcher(settings, clock=clock, sleep=clock.sleep) as f:
        f.fetch(ok)
        robots(server, "down", status=503)
        clock.now += 3601  # expired: asked again, unreachable, the old rules still apply
        assert f.fetch(ok).status == 200
        assert reason_of(f, server.url("/private/a.html")) == "robots-disallowed"
        assert "kept while robots.txt is unreachable" in f.robots.cached(server.base).detail
    assert len(server.hits("/robots.txt")) == 2


def test_oversized_robots_txt_is_unusable_and_names_its_setting(server):
    robots(server, "User-agent: *\n" + "Disallow: /x\n" * 2000)
    ok = server.route("/a.html", PAGE)
    settings = FetchSettings(allow_networks="127.0.0.1/32", min_host_interval_s=0.0, robots_max_bytes=1024)
    with Fetcher(settings) as f:
        with pytest.raises(FetchError) as e:
            f.fetch(ok)
    assert e.value.reason == "robots-unavailable" and "fetch.robots_max_bytes=1024" in e.value.detail


def test_robots_txt_redirect_is_followed_and_guarded(server):
    server.route("/robots.txt", status=301, headers={"Location": "/real-robots.txt"}, content_type=None)
    server.route("/real-robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    server.route("/private/a.html", PAGE)
    with Fetcher(LOCAL) as f:
        assert reason_of(f, server.url("/private/a.html")) == "robots-disallowed"
    server.route("/robots.txt", status=302, headers={"Location": "http://169.254.169.254/robots.txt"},
                 content_type=None)
    with Fetcher(LOCAL) as f:  # a robots.txt redirected to the metadata address is refused: unreachable
        with pytest.raises(FetchError) as e:
            f.fetch(server.url("/a.html"))
    assert e.value.reason == "robots-unavailable" and "blocked-address" in e.value.detail


def test_robots_txt_of_a_refused_address_is_never_requested(server):
    """The page's address guard comes first: no robots.txt request to an address we may not reach."""
    server.route("/a.html", PAGE)
    with Fetcher(FetchSettings(min_host_interval_s=0)) as f:
        assert reason_of(f, server.url("/a.html")) == "blocked-address"
    assert server.log == []


def test_each_redirect_hop_is_checked_against_its_own_robots_txt(server):
    robots(server, "User-agent: *\nDisallow: /private/\n")
    server.route("/go", status=302, headers={"Location": "/private/a.html"}, content_type=None)
    server.route("/private/a.html", PAGE)
    with Fetcher(LOCAL) as f:
        with pytest.raises(FetchError) as e:
            f.fetch(server.url("/go"))
    assert e.value.reason == "robots-disallowed" and server.url("/private/a.html") in e.value.detail
    assert server.hits("/private/a.html") == []


# -- the cache ------------------------------------------------------------------------------------------------------
def test_robots_txt_is_fetched_once_per_origin_within_the_ttl(server):
    robots(server, "User-agent: *\nDisallow: /private/\n")
    urls = [server.route(f"/a{i}.html", PAGE) for i in range(3)]
    clock = FakeClock()
    settings = FetchSettings(allow_networks="127.0.0.1/32", min_host_interval_s=0.0, robots_ttl_s=60.0)
    with Fetcher(settings, clock=clock, sleep=clock.sleep) as f:
        for url in urls:
            f.fetch(url)
        assert len(server.hits("/robots.txt")) == 1
        clock.now += 59
        f.fetch(urls[0])
        assert len(server.hits("/robots.txt")) == 1
        clock.now += 2  # expired
        f.fetch(urls[0])
    assert len(server.hits("/robots.txt")) == 2


def test_origins_are_cached_separately(server):
    """news.test and other.test resolve to the same server: each name is its own origin with its own robots.txt."""
    robots(server, "User-agent: *\nDisallow: /\n")
    server.route("/a.html", PAGE)
    with Fetcher(LOCAL, resolver=lambda h, p: ["127.0.0.1"]) as f:
        for host in ("news.test", "other.test", "news.test"):
            assert reason_of(f, f"http://{host}:{server.port}/a.html") == "robots-disallowed"
    assert [h["host"].split(":")[0] for h in server.hits("/robots.txt")] == ["news.test", "other.test"]
    assert origin_of("HTTP", "Example.org", 80) == "http://example.org"
    assert origin_of("https", "::1", 8443) == "https://[::1]:8443"


def test_concurrent_first_requests_share_one_robots_fetch(server):
    robots(server, "User-agent: *\nDisallow: /private/\n", delay_s=0.3)
    urls = [server.route(f"/a{i}.html", PAGE) for i in range(4)]
    errors: list[BaseException] = []
    with Fetcher(LOCAL) as f:
        def get(url):
            try:
                f.fetch(url)
            except BaseException as e:  # noqa: BLE001 - handed to the main thread and re-raised there
                errors.append(e)

        threads = [threading.Thread(target=get, args=(u,)) for u in urls]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
    assert errors == []
    assert len(server.hits("/robots.txt")) == 1 and all(len(server.hits(f"/a{i}.html")) == 1 for i in range(4))


def test_robots_cache_takes_any_get_function():
    """The cache is independent of HTTP: it asks its ``get`` collaborator and classifies the answer."""
    answers = {"http://a.test/robots.txt": (200, b"User-agent: *\nDisallow: /x\nCrawl-delay: 7\n"),
               "http://b.test/robots.txt": (403, b""), "http://c.test/robots.txt": (404, b"")}
    asked: list[str] = []

    def get(url):
        asked.append(url)
        return answers[url]

    cache = RobotsCache(get, FetchSettings())
    assert not cache.check("http://a.test/x/1", "http", "a.test", None).allowed
    ok = cache.check("http://a.test/y", "http", "a.test", 80)
    assert ok.allowed and ok.crawl_delay == 7.0
    assert not cache.check("http://b.test/y", "http", "b.test", None).allowed
    assert cache.check("http://c.test/y", "http", "c.test", None).allowed
    assert asked == ["http://a.test/robots.txt", "http://b.test/robots.txt", "http://c.test/robots.txt"]


# -- Crawl-delay and the rate limit ---------------------------------------------------------------------------------
def test_crawl_delay_longer_than_the_host_interval_is_honoured(server):
    robots(server, "User-agent: *\nCrawl-delay: 4\nDisallow: /private/\n")
    url = server.route("/a.html", PAGE)
    clock = FakeClock()
    settings = FetchSettings(allow_networks="127.0.0.1/32", min_host_interval_s=1.0)
    with Fetcher(settings, clock=clock, sleep=clock.sleep) as f:
        f.fetch(url)
        f.fetch(url)
    # Crawl-delay spaces every request to the host, the robots.txt request included
    assert clock.slept == [4.0, 4.0]


def test_crawl_delay_shorter_than_the_host_interval_changes_nothing(server):
    robots(server, "User-agent: *\nCrawl-delay: 1\n")
    url = server.route("/a.html", PAGE)
    clock = FakeClock()
    settings = FetchSettings(allow_networks="127.0.0.1/32", min_host_interval_s=3.0)
    with Fetcher(settings, clock=clock, sleep=clock.sleep) as f:
        f.fetch(url)
        f.fetch(url)
    assert clock.slept == [3.0, 3.0]


def test_crawl_delay_over_the_allowed_wait_is_a_rejection_not_a_hang(server):
    robots(server, "User-agent: *\nCrawl-delay: 3600\n")
    url = server.route("/a.html", PAGE)
    clock = FakeClock()
    settings = FetchSettings(allow_networks="127.0.0.1/32", min_host_interval_s=0.0, robots_max_crawl_delay_s=60.0)
    with Fetcher(settings, clock=clock, sleep=clock.sleep) as f:
        with pytest.raises(FetchError) as e:  # the page would have to wait an hour after robots.txt
            f.fetch(url)
        assert e.value.reason == "robots-crawl-delay"
        assert "Crawl-delay: 3600" in e.value.detail and "robots_max_crawl_delay_s=60" in e.value.detail
        clock.now += 3600  # the delay has passed
        f.fetch(url)
        assert reason_of(f, url) == "robots-crawl-delay"
    assert clock.slept == [] and len(server.hits("/a.html")) == 1


def test_rate_limiter_gives_threads_on_one_host_distinct_slots():
    """Four threads ask for host a at the same moment: each reserves its own slot, 0.2 s apart. The host table
    yields to other threads while it is read, so a limiter that read and wrote it without its lock would hand out
    the same slot twice."""
    delays: list[float] = []
    lock = threading.Lock()

    class YieldingTable(dict):
        def get(self, key, default=None):
            value = super().get(key, default)
            time.sleep(0.005)
            return value

    def sleep(s):
        with lock:
            delays.append(round(s, 6))

    limiter = HostRateLimiter(0.2, clock=lambda: 500.0, sleep=sleep, _last=YieldingTable())
    threads = [threading.Thread(target=limiter.wait, args=(h,)) for h in ["a"] * 4 + ["b"]]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(delays) == [0.2, 0.4, 0.6]  # the first thread on a, and the one on b, did not wait


def test_rate_limiter_refuses_a_wait_over_max_without_reserving():
    clock = FakeClock()
    limiter = HostRateLimiter(1.0, clock=clock, sleep=clock.sleep)
    limiter.wait("a")
    with pytest.raises(WaitTooLong) as e:
        limiter.wait("a", interval=100.0, max_wait=10.0)
    assert e.value.wait_s == pytest.approx(100.0)
    assert limiter.wait("a") == pytest.approx(1.0)  # the refused request took no slot


# -- turning it off -------------------------------------------------------------------------------------------------
def test_respect_robots_false_bypasses_robots_txt(server):
    robots(server, "User-agent: *\nDisallow: /\n")
    url = server.route("/a.html", PAGE)
    with Fetcher(FetchSettings(allow_networks="127.0.0.1/32", min_host_interval_s=0.0, respect_robots=False)) as f:
        assert f.robots is None
        assert f.fetch(url).status == 200
    assert server.hits("/robots.txt") == []


def test_respect_robots_setting_is_type_checked():
    s = Settings().with_overrides({"fetch.respect_robots": "false", "fetch.robots_ttl_s": "60"})
    assert s.fetch.respect_robots is False and s.fetch.robots_ttl_s == 60.0
    with pytest.raises(ConfigError, match="true or false"):
        Settings().with_overrides({"fetch.respect_robots": "perhaps"})
    with pytest.raises(ConfigError, match="must not be negative"):
        Settings().with_overrides({"fetch.robots_max_bytes": -1})


# -- through ingest and watch -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("rules, bad_path, rule", [
    ("User-agent: *\nDisallow: /private/\n", "/private/rescue.html", "Disallow: /private/"),
    # wildcards: only pages ending in .html are allowed under /news/
    ("User-agent: *\nAllow: /news/*.html$\nDisallow: /news/\n", "/news/dam.html.bak", "Disallow: /news/"),
])
def test_ingest_urls_stores_a_rejected_row_for_a_disallowed_page(store, server, rules, bad_path, rule):
    robots(server, rules)
    ok = server.route("/news/dam.html", PAGE)
    bad = server.route(bad_path, fixture_bytes("courier_rescue.html"))
    with web_session(store, SETTINGS) as session:
        items = list(read_inputs([ok, bad], SETTINGS, session=session))
        stats = open_pipeline(store, SETTINGS).run(iter(items))
    assert [type(i) for i in items] == [RawItem, Rejected]
    assert stats.balanced and (stats.accepted, stats.rejected) == (1, 1)
    (row,) = store.list_rejects()
    assert (row["ref"], row["stage"], row["reason"]) == (bad, "fetch", "robots-disallowed")
    assert rule in row["detail"]
    assert server.hits(bad_path) == []  # refused before it was fetched


def test_summary_entry_whose_page_is_disallowed_keeps_its_summary_and_says_why(store, server):
    robots(server, "User-agent: *\nDisallow: /rescue.html\n")
    server.route("/rescue.html", fixture_bytes("courier_rescue.html"))
    feed = server.route("/ledger.rss", fixture_bytes("ledger_feed.rss").replace(b"{BASE}", server.base.encode()),
                        content_type="application/rss+xml")
    with web_session(store, SETTINGS) as session:
        items = list(read_inputs([feed], SETTINGS, session=session))
    rescue = items[2]
    assert rescue.extra["text_from"] == "summary"
    assert rescue.extra["linked_page_error"].startswith("robots-disallowed:")
    assert server.hits("/rescue.html") == []


def test_watch_records_a_disallowed_feed_as_a_failure_and_backs_off(store, server):
    robots(server, "User-agent: *\nDisallow: /feeds/private.atom\n")
    bad = server.route("/feeds/private.atom", ATOM, content_type="application/atom+xml")
    good = server.route("/feeds/courier.atom", ATOM, content_type="application/atom+xml")

    class Clock:
        now = datetime(2031, 4, 12, 12, 0, tzinfo=timezone.utc)

        def __call__(self):
            return self.now

    clock = Clock()
    with Fetcher(SETTINGS.fetch) as f:
        watcher = Watcher(store, SETTINGS, f, open_pipeline(store, SETTINGS), interval_s=60, clock=clock)
        first = watcher.poll_once([bad, good])
        assert (first.failed, first.stats.accepted, first.stats.rejected) == (1, 2, 1)
        st = FeedStates(store).get(bad)
        assert st.failures == 1 and st.last_error.startswith("robots-disallowed")
        assert (st.next_poll - clock.now) == timedelta(seconds=120)
        clock.now += timedelta(seconds=61)  # the good feed is due again, the refused one backs off
        second = watcher.poll_once([bad, good])
        assert second.polled == 1 and second.skipped_not_due == 1
        clock.now = st.next_poll
        third = watcher.poll_once([bad, good])
        assert third.failed == 1 and FeedStates(store).get(bad).failures == 2
    assert server.hits("/feeds/private.atom") == []  # never requested
    assert len(server.hits("/robots.txt")) == 1  # cached for the fetcher's life
    assert {r["reason"] for r in store.list_rejects()} == {"robots-disallowed"}
