"""The pages on a phone (390 px: no horizontal scroll, tables as stacked rows, the narrow timeline) and the story
page's first screen on a laptop (1280 × 800: the disputed figures are visible without scrolling)."""

from __future__ import annotations

import pytest

from .browser_fixtures import browser, new_page, server, story_with_disputes  # noqa: F401 (fixtures)
from .conftest import REPO

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = REPO / "tests" / "artifacts"


def pages(base: str) -> dict[str, str]:
    import httpx

    sid = story_with_disputes(base)
    article = httpx.get(f"{base}/api/stories/{sid}", timeout=300).json()["articles"][0]["id"]
    return {"home": "/", "story": f"/stories/{sid}", "search": "/search?q=strike", "entity": "/entities/Ostrel",
            "stories": "/stories", "article": f"/articles/{article}"}


@pytest.mark.parametrize("width", [390, 360])
def test_no_horizontal_scroll_on_a_phone(server, browser, width):
    page = new_page(browser, width, 800)
    try:
        for name, url in pages(server).items():
            page.goto(server + url)
            page.wait_for_load_state("load")
            sw, iw = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            assert sw <= iw, f"{name} ({url}) is {sw} px wide in a {iw} px window"
    finally:
        page.context.close()


def test_story_page_on_a_phone_stacks_tables_and_draws_the_narrow_timeline(server, browser):
    page = new_page(browser, 390, 800)
    try:
        page.goto(server + pages(server)["story"])
        row = page.locator("#coverage table.sources tbody tr").first
        assert row.evaluate("el => getComputedStyle(el).display") == "flex"  # a stacked card, not a table row
        assert page.locator("#coverage table.sources thead").bounding_box()["height"] <= 1
        assert page.locator("svg.tl-wide").is_hidden() and page.locator("svg.tl-narrow").is_visible()
        box = page.locator("svg.tl-narrow").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "story-390.png"), full_page=False)
    finally:
        page.context.close()


def test_disputes_are_in_the_first_screen_at_1280_by_800(server, browser):
    page = new_page(browser, 1280, 800)
    try:
        page.goto(server + pages(server)["story"])
        first = page.locator("#differs .dispute").first
        first.wait_for()
        assert page.evaluate("window.scrollY") == 0
        box = first.bounding_box()
        assert box is not None and box["y"] < 800, box
        glance = page.locator("#glance").inner_text()
        assert "disputed figure" in glance and "independent" in glance and "updated" in glance
    finally:
        page.context.close()
