"""`make bench` for clustering: `storyline eval` on every ../shared/data set in both profiles, then the scale run.

Writes bench/out/cluster.json and prints a Markdown table (the one in docs/clustering.md). Each evaluation is a fresh
`storyline eval` process, so its peak RSS is its own and the dense model load is not counted in articles/s (the
runner warms the encoder up before starting the clock).

    python bench/run.py                 # everything (about 15 min on 2 cores)
    python bench/run.py --skip-scale    # only the evaluations
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
OUT = REPO / "bench" / "out"
STORYLINE = Path(sys.executable).with_name("storyline")


def dated(path: Path) -> bool:
    with path.open(encoding="utf-8") as f:
        return any(json.loads(line).get("date") for line in f if line.strip())


def run_eval(path: Path, profile: str, order: str = "time") -> dict:
    cmd = [str(STORYLINE), "eval", str(path), "--profile", profile, "--order", order, "--format", "json"]
    p = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr.strip()[-2000:]}")
    return json.loads(p.stdout)


def run_scale(profile: str, articles: int) -> dict:
    cmd = [sys.executable, str(REPO / "bench" / "scale.py"), "--profile", profile, "--articles", str(articles)]
    p = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr.strip()[-2000:]}")
    return json.loads(p.stdout)


def table(evals: list[dict]) -> str:
    lines = [
        "| set | profile | order | B³ P | B³ R | B³ F1 | pair F1 | stories pred/gold | articles/s | peak RSS MB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in evals:
        b = r["bcubed"]
        lines.append(
            f"| {Path(r['path']).stem} | {r['profile']} | {r['order']} | {b['precision']:.3f} | {b['recall']:.3f} | "
            f"**{b['f1']:.3f}** | {r['pairwise']['f1']:.3f} | {r['n_pred']}/{r['n_gold']} | "
            f"{r['articles_per_s']:.0f} | {r['peak_rss_mb']:.0f} |"
        )
    return "\n".join(lines)


def scale_table(runs: list[dict]) -> str:
    lines = ["| profile | p50 @10k ms | p99 @10k ms | p50 @100k ms | p99 @100k ms | p50 ratio | active stories @100k "
             "| state KB/article | faiss B/article |", "|---|---|---|---|---|---|---|---|---|"]
    for r in runs:
        lo, hi = r["at_10000"], r["at_100000"]
        lines.append(
            f"| {r['profile']} | {lo['p50_ms']} | {lo['p99_ms']} | {hi['p50_ms']} | {hi['p99_ms']} | "
            f"{r['p50_ratio']} | {hi['active_stories']} | {r['state_kb_per_article']} | "
            f"{r.get('faiss_bytes_per_article', '-')} |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description="clustering benchmarks")
    ap.add_argument("--skip-scale", action="store_true")
    ap.add_argument("--scale-articles", type=int, default=101_000)
    ap.add_argument("--profiles", default="default,lexical")
    ap.add_argument("--skip-evals", action="store_true")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    results: dict[str, object] = {"evals": [], "scale": []}
    if args.skip_evals:
        pass
    elif DATA.is_dir():
        for path in sorted(DATA.glob("*.jsonl")):
            for profile in args.profiles.split(","):
                results["evals"].append(run_eval(path, profile))  # type: ignore[union-attr]
                print(f"# {path.stem} {profile}: B3 F1 {results['evals'][-1]['bcubed']['f1']:.3f}",  # type: ignore[index]
                      file=sys.stderr, flush=True)
            if not dated(path):
                # undated: arrival order carries no information (neus ids even put a story's articles side by
                # side), so the same stream shuffled must score the same. (Dated streams are not shuffled: the
                # clusterer's stream clock and dormancy assume articles come roughly in date order.)
                for profile in args.profiles.split(","):
                    results["evals"].append(run_eval(path, profile, order="shuffled"))  # type: ignore[union-attr]
    else:
        print(f"# {DATA} not found: skipping the labelled evaluations", file=sys.stderr)
    if not args.skip_scale:
        for profile in args.profiles.split(","):
            results["scale"].append(run_scale(profile, args.scale_articles))  # type: ignore[union-attr]
            print(f"# scale {profile} done", file=sys.stderr, flush=True)
    (OUT / "cluster.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    if results["evals"]:
        print(table(results["evals"]))  # type: ignore[arg-type]
    if results["scale"]:
        print()
        print(scale_table(results["scale"]))  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
