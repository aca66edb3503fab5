"""Load test: N concurrent readers against `storyline serve` on 127.0.0.1 (the story page and the stories API).

    .venv/bin/python bench/bench_load.py --concurrency 50 --duration 20
    .venv/bin/python bench/bench_load.py --concurrency 50 --duration 20 --workers 2

Builds a database from the demo corpus (unless --db is given), starts `storyline serve --workers N` in a subprocess
on a free port, waits until every worker process has answered /api/health with its pre-warmer idle (each process has
its own view cache), notes each server process's resident memory (from /proc, Linux), requests every story page once
(timed as "cold"), then runs --concurrency async httpx clients for --duration seconds. Each reader alternates a
random story page (/stories/{id}, HTML) and a page of the stories API (/api/stories, first page or a followed
cursor). Prints requests/s, p50/p90/p99/max latency and errors, per endpoint and overall, and writes the figures to
bench/out/load.json.
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


async def run_load(base: str, story_ids: list[str], concurrency: int, duration: float, seed: int) -> dict:
    out: dict[str, list[float]] = {"story_page": [], "stories_api": []}
    errors: list[str] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        t0 = time.perf_counter()
        stop = t0 + duration
        await asyncio.gather(*(reader(client, story_ids, stop, random.Random(seed + i), out, errors)
                               for i in range(concurrency)))
        elapsed = time.perf_counter() - t0
    summary = {}
    for kind, lat in list(out.items()) + [("all", out["story_page"] + out["stories_api"])]:
        summary[kind] = {"requests": len(lat), "rps": round(len(lat) / elapsed, 1),
                         "p50_ms": round(pct(lat, 50) * 1000, 1), "p90_ms": round(pct(lat, 90) * 1000, 1),
                         "p99_ms": round(pct(lat, 99) * 1000, 1), "max_ms": round(max(lat, default=0) * 1000, 1)}
    return {"elapsed_s": round(elapsed, 2), "errors": len(errors), "error_samples": errors[:10], **summary}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", help="an existing storyline database (default: build one from the demo corpus)")
    ap.add_argument("--concurrency", type=int, default=50)
    ap.add_argument("--duration", type=float, default=20.0, help="seconds of load")
    ap.add_argument("--profile", default="lexical", help="cluster profile when building the demo database")
    ap.add_argument("--workers", type=int, default=1, help="storyline serve --workers (worker processes)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", default=str(REPO / "bench" / "out" / "load.json"))
    args = ap.parse_args()

    tmp = tempfile.TemporaryDirectory(prefix="storyline-bench-")
    db = args.db
    if db is None:
        db = str(Path(tmp.name) / "demo.db")
        built = subprocess.run(cli() + ["--db", db, "--set", f"cluster.profile={args.profile}", "ingest",
                                        str(REPO / "storyline" / "demo" / "corpus")],
                               cwd=REPO, capture_output=True, text=True, timeout=600)
        if built.returncode != 0:
            sys.stderr.write(f"building the demo database failed:\n{built.stderr}")
            return 1
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    env.pop("STORYLINE_TOKEN", None)
    started = time.perf_counter()
    proc = subprocess.Popen(cli() + ["--db", db, "--set", f"cluster.profile={args.profile}", "serve",
                                     "--host", "127.0.0.1", "--port", str(port), "--workers", str(args.workers)],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                sys.stderr.write("server did not start\n" + (proc.stderr.read().decode() if proc.stderr else ""))
                return 1
            time.sleep(0.2)
        warm = wait_until_warm(base, args.workers)
        warm_s = round(time.perf_counter() - started, 1)
        memory = {str(pid): rss_mb(pid) for pid in server_pids(proc.pid)}
        stories = httpx.get(f"{base}/api/stories?limit=500", timeout=60).json()["stories"]
        story_ids = [s["id"] for s in stories]
        if not story_ids:
            sys.stderr.write(f"{db} holds no stories; nothing to load-test\n")
            return 1
        cold = []
        for sid in story_ids:
            t0 = time.perf_counter()
            r = httpx.get(f"{base}/stories/{sid}", timeout=300)
            r.raise_for_status()
            cold.append(time.perf_counter() - t0)
        health = httpx.get(f"{base}/api/health", timeout=10).json()
        result = asyncio.run(run_load(base, story_ids, args.concurrency, args.duration, args.seed))
        memory_after = {str(pid): rss_mb(pid) for pid in server_pids(proc.pid)}
        result = {"concurrency": args.concurrency, "duration_s": args.duration, "workers": args.workers,
                  "worker_pids": sorted(warm), "start_to_warm_s": warm_s, "rss_mb_warm": memory,
                  "rss_mb_after_load": memory_after,
                  "stories": len(story_ids),
                  "articles": health["articles"], "story_view": health["story_view"],
                  "cold_story_page_ms": {"p50": round(pct(cold, 50) * 1000, 1),
                                         "max": round(max(cold, default=0) * 1000, 1)},
                  "cpus": os.cpu_count(), **result}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        tmp.cleanup()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(f"{result['workers']} worker process(es), all warm {result['start_to_warm_s']} s after the start; "
          f"resident memory when warm, MiB (server pid first, then its "
          f"children): {list(result['rss_mb_warm'].values())}; after the load: "
          f"{list(result['rss_mb_after_load'].values())}")
    print(f"{result['concurrency']} concurrent readers for {result['elapsed_s']} s on 127.0.0.1 "
          f"({result['stories']} stories, {result['articles']} articles, story view: {result['story_view']}; "
          f"{result['cpus']} CPUs)")
    print(f"cold story pages (cache warm-up): p50 {result['cold_story_page_ms']['p50']} ms, "
          f"max {result['cold_story_page_ms']['max']} ms")
    print(f"{'endpoint':<12} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for kind in ("story_page", "stories_api", "all"):
        s = result[kind]
        print(f"{kind:<12} {s['requests']:>9} {s['rps']:>8} {s['p50_ms']:>8} {s['p90_ms']:>8} {s['p99_ms']:>8} "
              f"{s['max_ms']:>8}")
    print(f"errors: {result['errors']}" + (f"  e.g. {result['error_samples'][:3]}" if result["errors"] else ""))
    return 0 if result["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
