"""`storyline show`: the story view ends with what a reader needs (coverage), not internal notes; `-v` adds the notes.
An article dated by a day alone prints the day, and its credited agencies and origin."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import DEMO_CORPUS

BIN = Path(sys.executable).with_name("storyline")
NOTES = ("stored_alignments:", "copies stage sentence_alignments", "similarity:", "generated_text:")


def run(db: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "STORYLINE_CLUSTER_PROFILE": "lexical", "COLUMNS": "200"}
    return subprocess.run([str(BIN), "--db", str(db), *args], capture_output=True, env=env, timeout=180)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, str]:
    db = tmp_path_factory.mktemp("show") / "demo.db"
    assert run(db, "ingest", str(DEMO_CORPUS)).returncode == 0
    assert run(db, "outlets", "import", str(DEMO_CORPUS.parent / "outlets.toml")).returncode == 0
    stories = json.loads(run(db, "stories", "--format", "json", "--order", "most-covered").stdout)
    sarn = next(s["id"] for s in stories if "Meridian Press" in s["sources"] and "Capital Review" in s["sources"])
    return db, sarn


def test_show_does_not_end_with_internal_notes_and_shows_coverage(demo):
    db, sid = demo
    out = run(db, "show", sid).stdout.decode()
    assert not any(n in out for n in NOTES), out[-600:]
    assert "Coverage by outlet attribute" in out and "national" in out and "Daravia" in out
    verbose = run(db, "-v", "show", sid).stdout.decode()
    assert "stored_alignments:" in verbose.strip().rsplit("\n\n", 1)[-1]  # -v: the notes close the view


def test_show_timeline_prints_a_day_alone_for_a_date_only_article(demo):
    db, sid = demo
    out = run(db, "show", sid).stdout.decode()
    line = next(x for x in out.splitlines() if "first day ends" in x and "2026-03-05" in x)
    assert "00:00" not in line


def test_show_article_prints_the_day_credited_agencies_and_origin(demo):
    db, _ = demo
    arts = json.loads(run(db, "articles", "--format", "json").stdout)
    aid = next(a["id"] for a in arts if a["byline"] and "Continental Radio" in a["byline"])
    out = run(db, "show", aid).stdout.decode()
    head = out.splitlines()[1]
    assert "Meridian Press · 2026-03-05 ·" in head and "00:00" not in head
    assert "Credited: Meridian Press, Continental Radio" in out
    assert "sarn_talks_first_day.txt" in out  # the file name is where it was read from, not its outlet
    payload = json.loads(run(db, "show", aid, "--format", "json").stdout)
    assert payload["date_only"] is True and payload["credited"] == ["Meridian Press", "Continental Radio"]


@pytest.mark.parametrize("fmt", ["markdown", "html"])
def test_markdown_and_html_timelines_print_a_day_alone_for_a_date_only_article(demo, fmt):
    db, sid = demo
    out = run(db, "show", sid, "--format", fmt).stdout.decode()
    line = next(x for x in out.splitlines() if "first day ends" in x and "2026-03-05" in x and " · first · " in x)
    assert "2026-03-05 00:00" not in line and "2026-03-05 · first" in line


def test_the_story_page_prints_a_day_alone_for_a_date_only_article(demo):
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from storyline.web import create_app
    from storyline.settings import Settings

    db, sid = demo
    with TestClient(create_app(db, Settings().with_overrides({"cluster.profile": "lexical"}))) as c:
        data = c.get(f"/api/stories/{sid}").json()
        html = c.get(f"/stories/{sid}").text
    day = next(a for a in data["articles"] if a["date_only"])
    row = html[html.index(f'data-article-id="{day["id"]}"'):]
    row = row[:row.index("</li>")]
    assert day["date"][:10] in row and f'{day["date"][:10]} 00:00' not in row
    assert any(not a["date_only"] and " UTC" in html for a in data["articles"])
