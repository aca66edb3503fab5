"""Throughput of this checkout against another (e.g. main), measured in the same minutes: `storyline eval` runs in
alternating subprocesses (other(s), this, other(s), this, ...) and each run's CPU seconds (user + system of the whole
process, startup and model load included) and wall-clock articles/s are recorded. On a shared machine the CPU
seconds are the steadier measure; the ratio is other / this (> 1: this checkout is faster).

    python bench/speed_ratio.py --other /path/to/main [--other /path/to/older] [--profiles lexical,default] \
        [--pairs 3] [FILE ...]

The other checkout runs with PYTHONPATH set to its root; the embedding cache is not used (both encode).

``--this-args`` and ``--other-args`` (one per ``--other``, in the same order; write them
``--other-args="--order shuffled"``) add `storyline eval` options, so that checkouts whose `eval` orders the input
differently can be fed the same arrival order: on neus-train (all undated) `--order shuffled` of a checkout from
before the seeded tie-break and `--seed 0` of this one give the same order.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import resource
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"


def run_once(root: Path, path: Path, profile: str, extra: list[str] | None = None) -> dict:
    env = {**os.environ, "PYTHONPATH": str(root), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cmd = [sys.executable, "-c", "import sys; from storyline.cli import main; sys.exit(main())"]
    p = subprocess.run(cmd + ["eval", str(path), "--profile", profile, "--format",
                        "json", *(extra or [])], capture_output=True, env=env, cwd=root, timeout=3600)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        raise SystemExit(f"storyline eval failed under {root}: {p.stderr.decode()[-2000:]}")
    out = json.loads(p.stdout)
    return {"cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "articles_per_s": out.get("articles_per_s"), "f1": out["bcubed"]["f1"]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--other", type=Path, action="append", required=True,
                    help="another checkout's root (e.g. a main worktree); repeat for several")
    ap.add_argument("--other-args", action="append", default=[],
                    help="extra `storyline eval` options for the --other of the same position (quoted)")
    ap.add_argument("--this-args", default="", help="extra `storyline eval` options for this checkout (quoted)")
    ap.add_argument("--profiles", default="lexical,default")
    ap.add_argument("--pairs", type=int, default=3)
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "speed_ratio.json")
    args = ap.parse_args(argv)
    if args.other_args and len(args.other_args) != len(args.other):
        ap.error(f"--other-args: give one per --other ({len(args.other)}), got {len(args.other_args)}")
    other_args = {str(o): shlex.split(a) for o, a in zip(args.other, args.other_args)}
    this_args = shlex.split(args.this_args)
    files = [f.resolve() for f in args.files] or [DATA / "allsides-2021.jsonl", DATA / "neus-train.jsonl"]
    results = []
    for profile in args.profiles.split(","):
        for path in files:
            names = [str(o) for o in args.other] + ["this"]
            runs: dict[str, list[dict]] = {n: [] for n in names}
            for _ in range(args.pairs):
                for o in args.other:
                    runs[str(o)].append(run_once(o, path, profile, other_args.get(str(o))))
                runs["this"].append(run_once(REPO, path, profile, this_args))
            cpu = {k: statistics.median(r["cpu_s"] for r in v) for k, v in runs.items()}
            ratios = {str(o): cpu[str(o)] / cpu["this"] for o in args.other}
            row = {"profile": profile, "file": path.name, "cpu_s_median": cpu, "this_args": this_args,
                   "other_args": other_args,
                   "throughput_ratio_this_over_other": ratios, "runs": runs}
            results.append(row)
            for n in names:
                print(f"{profile:<8} {path.name:<22} {n:<40} CPU s median {cpu[n]:.2f} (runs "
                      f"{[round(r['cpu_s'], 2) for r in runs[n]]}), wall articles/s "
                      f"{[round(r['articles_per_s']) for r in runs[n]]}, F1 {runs[n][0]['f1']:.4f}"
                      + (f", throughput this/other {ratios[n]:.3f}" if n in ratios else ""), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
