"""Ingest throughput as `storyline ingest` runs it: open_pipeline (copy detector on, as by default) into a fresh
SQLite store, for each profile, on a labelled JSONL (default ../shared/data/allsides-2021.jsonl).

The clock runs around ``Pipeline.run`` only (items already read, the dense model loaded and warmed up, as in a
long-running service). Also reports the same run with ``copies.enabled=false`` (what `storyline eval` measures).
With ``--db postgresql://USER@HOST:PORT/DB`` each run goes into a fresh database made (and dropped) on that server
instead (the role needs CREATEDB).

    python bench/bench_ingest.py                       # both profiles, copies on and off
    python bench/bench_ingest.py --profiles lexical    # one profile
    python bench/bench_ingest.py --db postgresql://storyline@127.0.0.1:5432/postgres --profiles lexical
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from storyline.eval.runner import _arrival_key, labelled_items, with_profile
from storyline.pipeline import open_pipeline
from storyline.settings import Settings
from storyline.store import Store, open_store

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "allsides-2021.jsonl"


@contextmanager
def fresh_store(server: str | None):
    """A new, empty store: a SQLite file in a temporary folder, or a database made on the PostgreSQL ``server``."""
    if server is None:
        with tempfile.TemporaryDirectory(prefix="storyline-bench-ingest-") as tmp:
            store = Store(Path(tmp) / "ingest.db")
            try:
                yield store
            finally:
                store.close()
        return
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    name = f"storyline_bench_{time.time_ns()}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        store = open_store(urlunsplit(urlsplit(server)._replace(path="/" + name)))
        try:
            yield store
        finally:
            store.close()
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def measure(path: Path, profile: str, copies: bool, server: str | None = None) -> dict[str, object]:
    settings = with_profile(Settings(), profile)
    settings = replace(settings, copies=replace(settings.copies, enabled=copies))
    items, _, _ = labelled_items(path, settings)
    items.sort(key=_arrival_key)
    with fresh_store(server) as store:
        pipe = open_pipeline(store, settings)
        if hasattr(pipe.clusterer, "warm_up"):
            pipe.clusterer.warm_up()
        t0 = time.perf_counter()
        stats = pipe.run(items)
        seconds = time.perf_counter() - t0
        pairs = store.count_copy_pairs()
    return {"set": path.stem, "store": "sqlite" if server is None else "postgresql",
            "profile": profile, "copies": copies, "articles": stats.accepted,
            "seconds": round(seconds, 3), "articles_per_s": round(stats.accepted / seconds, 1),
            "copy_pairs": pairs}


def main() -> None:
    ap = argparse.ArgumentParser(description="ingest throughput (open_pipeline, copies on/off)")
    ap.add_argument("path", nargs="?", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--profiles", default="default,lexical")
    ap.add_argument("--db", default=None, help="a PostgreSQL server's URL (a role with CREATEDB): ingest there")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "ingest.json")
    args = ap.parse_args()
    if not args.path.exists():
        raise SystemExit(f"{args.path} not found: pass a labelled JSONL (e.g. ../shared/data/allsides-2021.jsonl)")
    rows = []
    for profile in args.profiles.split(","):
        for copies in (True, False):
            rows.append(measure(args.path, profile, copies, args.db))
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    print("| set | store | profile | copies | articles | articles/s | copy/rewrite pairs |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['set']} | {r['store']} | {r['profile']} | {'on' if r['copies'] else 'off'} | {r['articles']} | "
              f"{r['articles_per_s']:.0f} | {r['copy_pairs']} |")


if __name__ == "__main__":
    main()
