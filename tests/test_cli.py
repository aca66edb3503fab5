"""The CLI's machine-readable contract and exit codes, run through the real console script."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import SEEDS, needs_seeds

BIN = Path(sys.executable).with_name("storyline")


def run(db, *args, stdin: bytes | None = None, env_extra=None):
    env = {**os.environ, "STORYLINE_CLUSTER_PROFILE": "lexical", **(env_extra or {})}
    return subprocess.run([str(BIN), "--db", str(db), *args], input=stdin, capture_output=True, env=env,
                          timeout=120)


def jrun(db, *args):
    p = run(db, *args, "--format", "json")
    assert p.returncode == 0, p.stderr.decode()
    return json.loads(p.stdout)


@needs_seeds
def test_seeds_end_to_end_contract(tmp_path):
    db = tmp_path / "t.db"
    p = run(db, "ingest", str(SEEDS))
    assert p.returncode == 0, p.stderr.decode()
    assert b"accepted 2" in p.stderr
    stories = jrun(db, "stories")
    assert len(stories) == 1
    assert set(stories[0]) >= {"id", "headline", "n_articles", "sources", "first_seen", "last_seen"}
    # neither seed names its outlet ("sct/dw" names no agency): "unknown outlet", never the file name
    assert stories[0]["n_articles"] == 2 and stories[0]["sources"] == ["unknown outlet"]
    shown = jrun(db, "show", stories[0]["id"])
    assert {"id", "headline", "articles"} <= set(shown)
    dated, bare = sorted(shown["articles"], key=lambda a: a["date"] is None)
    assert set(dated) >= {"id", "source", "title", "date", "byline"}
    assert dated["date"].startswith("2021-10-09") and dated["byline"] == "sct/dw"
    assert dated["title"].startswith("The United States says it will hold")
    assert bare["date"] is None
    arts = jrun(db, "articles")
    assert {a["story_id"] for a in arts} == {stories[0]["id"]}
    assert set(arts[0]) >= {"id", "story_id", "source", "title", "date", "lang", "byline"}
    again = run(db, "ingest", str(SEEDS))
    assert again.returncode == 0 and b"accepted 0" in again.stderr and b"duplicates 2" in again.stderr
    assert len(jrun(db, "articles")) == 2


def test_bad_folder_exits_1_keeps_good_records_and_lists_rejects(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "blob.txt").write_bytes(b"\x00\x01\x02\x03")
    (src / "empty.txt").write_bytes(b"")
    (src / "feed.jsonl").write_text(
        '{"title": "Dam opens", "text": "The new dam opened on Tuesday.", "source": "Daily"}\n'
        '{"title": "oops"\n'
        '{"title": "Dam power", "text": "The dam will power ten thousand homes.", "source": "Wire"}\n')
    db = tmp_path / "t.db"
    p = run(db, "ingest", str(src))
    assert p.returncode == 1
    assert b"rejected 3" in p.stderr
    assert len(jrun(db, "articles")) == 2
    rejects = jrun(db, "rejects")
    got = {(Path(r["ref"].split(":")[0]).name, r["reason"]) for r in rejects}
    assert got == {("blob.txt", "binary"), ("empty.txt", "empty"), ("feed.jsonl", "malformed-json")}
    assert any(r["ref"].endswith("feed.jsonl:2") for r in rejects)
    runs = jrun(db, "runs")
    assert runs[-1]["seen"] == runs[-1]["accepted"] + runs[-1]["rejected"] + runs[-1]["duplicates"]


def test_stdin_and_listing_formats(tmp_path):
    db = tmp_path / "t.db"
    data = b'{"title": "Ferry strike", "text": "Ferry crews walked out at dawn.", "source": "Coast News"}\n'
    assert run(db, "ingest", "-", stdin=data).returncode == 0
    jl = run(db, "articles", "--format", "jsonl").stdout.decode().splitlines()
    assert json.loads(jl[0])["source"] == "Coast News"
    csv_out = run(db, "articles", "--format", "csv").stdout.decode().splitlines()
    assert csv_out[0] == "id,story_id,source,title,date,lang,byline"
    table = run(db, "stories").stdout.decode()
    assert "Ferry strike" in table
    hits = jrun(db, "search", "ferry crews")
    assert hits and hits[0]["articles"][0]["title"] == "Ferry strike"
    assert [s["headline"] for s in jrun(db, "stories", "--source", "coast news")] == ["Ferry strike"]
    # csv is machine-readable: floats keep full precision (the table rounds them to 3 decimals)
    more = b'{"title": "Ferry strike two", "text": "Ferry crews walked out at dawn again for pay.", "source": "B"}\n'
    assert run(db, "ingest", "-", stdin=more).returncode == 0
    second = [a for a in jrun(db, "articles") if a["source"] == "B"][0]["id"]
    rows = [line.split(",") for line in run(db, "explain", second, "--format", "csv").stdout.decode().splitlines()]
    score = jrun(db, "explain", second)["score"]
    assert len(repr(score)) > 5  # not a round number: the check below could not pass by rounding
    assert [r[3] for r in rows if r[2] == "score"] == [repr(score)]


def test_errors_are_one_line_with_exit_codes(tmp_path):
    db = tmp_path / "t.db"
    p = run(db, "stories")  # a read on a database that does not exist: an error, and no stray file created
    assert p.returncode == 1 and p.stderr.decode().startswith(f"error: no database at '{db}'") and not db.exists()
    src = tmp_path / "a.txt"
    src.write_text("The ferry crews walked out on Monday, the union said.\n", "utf-8")
    assert run(db, "ingest", str(src)).returncode == 0
    p = run(db, "show", "s-nope")
    assert p.returncode == 1
    assert p.stderr.decode().strip() == "error: no such story 's-nope'; try `storyline stories`"
    p = run(db, "--set", "cluster.nope=1", "stories")
    assert p.returncode == 2 and b"unknown setting 'cluster.nope'" in p.stderr
    p = run(db, "stories", "--format", "xml")
    assert p.returncode == 2
