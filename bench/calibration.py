"""Is P(join) a probability? Held-out calibration of the join models.

The story and article pages show each article's P(join) (storyline/cluster/explain.py). This measures, on stories
the model was not trained on, how often a candidate story given P(join) ≈ p really is the article's story: 3-fold
GroupKFold split by gold story (per set, as bench/train_cluster.py splits), a model fitted on the other folds'
teacher-forced pairs (the shipped features, set shares and training ranges), then the held-out fold's stories
replayed alone with teacher forcing and every (article, candidate) pair scored. Printed per profile: the Brier score,
the expected calibration error (ECE, 10 equal-width bins, weighted by pairs) and the reliability table (mean P(join)
against the share of pairs whose candidate is the gold story), over every stream of bench/train_cluster.py.

    python bench/calibration.py                      # both profiles (default: the embedding cache of train_cluster)
    python bench/calibration.py --profile lexical

Pairs are those the model is asked about in teacher forcing (the article's 5 best candidates while every earlier
article sits in its gold story); online, after a wrong join, the candidates differ.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))


def reliability(p: np.ndarray, y: np.ndarray, bins: int = 10) -> tuple[float, float, list[tuple[float, float, int]]]:
    """(Brier score, ECE, [(mean P, share of joins, pairs) per non-empty bin]) of predictions ``p`` for outcomes
    ``y``: the bins split [0, 1] in ``bins`` equal widths (1.0 falls in the last)."""
    p, y = np.asarray(p, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if len(p) == 0:
        return 0.0, 0.0, []
    brier = float(np.mean((p - y) ** 2))
    idx = np.minimum((p * bins).astype(int), bins - 1)
    rows, ece = [], 0.0
    for b in range(bins):
        sel = idx == b
        n = int(sel.sum())
        if n:
            mp, my = float(p[sel].mean()), float(y[sel].mean())
            rows.append((mp, my, n))
            ece += n / len(p) * abs(mp - my)
    return brier, ece, rows


def main(argv: list[str] | None = None) -> int:
    import train_cluster as tc

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--profile", choices=("default", "lexical", "both"), default="both")
    ap.add_argument("--folds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--data", type=Path, default=tc.DATA)
    ap.add_argument("--embedding-cache", type=Path, default=tc.CACHE)
    args = ap.parse_args(argv)
    from storyline.cluster.model import features_for

    with tempfile.TemporaryDirectory(prefix="storyline-calibration-") as tmp:
        streams = tc.load_streams(args.data, Path(tmp), args.seed)
    if not streams:
        raise SystemExit(f"no labelled sets in {args.data}")
    fold = tc.folds_of(streams, args.folds)
    for profile in ("default", "lexical") if args.profile == "both" else (args.profile,):
        encoder = None
        if profile == "default":
            from storyline.cluster.base import make_encoder
            from storyline.represent.dense import CachedEncoder
            from storyline.settings import Settings

            encoder = CachedEncoder(make_encoder(Settings()), args.embedding_cache)
        tc.FEATURE_SET[profile] = features_for(profile)
        ps, ys = [], []
        for i in range(args.folds):
            # the event adapter as bench/train_cluster.py's CV uses it: the fold's training pairs cross-fitted, its
            # held-out stories through the adapter fitted on the training stories
            tc.DATA_IN["path"] = args.data
            tc.use_adapters(encoder, profile, lambda lab, i=i: fold[lab] != i, fold)
            X, y = tc.teach(profile, encoder, streams, lambda lab: fold[lab] != i)
            model = tc.fit(profile, X, y, 0.5, {})
            held_out = tc.ADAPTER["current"]
            tc.ADAPTER["teach"] = None if held_out is None else (lambda lab: held_out)
            Xh, yh = tc.teach(profile, encoder, streams, lambda lab: fold[lab] == i)
            tc.ADAPTER["current"] = tc.ADAPTER["teach"] = None
            ps.append(model.predict(Xh))
            ys.append(yh)
        p, y = np.concatenate(ps), np.concatenate(ys)
        brier, ece, rows = reliability(p, y)
        print(f"\n{profile}: {len(p)} held-out pairs ({int(y.sum())} joins), Brier {brier:.4f}, ECE {ece:.4f}")
        print("| P(join) bin, mean | share that is the gold story | pairs |")
        print("|---|---|---|")
        for mp, my, n in rows:
            print(f"| {mp:.3f} | {my:.3f} | {n} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
