"""The server-rendered pages: escaping of article content, no inline script/style/handlers, highlighted spans,
the charts' geometry, and the story page's sections."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, strategies as st

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from storyline.web import create_app  # noqa: E402
from storyline.pipeline import open_pipeline  # noqa: E402
from storyline.records import Origin, RawItem  # noqa: E402
from storyline.store import open_store  # noqa: E402
from storyline.web import spans, svg  # noqa: E402

from .test_api import LEXICAL, needs_corpus  # noqa: E402
# the demo store once per module and backend (SQLite and PostgreSQL), and an empty store on the same backend
from .test_api import demo_backend, demo_db, demo_source, fresh_db  # noqa: E402,F401

XSS_TITLE = '<script>window.__xss=1;alert("title")</script> Harbour <b>bold</b> claim'
XSS_BODY = ('Officials said <img src=x onerror="window.__xss=2;alert(\'body\')"> the pier reopened. '
            '"<svg onload=alert(3)>" was painted on a wall, witnesses said.\n\n'
            'A second paragraph with </textarea><script>alert(4)</script> and javascript:alert(5) text.')


class TagCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    p = TagCollector()
    p.feed(html)
    return p.tags


def assert_no_inline_code(html: str) -> None:
    for tag, attrs in tags_of(html):
        assert not any(a.startswith("on") for a in attrs), (tag, attrs)
        assert "style" not in attrs, (tag, attrs)
        if tag == "script":
            assert attrs.get("src", "").startswith("/static/"), attrs
        for a in ("href", "src", "action"):
            v = attrs.get(a) or ""
            assert not v.lower().startswith("javascript:"), (tag, attrs)
            assert not re.match(r"https?://", v) or tag == "a", (tag, attrs)  # assets are local; links may leave
    assert "<style" not in html


@pytest.fixture
def xss_client(fresh_db):
    db = fresh_db
    with open_store(db) as s:
        items = [RawItem(Origin("xss", 1), XSS_BODY, title=XSS_TITLE, source='Evil "Outlet" <i>',
                         date="2026-03-12T10:00:00Z", byline="<u>by</u>", url="javascript:alert(6)"),
                 RawItem(Origin("xss", 2), XSS_BODY + " Later update.", title=XSS_TITLE + " (update)",
                         source="Second <Outlet>", date="2026-03-12T12:00:00Z")]
        open_pipeline(s, LEXICAL).run(items)
    with TestClient(create_app(db, LEXICAL)) as c:
        yield c


def test_article_content_is_escaped_on_every_page(xss_client):
    c = xss_client
    sid = c.get("/api/stories").json()["stories"][0]["id"]
    aid = c.get("/api/articles").json()["articles"][0]["id"]
    pages = ["/", "/stories", f"/stories/{sid}", f"/articles/{aid}", f"/articles/{aid}?start=14&end=60",
             "/search?q=pier", "/search?q=%3Cscript%3E+pier"]
    for url in pages:
        html = c.get(url).text
        assert "<script>window.__xss" not in html and "<img src=x" not in html and "<svg onload" not in html
        assert "</textarea><script>" not in html and "<b>bold</b>" not in html and "<u>by</u>" not in html
        assert_no_inline_code(html)
    article = c.get(f"/articles/{aid}").text
    assert "&lt;img src=x onerror=" in article and "&lt;script&gt;window.__xss=1" in article
    assert 'href="javascript:' not in article


def test_pages_use_only_local_assets_and_no_inline_code(xss_client):
    for url in ["/", "/stories", "/search", "/docs", "/nowhere"]:
        assert_no_inline_code(xss_client.get(url).text)
    assert xss_client.get("/static/style.css").status_code == 200
    assert xss_client.get("/static/app.js").status_code == 200


@needs_corpus
def test_article_page_highlights_exactly_the_asked_span(demo_db):
    with TestClient(create_app(demo_db, LEXICAL)) as c:
        aid = c.get("/api/articles").json()["articles"][2]["id"]
        text = c.get(f"/api/articles/{aid}").json()["text"]
        start, end = 20, 90
        html = c.get(f"/articles/{aid}", params={"start": start, "end": end}).text
    body = re.search(r'<div class="body" id="text">(.*?)</div>', html, re.S).group(1)
    marks = re.findall(r'<mark[^>]*class="[^"]*k-hl[^"]*"[^>]*>(.*?)</mark>', body, re.S)
    import html as htmllib

    assert htmllib.unescape("".join(marks)) == text[start:end]
    assert html.count('id="hl"') == 1


@needs_corpus
def test_story_page_has_every_section_and_why_explanations(demo_db):
    with TestClient(create_app(demo_db, LEXICAL)) as c:
        sid = c.get("/api/stories", params={"order": "most-covered", "limit": 1}).json()["stories"][0]["id"]
        data = c.get(f"/api/stories/{sid}").json()
        html = c.get(f"/stories/{sid}").text
        # every story page renders, whatever its articles' decision components hold (numbers, a nearest story's id)
        every = c.get("/api/stories", params={"limit": 100}).json()["stories"]
        assert all(c.get(f"/stories/{s['id']}").status_code == 200 for s in every)
    for section in ("differs", "agrees", "unique", "quotes", "coverage", "timeline", "related", "articles"):
        assert f'<section id="{section}"' in html
    # the reader's order: what differs before what agrees, both before the timeline and the articles
    order = [html.index(f'<section id="{x}"') for x in ("differs", "agrees", "unique", "quotes", "coverage",
                                                         "timeline", "articles")]
    assert order == sorted(order)
    assert html.count('class="why"') == len(data["articles"])
    dots = re.findall(r'<svg class="timeline tl-wide".*?</svg>', html, re.S)[0].count('class="dot"')
    assert dots == sum(1 for a in data["articles"] if a["date"])
    view = data["view"]
    if view is None:
        assert data["view_error"] and 'id="view-error"' in html
    else:
        glance = re.search(r'<p class="glance" id="glance">(.*?)</p>', html, re.S).group(1)
        assert f"{len(data['sources'])} sources" in glance and f"{view['independent_sources']} independent" in glance
        if view.get("agreements"):  # every agreement listed, each with its citations
            assert html.count('class="agreement"') == len(view["agreements"])
            assert html.count('class="cite"') >= sum(len(g["items"]) for g in view["agreements"])
        else:
            n_cites = sum(len(s["citations"]) for s in view["summary"])
            assert len(re.findall(r'<ol class="summary">', html)) == (1 if view["summary"] else 0)
            assert html.count('class="cite"') >= n_cites
        disputes = [c for c in view["conflicts"] if c.get("kind", "dispute") == "dispute"]
        if disputes:
            assert f"{len(disputes)} disputed figure" in glance
            assert html.count('class="dispute conflict"') == len(disputes)


def test_sparkline_has_one_bar_per_day_scaled_to_the_busiest():
    cov = [{"day": "2026-03-01", "n": 1}, {"day": "2026-03-02", "n": 0}, {"day": "2026-03-03", "n": 4}]
    s = svg.sparkline(cov, width=90, height=22)
    assert len(s["bars"]) == 3 and s["bars"][1]["h"] == 0
    assert s["bars"][2]["h"] == pytest.approx(20) and s["bars"][0]["h"] == pytest.approx(5)
    assert all(0 <= b["x"] < 90 and b["y"] + b["h"] == pytest.approx(22) for b in s["bars"])
    assert svg.sparkline([])["bars"] == []


def test_timeline_places_dots_in_time_order_on_their_source_lane():
    arts = [{"id": "a", "source": "B", "title": "t", "date": "2026-03-01T10:00:00+00:00"},
            {"id": "b", "source": "A", "title": "t", "date": "2026-03-02T10:00:00+00:00"},
            {"id": "c", "source": "B", "title": "t", "date": None}]
    t = svg.timeline(arts)
    assert [d["id"] for d in t["dots"]] == ["a", "b"] and t["dots"][0]["x"] < t["dots"][1]["x"]
    lanes = {lane["label"]: lane["y"] for lane in t["lanes"]}
    assert t["dots"][0]["y"] == lanes["B"] and t["dots"][1]["y"] == lanes["A"]
    assert [u["id"] for u in t["undated"]] == ["c"]
    assert all(t["plot_left"] <= d["x"] <= t["plot_right"] for d in t["dots"])


@st.composite
def text_and_spans(draw):
    text = draw(st.text(min_size=1, max_size=80))
    n = len(text)
    pairs = draw(st.lists(st.tuples(st.integers(0, n), st.integers(0, n)), max_size=5))
    marks = [{"start": min(a, b), "end": max(a, b), "kind": draw(st.sampled_from(["quote", "unique", "cited"])),
              "label": "x"} for a, b in pairs if a != b]
    hl = None
    if n >= 2 and draw(st.booleans()):
        a = draw(st.integers(0, n - 1))
        b = draw(st.integers(a + 1, n))
        hl = {"start": a, "end": b}
    return text, marks, hl


@given(text_and_spans())
def test_segments_cover_the_text_exactly_and_mark_each_span(args):
    text, marks, hl = args
    segs = spans.segments(text, marks, hl)
    assert "".join(s["text"] for s in segs) == text
    assert sum(s["anchor"] for s in segs) == (1 if hl else 0)
    pos = 0
    for s in segs:
        for m in marks:
            covered = m["start"] <= pos and pos + len(s["text"]) <= m["end"]
            assert (m["kind"] in s["kinds"]) >= covered
        pos += len(s["text"])
    if hl:
        assert "".join(s["text"] for s in segs if "hl" in s["kinds"]) == text[hl["start"]:hl["end"]]


def test_one_day_timeline_has_time_labels_inside_the_plot():
    arts = [{"id": "a", "source": "sarn_talks_first_day_and_a_very_long_outlet_name", "title": "t",
             "date": "2026-03-05T07:00:00+00:00"},
            {"id": "b", "source": "Meridian Press", "title": "t", "date": "2026-03-05T15:30:00+00:00"}]
    for width, left in ((720, 150), (360, 96)):
        t = svg.timeline(arts, width=width, left=left, max_ticks=4 if width < 500 else 7)
        assert len(t["ticks"]) >= 2, t["ticks"]  # hours: a one-day story still gets axis labels
        assert t["ticks"][0]["label"].startswith("Mar 05")
        for k in t["ticks"]:  # no label runs past the plot's edges
            half = len(k["label"]) * svg.CHAR_W / 2
            lo = {"start": k["x"], "middle": k["x"] - half, "end": k["x"] - 2 * half}[k["anchor"]]
            assert lo >= t["plot_left"] - 1 and lo + 2 * half <= width + 1, k
        long = [lane for lane in t["lanes"] if lane["full"].startswith("sarn")][0]
        assert long["label"].endswith("…") and len(long["label"]) * svg.CHAR_W <= t["plot_left"]
    for d in ("2026-03-05T10:00:00+00:00", "0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59+00:00"):
        single = svg.timeline([{**arts[0], "date": d}])  # one article, also at the ends of the calendar
        assert single["ticks"] and single["plot_left"] <= single["dots"][0]["x"] <= single["plot_right"], d


def _render_story(view):
    from storyline.settings import Settings
    from storyline.web import story_page

    app = create_app(":memory:", Settings().with_overrides({"cluster.profile": "lexical"}))
    arts = [{"id": "a1", "source": "Meridian Press", "title": "T1", "date": "2026-03-03T08:00:00+00:00",
             "byline": None, "membership": None},
            {"id": "a2", "source": "Harbor Ledger", "title": "T2", "date": "2026-03-04T08:00:00+00:00",
             "byline": None, "membership": None}]
    payload = {"id": "s-1", "headline": "Quake toll rises", "sources": ["Harbor Ledger", "Meridian Press"],
               "n_articles": 2, "first_seen": None, "last_seen": "2026-03-04T08:00:00+00:00", "aliases": [],
               "articles": arts, "view": view, "view_error": None}
    return app.state.ctx.templates.env.get_template("story.html").render(
        data=payload, articles={a["id"]: a for a in arts}, page=story_page.prepare(payload, view),
        timeline=svg.timeline(arts), timeline_narrow=svg.timeline(arts, width=360, left=96),
        spark=svg.sparkline([]), view={k: None for k in ("summary", "sources")} | (view or {}), chips=[],
        related=[], json_href="/api/stories/s-1")


def test_story_page_renders_the_newer_view_keys_when_present():
    v1 = {"value": "14", "article_id": "a1", "source": "Meridian Press", "text": "14 dead.", "start": 0, "end": 8,
          "value_start": 0, "value_end": 2}
    v2 = {**v1, "value": "21", "article_id": "a2", "source": "Harbor Ledger", "text": "21 dead."}
    view = {
        "conflicts": [{"about": "dead", "kind": "update", "values": [v2, v1]},
                      {"about": "magnitude", "kind": "dispute", "values": [{**v1, "value": "6.1"},
                                                                            {**v2, "value": "6.3"}]},
                      {"about": "injured", "kind": "agree", "values": [{**v1, "value": "40"}]}],
        "agreements": [{"text": "The quake struck at dawn.", "items": [
            {"article_id": "a1", "source": "Meridian Press", "text": "The quake struck at dawn.", "start": 0,
             "end": 25, "relation": "same"},
            {"article_id": "a2", "source": "Harbor Ledger", "text": "It struck at dawn.", "start": 0, "end": 18,
             "relation": "paraphrase"}]}],
        "latest": {"text": "Rescuers found two survivors.", "article_id": "a2", "source": "Harbor Ledger",
                   "start": 0, "end": 29},
        "quotes": [{"text": "We keep digging", "speaker": "Mayor Lind", "kind": "direct", "article_id": "a1",
                    "source": "Meridian Press", "start": 0, "end": 5},
                   {"text": "help would come", "speaker": "Mayor Lind", "kind": "reported", "article_id": "a2",
                    "source": "Harbor Ledger", "start": 0, "end": 5},
                   {"text": "Nobody is forgotten", "speaker": "Lind", "kind": "direct", "article_id": "a2",
                    "source": "Harbor Ledger", "start": 0, "end": 5}],
        "coverage": {"by": {"country": [{"value": "Daravia", "outlets": ["A"], "articles": 1},
                                         {"value": "Ostrel", "outlets": ["B"], "articles": 1}]},
                     "missing": [{"outlet": "C", "kind": "national", "country": "Daravia", "peers": 2,
                                  "peers_covering": ["A", "D"]}]},
        "unique": [], "independent_sources": 2, "counts": {"unique_total": 0},
    }
    html = _render_story(view)
    glance = re.search(r'<p class="glance" id="glance">(.*?)</p>', html, re.S).group(1)
    assert "1 disputed figure" in glance and "1 updated figure" in glance and "2 independent" in glance
    assert html.count('class="dispute conflict"') == 1
    # an update reads as a dated progression, oldest first
    prog = re.search(r'<ol class="progression">(.*?)</ol>', html, re.S).group(1)
    assert prog.index("<strong>14</strong>") < prog.index("<strong>21</strong>")
    assert "The quake struck at dawn." in html and "(paraphrase)" in html and 'class="summary"' not in html
    assert "Rescuers found two survivors." in html and 'class="latest"' in html
    assert html.count('class="speaker-group"') == 1 and "2 direct, 1 reported" in html  # "Lind" is Mayor Lind
    assert ">Country</h3>" in html and "Daravia" in html and "Ostrel" in html
    assert "Did not cover" in html and "<strong>C</strong> (national, Daravia): 2 of 2 peers covered it" in html
    assert "Figures every source gives alike" in html


def test_story_page_falls_back_to_the_older_view_keys():
    view = {"conflicts": [{"about": "dead", "values": [{"value": "14", "article_id": "a1", "source": "M",
                                                        "text": "x", "start": 0, "end": 1}]}],
            "summary": [{"text": "Quake hits.", "citations": [{"article_id": "a1", "start": 0, "end": 5}],
                         "also_in": []}],
            "quotes": [{"text": "x", "speaker": None, "kind": "indirect", "article_id": "a1", "start": 0, "end": 1}],
            "unique": [{"article_id": "a1", "source": "Meridian Press", "text": "Only here.", "start": 0, "end": 9}],
            "independent_sources": 2}
    html = _render_story(view)
    assert html.count('class="dispute conflict"') == 1  # no kind: a dispute
    assert '<ol class="summary">' in html and "Quake hits." in html
    assert "Unattributed" in html and "reported:" in html
    assert "1 fact only one outlet reports" in html and "Only here." in html
    assert "updated figure" not in html and 'class="latest"' not in html
    no_view = _render_story(None)
    assert "disputed" not in re.search(r'<p class="glance" id="glance">(.*?)</p>', no_view, re.S).group(1)
