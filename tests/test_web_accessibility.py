"""Every page passes an axe-core scan with no serious or critical violation, on a laptop and on a phone."""

from __future__ import annotations

import pytest

from .browser_fixtures import axe_violations, browser, new_page, server, story_with_disputes  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.mark.parametrize("width,height", [(1280, 800), (390, 800)])
def test_every_page_has_no_serious_accessibility_violation(server, browser, width, height):
    import httpx

    sid = story_with_disputes(server)
    article = httpx.get(f"{server}/api/stories/{sid}", timeout=300).json()["articles"][0]["id"]
    urls = ["/", "/stories", f"/stories/{sid}", f"/articles/{article}", f"/articles/{article}?start=0&end=20",
            "/search?q=strike", "/search?q=", "/entities/Ostrel", "/docs", "/stories/no-such-story"]
    page = new_page(browser, width, height, bypass_csp=True)
    found = {}
    try:
        for url in urls:
            page.goto(server + url)
            page.wait_for_load_state("load")
            page.locator("details").evaluate_all("els => els.forEach(d => d.open = true)")  # scan folded parts too
            bad = axe_violations(page)
            if bad:
                found[url] = bad
    finally:
        page.context.close()
    assert found == {}, found


def test_the_scan_finds_a_violation_when_there_is_one(server, browser):
    """The scan itself works: an image link without a name is a serious violation axe must report."""
    page = new_page(browser, 1280, 800, bypass_csp=True)
    try:
        page.goto(server + "/")
        page.evaluate("""() => { const a = document.createElement('a'); a.href = '/';
                                 a.appendChild(document.createElement('img')); document.body.appendChild(a); }""")
        assert any(v["id"] in ("image-alt", "link-name") for v in axe_violations(page))
    finally:
        page.context.close()
