"""How often is an article's nearest neighbour in its own gold story? An offline bound on what the clusterer's
representations allow (docs/clustering.md, "What is not done").

For every article of a labelled JSONL set (../shared/data format) it builds the clusterer's own representations with
document frequencies counted over the whole set (an oracle the online clusterer does not have): title-weighted TF-IDF
(storyline/represent/lexical.py), idf-weighted rule-based entities, and the default profile's MiniLM embedding of the
title + lead (the configured encoder: ONNX int8, 64 word pieces), plus variants of the encoder's input (title only,
lead only, 128 word pieces). It prints, for each similarity (and their sums, as the clusterer's content score
weights them), the share of articles whose most similar other article has the same gold story, plain and after the
CSLS hubness correction (k = 5) the clusterer applies online. A clusterer that thresholds these similarities cannot
do much better than this share on sets whose stories are small (neus-train: triplets), whatever its threshold.

    python bench/nn_bound.py ../shared/data/neus-train.jsonl          # ≈ 6 min on 2 cores the first time
    python bench/nn_bound.py FILE --cache /tmp/storyline-cache          # embeddings are cached there (default)
    python bench/nn_bound.py FILE --agglomerative                       # + offline average link, oracle threshold

Memory: a dense n × n float32 matrix per similarity (neus-train: 7,336² × 4 B ≈ 215 MB each, a few at a time).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from storyline.cluster.base import make_encoder  # noqa: E402
from storyline.represent.dense import CachedEncoder  # noqa: E402
from storyline.represent.entities import entities  # noqa: E402
from storyline.represent.lexical import DocumentFrequencies, term_counts  # noqa: E402
from storyline.settings import Settings  # noqa: E402


def sparse_matrix(vectors: list[dict[str, float]]):  # type: ignore[no-untyped-def]
    from scipy.sparse import csr_matrix

    vocab: dict[str, int] = {}
    data: list[float] = []
    cols: list[int] = []
    ptr = [0]
    for v in vectors:
        for t, x in v.items():
            cols.append(vocab.setdefault(t, len(vocab)))
            data.append(x)
        ptr.append(len(cols))
    return csr_matrix((data, cols, ptr), shape=(len(vectors), len(vocab)), dtype=np.float32)


def labelled_rows(path: Path) -> list[dict]:
    """The records of a labelled JSONL with a title or a text (headline-only records are articles too)."""
    rows = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
    return [r for r in rows if (r.get("text") or "").strip() or (r.get("title") or "").strip()]


def tfidf_matrix(titles: list[str], texts: list[str]):  # type: ignore[no-untyped-def]
    """The clusterer's title-weighted TF-IDF vectors as rows, document frequencies counted over the whole set."""
    df = DocumentFrequencies()
    tfs = [term_counts(t, x, Settings().cluster.title_weight) for t, x in zip(titles, texts)]
    for tf in tfs:
        df.add(tf)
    return sparse_matrix([df.vector(tf) for tf in tfs])


def title_leads(titles: list[str], texts: list[str]) -> list[str]:
    """Title + first paragraph, as the clusterer's encoder reads an article."""
    firsts = [x.split("\n\n", 1)[0] for x in texts]
    return [f"{t}\n{f}" if t else f for t, f in zip(titles, firsts)]


def nn_share(sim: np.ndarray, gold: np.ndarray) -> float:
    """Share of rows whose most similar other row has the same gold label."""
    m = sim.copy()
    np.fill_diagonal(m, -np.inf)
    return float((gold[m.argmax(axis=1)] == gold).mean())


