"""Backfill throughput on a local Dask cluster against plain `ingest`, and the per-stage costs that bound it.

The archive is a labelled JSONL (default ../shared/data/allsides-2021.jsonl) with its gold ``cluster`` field
stripped before anything reads it, optionally repeated (``--repeat R``: copy k gets ids ``ID~k`` and a title marked
``(k)``, so it is new content, not a duplicate). Everything below runs in one invocation, on the same machine:

* **ingest**: what `storyline ingest FILE` runs (read → time order → pipeline) into a fresh store;
* **backfill, 1 and 2 workers**: :func:`storyline.service.backfill.backfill` on a ``LocalCluster`` of N worker
  processes (one thread each) into a fresh store;
* **stages** (serial, in this process, per article): read + normalise (readers, date parse, normalize), encode (the
  encoder, one thread, on the pipeline's call shapes), assign (the clusterer's ``assign`` with known vectors) and
  store write (the rest of ``Pipeline.run`` fed normalised articles and known vectors: SQL, headlines, copy detector,
  embeddings).

For every throughput figure the clock starts after the model is loaded and the cluster is up (both reported apart).

    python bench/bench_backfill.py                        # default profile, 1 and 2 workers
    python bench/bench_backfill.py --profile lexical --repeat 4
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "allsides-2021.jsonl"


def write_archive(src: Path, dst: Path, repeat: int) -> int:
    """``src`` without gold labels, ``repeat`` times (new ids and titles for each copy after the first)."""
    n = 0
    with src.open() as f, dst.open("w") as out:
        rows = [json.loads(line) for line in f if line.strip()]
        for k in range(repeat):
            for r in rows:
                r = {key: v for key, v in r.items() if key != "cluster"}  # gold never reaches the pipeline
                if k:
                    r["id"] = f"{r.get('id', n)}~{k}"
                    r["title"] = f"{r.get('title', '')} ({k})"
                out.write(json.dumps(r) + "\n")
                n += 1
    return n


class KnownVectors:
    """An encoder answering from vectors computed before the clock started (keyed by text)."""

    def __init__(self, inner, vectors: dict[str, object]):
        self.dim, self.name, self.vectors = inner.dim, inner.name, vectors

    def encode(self, texts):
        import numpy as np

        return np.stack([self.vectors[t] for t in texts]) if texts else np.zeros((0, self.dim), np.float32)


def stage_costs(archive: Path, settings, tmp: Path, reps: int = 3) -> dict[str, float]:
    """Seconds per article of each stage, measured serially in this process: the best of ``reps`` runs (the least
    disturbed by other jobs on a shared machine)."""
    from dataclasses import replace

    from storyline.cluster.base import make_clusterer, make_encoder
    from storyline.cluster.online import lead_groups
    from storyline.ingest.files import read_paths
    from storyline.pipeline import _batches, open_pipeline
    from storyline.records import Article, Rejected
    from storyline.service.backfill import keyed, time_ordered_keyed
    from storyline.store import Store

    encoder = None
    if settings.cluster.profile == "default":
        encoder = make_encoder(replace(settings, cluster=replace(settings.cluster, encoder_threads=1)))
        encoder.warm_up()
    best: dict[str, float] = {}
    for rep in range(reps):
        took: dict[str, float] = {}
        t0 = time.perf_counter()
        entries = [x if isinstance(x, Rejected) else keyed(x, settings.ingest)
                   for x in read_paths([archive], settings.ingest)]
        took["read_normalise"] = time.perf_counter() - t0
        articles = [a for a in time_ordered_keyed(entries, settings.ingest.order_window) if isinstance(a, Article)]
        batches = list(_batches(articles, max(1, settings.ingest.batch_size)))

        vectors: dict[str, object] = {}
        took["encode"] = 0.0
        if encoder is not None:  # the clusterer's call shapes: each group of 64 leads' distinct texts
            t0 = time.perf_counter()
            for batch in batches:
                for group in lead_groups([a.lead for a in batch]):
                    leads = list(dict.fromkeys(group))
                    vectors.update(zip(leads, encoder.encode(leads)))
            took["encode"] = time.perf_counter() - t0

        known = KnownVectors(encoder, vectors) if encoder is not None else None
        clusterer = make_clusterer(settings, encoder=known)
        t0 = time.perf_counter()
        for batch in batches:
            clusterer.assign(batch)
        took["assign"] = time.perf_counter() - t0

        with Store(tmp / f"stages-{rep}.db") as store:
            pipe = open_pipeline(store, settings, make_clusterer(settings, encoder=known))
            t0 = time.perf_counter()
            pipe.run(articles, command="bench")
            took["store_write"] = max(0.0, time.perf_counter() - t0 - took["assign"])
        for k, v in took.items():
            best[k] = min(best.get(k, v), v / len(articles))
    return best


def _membership(store) -> str:
    """A digest of (article id, story id) for every article, and of the stored vectors."""
    import hashlib

    rows = sorted((a["id"], a["story_id"]) for a in store.list_articles())
    vecs = sorted(tuple(r) for r in store.query("SELECT article_id, vector FROM article_embeddings"))
    return hashlib.sha256(repr((rows, vecs)).encode()).hexdigest()[:16]


def run_ingest(archive: Path, settings, tmp: Path) -> dict[str, float]:
    from storyline.ingest.order import time_ordered
    from storyline.ingest.web import read_inputs
    from storyline.pipeline import open_pipeline
    from storyline.store import Store

    with Store(tmp / "ingest.db") as store:
        pipe = open_pipeline(store, settings)
        t0 = time.perf_counter()
        if hasattr(pipe.clusterer, "warm_up"):
            pipe.clusterer.warm_up()
        load = time.perf_counter() - t0
        t0 = time.perf_counter()
        stats = pipe.run(time_ordered(read_inputs([str(archive)], settings), settings.ingest.order_window))
        secs = time.perf_counter() - t0
        stories = store.count_stories(current=True)
        membership = _membership(store)
    return {"seconds": secs, "articles": stats.accepted, "membership": membership,
            "articles_per_s": stats.accepted / secs,
            "model_load_s": load, "stories": stories}


def run_backfill(archive: Path, settings, tmp: Path, workers: int) -> dict[str, float]:
    from storyline.service.backfill import backfill, dask_client, encoder_threads, warm_worker
    from storyline.store import Store

    t0 = time.perf_counter()
    with dask_client(workers=workers, timeout_s=120) as client:
        if settings.cluster.profile == "default":
            client.run(warm_worker, settings, encoder_threads(client))
        start = time.perf_counter() - t0
        with Store(tmp / f"backfill-{workers}.db") as store:
            t0 = time.perf_counter()
            res = backfill(store, [str(archive)], client, settings, part_bytes=256 << 10)
            secs = time.perf_counter() - t0
            stories = store.count_stories(current=True)
            membership = _membership(store)
    busy = secs - res.seconds["read_wait"] - res.seconds["encode_wait"]  # the driver's own (serial) work
    return {"workers": workers, "membership": membership, "seconds": secs, "articles": res.stats.accepted,
            "driver_busy_ms_per_article": 1000 * busy / max(1, res.stats.seen),
            "articles_per_s": res.stats.accepted / secs, "cluster_start_s": start, "parts": res.parts,
            "stories": stories, "read_wait_s": res.seconds["read_wait"],
            "encode_wait_s": res.seconds["encode_wait"], "encode_calls_on_workers": res.encode_foreseen,
            "encode_calls_here": res.encode_local}


def main() -> None:
    ap = argparse.ArgumentParser(description="backfill on a local Dask cluster vs ingest, with per-stage costs")
    ap.add_argument("path", nargs="?", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--profile", default="default", choices=["default", "lexical"])
    ap.add_argument("--repeat", type=int, default=1, help="copies of the set (new ids and titles)")
    ap.add_argument("--batch-size", type=int, default=None,
                    help="ingest.batch_size for every run (default: the settings')")
    ap.add_argument("--workers", default="1,2", help="local cluster sizes to run")
    ap.add_argument("--reps", type=int, default=3, help="stage costs: best of this many runs")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "backfill.json")
    args = ap.parse_args()
    if not args.path.exists():
        raise SystemExit(f"{args.path} not found: pass a labelled JSONL (e.g. ../shared/data/allsides-2021.jsonl)")
    from storyline.settings import Settings

    settings = Settings().with_overrides({"cluster.profile": args.profile})
    if args.batch_size:
        settings = settings.with_overrides({"ingest.batch_size": args.batch_size})
    with tempfile.TemporaryDirectory(prefix="storyline-bench-backfill-") as name:
        tmp = Path(name)
        archive = tmp / "archive.jsonl"
        n = write_archive(args.path, archive, args.repeat)
        stages = stage_costs(archive, settings, tmp, args.reps)
        ingest_row = run_ingest(archive, settings, tmp)
        rows = [run_backfill(archive, settings, tmp, int(w)) for w in args.workers.split(",")]
    parallel = stages["read_normalise"] + stages["encode"]
    serial = stages["assign"] + stages["store_write"]
    result = {
        "set": args.path.stem, "repeat": args.repeat, "records": n, "profile": args.profile,
        "batch_size": settings.ingest.batch_size,
        "stage_ms_per_article_best_of": args.reps,
        "stage_ms_per_article": {k: round(v * 1000, 3) for k, v in stages.items()},
        "ingest": {k: round(v, 3) if isinstance(v, float) else v for k, v in ingest_row.items()},
        "backfill": [{k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()} for r in rows],
        # the driver's serial work bounds a backfill however many workers read and encode
        "assignment_ceiling_articles_per_s": round(1 / serial, 1) if serial else None,
        "model": {f"{w}_workers": round(min(w / parallel if parallel else float("inf"), 1 / serial), 1)
                  for w in (1, 2, 4, 8, 16, 32)},
    }
    for r in result["backfill"]:
        r["vs_ingest"] = round(r["articles_per_s"] / result["ingest"]["articles_per_s"], 2)
        r["same_stories_and_vectors_as_ingest"] = r.pop("membership") == result["ingest"]["membership"]
    result["ingest"].pop("membership")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
