"""Load test: N concurrent readers, with and without one writer, against `storyline serve` on 127.0.0.1.

    .venv/bin/python bench/bench_load.py --concurrency 20 --duration 30                 # 10,000 articles
    .venv/bin/python bench/bench_load.py --corpus demo --concurrency 50 --duration 20 --no-writer
    .venv/bin/python bench/bench_load.py --concurrency 20 --duration 30 --workers 2

The store: ``--corpus shared`` (the default when ../shared/data is present) builds a 10,000-article database from
../shared/data (allsides-2021 and neus-train, gold labels dropped, plus copies and rewrites made by
storyline.copies.generate) once and caches it under /tmp/storyline-cache-load/ (``--articles`` changes the size);
``--corpus demo`` uses the demo corpus; ``--db`` names an existing database. Each run works on a private copy of it,
with its stored story views dropped (``--keep-views`` keeps them), so the story pages start uncached.

It starts `storyline serve --workers N` with a write token in a subprocess on a free port, waits until every worker
process has answered /api/health with its pre-warmer idle, notes each server process's resident memory (from /proc,
Linux), requests the ``--stories`` latest story pages once each (timed as "cold": this builds and stores their
views), sends one API ingest of one article (timed apart: a server's first ingest restores the clusterer from the
store), then runs two phases of --duration seconds each: --concurrency async httpx readers alone, then the same
readers while one writer POSTs batches of ``--writer-batch`` new articles to /api/ingest one after the other (copies
and rewrites of stored articles: they join stories the readers are reading, so those stories change under them).
Each reader alternates a random story page (/stories/{id}, HTML) and a page of the stories API (/api/stories, first
page or a followed cursor). Prints requests/s, p50/p90/p95/p99/max latency and errors per endpoint and overall, per
phase, and writes the figures to bench/out/load.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
CACHE = Path(tempfile.gettempdir()) / "storyline-cache-load"
TOKEN = "bench-load-token"


def shared_records(n_store: int, seed: int = 11) -> tuple[list[dict], list[dict]]:
    """``(store, writer)`` records from ../shared/data: allsides-2021 and neus-train (the gold ``cluster`` dropped;
    neus records carry no outlet, so each gets one of 60 made-up outlets), topped up to ``n_store`` with copies and
    rewrites made by storyline.copies.generate; ``writer``: further copies and rewrites of dated (allsides) stored records, which
    join stories the readers read."""
    from storyline.copies.generate import GeneratorConfig, generate, read_jsonl

    allsides = list(read_jsonl(SHARED_DATA / "allsides-2021.jsonl"))
    neus = list(read_jsonl(SHARED_DATA / "neus-train.jsonl"))
    for i, r in enumerate(neus):
        r["source"] = r.get("source") or f"outlet-{i % 60}"

    def clean(r: dict) -> dict:  # what a reader would have: no gold label, no generator bookkeeping
        return {k: r[k] for k in ("id", "date", "source", "title", "text") if r.get(k) is not None}

    originals = [clean(r) for r in allsides + neus if str(r.get("text") or "").strip()]  # no text: a reject
    extra = [clean(r) for r in generate(allsides + neus, GeneratorConfig(seed=seed, copy_rate=0.1,
                                                                         rewrite_rate=0.3)) if r["gen"]]
    store = (originals + extra)[:n_store]
    if len(store) < n_store:
        raise SystemExit(f"../shared/data gives {len(store)} records, fewer than --articles {n_store}")
    have = {r["id"] for r in store}
    writer = [clean(r) for r in generate(allsides, GeneratorConfig(seed=seed + 1, copy_rate=0.5, rewrite_rate=0.5))
              if r["gen"]]
    writer = [dict(r, id=f"{r['id']}~w") for r in writer if r["id"] not in have]
    random.Random(seed).shuffle(writer)
    return store, writer


def build_shared_db(n: int, profile: str) -> tuple[Path, list[dict]]:
    """The cached ``n``-article database (built with `storyline ingest` on first use) and the writer's records."""
    store, writer = shared_records(n)
    CACHE.mkdir(parents=True, exist_ok=True)
    db = CACHE / f"shared-{n}-{profile}.db"
    if not db.exists():
        src = CACHE / f"shared-{n}.jsonl"
        src.write_text("".join(json.dumps(r) + "\n" for r in store), encoding="utf-8")
        tmp = db.with_suffix(".building.db")
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            leftover.unlink(missing_ok=True)
        t0 = time.perf_counter()
        built = subprocess.run(cli() + ["--db", str(tmp), "--set", f"cluster.profile={profile}", "ingest", str(src)],
                               cwd=REPO, capture_output=True, text=True, timeout=3600)
        if built.returncode not in (0, 1):  # 1: some records rejected (listed by `storyline rejects`)
            raise SystemExit(f"building the {n}-article database failed:\n{built.stderr}")
        print(f"built {db} in {time.perf_counter() - t0:.0f} s: {built.stderr.strip().splitlines()[0]}")
        tmp.rename(db)
    return db, writer


