"""API ingest latency of one article against stores of different sizes (docs/worker.md), same run, same machine.

    .venv/bin/python bench/bench_api_ingest.py                          # 1,000 and 100,000 stored articles
    .venv/bin/python bench/bench_api_ingest.py --sizes 1000,10000 --requests 10

For each size it builds (once, cached under /tmp/storyline-cache-api-ingest/) a SQLite store of that many synthetic
articles written in bulk through the store's methods (articles, stories of 1-7 articles, memberships; two years of
dates in arrival order; lexical profile, so no embeddings; no copy signatures), starts `storyline serve` on a
private copy of it (a write token, the lexical profile, the in-process ingest worker, view pre-warming off so no
background work competes for the two cores), and times over HTTP on 127.0.0.1:

- (in this process) how long the worker takes to build the clusterer and the copy index from the whole store, once
  at its start: what an ingest paid whenever the in-memory state had to be restored;
- the first ``POST /api/ingest?wait=true`` of one article (it may wait for the server's worker to finish that build);
- ``--requests`` more such requests, one after the other, each one new article (half of them written to join a
  recent story): p50/p90/max, the figure the target (100k ≤ 1.5 × 1k) is about. The servers of all sizes run at
  once and the requests alternate between them, so the machine's load falls on every size alike;
- ``--requests`` requests without ``wait``: the 202 answer (the items queued, nothing ingested yet).

Prints one line per size and the ratio of the p50s, and writes bench/out/api_ingest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
CACHE = Path(tempfile.gettempdir()) / "storyline-cache-api-ingest"
TOKEN = "bench-api-ingest-token"
START = datetime(2029, 1, 1, tzinfo=timezone.utc)
SPAN_DAYS = 730
WARMUP = 5  # untimed requests per server after the first
SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "shi", "den", "gar", "pol", "tur", "mes", "bra", "kin", "dul"]


def vocabulary(n: int, rng: random.Random) -> list[str]:
    words: set[str] = set()
    while len(words) < n:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def synthetic_story(rng: random.Random, vocab: list[str]) -> list[str]:
    return rng.sample(vocab, 10)


def synthetic_text(rng: random.Random, vocab: list[str], topic: list[str], n: int) -> tuple[str, str]:
    title = " ".join(rng.sample(topic, 5) + rng.sample(vocab, 2)).capitalize()
    sentences = []
    for _ in range(4):
        words = rng.sample(topic, 6) + rng.sample(vocab, 8)
        rng.shuffle(words)
        sentences.append(" ".join(words).capitalize() + f", said official {n % 997}.")
    return title, " ".join(sentences)


def build_store(path: Path, n: int, seed: int = 7) -> dict:
    """``n`` synthetic articles written in bulk (5,000 a transaction); returns what the new articles need."""
    from storyline.records import Article, Assignment
    from storyline.store import Store

    rng = random.Random(seed)
    vocab = vocabulary(5000, rng)
    path.unlink(missing_ok=True)
    t0 = time.perf_counter()
    sizes: list[int] = []
    while sum(sizes) < n:
        sizes.append(min(rng.randint(1, 7), n - sum(sizes)))
    step = timedelta(days=SPAN_DAYS) / len(sizes)
    topics: list[list[str]] = []
    with Store(path) as store:
        run = store.start_run("bench synthetic")
        arts: list[Article] = []
        asg: list[Assignment] = []
        stories: list[tuple[str, str]] = []
        i = 0

        def flush() -> None:
            with store.transaction():
                store.add_articles(arts, run)
                store.create_stories(stories)
                store.add_memberships(asg)
            arts.clear(), asg.clear(), stories.clear()

        for k, size in enumerate(sizes):
            topic = synthetic_story(rng, vocab)
            topics.append(topic)
            sid = f"s-syn{k:08d}"
            for j in range(size):
                title, text = synthetic_text(rng, vocab, topic, i)
                date = START + step * k + timedelta(hours=j)
                arts.append(Article(id=f"syn{i:09d}", title=title, text=text, source=f"outlet-{rng.randrange(60)}",
                                    date=date, lang="en", origin=f"synthetic:{i}"))
                asg.append(Assignment(arts[-1].id, sid, 1.0 if j == 0 else 0.5, j == 0))
                if j == 0:
                    stories.append((sid, title))
                i += 1
            if len(arts) >= 5000:
                flush()
        if arts:
            flush()
        from storyline.records import RunStats

        store.finish_run(RunStats(run, n, n, 0, 0, len(sizes)))
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return {"build_s": round(time.perf_counter() - t0, 1), "stories": len(sizes),
            "last": (START + step * len(sizes)).isoformat(), "recent_topics": topics[-3:], "seed": seed}


def new_records(meta: dict, count: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    vocab = vocabulary(5000, random.Random(meta["seed"]))
    last = datetime.fromisoformat(meta["last"])
    out = []
    for r in range(count):
        topic = rng.choice(meta["recent_topics"]) if r % 2 == 0 else synthetic_story(rng, vocab)
        title, text = synthetic_text(rng, vocab, topic, 10_000_000 + seed * 1000 + r)
        out.append({"title": title, "text": text, "source": f"outlet-{rng.randrange(60)}",
                    "date": (last + timedelta(minutes=10 * (r + 1))).isoformat()})
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def storyline_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("storyline")
    return [str(exe)] if exe.exists() else [sys.executable, "-c", "from storyline.cli import main; main()"]


class Server:
    """`storyline serve` on a private copy of a store, with a write token and the in-process ingest worker."""

    def __init__(self, db: Path, meta: dict, requests: int, seed: int, pythonpath: str | None = None,
                 http_workers: int = 1):
        self.db, self.meta = db, meta
        self.port = free_port()
        env = {**os.environ, "STORYLINE_TOKEN": TOKEN, "STORYLINE_CLUSTER_PROFILE": "lexical",
               "STORYLINE_WEB_PREWARM_STORIES": "0", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
        env.pop("STORYLINE_DB", None)
        if pythonpath:  # another checkout's code serves (--baseline)
            env["PYTHONPATH"] = pythonpath
        self.log = open(db.with_suffix(".log"), "w")
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen(storyline_cmd() + ["--db", str(db), "serve", "--port", str(self.port),
                                                        "--workers", str(http_workers)],
                                     cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        # with several HTTP worker processes, a new connection per request, so requests reach all of them
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=1800,
                                   limits=httpx.Limits(max_keepalive_connections=0 if http_workers > 1 else None))
        self.records = new_records(meta, 2 * requests + 1 + WARMUP, seed)
        self.waited: list[float] = []
        self.queued: list[float] = []
        self.joined = 0
        self.ready_s = self.first_s = 0.0

    def ready(self) -> None:
        while True:
            try:
                if self.client.get("/api/health").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None:
                raise SystemExit(f"serve exited: {self.db.with_suffix('.log').read_text()[-2000:]}")
            time.sleep(0.1)
        self.ready_s = time.perf_counter() - self.t0

    def post(self, wait: bool) -> float:
        rec = self.records.pop(0)
        t = time.perf_counter()
        r = self.client.post("/api/ingest", params={"wait": "true"} if wait else None, json=rec,
                             headers={"Authorization": f"Bearer {TOKEN}"})
        dt = time.perf_counter() - t
        if r.status_code != (200 if wait else 202):
            raise SystemExit(f"POST /api/ingest: HTTP {r.status_code} {r.text[:300]}")
        if wait:
            assert r.json()["accepted"] == 1, r.text
            self.joined += r.json()["new_stories"] == 0
        return dt

    def drained(self, n: int) -> int:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:  # the worker ingests the queued ones before the server stops
            runs = self.client.get("/api/runs", params={"limit": n}).json()["runs"]
            if all(r["state"] == "finished" for r in runs):
                return len(runs)
            time.sleep(0.2)
        return 0

    def stop(self) -> None:
        self.client.close()
        self.proc.terminate()
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(30)
        self.log.close()


def worker_build_s(db: Path) -> float:
    """How long the worker takes to build its clusterer and copy index from the store (once, at its start)."""
    from storyline.service.worker import IngestWorker
    from storyline.settings import Settings

    worker = IngestWorker(str(db), Settings().with_overrides({"cluster.profile": "lexical"})).open()
    try:
        return round(worker.build_s, 2)
    finally:
        worker.close()


def measure(servers: dict[int, Server], requests: int, queue_phase: bool = True) -> list[dict]:
    """All servers run at once and the timed requests alternate between them, so a busy moment of the machine
    (two cores shared with other work) falls on every size alike."""
    for srv in servers.values():
        srv.ready()
    for srv in servers.values():  # waits for the worker's start: building its state from the whole store
        srv.first_s = srv.post(True)
    for _ in range(WARMUP):  # untimed: the first requests of a fresh process fill caches
        for srv in servers.values():
            srv.post(True)
    for _ in range(requests):
        for srv in servers.values():
            srv.waited.append(srv.post(True))
    for _ in range(requests if queue_phase else 0):
        for srv in servers.values():
            srv.queued.append(srv.post(False))
    rows = []
    for n, srv in servers.items():
        finished = srv.drained(requests) if queue_phase else 0  # the newest runs: the queued ones
        articles = srv.client.get("/api/health").json()["articles"]
        q = statistics.quantiles(srv.waited, n=10, method="inclusive")
        rows.append({"stored_articles": n, "ready_s": round(srv.ready_s, 2), "first_ingest_s": round(srv.first_s, 3),
                     "wait_p50_ms": round(statistics.median(srv.waited) * 1000, 1),
                     "wait_p90_ms": round(q[8] * 1000, 1), "wait_max_ms": round(max(srv.waited) * 1000, 1),
                     "joined_existing": srv.joined,
                     "queued_202_p50_ms": round(statistics.median(srv.queued) * 1000, 1) if srv.queued else None,
                     "queued_runs_finished": finished, "articles_after": articles})  # stored + 1 + WARMUP + 2*requests
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000,100000", help="stored articles, comma separated")
    ap.add_argument("--requests", type=int, default=20, help="timed POSTs per size (each way)")
    ap.add_argument("--baseline", default=None, metavar="CHECKOUT",
                    help="serve with the code of another checkout (e.g. the main branch, which ingests in the "
                         "request and ignores ?wait): times only the waiting requests; no worker build figure")
    ap.add_argument("--http-workers", type=int, default=1,
                    help="serve --workers N: N HTTP processes (the queue's single ingest worker runs in the serve "
                         "process; with --baseline each HTTP process ingested itself)")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "api_ingest.json")
    args = ap.parse_args()
    sys.path.insert(0, str(REPO))
    CACHE.mkdir(parents=True, exist_ok=True)
    servers: dict[int, Server] = {}
    build_s: dict[int, float | None] = {}
    work = Path(tempfile.mkdtemp(prefix="storyline-bench-api-"))
    try:
        for n in [int(x) for x in args.sizes.split(",")]:
            cached, meta_file = CACHE / f"store-{n}.db", CACHE / f"store-{n}.json"
            if not (cached.exists() and meta_file.exists()):
                meta = build_store(cached, n)
                meta_file.write_text(json.dumps(meta), encoding="utf-8")
                print(f"built {n:,} synthetic articles ({meta['stories']:,} stories) in {meta['build_s']} s",
                      flush=True)
            meta = json.loads(meta_file.read_text(encoding="utf-8"))
            shutil.copy(cached, work / f"store-{n}.db")
            build_s[n] = None if args.baseline else worker_build_s(work / f"store-{n}.db")
            servers[n] = Server(work / f"store-{n}.db", meta, args.requests, seed=n, pythonpath=args.baseline,
                                http_workers=args.http_workers)
        rows = measure(servers, args.requests, queue_phase=not args.baseline)
    finally:
        for srv in servers.values():
            srv.stop()
        shutil.rmtree(work)
    for row in rows:
        row["worker_build_s"] = build_s[row["stored_articles"]]
        print(json.dumps(row), flush=True)
    if len(rows) >= 2:
        ratio = rows[-1]["wait_p50_ms"] / rows[0]["wait_p50_ms"]
        print(f"p50 of POST /api/ingest?wait=true (1 article): {rows[0]['wait_p50_ms']} ms at "
              f"{rows[0]['stored_articles']:,} stored, {rows[-1]['wait_p50_ms']} ms at {rows[-1]['stored_articles']:,}"
              f": {ratio:.2f}x (target <= 1.5x)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
