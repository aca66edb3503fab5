"""Screenshots of a story page at 1280 x 800 and 390 x 844 (the first screen) for the docs.

    storyline --db /tmp/demo.db --set cluster.profile=lexical ingest storyline/demo/corpus
    storyline --db /tmp/demo.db serve --port 8765 &
    python docs/img/shoot.py http://127.0.0.1:8765/stories/<story id> docs/img
"""
import sys
from playwright.sync_api import sync_playwright
base, out = sys.argv[1], sys.argv[2]
with sync_playwright() as pw:
    b = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox","--disable-gpu"])
    for w, h in ((1280, 800), (390, 844)):
        p = b.new_page(viewport={"width": w, "height": h})
        p.goto(base, wait_until="networkidle", timeout=120000)
        p.screenshot(path=f"{out}/story-{w}.png")
        p.close()
    b.close()
