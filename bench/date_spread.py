"""How much does clustering lean on same-story articles sharing a date? Re-date a labelled set and evaluate again.

allsides-2021 gives every article of a story the story's date on AllSides (an artefact: real coverage spreads over
hours and days), which rewards a sharp time decay. This benchmark shifts each dated article by a seeded random
delay — uniform over [0, D] days, or exponential with mean D days — writes the re-dated set to a temporary file and
runs ``storyline eval`` on it, so the time settings can be checked on stories whose reports are spread out
(docs/clustering.md, "Calibration").

    python bench/date_spread.py ../shared/data/allsides-2021.jsonl                    # lexical, uniform 2 and 4, exp 1
    python bench/date_spread.py FILE --profile default --embedding-cache /tmp/storyline-cache
    python bench/date_spread.py FILE --set cluster.w_time=0.6                          # any --set goes to eval
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

STORYLINE = Path(sys.executable).with_name("storyline")
SPREADS = (("none", 0.0), ("uniform", 2.0), ("exponential", 1.0), ("uniform", 4.0))


def redate(src: Path, dst: Path, kind: str, days: float, seed: int) -> None:
    rng = random.Random(seed)
    with src.open(encoding="utf-8") as f, dst.open("w", encoding="utf-8") as out:
        for line in f:
            if not line.strip():
                continue
            rec = json.loads(line)
            if rec.get("date") and kind != "none":
                shift = rng.uniform(0.0, days) if kind == "uniform" else rng.expovariate(1.0 / days)
                rec["date"] = (datetime.fromisoformat(rec["date"]) + timedelta(days=shift)).isoformat()
            out.write(json.dumps(rec) + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("path", type=Path)
    ap.add_argument("--profile", default="lexical")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--embedding-cache", default=None)
    ap.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE")
    args = ap.parse_args(argv)
    print(f"{args.path.name}, profile {args.profile}" + (f", {' '.join(args.sets)}" if args.sets else ""))
    print(f"{'date spread':<24} {'B³ F1':>7} {'stories':>8}")
    with tempfile.TemporaryDirectory(prefix="storyline-spread-") as tmp:
        for kind, days in SPREADS:
            dst = Path(tmp) / f"{args.path.stem}-{kind}-{days:g}.jsonl"
            redate(args.path, dst, kind, days, args.seed)
            cmd = [str(STORYLINE)] + [x for s in args.sets for x in ("--set", s)]
            cmd += ["eval", str(dst), "--profile", args.profile, "--format", "json"]
            if args.embedding_cache:
                cmd += ["--embedding-cache", args.embedding_cache]
            p = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if p.returncode != 0:
                raise SystemExit(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr.strip()[-2000:]}")
            r = json.loads(p.stdout)
            label = "as given" if kind == "none" else f"{kind} {'0-' if kind == 'uniform' else 'mean '}{days:g} d"
            print(f"{label:<24} {r['bcubed']['f1']:>7.3f} {r['n_pred']:>8}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
