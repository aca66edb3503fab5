"""The same labelled set under the variants a real stream has, in both profiles: one table of B-cubed P / R / F1.

Variants (storyline/eval/variants.py): as given; headline only; title + first sentence; full text where present (a
record's ``full_text`` field, else its ``text``: on the sets in ../shared/data this is the given text); dates
removed; dates spread (uniform 0-2 days, the logic of bench/date_spread.py); outlets unknown. Each cell is a real
`storyline eval` run (the pipeline into a fresh store, arrival order with seeded ties). The last column is the mean
over the variants: calibrate for it, not for the best column.

    python bench/robustness.py ../shared/data/allsides-2021.jsonl ../shared/data/neus-train.jsonl --profile both
    python bench/robustness.py FILE --profile lexical --set cluster.decision=score      # the old single threshold
    python bench/robustness.py FILE --variants given,headline --embedding-cache /tmp/storyline-cache

Writes bench/out/robustness[-TAG].json and prints the Markdown table (docs/clustering.md).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
OUT = REPO / "bench" / "out"


def main(argv: list[str] | None = None) -> int:
    from storyline.eval.variants import LABELS, VARIANTS

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", type=Path, nargs="+", metavar="FILE")
    ap.add_argument("--profile", choices=("default", "lexical", "both"), default="both")
    ap.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated, from {list(VARIANTS)}")
    ap.add_argument("--seed", type=int, default=1, help="seed of the randomised variants (dates spread)")
    ap.add_argument("--embedding-cache", type=Path, default=None,
                    help="cache dense vectors under this folder, keyed by text")
    ap.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--tag", default="", help="suffix of the JSON file name (bench/out/robustness-TAG.json)")
    args = ap.parse_args(argv)

    from storyline.cluster.base import make_encoder
    from storyline.eval.runner import evaluate, with_profile
    from storyline.eval.variants import write_variant
    from storyline.settings import Settings, parse_assignments

    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        raise SystemExit(f"unknown variants {unknown}; valid: {list(VARIANTS)}")
    base = Settings().with_overrides(parse_assignments(args.sets))
    profiles = ("default", "lexical") if args.profile == "both" else (args.profile,)
    encoder = None
    if "default" in profiles:
        encoder = make_encoder(base)
        if args.embedding_cache is not None:
            from storyline.represent.dense import CachedEncoder

            encoder = CachedEncoder(encoder, args.embedding_cache)
    results = []
    with tempfile.TemporaryDirectory(prefix="storyline-robust-") as tmp:
        for path in args.paths:
            for v in variants:
                vpath = write_variant(path, Path(tmp) / f"{path.stem}-{v}.jsonl", v, args.seed)
                for profile in profiles:
                    t0 = time.time()
                    r = evaluate(vpath, with_profile(base, profile), encoder=encoder if profile == "default" else None)
                    results.append({"set": path.stem, "variant": v, "profile": profile, **r.as_dict(),
                                    "wall_s": round(time.time() - t0, 1)})
                    b = r.bcubed
                    print(f"{path.stem:<16} {LABELS[v]:<30} {profile:<8} P {b.precision:.3f} R {b.recall:.3f} "
                          f"F1 {b.f1:.3f}  {r.articles_per_s:.0f} art/s", file=sys.stderr, flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    out = OUT / f"robustness{'-' + args.tag if args.tag else ''}.json"
    out.write_text(json.dumps({"settings": args.sets, "variants": variants, "results": results}, indent=1) + "\n",
                   encoding="utf-8")
    print(table(results, variants, profiles))
    print(f"\n(raw figures: {out.relative_to(REPO)})")
    return 0


def table(results: list[dict], variants: list[str], profiles) -> str:
    """Rows: set × profile; columns: each variant's B³ P / R / F1, then the mean F1 over the variants."""
    from storyline.eval.variants import LABELS

    head = "| set | profile | " + " | ".join(LABELS[v] for v in variants) + " | mean F1 |"
    lines = [head, "|" + "---|" * (len(variants) + 3)]
    for name in dict.fromkeys(r["set"] for r in results):
        for profile in profiles:
            cells, f1s = [], []
            for v in variants:
                r = next((x for x in results if (x["set"], x["variant"], x["profile"]) == (name, v, profile)), None)
                if r is None:
                    cells.append("-")
                    continue
                b = r["bcubed"]
                cells.append(f"{b['precision']:.3f} / {b['recall']:.3f} / **{b['f1']:.3f}**")
                f1s.append(b["f1"])
            mean = sum(f1s) / len(f1s) if f1s else float("nan")
            lines.append(f"| {name} | {profile} | " + " | ".join(cells) + f" | **{mean:.3f}** |")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
