"""Runs record their progress with each committed batch and a state (running, finished, failed, interrupted); a run
whose process was killed is shown as interrupted with what it committed, and running the input again completes it."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

from storyline.pipeline import open_pipeline
from storyline.records import Origin, RawItem, RunStats
from storyline.settings import Settings
from storyline.store import Store

from .conftest import storyline_cli

LEXICAL = Settings().with_overrides({"cluster.profile": "lexical", "copies.enabled": "false"})


def synthetic_corpus(path: Path, n_events: int = 60, per_event: int = 20, seed: int = 3) -> Path:
    """``n_events × per_event`` reports: each event has its own words, each report a random draw of them."""
    rng = random.Random(seed)
    lines = []
    for e in range(n_events):
        vocab = [f"w{e}x{k}" for k in range(30)]
        for i in range(per_event):
            words = rng.sample(vocab, 18) + [rng.choice(("said", "reported", "told", "added")) for _ in range(6)]
            lines.append(json.dumps({"id": f"e{e}-{i}", "source": f"Outlet {i % 7}", "title": " ".join(words[:6]),
                                     "date": f"2031-05-{1 + e % 28:02d}T{i % 24:02d}:00:00Z",
                                     "text": " ".join(words) + "."}))
    rng.shuffle(lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def cli(db: Path, *args: str) -> list[str]:
    return storyline_cli() + ["--db", str(db), "--set", "cluster.profile=lexical", "--set", "copies.enabled=false",
                              "--set", "ingest.batch_size=16", *args]


def runs(db: Path) -> list[dict]:
    out = subprocess.run(cli(db, "runs", "--format", "json"), capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def groups(db: Path) -> set[frozenset[str]]:
    with Store(db) as s:
        rows = s.query("SELECT m.story_id, a.external_id FROM memberships m JOIN articles a ON a.id = m.article_id")
    by: dict[str, set[str]] = {}
    for sid, eid in rows:
        by.setdefault(sid, set()).add(eid)
    return {frozenset(v) for v in by.values()}


def story_ids(db: Path) -> set[str]:
    with Store(db) as s:
        return {r[0] for r in s.query("SELECT id FROM stories")}


# `storyline ingest` whose input stalls after PAUSE_AFTER records (the real CLI, its reader and its time ordering;
# only the iterator is wrapped), so the test kills it at a known point: mid-run, with batches committed
STALLING_INGEST = """
import sys, time
from pathlib import Path
from storyline.ingest import order
real, marker = order.time_ordered, Path(sys.argv[1])
def stalling(items, window, *args, **kwargs):
    for i, item in enumerate(real(items, window, *args, **kwargs)):
        if i == PAUSE_AFTER:
            marker.touch()
            time.sleep(600)
        yield item
