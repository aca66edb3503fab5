"""`storyline serve --workers N`: N uvicorn worker processes on one socket over one store.

The slow tests start the real command in a subprocess on a free 127.0.0.1 port over a database built from the demo
corpus, and check that two different worker processes answer, that concurrent API ingests through both workers store
every article exactly once and cluster as if they had run one after the other (the file lock, docs/web.md), that a
worker's cached story view never hides another worker's ingest, and that SIGTERM (or a killed parent) leaves no
worker behind.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import stat
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from .conftest import DEMO_CORPUS, REPO, free_port, storyline_cli, wait_until_serving

httpx = pytest.importorskip("httpx")

TOKEN = "workers-test-token"
LEXICAL = ["--set", "cluster.profile=lexical", "--set", "stories.entities=rules"]

# three events the demo corpus does not have; each gets four articles from four sources (sentences rotated)
EVENTS = {
    "dam": ("Orvalla dam", [
        "Engineers found a crack in the spillway of the Orvalla dam during a routine inspection on Thursday.",
        "The regional water board lowered the reservoir by two metres as a precaution and closed the crest road.",
        "Board chair Mirela Tosk said the crack was about forty centimetres long and posed no immediate danger.",
        "Divers from the Kestmark dive unit will survey the underwater face of the spillway on Friday.",
        "Residents of Lower Orvalla were told they did not need to leave their homes.",
    ]),
    "bridge": ("Quillon bridge", [
        "The Quillon suspension bridge was closed to lorries on Thursday after sensors recorded unusual cable "
        "vibration.",
        "Traffic officials sent heavy vehicles on a sixty kilometre detour through Farrowby and Heddle.",
        "Chief bridge engineer Tobias Wrenfield said cars and buses could still cross at thirty kilometres an hour.",
        "The cables were last replaced in 1998 and a full inspection had been planned for the autumn.",
        "Hauliers said the detour would add two hours to every crossing between the two ports.",
    ]),
    "trial": ("Brannock vaccine trial", [
        "Researchers at the Brannock institute began a trial of a nasal influenza vaccine with 1,200 volunteers.",
        "Volunteers aged sixty to eighty will receive two doses of the spray four weeks apart.",
        "Lead investigator Oksana Pelletreau said the spray trains immune cells in the nose and throat.",
        "First results on antibody levels are expected in the spring, the Brannock institute said.",
        "The trial is funded by the national health research council and two regional hospitals.",
    ]),
}
SOURCES = ["North Gazette", "Coastal Times", "Metro Daily", "Valley Post"]


def event_article(event: str, k: int) -> dict:
    name, sentences = EVENTS[event]
    rotated = sentences[k:] + sentences[:k]
    return {"title": f"{name}: update {k + 1} from {SOURCES[k]}", "text": " ".join(rotated), "source": SOURCES[k],
            "date": f"2026-03-20T{8 + k:02d}:00:00+00:00",
            "url": f"https://{SOURCES[k].lower().replace(' ', '-')}.test/{event}/{k}"}


def _children(pid: int) -> set[int]:
    """The live processes whose parent is ``pid`` (from /proc), zombies left out."""
    out = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # it ended while we looked
            if int(fields[1]) == pid and fields[0] != "Z":
                out.add(int(entry.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    if not (DEMO_CORPUS / "articles.jsonl").exists():
        pytest.skip("the demo corpus (storyline/demo/corpus) is not present")
    db = tmp_path_factory.mktemp("workers-db") / "demo.db"
    built = subprocess.run(storyline_cli() + ["--db", str(db), *LEXICAL, "ingest", str(DEMO_CORPUS)], cwd=REPO,
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    return db


class Server:
    """``storyline serve`` in a subprocess; ``stop()`` sends SIGTERM and waits (SIGKILL only if it hangs)."""

    def __init__(self, db: Path, tmp: Path, args: list[str], token: str = TOKEN, env: dict[str, str] | None = None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.tmpdir = tmp / "tmpdir"  # TMPDIR of the server: where its hand-over directory goes
        self.tmpdir.mkdir(exist_ok=True)
        self.log_path = tmp / f"serve-{self.port}.log"
        env = dict(os.environ, STORYLINE_TOKEN=token, TMPDIR=str(self.tmpdir), HF_HUB_OFFLINE="1",
                   TRANSFORMERS_OFFLINE="1", **(env or {}))
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(storyline_cli() + ["--db", str(db), *LEXICAL, "serve", "--host",
                                                            "127.0.0.1", "--port", str(self.port), *args],
                                         cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        if not wait_until_serving(self.base, self.proc, 90):
            self.stop()
            raise AssertionError(f"storyline serve did not start: {self.log()}")

    def log(self) -> str:
        return self.log_path.read_text()

    def worker_pids(self, n: int = 2, timeout: float = 60) -> set[int]:
        """The pids of the worker processes, from /api/health over fresh connections until ``n`` were seen."""
        seen: set[int] = set()
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.base, timeout=30,
                          limits=httpx.Limits(max_keepalive_connections=0)) as c, ThreadPoolExecutor(8) as pool:
            while len(seen) < n and time.monotonic() < deadline:
                for r in pool.map(lambda _: c.get("/api/health"), range(16)):
                    assert r.status_code == 200, r.text
                    seen.add(r.json()["worker"]["pid"])
        return seen

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"storyline serve did not stop within {timeout} s of signal {sig}: {self.log()}")


def _pinned_clients(server: Server, per_worker: int) -> dict[int, list[httpx.Client]]:
    """Keep-alive clients of one connection each, grouped by the worker process that holds their connection (a
    connection stays with the process that accepted it), ``per_worker`` for each of the two workers."""
    groups: dict[int, list[httpx.Client]] = {}
    spare: list[httpx.Client] = []
    deadline = time.monotonic() + 60
    while (len(groups) < 2 or min(len(g) for g in groups.values()) < per_worker) and time.monotonic() < deadline:
        batch = [httpx.Client(base_url=server.base, timeout=120, limits=httpx.Limits(max_connections=1))
                 for _ in range(8)]
        with ThreadPoolExecutor(8) as pool:
            pids = list(pool.map(lambda c: c.get("/api/health").json()["worker"]["pid"], batch))
        for c, pid in zip(batch, pids):
            group = groups.setdefault(pid, [])
            (group if len(group) < per_worker else spare).append(c)
    for c in spare:
        c.close()
    assert len(groups) == 2 and min(len(g) for g in groups.values()) >= per_worker, \
        f"could not reach two workers: {sorted(groups)}"
    return groups


def _pid_of(client: httpx.Client) -> int:
    return client.get("/api/health").json()["worker"]["pid"]


# -- settings and the hand-over (fast) ----------------------------------------------------------------------------

def test_workers_must_be_at_least_one(tmp_path):
    p = subprocess.run(storyline_cli() + ["--db", str(tmp_path / "t.db"), "serve", "--workers", "0"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "--workers" in p.stderr and "Traceback" not in p.stderr
    p = subprocess.run(storyline_cli() + ["--db", str(tmp_path / "t.db"), "--set", "web.workers=0", "serve"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "web.workers must be at least 1, got 0" in p.stderr, p.stderr
    p = subprocess.run(storyline_cli() + ["--db", str(tmp_path / "t.db"), "--set", "web.workers=two", "serve"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "web.workers must be an integer" in p.stderr, p.stderr


def test_the_handover_is_private_and_gone_afterwards(tmp_path, monkeypatch):
    from storyline.api.factory import SPEC_ENV, WorkerHandover, settings_from_dict
    from storyline.settings import Settings

    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    monkeypatch.delenv(SPEC_ENV, raising=False)
    settings = Settings().with_overrides({"web.workers": 3, "cluster.profile": "lexical", "web.page_size": 7})
    with WorkerHandover("/data/x.db", settings, "s3cret", 3) as h:
        spec_path = Path(os.environ[SPEC_ENV])
        assert "s3cret" not in os.environ[SPEC_ENV]
        assert stat.S_IMODE(spec_path.stat().st_mode) == 0o600
        assert stat.S_IMODE(spec_path.parent.stat().st_mode) == 0o700
        spec = json.loads(spec_path.read_text())
        assert (spec["db"], spec["token"], spec["workers"]) == ("/data/x.db", "s3cret", 3)
        assert settings_from_dict(spec["settings"]) == settings
        folder = h.dir
    assert SPEC_ENV not in os.environ and not folder.exists() and list(tmp_path.iterdir()) == []


def test_a_worker_that_cannot_build_its_app_exits_with_the_startup_failure_code(tmp_path, monkeypatch):
    from storyline.api.factory import SPEC_ENV, STARTUP_FAILURE, WorkerHandover, create_worker_app
    from storyline.settings import Settings

    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    monkeypatch.delenv(SPEC_ENV, raising=False)
    not_a_db = tmp_path / "page.html"
    not_a_db.write_text("<!doctype html><p>not a database</p>\n" * 50, "utf-8")
    with WorkerHandover(str(not_a_db), Settings(), "", 2) as h:
        with pytest.raises(SystemExit) as exit_info:
            create_worker_app()
        errors = h.startup_errors()
    assert exit_info.value.code == STARTUP_FAILURE  # uvicorn stops instead of restarting such a worker forever
    assert len(errors) == 1 and "not a database" in errors[0]


# -- the real server (slow) ---------------------------------------------------------------------------------------

@pytest.mark.slow
def test_two_workers_answer_many_requests(demo_db, tmp_path):
    server = Server(demo_db, tmp_path, ["--workers", "2"])
    try:
        assert "with 2 worker processes" in server.log()
        pids = server.worker_pids(2)
        assert len(pids) == 2 and pids <= _children(server.proc.pid), (pids, _children(server.proc.pid))
        stories = httpx.get(f"{server.base}/api/stories?limit=500", timeout=30).json()["stories"]
        urls = [f"/stories/{s['id']}" for s in stories] + ["/api/stories?limit=5", "/", "/api/health"] * 10
        answered_by: set[int] = set()
        with httpx.Client(base_url=server.base, timeout=120,
                          limits=httpx.Limits(max_keepalive_connections=0)) as c, ThreadPoolExecutor(16) as pool:
            results = list(pool.map(c.get, urls * 3))
        for r in results:
            assert r.status_code == 200, (r.request.url, r.status_code, r.text[:300])
            if r.request.url.path == "/api/health":
                answered_by.add(r.json()["worker"]["pid"])
        assert len(results) == 3 * len(urls) and answered_by <= pids
        for pid in pids:  # the token is handed over in a private file, never on a command line
            assert TOKEN not in Path(f"/proc/{pid}/cmdline").read_text()
    finally:
        server.stop()


@pytest.mark.slow
def test_concurrent_ingests_through_both_workers_store_each_article_once_and_cluster_together(demo_db, tmp_path):
    db = tmp_path / "ingest.db"
    db.write_bytes(demo_db.read_bytes())
    server = Server(db, tmp_path, ["--workers", "2"])
    try:
        groups = _pinned_clients(server, per_worker=3)
        (pid_a, clients_a), (pid_b, clients_b) = sorted(groups.items())
        clients = [c for pair in zip(clients_a, clients_b) for c in pair]  # alternating workers: a, b, a, b, ...

        # 1. a story cached by both workers, then grown through worker A: worker B must show the new article
        # (the follow-up repeats the text of the demo corpus's latest article, so it joins that article's story)
        latest = max((json.loads(line) for line in (DEMO_CORPUS / "articles.jsonl").read_text().splitlines()),
                     key=lambda rec: rec["date"])
        with sqlite3.connect(db) as conn:
            base_story = conn.execute("SELECT m.story_id FROM memberships m JOIN articles a ON a.id=m.article_id "
                                      "WHERE a.external_id=?", (latest["id"],)).fetchone()[0]
        before = {pid: grp[0].get(f"/api/stories/{base_story}").json() for pid, grp in groups.items()}
        n_before = before[pid_a]["n_articles"]
        assert before[pid_b]["n_articles"] == n_before
        follow_up = {"title": f"Follow-up: {latest['title']}", "text": latest["text"], "source": "Metro Daily",
                     "date": latest["date"]}
        auth = {"Authorization": f"Bearer {TOKEN}"}
        r = clients_a[0].post("/api/ingest?wait=true", json=follow_up, headers=auth)
        assert r.status_code == 200, r.text
        (follow_up_id,) = r.json()["articles"]
        after_b = clients_b[0].get(f"/api/stories/{base_story}").json()
        assert after_b["n_articles"] == n_before + 1
        assert follow_up_id in {a["id"] for a in after_b["articles"]}

        # 2. six concurrent ingests, three per worker: 12 new articles of three new events. Each event is split
        # over two batches sent through different workers, and each batch repeats the first article of the other
        # half (so every one of those six articles arrives twice, through both workers at once). Run one after the
        # other in any order, these batches give exactly one story per event (checked over 100 orders in process);
        # run against a clusterer that has not seen the other half, an event is split in two.
        own = [[event_article(ev, 2 * h), event_article(ev, 2 * h + 1)] for ev in EVENTS for h in range(2)]
        batches = [own[i] + [own[i ^ 1][0]] for i in range(6)]  # clients alternate workers: halves i, i^1 differ
        barrier = threading.Barrier(6)

        def post(i: int) -> httpx.Response:
            barrier.wait()
            return clients[i].post("/api/ingest?wait=true", json=batches[i], headers=auth)

        with ThreadPoolExecutor(6) as pool:
            answers = list(pool.map(post, range(6)))
        assert [r.status_code for r in answers] == [200] * 6, [r.text[:300] for r in answers]
        bodies = [r.json() for r in answers]
        for b in bodies:
            assert b["seen"] == 3 and b["rejected"] == 0 and b["seen"] == b["accepted"] + b["duplicates"], b
        stored = [aid for b in bodies for aid in b["articles"]]
        assert len(stored) == len(set(stored)) == 12  # every new article stored once, by exactly one request
        assert sum(b["duplicates"] for b in bodies) == 6
        # the ingests really went through both workers: each client's connection is still with its worker
        assert [_pid_of(c) for c in clients] == [pid_a, pid_b] * 3

        with sqlite3.connect(db) as conn:
            assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 49 + 1 + 12
            runs = conn.execute("SELECT seen, accepted, rejected, duplicates FROM runs WHERE command='api ingest'"
                                " AND finished_at IS NOT NULL").fetchall()
            assert len(runs) == 7 and all(s == a + r + d for s, a, r, d in runs), runs
            story_of = dict(conn.execute("SELECT a.title, m.story_id FROM articles a JOIN memberships m "
                                         "ON m.article_id=a.id"))
        # clustered as if the ingests had run one after the other: one story per event, no event split or mixed
        per_event = {ev: {story_of[event_article(ev, k)["title"]] for k in range(4)} for ev in EVENTS}
        assert all(len(s) == 1 for s in per_event.values()), per_event
        assert len({next(iter(s)) for s in per_event.values()}) == 3, per_event

        # 3. later stories reflect the ingests of both workers, whichever worker answers
        for ev, (story_id,) in per_event.items():
            for grp in groups.values():
                body = grp[1].get(f"/api/stories/{story_id}").json()
                assert body["n_articles"] == 4 and len({a["source"] for a in body["articles"]}) == 4, ev
        assert Path(f"{db}-ingest-lock").exists()
    finally:
        for grp in locals().get("groups", {}).values():
            for c in grp:
                c.close()
        server.stop()


@pytest.mark.slow
def test_sigterm_stops_every_worker(demo_db, tmp_path):
    server = Server(demo_db, tmp_path, ["--workers", "2"])
    try:
        pids = server.worker_pids(2)
        family = _children(server.proc.pid)
        assert pids <= family
        assert len(list(server.tmpdir.iterdir())) == 1  # the hand-over directory, while it runs
    finally:
        code = server.stop(signal.SIGTERM)
    deadline = time.monotonic() + 15
    while any(_alive(p) for p in family) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(p) for p in family), [p for p in family if _alive(p)]
    assert code == 0, server.log()
    assert list(server.tmpdir.iterdir()) == []  # the parent removed its hand-over directory
    with socket.socket() as s:  # and the port is free again
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", server.port))


@pytest.mark.slow
def test_workers_stop_when_the_parent_is_killed(demo_db, tmp_path):
    server = Server(demo_db, tmp_path, [], env={"STORYLINE_WEB_WORKERS": "2"})  # the setting, not the option
    try:
        assert "with 2 worker processes" in server.log()
        pids = server.worker_pids(2)
    finally:
        server.stop(signal.SIGKILL)  # no chance to stop its workers: they must notice on their own
    deadline = time.monotonic() + 20
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(p) for p in pids), [p for p in pids if _alive(p)]


@pytest.mark.slow
def test_one_worker_serves_in_process(demo_db, tmp_path):
    server = Server(demo_db, tmp_path, [])
    try:
        assert "with 1 worker process" in server.log()
        body = httpx.get(f"{server.base}/api/health", timeout=30).json()
        assert body["worker"] == {"pid": server.proc.pid, "workers": 1}  # no child process: today's server
        assert _children(server.proc.pid) == set()
    finally:
        server.stop()
