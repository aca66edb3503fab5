"""`storyline --db postgresql://… ingest` of the demo corpus, end to end against the real test server
(tests/pg_server.py): the clusterer's restore, the copies stage and the story views run through Store methods only,
and give the stories, memberships, copies and views that the same two runs give on SQLite."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from storyline.store import open_store

from .conftest import DEMO_CORPUS, storyline_cli

pytest.importorskip("psycopg", reason="the postgres extra is not installed")


def _cli(db: str, cwd: Path, profile: str, *args: str) -> str:
    env = {**os.environ, "STORYLINE_CLUSTER_PROFILE": profile, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    env.pop("STORYLINE_DB", None)
    p = subprocess.run([*storyline_cli(), "--db", db, *args], cwd=cwd, capture_output=True, text=True, env=env,
                       timeout=300)
    assert p.returncode == 0, p.stderr
    return p.stderr + p.stdout


def _state(db: str) -> dict:
    """What the two runs left: stories, memberships, aliases, copies, runs' counts, and every story's view."""
    from storyline.copies.detector import all_copies, copies_for_story
    from storyline.stories import build_view

    with open_store(db) as s:
        stories = s.list_stories(order="oldest")
        views = {}
        for st in stories:
            v = build_view(s, st.id).to_dict()
            v.pop("timings", None)
            views[st.id] = v
        return {"stories": stories, "members": s.story_of_articles(), "aliases": s.alias_map(),
                "copies": all_copies(s), "story_copies": {st.id: copies_for_story(s, st.id) for st in stories},
                "runs": [(r["seen"], r["accepted"], r["duplicates"], r["new_stories"], r["state"]) for r in s.runs()],
                "embeddings": s.embedding_models(), "views": views}


def _copies_after_rebuild(db: str, cwd: Path, profile: str) -> list:
    """`storyline copies --rebuild` (forget every copy and re-detect in arrival order), then the stored copies."""
    from storyline.copies.detector import all_copies

    _cli(db, cwd, profile, "copies", "--rebuild", "--format", "json")
    with open_store(db) as s:
        return all_copies(s)


@pytest.mark.slow  # four CLI ingests and every story's view, twice
@pytest.mark.parametrize("profile", ["lexical", pytest.param("default", marks=pytest.mark.dense)])
def test_demo_corpus_ingests_into_postgres_as_into_sqlite(tmp_path: Path, pg_url: str, profile: str) -> None:
    lite = str(tmp_path / "demo.db")
    for db in (lite, pg_url):
        first = _cli(db, tmp_path, profile, "ingest", str(DEMO_CORPUS / "articles.jsonl"))
        second = _cli(db, tmp_path, profile, "ingest", str(DEMO_CORPUS / "wire"))  # restores clusterer and copy index
        assert "run 1:" in first and "run 2:" in second, (first, second)
    a, b = _state(lite), _state(pg_url)
    rebuilt = [_copies_after_rebuild(db, tmp_path, profile) for db in (lite, pg_url)]
    assert rebuilt[0] == rebuilt[1] == a["copies"]
    assert len(a["stories"]) >= 10 and a["copies"] and len(a["members"]) == 49
    assert a["runs"][1][0] == 5 and all(r[-1] == "finished" for r in a["runs"])
    assert bool(a["embeddings"]) == (profile == "default")
    assert sorted(tmp_path.iterdir()) == sorted(tmp_path.glob("demo.db*"))  # no `postgresql:` folder
    for key in a:
        assert b[key] == a[key], key