order.time_ordered = stalling
sys.argv = ["storyline", *sys.argv[2:]]
from storyline.cli import main
main()
"""
PAUSE_AFTER = 100


def test_a_killed_ingest_is_shown_interrupted_with_what_it_committed_and_a_rerun_completes_it(tmp_path):
    import sys

    corpus = synthetic_corpus(tmp_path / "events.jsonl")
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    killed, marker = tmp_path / "killed.db", tmp_path / "stalled"
    script = STALLING_INGEST.replace("PAUSE_AFTER", str(PAUSE_AFTER))
    args = cli(killed, "ingest", str(corpus))[len(storyline_cli()):]
    proc = subprocess.Popen([sys.executable, "-c", script, str(marker), *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 180
        while not marker.exists():
            assert proc.poll() is None, f"the ingest ended before it stalled: {proc.stderr.read()!r}"
            assert time.monotonic() < deadline, "the ingest did not reach its stall within 180 s"
            time.sleep(0.05)
        with Store(killed) as s:
            assert s.query("SELECT state FROM runs")[0][0] == "running"
            assert runs(killed)[-1]["state"] == "running"  # its process holds the ingest lock
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        proc.stderr.close()

    run = runs(killed)[-1]
    assert run["state"] == "interrupted", run
    assert run["seen"] == PAUSE_AFTER // 16 * 16 and run["accepted"] > 0 and "did not finish" in run["error"]
    assert run["seen"] == run["accepted"] + run["rejected"] + run["duplicates"]
    with Store(killed) as s:  # the counts are exactly what it committed
        assert s.query("SELECT count(*) FROM articles WHERE run_id=?", (run["id"],))[0][0] == run["accepted"]
        assert s.query("SELECT state FROM runs WHERE id=?", (run["id"],))[0][0] == "running"  # as the dead left it

    again = subprocess.run(cli(killed, "ingest", str(corpus)), env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    first, second = runs(killed)
    assert first["state"] == "interrupted" and second["state"] == "finished" and second["error"] is None
    assert second["seen"] == 1200 and second["duplicates"] == first["accepted"]
    assert second["accepted"] == 1200 - first["accepted"]

    whole = tmp_path / "whole.db"
    ok = subprocess.run(cli(whole, "ingest", str(corpus)), env=env, capture_output=True, text=True, timeout=600)
    assert ok.returncode == 0, ok.stderr
    assert groups(killed) == groups(whole)
    assert story_ids(killed) == story_ids(whole)


def items(n: int, fail_after: int | None = None):
    for i in range(n):
        if fail_after is not None and i == fail_after:
            raise OSError(28, "No space left on device")
        yield RawItem(Origin("gen.jsonl", i + 1), text=f"Report number {i} about event {i} in town {i}.",
                      title=f"Event {i}", source="Gen")


def test_progress_is_written_with_each_batch_and_a_failure_keeps_it(tmp_path):
    settings = LEXICAL.with_overrides({"ingest.batch_size": 5})
    with Store(tmp_path / "p.db") as store:
        pipeline = open_pipeline(store, settings)
        seen_in_batches = []
        stats = pipeline.run(items(12), progress=lambda n: seen_in_batches.append(store.runs()[-1]["seen"]))
        assert seen_in_batches == [5, 10, 12]  # written inside each batch's transaction, before progress reports
        run = store.runs()[-1]
        assert (run["state"], run["seen"], run["accepted"], run["error"]) == ("finished", 12, 12, None)
        with pytest.raises(OSError):
            pipeline.run(items(30, fail_after=13))
        run = store.runs()[-1]
        assert run["state"] == "failed" and run["seen"] == 10 and "No space left" in run["error"]
        assert run["id"] == stats.run_id + 1


def test_a_running_run_of_a_live_process_stays_running(tmp_path):
    """While the ingest lock is held the open run is running; once it is free the same record reads interrupted."""
    from storyline.store.lock import ingest_lock

    db = tmp_path / "r.db"
    with Store(db) as store:
        with ingest_lock(str(db)):
            run_id = store.start_run("ingest")
            assert store.runs()[-1]["state"] == "running"
        assert store.runs()[-1]["state"] == "interrupted"
        with ingest_lock(str(db)):  # the next run (under the lock) records the dead one as interrupted
            store.start_run("ingest")
        states = {r["id"]: r["state"] for r in store.query("SELECT id, state FROM runs")}
        assert states == {run_id: "interrupted", run_id + 1: "running"}


def test_the_api_lists_runs_newest_first_with_their_state(tmp_path):
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from storyline.api import create_app
    from storyline.store.lock import ingest_lock

    db = tmp_path / "api.db"
    with Store(db) as store:
        open_pipeline(store, LEXICAL).run(items(3))
        with ingest_lock(str(db)):  # a run whose process "died": left running, lock released
            dead = store.start_run("ingest")
            store.record_progress(RunStats(dead, 2, 2, 0, 0, 1))
    with TestClient(create_app(db, LEXICAL.with_overrides({"web.prewarm_stories": 0}))) as c:
        body = c.get("/api/runs").json()
    assert [(r["id"], r["state"], r["seen"], r["accepted"]) for r in body["runs"]] == [
        (dead, "interrupted", 2, 2), (dead - 1, "finished", 3, 3)]
    assert "did not finish" in body["runs"][0]["error"]
