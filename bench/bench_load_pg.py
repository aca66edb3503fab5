"""Load test on PostgreSQL: N concurrent readers and one writer through two `storyline serve` processes on one
PostgreSQL database.

    .venv/bin/python bench/bench_load_pg.py                                  # 10,000 articles, 20 readers, 30 s
    .venv/bin/python bench/bench_load_pg.py --articles 2000 --duration 10
    .venv/bin/python bench/bench_load_pg.py --corpus demo --duration 10
    .venv/bin/python bench/bench_load_pg.py --pg postgresql://USER@HOST:5432/postgres   # an existing server

The server: a throwaway PostgreSQL cluster started the way the tests start theirs (tests/pg_server.py: Debian's
``postgresql`` package, ``initdb`` on a temporary directory, loopback port, ``fsync=off``), stopped and removed at
the end; or ``--pg URL``, a role on an existing server that may CREATE DATABASE (a database is made for the run and
dropped after it).

The store: ``--corpus shared`` (the default when ../shared/data is present) is bench/bench_load.py's
``--articles``-article corpus (allsides-2021 and neus-train without gold labels, topped up with copies and rewrites),
ingested with `storyline --db postgresql://… ingest` once; the database is then saved with ``pg_dump`` under
/tmp/storyline-cache-load-pg/ and later runs restore it (``--rebuild`` ingests again). ``--corpus demo`` ingests the
demo corpus. The stored story views are dropped before the servers start, and the servers' pre-warmer is off.

Two servers on the database: ``A``, `storyline serve` with its ingest worker, and ``B``, `storyline serve
--no-worker`, each one uvicorn worker process. Readers are spread over both (reader i on A when i is even). Each
reader takes the next story of one shared shuffled list of all stories, so every story page fetched (/stories/{id},
HTML) is one no server has built yet: its view is built from the store on that request (uncached). One writer POSTs
batches of ``--writer-batch`` new articles (copies and rewrites of stored articles, which join stories) to
/api/ingest?wait=true, alternating between A and B; B only queues, and its answer waits until A's worker has
ingested the batch. Prints p50/p95/p99/max latency and errors per server and kind, and writes bench/out/load_pg.json.
Exit status 1 when any request failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bench_load as bl  # noqa: E402  (the shared corpus, the CLI, ports, percentiles, resident memory)

REPO = bl.REPO
CACHE = Path(tempfile.gettempdir()) / "storyline-cache-load-pg"
TOKEN = "bench-load-pg-token"
VIEW_TABLES = ("stored_views", "view_builds", "article_entities")


def pct(values: list[float], p: float) -> float:
    return bl.pct(values, p)


def summary(lat: list[float], elapsed: float) -> dict:
    return {"requests": len(lat), "rps": round(len(lat) / elapsed, 1) if elapsed else 0.0,
            "p50_ms": round(pct(lat, 50) * 1000, 1), "p95_ms": round(pct(lat, 95) * 1000, 1),
            "p99_ms": round(pct(lat, 99) * 1000, 1), "max_ms": round(max(lat, default=0) * 1000, 1)}


class Server:
    """The PostgreSQL server of the run: a local throwaway cluster, or an existing one (``--pg``)."""

    def __init__(self, admin_url: str | None):
        self.local = None
        self.bindir = None
        from tests.pg_server import LocalPostgres, postgres_bindir

        self.bindir = postgres_bindir()
        if admin_url:
            self.admin_url = admin_url
        else:
            if self.bindir is None:
                raise SystemExit("PostgreSQL server binaries not found: run `make postgres` (Debian's postgresql), "
                                 "or give --pg URL of an existing server")
            self.local = LocalPostgres(self.bindir).start()
            self.admin_url = self.local.url("postgres")

    def url(self, dbname: str) -> str:
        from urllib.parse import urlsplit, urlunsplit

        return urlunsplit(urlsplit(self.admin_url)._replace(path="/" + dbname))

    def admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql)

    def tool(self, name: str) -> str:
        exe = (self.bindir / name) if self.bindir else None
        found = str(exe) if exe and exe.exists() else shutil.which(name)
        if not found:
            raise SystemExit(f"{name} not found (Debian's postgresql-client); run with --rebuild to skip the cache")
        return found

    def stop(self) -> None:
        if self.local is not None:
            self.local.stop()


def ingest(db_url: str, path: Path, profile: str) -> float:
    t0 = time.perf_counter()
    built = subprocess.run(bl.cli() + ["--db", db_url, "--set", f"cluster.profile={profile}", "ingest", str(path)],
                           cwd=REPO, capture_output=True, text=True, timeout=7200)
    if built.returncode not in (0, 1):  # 1: some records rejected
        raise SystemExit(f"ingesting {path} into PostgreSQL failed:\n{built.stderr}")
    return time.perf_counter() - t0


def build_store(server: Server, db_url: str, corpus: str, n: int, profile: str, rebuild: bool,
                work: Path) -> tuple[list[dict], dict]:
    """Fill ``db_url`` (restore the cached dump, or ingest and dump); returns the writer's records and how."""
    if corpus == "demo":
        seconds = ingest(db_url, REPO / "storyline" / "demo" / "corpus", profile)
        return [], {"how": "ingested", "seconds": round(seconds, 1)}
    store, writer = bl.shared_records(n)
    CACHE.mkdir(parents=True, exist_ok=True)
    dump = CACHE / f"shared-{n}-{profile}.dump"
    if dump.exists() and not rebuild:
        t0 = time.perf_counter()
        subprocess.run([server.tool("pg_restore"), "--no-owner", "--dbname", db_url, str(dump)], check=True,
                       capture_output=True, timeout=3600)
        return writer, {"how": f"restored {dump}", "seconds": round(time.perf_counter() - t0, 1)}
    src = work / f"shared-{n}.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in store), encoding="utf-8")
    seconds = ingest(db_url, src, profile)
    print(f"ingested {n} articles into PostgreSQL in {seconds:.0f} s ({n / seconds:.0f} articles/s)", flush=True)
    tmp = dump.with_suffix(".part")
    subprocess.run([server.tool("pg_dump"), "--format=custom", "--file", str(tmp), db_url], check=True,
                   capture_output=True, timeout=3600)
    tmp.rename(dump)
    return writer, {"how": "ingested", "seconds": round(seconds, 1), "articles_per_s": round(n / seconds, 1)}


