"""`storyline copies` names each article by outlet and title beside its id, in every format."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import DEMO_CORPUS

BIN = Path(sys.executable).with_name("storyline")


def run(db: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "STORYLINE_CLUSTER_PROFILE": "lexical", "COLUMNS": "250"}
    return subprocess.run([str(BIN), "--db", str(db), *args], capture_output=True, env=env, timeout=120)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("copies") / "demo.db"
    assert run(db, "ingest", str(DEMO_CORPUS)).returncode == 0
    return db


def test_copies_json_names_outlet_and_title_of_the_copy_and_its_origin(demo_db):
    rows = json.loads(run(demo_db, "copies", "--format", "json").stdout)
    assert rows
    silo = [r for r in rows if r["origin_source"] == "Meridian Press" and "Tollan" in r["origin_title"]]
    assert {r["source"] for r in silo} >= {"Example Tribune", "Lakeside Observer", "Plainview Monitor"}
    for r in rows:
        assert {"article_id", "origin_id", "relation", "similarity"} <= set(r)  # the old keys stay
        assert r["source"] and r["title"] and r["origin_source"] and r["origin_title"]


def test_copies_table_and_csv_show_titles_not_bare_ids(demo_db):
    table = run(demo_db, "copies").stdout.decode()
    assert "Meridian Press" in table and "Fire destroys grain silo" in table
    rows = list(csv.DictReader(io.StringIO(run(demo_db, "copies", "--format", "csv").stdout.decode())))
    assert rows and set(rows[0]) == {"article_id", "source", "title", "relation", "similarity", "origin_id",
                                     "origin_source", "origin_title"}
    assert all(r["title"] and r["origin_title"] for r in rows)
