"""How often can the join decision see the right story at all? Candidate recall of the online clusterer.

The learned decision (storyline/cluster/online.py) scores only the ``decision_candidates`` best candidate stories
(by the hand-weighted score) among the ``max_candidates`` that the candidate search returns. An article whose gold
story already exists but is not among those can never join it, whatever the model. This replays each labelled
stream (../shared/data and the variants of storyline/eval/variants.py, in arrival order with seeded ties) with
teacher forcing — every article is scored as the clusterer would, then put in its gold story — and prints, over
the articles whose gold story already has a member:

* ``found``: the gold story is among the scored candidates (the candidate search found it);
* ``top``: ... among the ``decision_candidates`` the model sees;
* (a gold story gone dormant, idle longer than ``dormant_after_days``, counts as not found);
* ``no shared term``: the article shares no TF-IDF term with the gold story (no lexical index can find it).

    python bench/candidate_recall.py                                  # lexical, every set and variant
    python bench/candidate_recall.py --profile default                # MiniLM neighbours too (encodes; cached)
    python bench/candidate_recall.py --set cluster.max_candidates=50  # what a setting changes

Gold labels are used only here, to score; the clusterer never sees them.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))


def recall(clusterer, articles, labels) -> dict:
    """Teacher-forced replay of one stream; the shares described in the module doc."""
    story_of: dict[str, str] = {}
    k = clusterer.settings.decision_candidates
    # the vectors the clusterer reads: the encoder's through the event adapter (OnlineClusterer.assign)
    dense = (clusterer._adapt(clusterer._encode_leads([a.lead for a in articles]))
             if clusterer.encoder is not None else None)
    n = found = top = disjoint = 0
    for i, (a, lab) in enumerate(zip(articles, labels)):
        vec = None if dense is None else dense[i]
        f = clusterer.features(a, vec)
        clusterer._advance_clock(f.day)
        scored, _ = clusterer._score(f)
        sid = story_of.get(lab)
        st = clusterer.stories.get(sid) if sid is not None else None
        if st is not None:  # a dormant gold story counts as not found
            ids = [x[2] for x in scored]
            n += 1
            found += sid in ids
            top += sid in ids[:k]
            disjoint += not (f.lex.keys() & st.lex.keys())
        if st is None:
            st = clusterer._new_story(a.id)
            story_of[lab] = st.id
        clusterer._add_member(st, f)
        clusterer._after_assign(st, vec)
    clusterer._pending = []
    return {"articles": len(articles), "with_story": n, "found": found / n if n else 0.0,
            "top": top / n if n else 0.0, "no_shared_term": disjoint / n if n else 0.0}


def main(argv: list[str] | None = None) -> int:
    import train_cluster as tc

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--profile", choices=("lexical", "default"), default="lexical")
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--data", type=Path, default=tc.DATA)
    ap.add_argument("--sets", default="", help="comma-separated labelled sets (default: every set found)")
    ap.add_argument("--set", dest="overrides", action="append", default=[],
                    help="cluster.NAME=VALUE, a cluster setting for this run (repeatable)")
    ap.add_argument("--embedding-cache", type=Path, default=tc.CACHE)
    args = ap.parse_args(argv)
    overrides = {}
    for o in args.overrides:
        name, _, value = o.partition("=")
        if not name.startswith("cluster.") or not value:
            ap.error(f"--set {o!r}: write cluster.NAME=VALUE")
        overrides[name.removeprefix("cluster.")] = json.loads(value)
    encoder = None
    if args.profile == "default":
        from storyline.cluster.base import make_encoder
        from storyline.represent.dense import CachedEncoder
        from storyline.settings import Settings

        encoder = CachedEncoder(make_encoder(Settings()), args.embedding_cache)
    sets = tuple(x.strip() for x in args.sets.split(",") if x.strip())
    with tempfile.TemporaryDirectory(prefix="storyline-recall-") as tmp:
        streams = tc.load_streams(args.data, Path(tmp), args.seed, sets)
    if not streams:
        raise SystemExit(f"no labelled sets in {args.data}")
    print(f"| stream ({args.profile}) | articles | with a story | found | top | no shared term |")
    print("|---|---|---|---|---|---|")
    for s in streams:
        c = tc.new_clusterer(args.profile, encoder, **overrides)
        r = recall(c, s["articles"], s["labels"])
        print(f"| {s['set']}/{s['variant']} | {r['articles']} | {r['with_story']} | {r['found']:.3f} | "
              f"{r['top']:.3f} | {r['no_shared_term']:.3f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