def drop_views_and_count(db_url: str) -> dict:
    """Drop the stored story views (so every story page starts unbuilt); the store's article and story counts."""
    import psycopg

    with psycopg.connect(db_url, autocommit=True) as conn:
        for t in VIEW_TABLES:
            if conn.execute("SELECT to_regclass(%s)", (t,)).fetchone()[0] is not None:
                conn.execute(f"DELETE FROM {t}")
        articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    return {"articles": articles}


def writer_pool_from(db_url: str, n: int = 2000) -> list[dict]:
    """bench_load's writer records for a store without a generated pool: stored texts again, changed a little."""
    import psycopg

    with psycopg.connect(db_url) as conn:
        rows = conn.execute("SELECT source, title, text, date FROM articles ORDER BY date DESC NULLS LAST LIMIT %s",
                            (n,)).fetchall()
    return [{"id": f"w{i}", "source": f"{src} (wire)", "title": title, "date": date.isoformat() if date else None,
             "text": f"{text} (Updated with reporting from the wire, item {i}.)"}
            for i, (src, title, text, date) in enumerate(rows)]


def start_serve(db_url: str, profile: str, flags: list[str], log: Path) -> tuple[subprocess.Popen, str]:
    port = bl.free_port()
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", STORYLINE_TOKEN=TOKEN,
               STORYLINE_WEB_PREWARM_STORIES="0")
    env.pop("STORYLINE_DB", None)
    proc = subprocess.Popen(bl.cli() + ["--db", db_url, "--set", f"cluster.profile={profile}", "serve", "--host",
                                        "127.0.0.1", "--port", str(port), *flags],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=open(log, "wb"))
    return proc, f"http://127.0.0.1:{port}"


def wait_serving(base: str, proc: subprocess.Popen, log: Path, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{base}/api/health", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"serve at {base} did not start:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.3)


def all_story_ids(base: str) -> list[str]:
    ids, cursor = [], None
    with httpx.Client(base_url=base, timeout=120) as c:
        while True:
            page = c.get("/api/stories", params={"limit": 500, **({"cursor": cursor} if cursor else {})}).json()
            ids += [s["id"] for s in page["stories"]]
            cursor = page.get("next_cursor")
            if not cursor:
                return ids


