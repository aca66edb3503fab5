"""The ingest queue and the long-lived ingest worker (storyline/service/worker.py, docs/worker.md): API and CLI
writers queue, one worker ingests in arrival order through the pipeline without restoring per run, and a worker
killed with SIGKILL mid-queue loses and duplicates nothing once restarted."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from storyline.ingest import read_paths
from storyline.pipeline import open_pipeline
from storyline.records import Origin, RawItem, Rejected
from storyline.service.worker import IngestWorker, wait_for_run
from storyline.settings import Settings
from storyline.store import Store

from .conftest import DEMO_CORPUS, REPO, free_port, storyline_cli, wait_until_serving

LEXICAL = Settings().with_overrides({"cluster.profile": "lexical"})
TOKEN = "worker-test-token"
TOPICS = [f"{a} {b}" for a in ("harbour", "reservoir", "railway", "vineyard", "glacier", "satellite", "orchestra",
                                 "wildfire") for b in ("strike", "flood", "merger", "verdict", "festival")]


def record(i: int, topic: str | None = None) -> dict:
    """An article of one of a dozen topics (articles of a topic share their wording, so they cluster)."""
    topic = topic or TOPICS[i % len(TOPICS)]
    return {"id": f"r-{i}", "source": f"Outlet {i % 7}", "date": f"2031-05-{1 + i % 28:02d}T{i % 24:02d}:00:00Z",
            "title": f"The {topic} story, report {i}",
            "text": f"Officials said the {topic} was the focus on day {i % 28}. Report number {i} adds that the "
                    f"{topic} affair drew crowds, and that {i * 7919 % 1000} people attended."}


def cluster_of(store: Store) -> set[frozenset[str]]:
    """The stories as sets of article titles (ids of stories differ between two stores)."""
    groups: dict[str, set[str]] = {}
    for a in store.list_articles():
        groups.setdefault(a["story_id"], set()).add(a["title"])
    return {frozenset(g) for g in groups.values()}


def items_of(records: list[dict]) -> list[RawItem | Rejected]:
    from storyline.ingest.structured import record_to_item

    return [record_to_item(r, Origin("t.jsonl", i), "jsonl") for i, r in enumerate(records, 1)]


# -- the worker ingests what was queued, in order, as a plain ingest would --------------------------------------------

def test_queued_runs_cluster_exactly_as_a_plain_ingest_and_the_state_is_built_once(tmp_path: Path) -> None:
    records = [record(i) for i in range(60)]
    with Store(tmp_path / "plain.db") as plain:
        open_pipeline(plain, LEXICAL).run(items_of(records))
        expected = cluster_of(plain)
    with Store(tmp_path / "q.db") as store:
        runs = [store.enqueue_ingest(items_of(records[i:i + 20])) for i in range(0, 60, 20)]
        assert store.count_articles() == 0 and store.ingest_queue_depth() == {"runs": 3, "items": 60}
        assert [store.get_run(r)["state"] for r in runs] == ["queued"] * 3
    worker = IngestWorker(str(tmp_path / "q.db"), LEXICAL).open()
    try:
        clusterer = worker.pipeline.clusterer
        worker.run(drain=True)
        assert worker.runs == 3 and worker.items == 60
        assert worker.pipeline.clusterer is clusterer  # never restored from the store between runs
    finally:
        worker.close()
    with Store(tmp_path / "q.db") as store:
        assert cluster_of(store) == expected
        got = [store.get_run(r) for r in runs]
        assert [(g["state"], g["seen"], g["accepted"], g["queued"]) for g in got] == [("finished", 20, 20, 0)] * 3
        assert store.ingest_queue_depth() == {"runs": 0, "items": 0}


def test_a_worker_sees_what_another_process_ingested_meanwhile(tmp_path: Path) -> None:
    """A plain `ingest` between two queued runs: the worker restores then (the store's ingest generation changed),
    so the queued articles cluster with the directly ingested ones."""
    db = tmp_path / "mixed.db"
    worker = IngestWorker(str(db), LEXICAL).open()
    try:
        with Store(db) as other:
            other.enqueue_ingest(items_of([record(0, "glacier strike")]))
        worker.run(drain=True)
        with Store(db) as other:
            open_pipeline(other, LEXICAL).run(items_of([record(1, "glacier strike")]))
            other.enqueue_ingest(items_of([record(2, "glacier strike")]))
        worker.run(drain=True)
    finally:
        worker.close()
    with Store(db) as store:
        assert len(cluster_of(store)) == 1  # one story: the three reports of the glacier strike


# -- the API queues; ?wait=true and GET /api/ingest/{run_id} follow the run ---------------------------------------------

def test_api_ingest_answers_202_with_the_run_id_and_the_worker_ingests_it(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from storyline.api import create_app

    auth = {"Authorization": f"Bearer {TOKEN}"}
    with TestClient(create_app(tmp_path / "api.db", LEXICAL, token=TOKEN)) as c:
        r = c.post("/api/ingest", json=[record(1), {"title": " ", "source": "x"}], headers=auth)
        assert r.status_code == 202, r.text
        body = r.json()
        assert body["state"] == "queued" and body["items"] == 2 and body["status"] == f"/api/ingest/{body['run_id']}"
        deadline = time.monotonic() + 60
        while (s := c.get(body["status"])).status_code == 202 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert s.status_code == 200, s.text
        done = s.json()
        assert (done["state"], done["seen"], done["accepted"], done["rejected"], done["duplicates"]) == (
            "finished", 2, 1, 1, 0)
        assert len(done["articles"]) == 1 and done["rejects"][0]["reason"] == "no-text"
        again = c.post("/api/ingest?wait=true", json=record(1), headers=auth)
        assert again.status_code == 200 and again.json()["duplicates"] == 1 and again.json()["articles"] == []
        assert c.get("/api/ingest/999999").status_code == 404


def test_a_read_only_api_process_queues_and_waits_for_a_worker_elsewhere(tmp_path: Path) -> None:
    """An app without its own worker (serve --no-worker) queues; ?wait=true polls the store until the worker of
    another process (here: a worker on its own thread and store) has ingested the run."""
    from fastapi.testclient import TestClient

    from storyline.api import create_app

    db = tmp_path / "ro.db"
    app = create_app(db, LEXICAL, token=TOKEN, ingest_worker=False)
    assert app.state.ingest_worker is None
    worker = IngestWorker(str(db), LEXICAL, poll_s=0.05).start()
    try:
        with TestClient(app) as c:
            r = c.post("/api/ingest?wait=true", json=[record(3), record(4)],
                       headers={"Authorization": f"Bearer {TOKEN}"})
            assert r.status_code == 200, r.text
            assert r.json()["accepted"] == 2 and len(r.json()["articles"]) == 2
    finally:
        assert worker.stop()
    assert worker.runs == 1


def test_wait_gives_up_after_its_timeout_with_the_run_still_queued(tmp_path: Path) -> None:
    with Store(tmp_path / "w.db") as store:
        run = store.enqueue_ingest(items_of([record(5)]))
        t0 = time.monotonic()
        got = wait_for_run(store, run, timeout=0.3)
        assert got["state"] == "queued" and got["queued"] == 1 and time.monotonic() - t0 >= 0.3


# -- the CLI: ingest --queue, worker --drain -----------------------------------------------------------------------

def _cli(db: Path, *args: str, env: dict | None = None, **kw) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "STORYLINE_CLUSTER_PROFILE": "lexical", **(env or {})}
    full_env.pop("STORYLINE_DB", None)
    return subprocess.run(storyline_cli() + ["--db", str(db), *args], cwd=REPO, capture_output=True, text=True,
                          env=full_env, timeout=300, **kw)


@pytest.mark.skipif(not (DEMO_CORPUS / "articles.jsonl").exists(), reason="the demo corpus is not present")
def test_cli_ingest_queue_then_worker_drain_gives_the_stories_of_a_plain_ingest(tmp_path: Path) -> None:
    queued = _cli(tmp_path / "q.db", "ingest", "--queue", str(DEMO_CORPUS))
    assert queued.returncode == 0, queued.stderr
    assert "queued" in queued.stderr and "storyline worker" in queued.stderr
    with Store(tmp_path / "q.db") as store:
        assert store.count_articles() == 0 and store.ingest_queue_depth()["runs"] == 1
    drained = _cli(tmp_path / "q.db", "worker", "--drain")
    assert drained.returncode == 0, drained.stderr
    assert "run 1: seen" in drained.stderr
    plain = _cli(tmp_path / "p.db", "ingest", str(DEMO_CORPUS))
    assert plain.returncode == 0, plain.stderr
    with Store(tmp_path / "q.db") as q, Store(tmp_path / "p.db") as p:
        assert cluster_of(q) == cluster_of(p) and q.count_articles() == p.count_articles() > 0
        assert q.runs()[0]["command"] == "ingest --queue" and q.runs()[0]["state"] == "finished"


# -- a worker killed with SIGKILL mid-queue: lost 0, duplicated 0 ----------------------------------------------------

def test_a_worker_killed_mid_queue_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    db = tmp_path / "kill.db"
    n_runs, per_run = 3, 120
    records = [record(i) for i in range(n_runs * per_run)]
    runs: list[list] = [items_of(records[i * per_run:(i + 1) * per_run]) for i in range(n_runs)]
    runs[2][:5] = items_of(records[:5])  # five records of run 1 again: counted as duplicates, stored once
    runs[2][5] = Rejected("t.jsonl:6", "ingest", "malformed-json", "Expecting value (column 1)")
    with Store(db) as store:
        run_ids = [store.enqueue_ingest(items) for items in runs]
    total_distinct = n_runs * per_run - 5 - 1

    env = {"STORYLINE_INGEST_BATCH_SIZE": "4"}  # many small commits, so the kill lands between two of them
    proc = subprocess.Popen(storyline_cli() + ["--db", str(db), "worker"], cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "STORYLINE_CLUSTER_PROFILE": "lexical", **env})
    try:
        deadline = time.monotonic() + 240
        with Store(db) as store:
            while store.count_articles() < per_run + 20:  # into the second run
                assert proc.poll() is None, proc.stderr.read()
                assert time.monotonic() < deadline, "the worker made no progress"
                time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
        proc.stderr.close()

    with Store(db) as store:
        stored_at_kill = store.count_articles()
        depth = store.ingest_queue_depth()
        assert stored_at_kill < total_distinct and depth["items"] > 0, (stored_at_kill, depth)  # mid-queue
        states = [store.get_run(r)["state"] for r in run_ids]
        assert states == ["finished", "interrupted", "queued"], states  # its process died: shown as interrupted
        second = store.get_run(run_ids[1])
        assert second["seen"] + second["queued"] == per_run  # each item either committed or still queued

    drained = _cli(db, "worker", "--drain", env=env)
    assert drained.returncode == 0, drained.stderr

    with Store(db) as store:
        assert store.ingest_queue_depth() == {"runs": 0, "items": 0}
        got = [store.get_run(r) for r in run_ids]
        assert [g["state"] for g in got] == ["finished"] * 3
        for g, items in zip(got, runs):
            assert g["seen"] == len(items) == g["accepted"] + g["rejected"] + g["duplicates"], g
        assert [(g["duplicates"], g["rejected"]) for g in got] == [(0, 0), (0, 0), (5, 1)]  # duplicated 0
        articles = store.list_articles()
        titles = [a["title"] for a in articles]
        assert len(titles) == len(set(titles)) == total_distinct == sum(g["accepted"] for g in got)  # lost 0
        assert all(a["story_id"] is not None for a in articles)  # each one clustered
        assert len(store.list_rejects()) == 1


def test_sigterm_stops_the_worker_after_a_batch_and_the_next_one_finishes_the_run(tmp_path: Path) -> None:
    db = tmp_path / "term.db"
    with Store(db) as store:
        run = store.enqueue_ingest(items_of([record(i) for i in range(150)]))
    env = {**os.environ, "STORYLINE_CLUSTER_PROFILE": "lexical", "STORYLINE_INGEST_BATCH_SIZE": "4"}
    proc = subprocess.Popen(storyline_cli() + ["--db", str(db), "worker"], cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 120
        with Store(db) as store:
            while store.count_articles() < 20:
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
        err = proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
        proc.stderr.close()
    assert "stopped; the items not yet ingested stay queued" in err, err
    with Store(db) as store:
        got = store.get_run(run)
        assert got["state"] == "interrupted" and got["queued"] > 0 and got["seen"] + got["queued"] == 150, got
    assert _cli(db, "worker", "--drain").returncode == 0
    with Store(db) as store:
        got = store.get_run(run)
        assert (got["state"], got["seen"], got["accepted"], got["queued"]) == ("finished", 150, 150, 0)
        assert store.count_articles() == 150


def test_serve_runs_the_ingest_worker_unless_told_not_to(tmp_path: Path) -> None:
    """`storyline serve` ingests what `ingest --queue` queued (even without a write token); `--no-worker` leaves it
    queued for a worker elsewhere."""
    import httpx

    db = tmp_path / "serve.db"
    with Store(db) as store:
        run = store.enqueue_ingest(items_of([record(i) for i in range(3)]), command="ingest --queue")
    env = {**os.environ, "STORYLINE_CLUSTER_PROFILE": "lexical", "STORYLINE_WEB_PREWARM_STORIES": "0"}
    env.pop("STORYLINE_TOKEN", None)
    for flags, want in [(["--no-worker"], "queued"), ([], "finished")]:
        port = free_port()
        proc = subprocess.Popen(storyline_cli() + ["--db", str(db), "serve", "--port", str(port), *flags], cwd=REPO,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
        try:
            assert wait_until_serving(f"http://127.0.0.1:{port}", proc, 60)
            deadline = time.monotonic() + (3 if want == "queued" else 60)
            while time.monotonic() < deadline:
                state = httpx.get(f"http://127.0.0.1:{port}/api/ingest/{run}", timeout=10).json()["state"]
                if state == "finished":
                    break
                time.sleep(0.1)
            assert state == want, (flags, state)
        finally:
            proc.terminate()
            proc.wait(30)
            err = proc.stderr.read()
            proc.stderr.close()
        assert ("no ingest worker: --no-worker" in err) == bool(flags), err
    with Store(db) as store:
        assert store.count_articles() == 3
