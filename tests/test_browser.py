"""Real-browser tests: `storyline serve` on a free port over a database built from the project's demo corpus, driven
by Playwright in Debian's headless Chromium (never `playwright install`; `make test` apt-installs chromium)."""

from __future__ import annotations

import pytest

from .browser_fixtures import TOKEN, browser, page, server  # noqa: F401 (fixtures)
from .conftest import REPO

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = REPO / "tests" / "artifacts"


def test_river_story_figures_and_a_followed_citation(server, page):
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.goto(server + "/")
    for section in ("#latest", "#most-covered", "#most-contested"):
        expect(page.locator(section)).to_be_visible()
    assert page.locator("#latest svg.spark").count() >= 1
    assert page.locator("#latest .story-row .count").first.inner_text().endswith(("source", "sources"))
    page.screenshot(path=str(ARTIFACTS / "river.png"), full_page=True)

    contested = page.locator("#most-contested .story-row a.headline")
    assert contested.count() >= 1, "the demo corpus has stories whose sources disagree on figures"
    contested.first.click()
    page.wait_for_url("**/stories/*")
    story_id = page.url.rstrip("/").rsplit("/", 1)[1]
    api = page.request.get(f"{server}/api/stories/{story_id}").json()

    # the disputed figures show, side by side, the values the story view found
    table = page.locator("#figures")
    expect(table).to_be_visible()
    rows = table.locator(".dispute")
    disputes = [c for c in api["view"]["conflicts"] if c.get("kind", "dispute") == "dispute"]
    assert rows.count() == len(disputes) >= 1  # updates and agreed figures are shown apart, not as disputes
    first = rows.first.locator(".figure-cell strong.value").all_inner_texts()
    expected = [v["value"] for v in disputes[0]["values"]]
    assert first == expected and len(set(first)) >= 2
    expect(page.locator("svg.timeline circle.dot").first).to_be_visible()
    expect(page.locator("#coverage table.sources")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "story.png"), full_page=True)

    # follow the first citation of the cited summary to the highlighted span in the article page
    cite = page.locator("#agrees a.cite").first  # the agreements (or the cited summary of an older view)
    href = cite.get_attribute("href")
    cite.click()
    page.wait_for_url("**/articles/**")
    assert page.url.endswith("#hl") and "start=" in page.url
    agreements = api["view"].get("agreements") or []
    citation = agreements[0]["items"][0] if agreements else api["view"]["summary"][0]["citations"][0]
    cited_text = agreements[0]["text"] if agreements else api["view"]["summary"][0]["text"]
    assert href == f"/articles/{citation['article_id']}?start={citation['start']}&end={citation['end']}#hl"
    art = page.request.get(f"{server}/api/articles/{citation['article_id']}").json()
    mark = page.locator("mark#hl")
    expect(mark).to_be_visible()
    expect(mark).to_be_in_viewport()
    highlighted = "".join(page.locator("#text mark.k-hl").all_text_contents())
    assert highlighted == art["text"][citation["start"]:citation["end"]]
    assert highlighted.strip() and cited_text.strip()[:20] in highlighted
    page.screenshot(path=str(ARTIFACTS / "article.png"), full_page=False)

    # a figure's citation lands on the figure itself
    page.go_back()
    fig_cite = page.locator("#figures .figure-cell a.cite").first
    fig_cite.click()
    page.wait_for_url("**/articles/**")
    v = disputes[0]["values"][0]
    assert "".join(page.locator("#text mark.k-hl").all_text_contents()) == v["value"]
    assert page.csp_errors == [], page.csp_errors


def test_search_page_in_the_browser(server, page):
    from playwright.sync_api import expect

    page.goto(server + "/")
    page.fill("header form.search input[type=search]", "strike")
    page.press("header form.search input[type=search]", "Enter")
    page.wait_for_url("**/search?**")
    stories = page.locator("ol.search-stories li.result-story")
    expect(stories.first).to_be_visible()
    assert all(m.lower().startswith("strik") for m in page.locator("ol.search-stories mark").all_inner_texts())
    stories.first.locator("li.result a").first.click()
    page.wait_for_url("**/articles/**")
    expect(page.locator("details.why")).to_be_visible()
    assert page.csp_errors == [], page.csp_errors


def test_injected_markup_never_runs_in_the_browser(server, page):
    import httpx

    evil = {
        "id": "xss-1", "source": "Evil <i>Outlet</i>", "date": "2026-03-12T09:00:00Z", "url": "javascript:alert(7)",
        "title": '<script>window.__xss="title";alert("title")</script><img src=x onerror="window.__xss=1">',
        "text": ('Harbour officials said <img src=x onerror="window.__xss=\'body\';alert(1)"> the pier reopened. '
                 '<svg onload="window.__xss=\'svg\'"></svg> A <a href="javascript:alert(2)">link</a> was painted.\n\n'
                 '</pre></div><script>window.__xss="body2";alert(3)</script> Xyzzyquux pier.'),
    }
    r = httpx.post(f"{server}/api/ingest?wait=true", json=evil, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=120)
    assert r.status_code == 200 and r.json()["accepted"] == 1, r.text
    article_id = r.json()["articles"][0]
    story_id = httpx.get(f"{server}/api/articles/{article_id}", timeout=60).json()["story"]["id"]

    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    for url in [f"/articles/{article_id}", f"/articles/{article_id}?start=0&end=30", f"/stories/{story_id}",
                "/search?q=xyzzyquux", "/", "/stories?source=Evil"]:
        page.goto(server + url)
        page.wait_for_load_state("load")
        assert page.evaluate("() => window.__xss") is None, url
        assert page.locator("img[src=x], svg[onload], script:not([src])").count() == 0, url
    page.goto(server + f"/articles/{article_id}")
    assert "<script>" in page.locator("h1").inner_text()  # shown as text
    assert 'onerror="window.__xss' in page.locator("#text").inner_text()
    assert page.locator('a[href^="javascript:"]').count() == 0
    assert dialogs == []
    page.screenshot(path=str(ARTIFACTS / "xss.png"), full_page=False)
