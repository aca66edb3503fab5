"""A digest of every decision `storyline eval` makes, to check that a speed change changes none of them.

    python bench/decisions_digest.py FILE [storyline eval options, e.g. --profile lexical]

Runs `storyline eval FILE ...` in this process and prints one line: a SHA-256 of every assignment the clusterer
returned, in order (article id, story id, new or joined, the unrounded score, every component with its ``repr``,
the shared terms, the merged stories), a SHA-256 of the final article → story map (aliases resolved), B³ F1 and the
number of stories. Run it under two checkouts (``PYTHONPATH=<checkout>``) and compare the lines: equal digests mean
bit-for-bit the same decisions and scores.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import sys


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    import storyline.eval.runner as runner
    from storyline.cli import main as cli
    from storyline.cluster.online import OnlineClusterer

    steps = hashlib.sha256()
    final: dict[str, dict[str, str]] = {}
    assign, bcubed = OnlineClusterer.assign, runner.bcubed

    def recording_assign(self, articles):  # type: ignore[no-untyped-def]
        out = assign(self, articles)
        for a in out:
            comps = sorted((k, repr(v)) for k, v in a.components.items())
            steps.update(repr((a.article_id, a.story_id, a.is_new, repr(a.score), comps, a.shared,
                               a.merged)).encode())
        return out

    def recording_bcubed(pred, gold):  # type: ignore[no-untyped-def]
        final["pred"] = dict(pred)
        return bcubed(pred, gold)

    OnlineClusterer.assign, runner.bcubed = recording_assign, recording_bcubed
    sys.argv = ["storyline", "eval", *argv, "--format", "json"]
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        try:
            cli()
        except SystemExit as e:
            if e.code:
                raise
    out = json.loads(buf.getvalue())
    stories = hashlib.sha256(json.dumps(sorted(final["pred"].items())).encode()).hexdigest()
    print(f"{' '.join(argv)}: assignments {steps.hexdigest()[:16]} stories {stories[:16]} "
          f"B3 F1 {out['bcubed']['f1']:.6f} stories {out['n_pred']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
