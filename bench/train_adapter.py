"""Fit the event adapter (storyline/cluster/adapter.py) on ../shared/data, choosing its recipe by cross-validation.

Rows: every article of allsides-2021, neus-train and storyview-dev (what is present), under two text views — title +
first paragraph (what the clusterer's encoder reads) and headline only — as the pipeline's encoder gives them.
Labels: ``SET/gold story``, so no two sets' stories meet. Folds: bench/train_cluster.py's (GroupKFold by gold story,
per set), so the join model's cross-validation can fit each fold's adapter on exactly its training stories.

For each recipe of the grid (epochs × ridge) and each fold, the adapter is fitted on the other folds' pairs and the
held-out fold's articles are scored with the dense similarity alone, per set and view: the share whose nearest other
article is in its own story (NN) and the best B-cubed F1 of average-link clustering over all cuts (the issue's
oracle baseline on MiniLM alone). The recipe with the best mean oracle F1 is fitted on every row and written to
storyline/cluster/models/dense_adapter.npz with the figures in its meta. Also reported: each set's figures with the
adapter fitted on the *other* sets only (another outlet mix and period: what it carries to data it never saw).

    python bench/train_adapter.py                     # CV, then the shipped adapter
    python bench/train_adapter.py --no-save --out F   # figures only
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

DATA = REPO.parent / "shared" / "data"
SETS = ("allsides-2021", "neus-train", "storyview-dev")
GRID_EPOCHS = (2, 4, 8)
GRID_RIDGE = (0.0, 0.01)
GRID_HIDDEN = (0, 512)  # 0: the linear map alone; else a residual hidden layer of that width (ReLU)
FIXED = {"temperature": 0.05, "batch": 256, "lr": 1e-3, "seed": 0}


def load_views(data: Path, encoder) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """(views {"lead", "headline"} -> (n, dim) encoder vectors, labels "SET/story", set names) of every set here."""
    from nn_bound import labelled_rows, title_leads
    from train_cluster import set_source

    leads, heads, labels, sets = [], [], [], []
    with tempfile.TemporaryDirectory(prefix="storyline-adapter-") as tmp:
        for name in SETS:
            src = set_source(data, name, Path(tmp))
            if src is None:
                continue
            rows = labelled_rows(src)
            titles = [r.get("title") or "" for r in rows]
            texts = [r.get("text") or "" for r in rows]
            leads += title_leads(titles, texts)
            heads += [t or x.split("\n\n", 1)[0] for t, x in zip(titles, texts)]
            labels += [f"{name}/{r['cluster']}" for r in rows]
            sets += [name] * len(rows)
    if not labels:
        raise SystemExit(f"no labelled sets in {data}")
    views = {"lead": np.asarray(encoder.encode(leads), np.float32),
             "headline": np.asarray(encoder.encode(heads), np.float32)}
    return views, np.asarray(labels), np.asarray(sets)


def fold_of(labels: np.ndarray, sets: np.ndarray, k: int) -> np.ndarray:
    """Each row's fold: bench/train_cluster.py's folds_of over the same labels."""
    from train_cluster import folds_of

    streams = [{"set": s, "labels": [lab for lab, x in zip(labels, sets) if x == s]} for s in dict.fromkeys(sets)]
    fold = folds_of(streams, k)
    return np.asarray([fold[lab] for lab in labels])


def fit_rows(views: dict[str, np.ndarray], labels: np.ndarray, rows: np.ndarray, recipe: dict):
    from storyline.cluster.adapter import fit_adapter

    return fit_adapter({v: x[rows] for v, x in views.items()}, labels[rows], **recipe)


def scores(E: np.ndarray, gold: np.ndarray) -> tuple[float, float]:
    """(NN share, oracle average-link B-cubed F1) of unit rows ``E`` against ``gold``."""
    from nn_bound import nn_share, oracle_average_link

    sim = E @ E.T
    return nn_share(sim, gold), oracle_average_link(sim, gold)[0]


def evaluate(views, labels, sets, adapter, rows: np.ndarray) -> dict[str, tuple[float, float]]:
    """Per "set/view": scores of ``rows`` (one set's held-out articles at a time) under the adapter (None: the raw
    vectors)."""
    out = {}
    for s in dict.fromkeys(sets[rows]):
        r = rows[sets[rows] == s]
        for v, X in views.items():
            E = X[r] / np.maximum(np.linalg.norm(X[r], axis=1, keepdims=True), 1e-12) if adapter is None else \
                adapter.apply(X[r])
            out[f"{s}/{v}"] = scores(E, labels[r])
    return out


def mean_over_folds(per_fold: list[dict]) -> dict[str, list[float]]:
    keys = per_fold[0].keys()
    return {k: [float(np.mean([f[k][j] for f in per_fold])) for j in (0, 1)] for k in keys}


def main(argv: list[str] | None = None) -> int:
    from storyline.cluster.adapter import ADAPTER_FILE
    from storyline.cluster.base import make_encoder
    from storyline.represent.dense import CachedEncoder
    from storyline.settings import Settings

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--folds", type=int, default=3)
    ap.add_argument("--embedding-cache", type=Path, default=Path(tempfile.gettempdir()) / "storyline-cache-cluster"
                    / "emb", help="the encoder's vectors by text (the folder bench/train_cluster.py uses)")
    ap.add_argument("--no-save", action="store_true")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "train_adapter.json")
    args = ap.parse_args(argv)

    t0 = time.time()
    encoder = CachedEncoder(make_encoder(Settings()), args.embedding_cache)
    views, labels, sets = load_views(args.data, encoder)
    folds = fold_of(labels, sets, args.folds)
    print(f"{len(labels)} articles of {len(set(labels))} stories, encoded in {time.time() - t0:.0f} s", flush=True)

    base = mean_over_folds([evaluate(views, labels, sets, None, np.flatnonzero(folds == i))
                            for i in range(args.folds)])
    grid = []
    for hidden, epochs, ridge in ((h, e, r) for h in GRID_HIDDEN for e in GRID_EPOCHS for r in GRID_RIDGE):
        recipe = {"epochs": epochs, "ridge": ridge, "hidden": hidden, **FIXED}
        per_fold = []
        for i in range(args.folds):
            fitted = fit_rows(views, labels, np.flatnonzero(folds != i), recipe)
            per_fold.append(evaluate(views, labels, sets, fitted, np.flatnonzero(folds == i)))
        figs = mean_over_folds(per_fold)
        mean_f1 = float(np.mean([f[1] for f in figs.values()]))
        grid.append({"recipe": recipe, "heldout": figs, "mean_oracle_f1": mean_f1})
        print(f"hidden {hidden} epochs {epochs} ridge {ridge}: held-out mean oracle F1 {mean_f1:.4f}  " + "  ".join(
            f"{k} NN {v[0]:.3f} F1 {v[1]:.3f}" for k, v in figs.items()), flush=True)
    base_mean = float(np.mean([f[1] for f in base.values()]))
    print("raw vectors: held-out mean oracle F1 " + f"{base_mean:.4f}  " + "  ".join(
        f"{k} NN {v[0]:.3f} F1 {v[1]:.3f}" for k, v in base.items()), flush=True)
    best = max(grid, key=lambda g: g["mean_oracle_f1"])
    recipe = best["recipe"]

    # another set's stories only: how far the fit carries to data it never saw
    transfer = {}
    for s in dict.fromkeys(sets):
        others = np.flatnonzero(sets != s)
        if len(set(labels[others])) < 2 or s == "storyview-dev":
            continue
        fitted = fit_rows(views, labels, others, recipe)
        rows = np.flatnonzero(sets == s)
        transfer[s] = {"raw": evaluate(views, labels, sets, None, rows),
                       "adapted": evaluate(views, labels, sets, fitted, rows)}
        print(f"fitted without {s}: " + "  ".join(
            f"{k} NN {transfer[s]['raw'][k][0]:.3f} -> {v[0]:.3f}, F1 {transfer[s]['raw'][k][1]:.3f} -> {v[1]:.3f}"
            for k, v in transfer[s]["adapted"].items()), flush=True)

    final = fit_rows(views, labels, np.arange(len(labels)), recipe)
    meta = {"encoder": encoder.name, "recipe": recipe, "rows": int(len(labels)), "stories": int(len(set(labels))),
            "sets": sorted(set(sets.tolist())), "views": list(views),
            "chosen_by": f"{args.folds}-fold CV by gold story (bench/train_cluster.py's folds), best mean held-out "
                         "oracle average-link B-cubed F1 of the dense similarity alone over sets and views",
            "heldout_mean_oracle_f1": round(best["mean_oracle_f1"], 4), "raw_mean_oracle_f1": round(base_mean, 4)}
    report = {"base": base, "grid": grid, "chosen": recipe, "transfer": transfer, "meta": meta}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    if not args.no_save:
        replace(final, meta=meta).save(ADAPTER_FILE)
        print(f"wrote {ADAPTER_FILE.relative_to(REPO)} ({recipe})")
    print(f"done in {time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
