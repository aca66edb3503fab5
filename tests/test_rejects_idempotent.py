"""Rejects are stored once per input: the same input (location, content) with the same reason, met again by a later
run, is counted in that run and linked to it, not stored a second time."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from storyline.store import Store

from .conftest import storyline_cli

pytestmark = pytest.mark.backends("sqlite", "postgres")  # every test that takes `store` runs on both


def mixed_file(path: Path) -> Path:
    """5 good records and 20 bad ones: 10 malformed JSON lines (reader rejects), 10 records with neither title nor
    text (normalize rejects; a title alone is a headline-only article)."""
    lines = []
    for i in range(5):
        lines.append(json.dumps({"id": f"g{i}", "source": "Good Post", "title": f"Harbour crane {i} collapses",
                                 "text": f"A crane number {i} collapsed at the harbour on Tuesday, officials said."}))
    for i in range(10):
        lines.append('{"id": "b%d", "title": "broken' % i + "x" * i)
        lines.append(json.dumps({"id": f"n{i}", "source": "Empty Post", "title": "", "text": f"{' ' * i}"}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def cli(db: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(storyline_cli() + ["--db", str(db), "--set", "cluster.profile=lexical", *args],
                          capture_output=True, text=True, timeout=300)


def test_three_runs_of_a_file_with_20_bad_lines_store_20_rejects_and_each_run_counts_them(tmp_path):
    data, db = mixed_file(tmp_path / "mixed.jsonl"), tmp_path / "r.db"
    for _ in range(3):
        out = cli(db, "ingest", str(data))
        assert out.returncode == 1 and "20 rejected" in out.stderr, out.stderr
    runs = json.loads(cli(db, "runs", "--format", "json").stdout)
    assert [(r["seen"], r["accepted"], r["rejected"], r["duplicates"], r["state"]) for r in runs] == [
        (25, 5, 20, 0, "finished"), (25, 0, 20, 5, "finished"), (25, 0, 20, 5, "finished")]
    assert all(r["seen"] == r["accepted"] + r["rejected"] + r["duplicates"] for r in runs)
    everything = json.loads(cli(db, "rejects", "--format", "json").stdout)
    assert len(everything) == 20 and {r["run_id"] for r in everything} == {runs[0]["id"]}
    assert {r["reason"] for r in everything} == {"malformed-json", "no-text"}
    for run in runs:  # each run lists the 20 inputs it rejected, stored or not by an earlier run
        listed = json.loads(cli(db, "rejects", "--run", str(run["id"]), "--format", "json").stdout)
        assert len(listed) == 20 and {r["run_id"] for r in listed} == {run["id"]}
        assert {r["id"] for r in listed} == {r["id"] for r in everything}
    with Store(db) as s:
        assert s.query("SELECT count(*) FROM rejects")[0][0] == 20
        assert tuple(s.query("SELECT count(*), sum(n) FROM run_rejects")[0]) == (60, 60)


def test_a_changed_record_at_the_same_place_is_a_new_reject(tmp_path, store):
    """The content hash of the offending record is part of its identity: the same line number with another text-less
    record is another input; the same record given twice in one run is stored once and counted twice."""
    from storyline.pipeline import open_pipeline
    from storyline.records import Origin, RawItem
    from storyline.settings import Settings

    pipeline = open_pipeline(store, Settings().with_overrides({"cluster.profile": "lexical"}))
    empty = RawItem(Origin("feed.jsonl", 3), text="", title="", source="S", url="https://s.test/1")
    other = RawItem(Origin("feed.jsonl", 3), text="", title="", source="S", url="https://s.test/2")
    first = pipeline.run([empty, empty])
    assert first.rejected == 2 and len(store.list_rejects()) == 1
    assert list(store.run_reject_counts(first.run_id).values()) == [2]
    second = pipeline.run([other, empty])
    assert second.rejected == 2 and len(store.list_rejects()) == 2
    assert len(store.list_rejects(run_id=second.run_id)) == 2


def test_rejects_stored_before_the_migration_are_kept_and_deduplicated_from_then_on(tmp_path):
    """A database whose rejects repeat (stored before migration 0005): the first of each input becomes its row."""
    import sqlite3

    from storyline.store.sqlite import _migrations, _split_sql

    db = tmp_path / "old.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    for name, sql in _migrations():
        if name >= "0005":
            break
        for statement in _split_sql(sql):
            conn.execute(statement)
        conn.execute("INSERT INTO schema_migrations VALUES (?, '2026-01-01')", (name,))
    for run in (1, 2):
        conn.execute("INSERT INTO runs(id, command, started_at, finished_at, seen, rejected) "
                     "VALUES (?, 'ingest', '2026-01-01', '2026-01-01', 1, 1)", (run,))
        conn.execute("INSERT INTO rejects(run_id, ref, stage, reason, detail, created_at) "
                     "VALUES (?, 'a.jsonl:1', 'ingest', 'malformed-json', 'Expecting value (column 1)', '2026-01-01')",
                     (run,))
    conn.execute("INSERT INTO runs(id, command, started_at) VALUES (3, 'ingest', '2026-01-02')")  # killed, old schema
    conn.commit()
    conn.close()
    with Store(db) as s:
        assert [r["state"] for r in s.runs()] == ["finished", "finished", "interrupted"]
        assert [len(s.list_rejects(run_id=r)) for r in (1, 2)] == [1, 1]
        from storyline.records import Rejected

        with s.transaction():
            s.add_reject(Rejected("a.jsonl:1", "ingest", "malformed-json", "Expecting value (column 1)"), 3)
        assert s.query("SELECT count(*) FROM rejects")[0][0] == 2  # the two old rows; the new run links the first
        assert s.list_rejects(run_id=3)[0]["id"] == s.list_rejects(run_id=1)[0]["id"]
