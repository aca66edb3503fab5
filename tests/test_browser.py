"""Real-browser tests: `storyline serve` on a free port over a database built from the project's demo corpus, driven
by Playwright in Debian's headless Chromium (never `playwright install`; `make test` apt-installs chromium)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from .conftest import DEMO_CORPUS, REPO, free_port, storyline_cli, wait_until_serving

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
ARTIFACTS = REPO / "tests" / "artifacts"
TOKEN = "browser-test-token"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (`make chromium` or apt-get install chromium)")
    pytest.importorskip("playwright.sync_api")
    if not (DEMO_CORPUS / "articles.jsonl").exists():
        pytest.skip("the demo corpus (storyline/demo/corpus) is not present")
    import httpx

    tmp = tmp_path_factory.mktemp("browser")
    db = tmp / "demo.db"
    env = dict(os.environ, STORYLINE_TOKEN=TOKEN, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    built = subprocess.run(storyline_cli() + ["--db", str(db), "--set", "cluster.profile=lexical", "ingest",
                                              str(DEMO_CORPUS)],
                           cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    port = free_port()
    log = open(tmp / "serve.log", "w")
    proc = subprocess.Popen(storyline_cli() + ["--db", str(db), "--set", "cluster.profile=lexical", "serve",
                                               "--host", "127.0.0.1", "--port", str(port)],
                            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        if not wait_until_serving(base, proc, 60):
            raise AssertionError(f"storyline serve did not start: {(tmp / 'serve.log').read_text()}")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    p = ctx.new_page()
    p.set_default_timeout(120_000)  # a cold story view can take a while on a busy 2-core machine
    p.csp_errors = []
    p.on("console", lambda m: p.csp_errors.append(m.text) if "Content Security Policy" in m.text else None)
    yield p
    ctx.close()


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

    # the differing-figures table shows, side by side, the values the story view found
    table = page.locator("#figures-table")
    expect(table).to_be_visible()
    rows = table.locator("tbody tr.conflict")
    assert rows.count() == len(api["view"]["conflicts"]) >= 1
    first = rows.first.locator("td.figure-cell strong.value").all_inner_texts()
    expected = [v["value"] for v in api["view"]["conflicts"][0]["values"]]
    assert first == expected and len(set(first)) >= 2
    expect(page.locator("svg.timeline circle.dot").first).to_be_visible()
    expect(page.locator("#sources table.sources")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "story.png"), full_page=True)

    # follow the first citation of the cited summary to the highlighted span in the article page
    cite = page.locator("#summary a.cite").first
    href = cite.get_attribute("href")
    cite.click()
    page.wait_for_url("**/articles/**")
    assert page.url.endswith("#hl") and "start=" in page.url
    citation = api["view"]["summary"][0]["citations"][0]
    assert href == f"/articles/{citation['article_id']}?start={citation['start']}&end={citation['end']}#hl"
    art = page.request.get(f"{server}/api/articles/{citation['article_id']}").json()
    mark = page.locator("mark#hl")
    expect(mark).to_be_visible()
    expect(mark).to_be_in_viewport()
    highlighted = "".join(page.locator("#text mark.k-hl").all_text_contents())
    assert highlighted == art["text"][citation["start"]:citation["end"]]
    assert highlighted.strip() and api["view"]["summary"][0]["text"].strip()[:20] in highlighted
    page.screenshot(path=str(ARTIFACTS / "article.png"), full_page=False)

    # a figure's citation lands on the figure itself
    page.go_back()
    fig_cite = page.locator("#figures-table td.figure-cell a.cite").first
    fig_cite.click()
    page.wait_for_url("**/articles/**")
    v = api["view"]["conflicts"][0]["values"][0]
    assert "".join(page.locator("#text mark.k-hl").all_text_contents()) == v["value"]
    assert page.csp_errors == [], page.csp_errors


def test_search_page_in_the_browser(server, page):
    from playwright.sync_api import expect

    page.goto(server + "/")
    page.fill("header form.search input[type=search]", "strike")
    page.press("header form.search input[type=search]", "Enter")
    page.wait_for_url("**/search?**")
    results = page.locator("ol.results li.result")
    expect(results.first).to_be_visible()
    assert all(m.lower().startswith("strik") for m in page.locator("ol.results mark").all_inner_texts())
    results.first.locator("a.headline").click()
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
    r = httpx.post(f"{server}/api/ingest", json=evil, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=120)
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