def csls(sim: np.ndarray, k: int = 5) -> np.ndarray:
    """Cross-domain similarity local scaling: 2·s(a, b) − r(a) − r(b), r = mean of the k best similarities."""
    m = sim.copy()
    np.fill_diagonal(m, -np.inf)
    r = np.sort(m, axis=1)[:, -k:].mean(axis=1)
    out = 2 * sim - r[:, None] - r[None, :]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("path", type=Path)
    ap.add_argument("--cache", default="/tmp/storyline-cache", help="embedding cache folder")
    ap.add_argument("--no-dense", action="store_true", help="lexical and entities only (no encoder)")
    ap.add_argument("--agglomerative", action="store_true",
                    help="also cluster the whole set offline (average link on (lexical + dense) / 2) with the "
                         "distance threshold tuned on the gold labels: an oracle the online clusterer does not have")
    args = ap.parse_args(argv)

    rows = labelled_rows(args.path)
    gold = np.array([str(r.get("cluster")) for r in rows])
    titles = [r.get("title") or "" for r in rows]
    texts = [r.get("text") or "" for r in rows]
    cs = Settings().cluster

    edf = DocumentFrequencies()
    ents = [entities(t, x) for t, x in zip(titles, texts)]
    for e in ents:
        edf.add(e)
    lex_m = tfidf_matrix(titles, texts)
    ent_m = sparse_matrix([edf.vector(e) for e in ents])
    sims: dict[str, np.ndarray] = {"lexical": (lex_m @ lex_m.T).toarray(), "entities": (ent_m @ ent_m.T).toarray()}

    if not args.no_dense:
        def encode(inputs: list[str], tokens: int) -> np.ndarray:
            s = Settings()
            s = replace(s, cluster=replace(s.cluster, encoder_max_tokens=tokens))
            return CachedEncoder(make_encoder(s), args.cache).encode(inputs)

        leads = title_leads(titles, texts)
        firsts = [x.split("\n\n", 1)[0] for x in texts]
        default = encode(leads, cs.encoder_max_tokens)
        sims[f"dense title+lead {cs.encoder_max_tokens}"] = default @ default.T
        for name, texts, tokens in (("dense title+lead 128", leads, 128), ("dense title 32", titles, 32),
                                    ("dense lead 64", firsts, 64)):
            v = encode(texts, tokens)
            sims[name] = v @ v.T
        dense = sims[f"dense title+lead {cs.encoder_max_tokens}"]
        sims["lexical + dense"] = sims["lexical"] + dense
        sims[f"lexical + dense + {cs.w_entities:g}·entities (the content score)"] = (
            cs.w_lexical * sims["lexical"] + cs.w_dense * dense + cs.w_entities * sims["entities"])
        sims["lexical + dense 128"] = sims["lexical"] + sims["dense title+lead 128"]

    print(f"{args.path.name}: {len(rows)} articles, {len(set(gold.tolist()))} gold stories")
    print(f"{'similarity':<58} {'NN in own story':>16} {'with CSLS':>10}")
    for name, m in sims.items():
        print(f"{name:<58} {nn_share(m, gold):>16.3f} {nn_share(csls(m), gold):>10.3f}", flush=True)
    if args.agglomerative:
        dense_key = f"dense title+lead {cs.encoder_max_tokens}"
        agg = sims["lexical"] if args.no_dense else (sims["lexical"] + sims[dense_key]) / 2
        f1, t, k = oracle_average_link(agg, gold)
        print(f"offline average link, threshold tuned on the gold labels: B-cubed F1 {f1:.4f} "
              f"(distance {t:.3f}, {k} clusters)")
    return 0


def oracle_average_link(sim: np.ndarray, gold: np.ndarray) -> tuple[float, float, int]:
    """Average-link agglomerative clustering of the whole set on ``1 − sim``, cut at the distance (0.30-0.90, step
    0.025) that scores best against the gold labels: (B-cubed F1, distance, clusters)."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    from storyline.eval.metrics import bcubed

    d = 1.0 - sim
    d = np.clip((d + d.T) / 2, 0.0, None)
    np.fill_diagonal(d, 0.0)
    tree = linkage(squareform(d, checks=False), "average")
    truth = {i: g for i, g in enumerate(gold.tolist())}
    best = (0.0, 0.0, 0)
    for t in np.arange(0.30, 0.90, 0.025):
        labels = fcluster(tree, t, "distance")
        f1 = bcubed({i: int(x) for i, x in enumerate(labels)}, truth).f1
        if f1 > best[0]:
            best = (f1, float(t), int(labels.max()))
    return best


if __name__ == "__main__":
    raise SystemExit(main())