def private_copy(src: Path, dst: Path, keep_views: bool) -> None:
    """A copy of ``src`` (sqlite backup), its stored story views dropped unless ``keep_views``."""
    import sqlite3

    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)
        if not keep_views:
            tables = {r[0] for r in b.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            for t in ("stored_views", "view_builds", "article_entities"):
                if t in tables:
                    b.execute(f"DELETE FROM {t}")
    b.close()


def cli() -> list[str]:
    exe = Path(sys.executable).with_name("storyline")
    return [str(exe)] if exe.exists() else [sys.executable, "-c", "from storyline.cli import main; main()"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float | None:
    """Resident memory of a process in MiB (Linux /proc), None where it cannot be read."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def server_pids(parent: int) -> list[int]:
    """``parent`` and its child processes (the uvicorn workers and multiprocessing's resource tracker)."""
    kids = []
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else []:
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == parent:
                    kids.append(int(entry.name))
            except OSError:
                continue  # it ended while we looked
    return [parent, *sorted(kids)]


def wait_until_warm(base: str, workers: int, timeout: float = 300) -> dict[int, dict]:
    """/api/health over fresh connections until ``workers`` distinct worker processes each said their pre-warmer is
    idle with nothing queued; returns ``{pid: view_cache}``."""
    seen: dict[int, dict] = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with httpx.Client(timeout=30, limits=httpx.Limits(max_keepalive_connections=0)) as c:
            for _ in range(4 * workers):
                h = c.get(f"{base}/api/health").json()
                pw = h["view_cache"]["prewarm"]
                if pw is None or not pw["enabled"] or pw["idle"]:
                    seen[h["worker"]["pid"]] = h["view_cache"]
                else:
                    seen.pop(h["worker"]["pid"], None)
        if len(seen) >= workers:
            return seen
        time.sleep(0.5)
    raise RuntimeError(f"only {len(seen)} of {workers} worker processes were warm after {timeout} s")


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    xs = sorted(values)
    return xs[min(len(xs) - 1, max(0, round(p / 100 * len(xs)) - 1))]


async def reader(client: httpx.AsyncClient, story_ids: list[str], stop: float, rng: random.Random,
                 out: dict[str, list[float]], errors: list[str]) -> None:
    cursor = None
    turn = rng.randrange(2)
    while time.perf_counter() < stop:
        if turn % 2 == 0:
            kind, url = "story_page", f"/stories/{rng.choice(story_ids)}"
        else:
            kind, url = "stories_api", "/api/stories?limit=5" + (f"&cursor={cursor}" if cursor else "")
        turn += 1
        t0 = time.perf_counter()
        try:
            r = await client.get(url)
            dt = time.perf_counter() - t0
            if r.status_code != 200:
                errors.append(f"{url}: HTTP {r.status_code}")
                continue
            if kind == "stories_api":
                cursor = r.json()["next_cursor"]
            elif b'id="headline"' not in r.content:
                errors.append(f"{url}: not a story page")
                continue
            out[kind].append(dt)
        except httpx.HTTPError as e:
            errors.append(f"{url}: {type(e).__name__}: {e}")


async def writer(client: httpx.AsyncClient, pool: list[dict], batch: int, stop: float,
                 out: dict[str, list[float]], errors: list[str], written: list[int]) -> None:
    """One writer: POST /api/ingest batches of ``batch`` records from ``pool``, one after the other, until ``stop``."""
    i = 0
    while time.perf_counter() < stop and i < len(pool):
        records, i = pool[i:i + batch], i + batch
        t0 = time.perf_counter()
        try:
            r = await client.post("/api/ingest?wait=true", json=records, headers={"Authorization": f"Bearer {TOKEN}"})
            dt = time.perf_counter() - t0
            if r.status_code != 200:
                errors.append(f"POST /api/ingest: HTTP {r.status_code} {r.text[:200]}")
                continue
            written.append(r.json()["accepted"])
            out["ingest"].append(dt)
        except httpx.HTTPError as e:
            errors.append(f"POST /api/ingest: {type(e).__name__}: {e}")


def summarize(lat: list[float], elapsed: float) -> dict:
    return {"requests": len(lat), "rps": round(len(lat) / elapsed, 1),
            "p50_ms": round(pct(lat, 50) * 1000, 1), "p90_ms": round(pct(lat, 90) * 1000, 1),
            "p95_ms": round(pct(lat, 95) * 1000, 1),
            "p99_ms": round(pct(lat, 99) * 1000, 1), "max_ms": round(max(lat, default=0) * 1000, 1)}


async def run_load(base: str, story_ids: list[str], concurrency: int, duration: float, seed: int,
                   pool: list[dict] | None = None, batch: int = 5) -> dict:
    out: dict[str, list[float]] = {"story_page": [], "stories_api": [], "ingest": []}
    errors: list[str] = []
    written: list[int] = []
    limits = httpx.Limits(max_connections=concurrency + 1, max_keepalive_connections=concurrency + 1)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:
        t0 = time.perf_counter()
        stop = t0 + duration
        tasks = [reader(client, story_ids, stop, random.Random(seed + i), out, errors) for i in range(concurrency)]
        if pool:
            tasks.append(writer(client, pool, batch, stop, out, errors, written))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - t0
    summary = {}
    for kind, lat in list(out.items()) + [("all", out["story_page"] + out["stories_api"])]:
        summary[kind] = summarize(lat, elapsed)
    return {"elapsed_s": round(elapsed, 2), "errors": len(errors), "error_samples": errors[:10],
            "writer": {"requests": len(written), "accepted": sum(written)} if pool else None, **summary}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", help="an existing storyline database (default: see --corpus)")
    ap.add_argument("--corpus", choices=("shared", "demo"), default="shared" if SHARED_DATA.is_dir() else "demo",
                    help="what to build the database from when --db is not given")
    ap.add_argument("--articles", type=int, default=10_000, help="articles in the --corpus shared database")
    ap.add_argument("--concurrency", type=int, default=20)
    ap.add_argument("--duration", type=float, default=30.0, help="seconds of load, per phase")
    ap.add_argument("--stories", type=int, default=200, help="the readers' stories: this many latest ones")
    ap.add_argument("--profile", default="lexical", help="cluster profile (building the database and serving)")
    ap.add_argument("--workers", type=int, default=1, help="storyline serve --workers (worker processes)")
    ap.add_argument("--no-writer", action="store_true", help="only the readers-alone phase")
    ap.add_argument("--writer-batch", type=int, default=5, help="articles per POST /api/ingest")
    ap.add_argument("--keep-views", action="store_true", help="keep the stored story views of --db's copy")
    ap.add_argument("--set", dest="overrides", action="append", default=[], help="a setting for the server")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", default=str(REPO / "bench" / "out" / "load.json"))
    args = ap.parse_args()

    tmp = tempfile.TemporaryDirectory(prefix="storyline-bench-")
    pool: list[dict] = []
    if args.db is not None:
        source = Path(args.db)
    elif args.corpus == "shared":
        source, pool = build_shared_db(args.articles, args.profile)
    else:
        source = Path(tmp.name) / "demo-src.db"
        built = subprocess.run(cli() + ["--db", str(source), "--set", f"cluster.profile={args.profile}", "ingest",
                                        str(REPO / "storyline" / "demo" / "corpus")],
                               cwd=REPO, capture_output=True, text=True, timeout=600)
        if built.returncode != 0:
            sys.stderr.write(f"building the demo database failed:\n{built.stderr}")
            return 1
    db = str(Path(tmp.name) / "load.db")
    private_copy(source, Path(db), args.keep_views)
    if not pool and not args.no_writer:  # --db or the demo corpus: the writer re-sends stored texts, re-dated
        pool = writer_pool_from(db)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", STORYLINE_TOKEN=TOKEN)
    sets = [x for o in [f"cluster.profile={args.profile}", *args.overrides] for x in ("--set", o)]
    started = time.perf_counter()
    # the server's log goes to a file, not a pipe nobody reads while it runs (a full pipe would block the server)
    server_log = open(Path(tmp.name) / "server.log", "w+b")
    proc = subprocess.Popen(cli() + ["--db", db, *sets, "serve", "--host", "127.0.0.1", "--port", str(port),
                                     "--workers", str(args.workers)],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=server_log)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                server_log.seek(0)
                sys.stderr.write("server did not start\n" + server_log.read().decode(errors="replace"))
                return 1
            time.sleep(0.2)
        warm = wait_until_warm(base, args.workers, timeout=1800)
        warm_s = round(time.perf_counter() - started, 1)
        memory = {str(pid): rss_mb(pid) for pid in server_pids(proc.pid)}
        stories = httpx.get(f"{base}/api/stories?limit={min(args.stories, 500)}", timeout=60).json()["stories"]
        story_ids = [s["id"] for s in stories]
        if not story_ids:
            sys.stderr.write(f"{db} holds no stories; nothing to load-test\n")
            return 1
        cold = []
        for sid in story_ids:
            t0 = time.perf_counter()
            r = httpx.get(f"{base}/stories/{sid}", timeout=600)
            r.raise_for_status()
            cold.append(time.perf_counter() - t0)
        first_ingest_s = None
        if not args.no_writer:  # a server's first API ingest restores the clusterer from the store: timed apart
            t0 = time.perf_counter()
            r = httpx.post(f"{base}/api/ingest?wait=true", json=pool[:1], headers={"Authorization": f"Bearer {TOKEN}"},
                           timeout=600)
            r.raise_for_status()
            first_ingest_s = round(time.perf_counter() - t0, 2)
            pool = pool[1:]
            wait_until_warm(base, args.workers, timeout=600)
        health = httpx.get(f"{base}/api/health", timeout=10).json()
        phases = {"readers": asyncio.run(run_load(base, story_ids, args.concurrency, args.duration, args.seed))}
        if not args.no_writer:
            phases["readers_and_writer"] = asyncio.run(run_load(base, story_ids, args.concurrency, args.duration,
                                                                args.seed + 1000, pool, args.writer_batch))
        after = httpx.get(f"{base}/api/health", timeout=10).json()
        memory_after = {str(pid): rss_mb(pid) for pid in server_pids(proc.pid)}
        result = {"concurrency": args.concurrency, "duration_s": args.duration, "workers": args.workers,
                  "worker_pids": sorted(warm), "start_to_warm_s": warm_s, "rss_mb_warm": memory,
                  "rss_mb_after_load": memory_after, "stories": len(story_ids),
                  "articles": health["articles"], "articles_after": after["articles"],
                  "story_view": health["story_view"], "stored_views": after["view_cache"].get("stored"),
                  "cold_story_page_ms": {"p50": round(pct(cold, 50) * 1000, 1), "p99": round(pct(cold, 99) * 1000, 1),
                                         "max": round(max(cold, default=0) * 1000, 1)},
                  "first_ingest_s": first_ingest_s, "cpus": os.cpu_count(), "load_avg": os.getloadavg(), **phases}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        server_log.seek(0)
        logged = server_log.read().decode(errors="replace").strip()
        server_log.close()
        tmp.cleanup()
    if logged:
        print("the server logged (last 40 lines):\n" + "\n".join(logged.splitlines()[-40:]))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(f"{result['workers']} worker process(es), all warm {result['start_to_warm_s']} s after the start; "
          f"resident memory when warm, MiB (server pid first, then its "
          f"children): {list(result['rss_mb_warm'].values())}; after the load: "
          f"{list(result['rss_mb_after_load'].values())}")
    print(f"{result['concurrency']} concurrent readers on 127.0.0.1 ({result['stories']} stories of "
          f"{result['articles']} articles, story view: {result['story_view']}; {result['cpus']} CPUs, load average "
          f"{', '.join(f'{x:.1f}' for x in result['load_avg'])})")
    print(f"cold story pages (each built once and stored): p50 {result['cold_story_page_ms']['p50']} ms, "
          f"p99 {result['cold_story_page_ms']['p99']} ms, max {result['cold_story_page_ms']['max']} ms")
    if result["first_ingest_s"] is not None:
        print(f"the server's first API ingest (one article; it restores the clusterer): {result['first_ingest_s']} s")
    errors = 0
    for name, phase in ((k, result[k]) for k in ("readers", "readers_and_writer") if k in result):
        w = phase["writer"]
        print(f"\n{name.replace('_', ' ')}: {phase['elapsed_s']} s"
              + (f"; the writer stored {w['accepted']} articles in {w['requests']} POSTs" if w else ""))
        print(f"{'endpoint':<12} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p90 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
              f"{'max ms':>8}")
        for kind in ("story_page", "stories_api", "all") + (("ingest",) if w else ()):
            x = phase[kind]
            print(f"{kind:<12} {x['requests']:>9} {x['rps']:>8} {x['p50_ms']:>8} {x['p90_ms']:>8} {x['p95_ms']:>8} "
                  f"{x['p99_ms']:>8} {x['max_ms']:>8}")
        print(f"errors: {phase['errors']}" + (f"  e.g. {phase['error_samples'][:3]}" if phase["errors"] else ""))
        errors += phase["errors"]
    print(f"\nstored views: {result['stored_views']}")
    return 0 if errors == 0 else 1


def writer_pool_from(db: str, n: int = 2000) -> list[dict]:
    """Writer records for a database without a generated pool: its stored articles again, each text changed a
    little (a new article of the same story), so the writes land in stories the readers read."""
    import sqlite3

    with sqlite3.connect(db) as c:
        rows = c.execute("SELECT source, title, text, date FROM articles ORDER BY date DESC LIMIT ?", (n,)).fetchall()
    c.close()
    return [{"id": f"w{i}", "source": f"{src} (wire)", "title": title, "date": date,
             "text": f"{text} (Updated with reporting from the wire, item {i}.)"}
            for i, (src, title, text, date) in enumerate(rows)]


if __name__ == "__main__":
    sys.exit(main())