async def reader(client: httpx.AsyncClient, name: str, todo: list[str], stop: float, out: dict, errors: list) -> None:
    """Fetch the next unfetched story page of the shared list until ``stop`` (or the list runs out)."""
    while time.perf_counter() < stop and todo:
        sid = todo.pop()
        t0 = time.perf_counter()
        try:
            r = await client.get(f"/stories/{sid}")
            dt = time.perf_counter() - t0
            if r.status_code != 200:
                errors.append(f"{name} /stories/{sid}: HTTP {r.status_code}")
            elif b'id="headline"' not in r.content:
                errors.append(f"{name} /stories/{sid}: not a story page")
            else:
                out[(name, "story_page")].append(dt)
        except httpx.HTTPError as e:
            errors.append(f"{name} /stories/{sid}: {type(e).__name__}: {e}")


async def writer(clients: dict[str, httpx.AsyncClient], pool: list[dict], batch: int, stop: float, out: dict,
                 errors: list, written: list) -> None:
    """One writer: POST /api/ingest?wait=true batches, alternating between the servers, one after the other."""
    names, i, turn = sorted(clients), 0, 0
    while time.perf_counter() < stop and i < len(pool):
        name = names[turn % len(names)]
        turn += 1
        records, i = pool[i:i + batch], i + batch
        t0 = time.perf_counter()
        try:
            r = await clients[name].post("/api/ingest?wait=true", json=records,
                                         headers={"Authorization": f"Bearer {TOKEN}"})
            dt = time.perf_counter() - t0
            if r.status_code != 200 or r.json().get("state") != "finished":
                errors.append(f"{name} POST /api/ingest: HTTP {r.status_code} {r.text[:200]}")
                continue
            written.append(r.json()["accepted"])
            out[(name, "ingest")].append(dt)
        except httpx.HTTPError as e:
            errors.append(f"{name} POST /api/ingest: {type(e).__name__}: {e}")


