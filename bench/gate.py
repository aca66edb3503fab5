"""Quality gate: B-cubed F1 on ../shared/data must not fall below the floors in bench/floors.json.

Run by .ci/gate after `make test`. Skips (exit 0) when ../shared/data is absent. Each floor is the figure measured
when it was recorded minus a small tolerance for run-to-run noise; raising a floor is a commit that says why.
A set named ``NAME@VARIANT`` is that set under a variant of storyline/eval/variants.py (e.g. headline only), as
bench/robustness.py runs it; ``NAME@A+B`` under variant A, then B (``headline+crowd3``: headlines crowded into three
days, the stand-in for an aggregator's stream).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

DATA = REPO.parent / "shared" / "data"


def main() -> int:
    from storyline.eval.runner import evaluate, with_profile
    from storyline.settings import Settings

    if not DATA.is_dir():
        print(f"gate: {DATA} not found; skipping the clustering quality gate")
        return 0
    floors = json.loads((REPO / "bench" / "floors.json").read_text("utf-8"))["bcubed_f1"]
    from storyline.eval.variants import write_variant

    failed = []
    tmp = tempfile.TemporaryDirectory(prefix="storyline-gate-")
    for name, by_profile in sorted(floors.items()):
        stem, _, variant = name.partition("@")
        path = DATA / f"{stem}.jsonl"
        if not path.exists():
            print(f"gate: {path} not found; skipping {name}")
            continue
        if variant:
            path = write_variant(path, Path(tmp.name) / f"{stem}-{variant}.jsonl", variant.split("+"))  # a+b: a, b
        for profile, floor in sorted(by_profile.items()):
            r = evaluate(path, with_profile(Settings(), profile))
            ok = r.bcubed.f1 >= floor
            print(f"gate: {name} {profile}: B-cubed F1 {r.bcubed.f1:.4f} (floor {floor:.4f}) "
                  f"{'ok' if ok else 'BELOW FLOOR'}; {r.articles_per_s:.0f} articles/s", flush=True)
            if not ok:
                failed.append(f"{name}/{profile}")
    tmp.cleanup()
    if failed:
        print(f"gate: FAILED for {', '.join(failed)}; a change lowered clustering quality below bench/floors.json")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
