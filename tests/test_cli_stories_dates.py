"""`storyline stories --since/--until` (as the API's since/until), and a date-only item prints as a day in tables,
while a real time — midnight too — prints with its time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).with_name("storyline")


def run(db: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "STORYLINE_CLUSTER_PROFILE": "lexical", "COLUMNS": "250"}
    return subprocess.run([str(BIN), "--db", str(db), *args], capture_output=True, env=env, timeout=120)


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("dates")
    recs = [
        {"title": "Harbour strike begins", "text": "Dockworkers in Vellmar walked out over pay on Monday.",
         "source": "Ledger", "date": "2026-03-02"},
        {"title": "Comet found over Hollin", "text": "A retired teacher found a new comet from a hill near Hollin.",
         "source": "Post", "date": "2026-03-06T00:00:00Z"},
        {"title": "Library reopens in Plainview", "text": "The central library in Plainview reopened its doors.",
         "source": "Monitor", "date": "2026-03-09T14:30:00Z"},
    ]
    f = d / "in.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in recs) + "\n", "utf-8")
    path = d / "t.db"
    assert run(path, "ingest", str(f)).returncode == 0
    return path


def headlines(db: Path, *args: str) -> list[str]:
    p = run(db, "stories", "--format", "json", *args)
    assert p.returncode == 0, p.stderr.decode()
    return sorted(s["headline"] for s in json.loads(p.stdout))


def test_since_and_until_filter_stories_and_until_a_day_includes_that_day(db):
    assert headlines(db, "--since", "2026-03-06") == ["Comet found over Hollin", "Library reopens in Plainview"]
    assert headlines(db, "--until", "2026-03-06") == ["Comet found over Hollin", "Harbour strike begins"]
    assert headlines(db, "--since", "2026-03-03", "--until", "2026-03-09T12:00:00Z") == ["Comet found over Hollin"]
    assert headlines(db, "--since", "2026-03-09T16:30:00+02:00") == ["Library reopens in Plainview"]


def test_a_bad_since_is_a_usage_error_naming_the_formats(db):
    p = run(db, "stories", "--since", "last week")
    assert p.returncode == 2
    assert b"2026-03-05T14:30:00Z" in p.stderr and b"--since" in p.stderr


def test_a_date_only_item_prints_as_a_day_and_a_midnight_time_keeps_its_time(db):
    table = run(db, "articles").stdout.decode()
    strike = next(x for x in table.splitlines() if "Harbour strike" in x)
    comet = next(x for x in table.splitlines() if "Comet found" in x)
    assert "2026-03-02" in strike and "00:00" not in strike
    assert "2026-03-06 00:00 UTC" in comet
    stories = run(db, "stories").stdout.decode()
    assert "2026-03-02 " in next(x for x in stories.splitlines() if "Harbour strike" in x)
    assert "00:00" not in next(x for x in stories.splitlines() if "Harbour strike" in x)
    csv_out = run(db, "articles", "--format", "csv").stdout.decode()
    assert ",2026-03-02," in csv_out and "2026-03-06T00:00:00+00:00" in csv_out
    # JSON keeps the stored time stamp (its contract); the day-only flag travels with `show ARTICLE --format json`
    arts = json.loads(run(db, "articles", "--format", "json").stdout)
    strike_id = next(a["id"] for a in arts if a["title"].startswith("Harbour"))
    assert json.loads(run(db, "show", strike_id, "--format", "json").stdout)["date_only"] is True
