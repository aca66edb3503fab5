"""Fixtures for the real-browser tests: `storyline serve` on a free port over a database built from the project's demo
corpus, driven by Playwright in Debian's headless Chromium (never `playwright install`; `make test` apt-installs
chromium), and axe-core (installed by `make axe` from the npm registry) for accessibility scans."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from .conftest import DEMO_CORPUS, REPO, free_port, storyline_cli, wait_until_serving

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


def new_page(browser, width: int, height: int, *, bypass_csp: bool = False):
    """A page in a fresh context of this viewport (the caller closes ``page.context``)."""
    ctx = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=bypass_csp)
    p = ctx.new_page()
    p.set_default_timeout(120_000)
    return p


# axe-core, the accessibility engine, from its npm package (`make axe` installs it under .cache/)
AXE_JS = Path(os.environ.get("STORYLINE_AXE_JS", REPO / ".cache" / "axe-core" / "node_modules" / "axe-core" /
                                                  "axe.min.js"))


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    """axe-core's violations of the loaded page with these impacts (``page``'s context must bypass the CSP, since
    axe is injected as a script the page's Content-Security-Policy would refuse)."""
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS} is missing: run `make axe` (npm install of axe-core) or set STORYLINE_AXE_JS")
    page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in impacts]


def story_with_disputes(base: str) -> str:
    """The id of the demo story with the most disputed figures (the river's "Most contested" first)."""
    import httpx

    river = httpx.get(f"{base}/?format=json", timeout=300).json()
    assert river["most_contested"], "the demo corpus has stories whose sources disagree on figures"
    return river["most_contested"][0]["id"]
