"""robots.txt wildcards (``*`` and ``$``) and longest-match precedence, matched by Protego (RFC 9309)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storyline.ingest.fetch import Fetcher, FetchError
from storyline.ingest.robots import RobotsCache, decide, parse_rules
from storyline.settings import FetchSettings, Settings

from .fixtures.web.server import fixture_bytes

LOCAL = FetchSettings(allow_networks="127.0.0.1/32", min_host_interval_s=0.0)
SETTINGS = Settings().with_overrides({"cluster.profile": "lexical", "fetch.allow_networks": "127.0.0.1/32",
                                      "fetch.min_host_interval_s": "0"})
PAGE = fixture_bytes("ledger_dam.html")


def robots(server, text: str) -> None:
    server.route("/robots.txt", text, content_type="text/plain")


def verdict(text: str, path: str, agent: str = "storyline") -> tuple[bool, str | None]:
    return decide(parse_rules(text), agent, "http://h.test" + path)


# -- * and $ ----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path,allowed", [
    ("/files/report.pdf", False),
    ("/report.pdf", False),
    ("/a/b/c/report.pdf", False),
    ("/files/report.pdf?download=1", True),  # $ anchors the end: a query string after .pdf escapes the rule
    ("/files/report.pdfx", True),
    ("/files/report.PDF", True),  # paths are case-sensitive
    ("/files/report.html", True),
])
def test_star_and_dollar_in_a_disallow_rule(path, allowed):
    ok, why = verdict("User-agent: *\nDisallow: /*.pdf$\n", path)
    assert ok is allowed
    if not allowed:
        assert why == "rule 'Disallow: /*.pdf$' in the group for user-agent *"


@pytest.mark.parametrize("rule,path,allowed", [
    ("Disallow: /*?", "/a.html?session=1", False),  # any query string
    ("Disallow: /*?", "/a.html", True),
    ("Disallow: /$", "/", False),  # only the front page
    ("Disallow: /$", "/a.html", True),
    ("Disallow: /news/*/drafts", "/news/2031/drafts/a.html", False),  # * in the middle
    ("Disallow: /news/*/drafts", "/news/drafts/a.html", True),  # both slashes must be there
    ("Disallow: /news/*/drafts", "/news/2031/final/a.html", True),
    ("Disallow: /a**b", "/axxb", False),  # repeated stars are one star
    ("Disallow: /a*", "/a", False),  # a trailing star is the same as none
    ("Disallow: /a*$", "/abc", False),
    ("Disallow: /a.html$", "/a.html", False),
    ("Disallow: /a.html$", "/a.htmlx", True),
])
def test_wildcard_rules(rule, path, allowed):
    assert verdict("User-agent: *\n" + rule + "\n", path)[0] is allowed


# -- longest match between Allow and Disallow, with wildcards ------------------------------------------------------------
@pytest.mark.parametrize("rules,path,allowed,deciding", [
    # the longer (more specific) pattern wins, whichever comes first in the file
    ("Disallow: /news/\nAllow: /news/*.html", "/news/a.html", True, "Allow: /news/*.html"),
    ("Allow: /news/*.html\nDisallow: /news/", "/news/a.html", True, "Allow: /news/*.html"),
    ("Disallow: /news/\nAllow: /news/*.html", "/news/a.json", False, "Disallow: /news/"),
    ("Allow: /news/\nDisallow: /*/drafts/", "/news/drafts/a.html", False, "Disallow: /*/drafts/"),
    ("Allow: /news/\nDisallow: /*/drafts/", "/news/final/a.html", True, "Allow: /news/"),
    # $ counts as a character of the pattern: '/page$' (6) beats '/page' (5)
    ("Allow: /page\nDisallow: /page$", "/page", False, "Disallow: /page$"),
    ("Allow: /page\nDisallow: /page$", "/page2", True, "Allow: /page"),
    # a tie in length: Allow wins, in either order
    ("Disallow: /a*b\nAllow: /a*b", "/axb", True, "Allow: /a*b"),
    ("Allow: /a*b\nDisallow: /a*b", "/axb", True, "Allow: /a*b"),
    ("Disallow: /*.php\nAllow: /a.php", "/a.php", True, "Allow: /a.php"),  # same length, Allow wins
    # the length is the pattern's, not the length of what it matched
    ("Disallow: /*\nAllow: /a", "/abcdef", True, "Allow: /a"),
    ("Disallow: /*x\nAllow: /a", "/abcdefx", False, "Disallow: /*x"),
])
def test_longest_pattern_decides_between_allow_and_disallow_with_wildcards(rules, path, allowed, deciding):
    ok, why = verdict("User-agent: *\n" + rules + "\n", path)
    assert ok is allowed
    assert why == f"rule {deciding!r} in the group for user-agent *"


def test_wildcards_in_the_storyline_group_and_the_group_choice():
    text = ("User-agent: *\nDisallow: /\n\n"
            "User-agent: StoryLine\nDisallow: /*.pdf$\nAllow: /*.pdf$\nDisallow: /private*\n")
    assert verdict(text, "/a.pdf") == (True, "rule 'Allow: /*.pdf$' in the group for user-agent storyline")
    assert verdict(text, "/private-notes/a.html")[0] is False
    assert verdict(text, "/news/a.html") == (True, None)  # no rule of our group matches: allowed
    assert verdict(text, "/news/a.html", agent="otherbot")[0] is False  # the * group


def test_a_fractional_crawl_delay_is_read_and_a_bom_is_ignored():
    parser = parse_rules("\ufeffUser-agent: *\nCrawl-delay: 2.5\nDisallow: /*.pdf$\n")
    assert parser.crawl_delay("storyline") == 2.5
    assert decide(parser, "storyline", "http://h.test/a.pdf")[0] is False
    cache = RobotsCache(lambda url: (200, "\ufeffUser-agent: storyline\nCrawl-delay: 0.75\n".encode()), LOCAL)
    assert cache.check("http://h.test/a.html", "http", "h.test", None).crawl_delay == 0.75



@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_robots_txt_saved_as_utf16_with_its_bom_still_disallows(encoding):
    text = "User-agent: *\nDisallow: /private/\n"
    body = text.encode(encoding)
    if not body.startswith((b"\xff\xfe", b"\xfe\xff")):  # utf-16-le/be write no byte-order mark: add it
        body = ("\ufeff" + text).encode(encoding)
    cache = RobotsCache(lambda url: (200, body), LOCAL)
    assert cache.check("http://h.test/private/a.html", "http", "h.test", None).allowed is False
    assert cache.check("http://h.test/news/a.html", "http", "h.test", None).allowed is True

# -- a property: the verdict is RFC 9309's, computed here independently with regular expressions ------------------------
def _oracle(rules: list[tuple[bool, str]], path: str) -> bool:
    best: tuple[int, bool] | None = None  # (pattern length, allow)
    for allow, pattern in rules:
        anchored = pattern.endswith("$")
        body = pattern[:-1] if anchored else pattern
        regex = "".join(".*" if c == "*" else re.escape(c) for c in body) + (r"\Z" if anchored else "")
        if re.match(regex, path):
            key = (len(pattern), allow)
            if best is None or key > best:
                best = key
    return True if best is None else best[1]


PATTERN = st.builds(lambda body, dollar: "/" + body + ("$" if dollar else ""),
                    st.text(alphabet="ab.*/", max_size=6), st.booleans())
PATH = st.builds(lambda body: "/" + body, st.text(alphabet="ab./", max_size=8))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.booleans(), PATTERN), max_size=6), PATH)
def test_the_verdict_is_the_longest_matching_pattern_allow_winning_ties(rules, path):
    text = "User-agent: *\n" + "".join(f"{'Allow' if a else 'Disallow'}: {p}\n" for a, p in rules)
    assert verdict(text, path)[0] is _oracle(rules, path)


# -- end to end: the fetcher and `ingest URL…` -------------------------------------------------------------------------
def test_fetcher_obeys_a_wildcard_rule_and_never_requests_the_refused_url(server):
    robots(server, "User-agent: *\nDisallow: /*.pdf$\nDisallow: /*?print=\n")
    server.route("/docs/report.pdf", b"%PDF-1.4", content_type="application/pdf")
    server.route("/news/a.html?print=1", PAGE)
    ok = server.route("/news/a.html", PAGE)
    with Fetcher(LOCAL) as f:
        assert f.fetch(ok).status == 200
        for path, rule in (("/docs/report.pdf", "Disallow: /*.pdf$"), ("/news/a.html?print=1", "Disallow: /*?print=")):
            with pytest.raises(FetchError) as e:
                f.fetch(server.url(path))
            assert e.value.reason == "robots-disallowed" and rule in e.value.detail
    assert server.hits("/docs/report.pdf") == [] and server.hits("/news/a.html?print=1") == []
    assert len(server.hits("/robots.txt")) == 1