async def run_load(bases: dict[str, str], story_ids: list[str], concurrency: int, duration: float, pool: list[dict],
                   batch: int) -> dict:
    names = sorted(bases)
    out = {(n, k): [] for n in names for k in ("story_page", "ingest")}
    errors: list[str] = []
    written: list[int] = []
    todo = list(story_ids)
    limits = httpx.Limits(max_connections=concurrency + 1, max_keepalive_connections=concurrency + 1)
    clients = {n: httpx.AsyncClient(base_url=bases[n], timeout=300, limits=limits) for n in names}
    try:
        t0 = time.perf_counter()
        stop = t0 + duration
        tasks = [reader(clients[names[i % len(names)]], names[i % len(names)], todo, stop, out, errors)
                 for i in range(concurrency)]
        if pool:
            tasks.append(writer(clients, pool, batch, stop, out, errors, written))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - t0
    finally:
        for c in clients.values():
            await c.aclose()
    result = {"elapsed_s": round(elapsed, 2), "errors": len(errors), "error_samples": errors[:10],
              "stories_left_unfetched": len(todo),
              "writer": {"requests": len(written), "accepted": sum(written)} if pool else None}
    for kind in ("story_page", "ingest"):
        for n in names:
            result[f"{n}:{kind}"] = summary(out[(n, kind)], elapsed)
        result[f"all:{kind}"] = summary([x for n in names for x in out[(n, kind)]], elapsed)
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pg", help="admin URL of an existing PostgreSQL server (default: start a throwaway one)")
    ap.add_argument("--corpus", choices=("shared", "demo"), default="shared" if bl.SHARED_DATA.is_dir() else "demo")
    ap.add_argument("--articles", type=int, default=10_000, help="articles in the --corpus shared store")
    ap.add_argument("--profile", default="lexical", help="cluster profile (building the store and serving)")
    ap.add_argument("--rebuild", action="store_true", help="ingest the store again instead of the cached dump")
    ap.add_argument("--concurrency", type=int, default=20, help="readers, spread over the two servers")
    ap.add_argument("--duration", type=float, default=30.0, help="seconds of load")
    ap.add_argument("--no-writer", action="store_true")
    ap.add_argument("--writer-batch", type=int, default=5, help="articles per POST /api/ingest")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", default=str(REPO / "bench" / "out" / "load_pg.json"))
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="storyline-bench-pg-"))
    server = Server(args.pg)
    dbname = f"storyline_load_{os.getpid()}"
    procs: list[subprocess.Popen] = []
    try:
        server.admin(f'CREATE DATABASE "{dbname}"')
        db_url = server.url(dbname)
        pool, built = build_store(server, db_url, args.corpus, args.articles, args.profile, args.rebuild, work)
        counts = drop_views_and_count(db_url)
        if not pool and not args.no_writer:
            pool = writer_pool_from(db_url)
        random.Random(args.seed).shuffle(pool)
        t0 = time.perf_counter()
        logs = {"A": work / "serve-A.log", "B": work / "serve-B.log"}
        a, base_a = start_serve(db_url, args.profile, [], logs["A"])
        procs.append(a)
        b, base_b = start_serve(db_url, args.profile, ["--no-worker"], logs["B"])
        procs.append(b)
        bases = {"A": base_a, "B": base_b}
        for name, p in zip(("A", "B"), (a, b)):
            wait_serving(bases[name], p, logs[name])
        start_s = round(time.perf_counter() - t0, 1)
        first_ingest_s = None
        if not args.no_writer:  # one ingest through B before the clock: A's worker has built its state by then
            t1 = time.perf_counter()
            r = httpx.post(f"{base_b}/api/ingest?wait=true", json=pool[:1],
                           headers={"Authorization": f"Bearer {TOKEN}"}, timeout=900)
            r.raise_for_status()
            first_ingest_s, pool = round(time.perf_counter() - t1, 2), pool[1:]
        story_ids = all_story_ids(base_a)
        random.Random(args.seed + 1).shuffle(story_ids)
        memory = {n: {str(pid): bl.rss_mb(pid) for pid in bl.server_pids(p.pid)} for n, p in zip("AB", (a, b))}
        load = asyncio.run(run_load(bases, story_ids, args.concurrency, args.duration,
                                    [] if args.no_writer else pool, args.writer_batch))
        after = httpx.get(f"{base_a}/api/health", timeout=30).json()
        result = {"corpus": args.corpus, "profile": args.profile, "store": built, **counts,
                  "articles_after": after["articles"], "stories": len(story_ids),
                  "concurrency": args.concurrency, "duration_s": args.duration, "writer_batch": args.writer_batch,
                  "servers_up_s": start_s, "first_ingest_via_B_s": first_ingest_s, "rss_mb": memory,
                  "cpus": os.cpu_count(), "load_avg": os.getloadavg(), **load}
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        try:
            server.admin(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        finally:
            server.stop()
            shutil.rmtree(work, ignore_errors=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(f"PostgreSQL store of {result['articles']} articles, {result['stories']} stories ({result['corpus']} "
          f"corpus, {result['profile']} profile; {built['how']} in {built['seconds']} s); {result['cpus']} CPUs, "
          f"load average {', '.join(f'{x:.1f}' for x in result['load_avg'])}")
    print(f"servers: A = serve (with the ingest worker), B = serve --no-worker; both answering {start_s} s after "
          f"the start; first ingest through B (untimed): {first_ingest_s} s")
    w = result["writer"]
    print(f"{args.concurrency} readers of uncached story pages over A and B"
          + (f", one writer: {w['accepted']} articles stored in {w['requests']} POSTs" if w else "")
          + f"; {result['elapsed_s']} s")
    print(f"{'server:kind':<16} {'requests':>9} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for kind in ("story_page",) + (() if args.no_writer else ("ingest",)):
        for n in ("A", "B", "all"):
            x = result[f"{n}:{kind}"]
            print(f"{n + ':' + kind:<16} {x['requests']:>9} {x['rps']:>7} {x['p50_ms']:>8} {x['p95_ms']:>8} "
                  f"{x['p99_ms']:>8} {x['max_ms']:>8}")
    print(f"errors: {result['errors']}" + (f"  e.g. {result['error_samples'][:3]}" if result["errors"] else ""))
    if result["stories_left_unfetched"] == 0:
        print("every story was fetched before the end: later requests could not be uncached (use a larger store)")
    return 0 if result["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
