"""Scale benchmark for the online clusterer: per-article assign latency at 10k and 100k stored, index memory.

The stream is generated: ``--articles`` articles (default 101,000) in stories of 1-8 articles, each article
recombining sentences of one base story (within-story variation) plus one sentence of another base story
(cross-story noise), with a title made from the base title's words. Base stories come from the labelled sets in
``../shared/data`` when present, else from the bundled demo corpus. Stories start at a steady rate over a year
(``--stories-per-day``) and their articles spread over three days, so the active (non-dormant) set stays bounded as
the store grows, as in a real feed.

Profiles: ``lexical`` runs the real lexical clusterer. ``default`` also exercises the dense path (faiss HNSW over all
stored articles) with a recombination encoder: an article's vector is the normalised mean of the MiniLM vectors of
the base articles it borrows sentences from (encoded once and cached), so the benchmark measures the clusterer and
its indexes, not 100k runs of the transformer (encoder cost per article is reported by ``storyline eval``).

Latency: ``assign([article])`` timed one article at a time for ``--window`` articles after 10k and after 100k are
stored. Memory: RSS growth per stored article between those two points (index + story state), and the faiss index
size. Prints JSON.

    python bench/scale.py --profile lexical --articles 101000
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import re
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from storyline.cluster import make_clusterer  # noqa: E402
from storyline.records import Article  # noqa: E402
from storyline.settings import Settings  # noqa: E402

DATA = REPO.parent / "shared" / "data"
_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z“\"'])")


def base_stories() -> list[tuple[str, list[str], list[int]]]:
    """(title, sentences, source-article index per sentence) per base story; also returns the base texts."""
    files = sorted(DATA.glob("*.jsonl")) if DATA.is_dir() else [REPO / "storyline/demo/corpus/articles.jsonl"]
    by_cluster: dict[str, list[dict]] = {}
    for f in files:
        for line in f.read_text("utf-8").splitlines():
            r = json.loads(line)
            if r.get("text"):
                by_cluster.setdefault(f"{f.stem}:{r['cluster']}", []).append(r)
    out = []
    for rows in by_cluster.values():
        sents, owners = [], []
        for r in rows:
            for s in _SPLIT.split(r["text"]):
                if len(s) > 20:
                    sents.append(s)
                    owners.append(r["title"] + "\n" + r["text"].split("\n\n", 1)[0])
        if sents:
            out.append((rows[0]["title"], sents, owners))
    return out


class RecombinationEncoder:
    """An article's vector = normalised mean of the (cached, real MiniLM) vectors of the base articles it borrows
    from. Built for the scale benchmark only; see the module doc."""

    dim = 384
    name = "recombination-minilm"

    def __init__(self, base_vectors: dict[str, np.ndarray]):
        self.base = base_vectors
        self.owners: dict[str, list[str]] = {}

    def encode(self, texts):
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            v = sum(self.base[o] for o in self.owners[t])
            out[i] = v / (np.linalg.norm(v) or 1.0)
        return out


def generate(n: int, stories_per_day: float, seed: int):
    rng = random.Random(seed)
    bases = base_stories()
    t0 = datetime(2025, 1, 1, tzinfo=timezone.utc)
    arts: list[tuple[Article, list[str]]] = []
    story = 0
    while len(arts) < n:
        title, sents, owners = bases[rng.randrange(len(bases))]
        start = t0 + timedelta(days=story / stories_per_day)
        for j in range(rng.randint(1, 8)):
            k = min(len(sents), rng.randint(2, 4))
            picks = rng.sample(range(len(sents)), k)
            _, osents, oowners = bases[rng.randrange(len(bases))]
            q = rng.randrange(len(osents))
            body = " ".join([sents[p] for p in picks] + [osents[q]])
            words = title.split()
            if len(words) > 4:
                drop = rng.randrange(len(words))
                words = words[:drop] + words[drop + 1 :]
            date = start + timedelta(hours=rng.uniform(0, 72))
            a = Article(id=f"g-{len(arts):07d}", title=" ".join(words), text=body, source=f"outlet{j}", date=date)
            arts.append((a, [owners[p] for p in picks] + [oowners[q]]))
        story += 1
    arts = arts[:n]
    arts.sort(key=lambda x: (x[0].date, x[0].id))
    return arts


def percentile(xs: list[float], q: float) -> float:
    return float(np.percentile(np.array(xs), q))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--profile", choices=["lexical", "default"], default="lexical")
    ap.add_argument("--articles", type=int, default=101_000)
    ap.add_argument("--window", type=int, default=1000)
    ap.add_argument("--stories-per-day", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cache", default="/tmp/storyline-cache/emb", help="embedding cache for the base articles")
    ap.add_argument("--marks", default="10000,100000", help="stored-article counts to measure at (two)")
    args = ap.parse_args()
    marks = [int(x) for x in args.marks.split(",")]
    if args.articles < marks[-1] + args.window:
        ap.error(f"--articles must be at least {marks[-1] + args.window} to measure at {marks[-1]} stored")

    t_gen = time.perf_counter()
    stream = generate(args.articles, args.stories_per_day, args.seed)
    gen_s = time.perf_counter() - t_gen
    settings = Settings().with_overrides({"cluster.profile": args.profile})
    encoder = None
    if args.profile == "default":
        from storyline.cluster.base import make_encoder
        from storyline.represent.dense import CachedEncoder

        owners = sorted({o for _, os_ in stream for o in os_})
        enc = CachedEncoder(make_encoder(settings), args.cache)
        vecs = enc.encode(owners)
        encoder = RecombinationEncoder(dict(zip(owners, vecs)))
        for a, os_ in stream:
            encoder.owners[a.lead] = os_
    clusterer = make_clusterer(settings, encoder)
    proc = psutil.Process(os.getpid())
    gc.collect()
    results: dict[str, object] = {"profile": args.profile, "articles": args.articles, "generate_s": round(gen_s, 1)}
    rss: dict[int, float] = {}
    pos = 0
    t_all = time.perf_counter()
    for mark in marks:
        batch = 256
        while pos < mark:  # fill up to the mark in batches, as the pipeline would
            end = min(mark, pos + batch)
            clusterer.assign([a for a, _ in stream[pos:end]])
            pos = end
        gc.collect()
        rss[mark] = proc.memory_info().rss / 2**20
        lat = []
        for a, _ in stream[pos : pos + args.window]:
            t = time.perf_counter()
            clusterer.assign([a])
            lat.append((time.perf_counter() - t) * 1000.0)
        pos += args.window
        stats = clusterer.index_stats()
        results[f"at_{mark}"] = {
            "p50_ms": round(percentile(lat, 50), 3), "p99_ms": round(percentile(lat, 99), 3),
            "mean_ms": round(sum(lat) / len(lat), 3), **stats,
        }
    results["total_s"] = round(time.perf_counter() - t_all, 1)
    results["rss_mb_at_10k"] = round(rss[marks[0]], 1)
    results["rss_mb_at_100k"] = round(rss[marks[1]], 1)
    results["state_kb_per_article"] = round((rss[marks[1]] - rss[marks[0]]) * 1024 / (marks[1] - marks[0]), 2)
    if clusterer._index is not None:  # faiss HNSW: vectors + graph links
        import faiss

        results["faiss_bytes_per_article"] = round(len(faiss.serialize_index(clusterer._index))
                                                   / clusterer._index.ntotal, 1)
    p_lo, p_hi = results[f"at_{marks[0]}"]["p50_ms"], results[f"at_{marks[1]}"]["p50_ms"]  # type: ignore[index]
    results["p50_ratio"] = round(p_hi / p_lo, 3)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
