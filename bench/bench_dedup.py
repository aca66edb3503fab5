"""Near-duplicate index at scale: N generated articles (default 1M), MinHash + LSH build, all-pairs query.

Articles: the records of ../shared/data (allsides + neus), each followed by generated copies
(:func:`storyline.copies.generate.make_copy`), and "independent" articles made by splicing sentences of random
records with a third of their words swapped for random vocabulary, until N. Timed stages: shingling + signatures (numpy, datasketch-compatible affine32 MinHash), band keys
and candidate pairs of the whole corpus (:class:`~storyline.copies.minhash.BandIndex`, datasketch's banding for
``copies.lsh_threshold``), and the Jaccard re-check of the candidates from the signatures. Reports seconds, peak
RSS, and the share of generated copy pairs found. Then the *live* index (:class:`~storyline.copies.minhash.LSHIndex`,
what the pipeline observer holds) is filled with the same signatures in batches of 1,000: its memory per article
(traced allocations) and query time, next to datasketch's ``MinHashLSH`` on the first ``--compare-datasketch`` articles.

    .venv/bin/python bench/bench_dedup.py --n 1000000
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import resource
import time
import tracemalloc
from pathlib import Path

import numpy as np

from storyline.copies.generate import make_copy, read_jsonl
from storyline.copies.minhash import BandIndex, LSHIndex, Signer
from storyline.copies.text import words
from storyline.settings import CopiesSettings

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def corpus(n: int, seed: int) -> tuple[list[str], list[int]]:
    """Texts and, per text, the index of the text it copies (-1 for none)."""
    base = []
    for f in ("allsides-2021.jsonl", "neus-train.jsonl"):
        base += [f"{r.get('title') or ''}\n{r['text']}" for r in read_jsonl(DATA / f)]
    rng = random.Random(seed)
    vocab = sorted({w for t in base[:3000] for w in t.split()})
    sents = [s for t in base for s in t.replace("\n", " ").split(". ") if len(s) > 30]
    texts: list[str] = []
    of: list[int] = []
    while len(texts) < n:
        if rng.random() < 0.3 and texts:
            i = rng.randrange(len(texts))
            texts.append(make_copy({"text": texts[i], "title": ""}, rng)[1])
            of.append(i)
        else:
            k = rng.randint(2, 6)
            toks = " ".join(rng.choice(sents) for _ in range(k)).split()
            for _ in range(len(toks) // 3):  # a third of the words swapped: own reporting, not shared sentences
                toks[rng.randrange(len(toks))] = rng.choice(vocab)
            texts.append(" ".join(toks) + ".")
            of.append(-1)
    return texts, of


def live_index_memory(sigs: np.ndarray, s: CopiesSettings, n_datasketch: int) -> dict[str, float]:
    """The pipeline's live index (LSHIndex) filled as ingest does (batches of 1,000 with 16-char ids), its memory
    per article (RSS growth and array bytes) and query time; datasketch's MinHashLSH on the first n_datasketch."""
    gc.collect()
    tracemalloc.start()
    signer = Signer(s.num_perm, s.seed, s.shingle_words)
    idx = LSHIndex(signer, s.lsh_threshold)
    t0 = time.perf_counter()
    for i in range(0, len(sigs), 1000):
        idx.insert_many([f"{j:016x}" for j in range(i, min(i + 1000, len(sigs)))], sigs[i : i + 1000])
    t_insert = time.perf_counter() - t0
    grown = tracemalloc.get_traced_memory()[0] / 2**20
    tracemalloc.stop()
    t0 = time.perf_counter()
    q = sigs[:: max(1, len(sigs) // 1000)][:1000]
    idx.query_many(q)
    t_query = (time.perf_counter() - t0) / len(q)
    out = {
        "live_index_insert_s": round(t_insert, 1), "live_index_query_ms": round(t_query * 1000, 3),
        "live_index_mb": round(grown), "live_index_bytes_per_article": round(grown * 2**20 / len(sigs)),
        "live_index_array_bytes_per_article": round(idx.nbytes() / len(sigs)),
    }
    del idx
    gc.collect()
    if n_datasketch:
        from datasketch import MinHashLSH

        n = min(n_datasketch, len(sigs))
        tracemalloc.start()
        lsh = MinHashLSH(threshold=s.lsh_threshold, num_perm=s.num_perm)
        with lsh.insertion_session() as session:
            for j in range(n):
                session.insert(f"{j:016x}", signer.lean(sigs[j]), check_duplication=False)
        out["datasketch_minhashlsh_bytes_per_article"] = round(tracemalloc.get_traced_memory()[0] / n)
        tracemalloc.stop()
        out["datasketch_minhashlsh_n"] = n
        del lsh
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--compare-datasketch", type=int, default=50_000,
                    help="also fill datasketch MinHashLSH with this many signatures and report its memory (0: skip)")
    args = ap.parse_args()
    s = CopiesSettings()
    t0 = time.perf_counter()
    texts, of = corpus(args.n, args.seed)
    t_gen = time.perf_counter() - t0
    signer = Signer(s.num_perm, s.seed, s.shingle_words)
    t0 = time.perf_counter()
    sigs = np.empty((len(texts), s.num_perm), dtype=np.uint32)
    step = 50_000
    for i in range(0, len(texts), step):
        sigs[i : i + step] = signer.signatures(words(t) for t in texts[i : i + step])
    t_sig = time.perf_counter() - t0
    del texts
    t0 = time.perf_counter()
    band = BandIndex(s.num_perm, s.lsh_threshold)
    keys = band.band_keys(sigs)
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    pairs = band.candidate_pairs(keys)
    est = (sigs[pairs[:, 0]] == sigs[pairs[:, 1]]).mean(axis=1) if len(pairs) else np.zeros(0)
    t_query = time.perf_counter() - t0
    found = set(map(tuple, pairs.tolist()))
    n_pairs, n_j05 = int(len(pairs)), int((est >= 0.5).sum())
    del keys, pairs, est
    live = live_index_memory(sigs, s, args.compare_datasketch)
    truth = [(min(i, j), max(i, j)) for i, j in enumerate(of) if j >= 0]
    recall = sum(p in found for p in truth) / max(1, len(truth))
    out = {
        "n_articles": args.n, "bands": band.b, "rows": band.r, "generate_s": round(t_gen, 1),
        "signatures_s": round(t_sig, 1), "band_keys_s": round(t_build, 1), "candidate_pairs_s": round(t_query, 1),
        "index_build_and_query_all_s": round(t_sig + t_build + t_query, 1), "candidate_pairs": n_pairs,
        "candidates_jaccard_ge_0.5": n_j05, "copy_pair_recall": round(recall, 4),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        **live,
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
