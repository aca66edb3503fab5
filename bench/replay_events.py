"""Templated same-day events in many arrival orders: does the join model keep them apart?

The three events of tests/test_serve_workers.py (a dam, a bridge, a vaccine trial; four reports each from four
outlets, all on one day, every headline "NAME: update K from OUTLET") are ingested after the bundled demo corpus as
the test's six batches (each batch two reports of one event plus the first report of the other half), in random
orders of the batches (permutations shuffled with a fixed seed), in process, one fresh copy of the demo store per
order. An order fails when an event's reports are not all in one story or two events share one.

    python bench/replay_events.py                                   # the lexical profile's shipped model, 30 orders
    python bench/replay_events.py --orders 30 --cut 0.4 --model FILE   # a candidate model at another cut
    python bench/replay_events.py --set cluster.max_candidates=12      # another setting

Prints the number of failing orders; the lexical model ships only if it fails none (docs/clustering.md).
"""

from __future__ import annotations

import argparse
import itertools
import random
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--orders", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--profile", choices=("lexical", "default"), default="lexical")
    ap.add_argument("--model", default="", help="a join model JSON (cluster.join_model; default: the shipped one)")
    ap.add_argument("--cut", type=float, default=0.0, help="cluster.threshold (0: the model's own cut)")
    ap.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                    help="another setting for every run (repeatable), e.g. --set cluster.max_candidates=12")
    args = ap.parse_args(argv)

    from storyline.ingest import read_paths
    from storyline.pipeline import Pipeline
    from storyline.records import Origin, RawItem
    from storyline.settings import Settings
    from storyline.store import Store
    from tests.test_serve_workers import EVENTS, event_article

    demo = REPO / "storyline" / "demo" / "corpus"
    ov: dict = {"cluster.profile": args.profile, "stories.entities": "rules"}
    if args.model:
        ov["cluster.join_model"] = args.model
    if args.cut:
        ov["cluster.threshold"] = args.cut
    for kv in args.set:
        key, sep, value = kv.partition("=")
        if not sep:
            ap.error(f"--set {kv!r}: write SECTION.KEY=VALUE")
        ov[key.strip()] = value.strip()
    settings = Settings().with_overrides(ov)
    own = [[(ev, 2 * h), (ev, 2 * h + 1)] for ev in EVENTS for h in range(2)]
    batches = [own[i] + [own[i ^ 1][0]] for i in range(6)]  # as the test: halves i and i^1 of one event

    def item(ev: str, k: int) -> RawItem:
        r = event_article(ev, k)
        return RawItem(Origin(f"t-{ev}", k + 1), r["text"], title=r["title"], url=r["url"], date=r["date"],
                       source=r["source"], external_id=f"{ev}-{k}")

    orders = list(itertools.permutations(range(6)))
    random.Random(args.seed).shuffle(orders)
    bad = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base.db"
        with Store(base) as store:
            Pipeline(store, settings).run([*read_paths([demo / "articles.jsonl", demo / "wire"])])
        for order in orders[: args.orders]:
            db = Path(tmp) / "order.db"
            shutil.copy(base, db)
            with Store(db) as store:
                p = Pipeline(store, settings)
                for i in order:
                    p.run([item(ev, k) for ev, k in batches[i]])
                keys = [(event_article(ev, k)["source"], f"{ev}-{k}") for ev in EVENTS for k in range(4)]
                ids = store.ids_by_external_id(keys)
                stories: dict[str, set[str]] = {}
                for (_, eid), aid in ids.items():
                    sid = store.resolve_story_id(store.membership(aid)["story_id"])
                    stories.setdefault(eid.split("-")[0], set()).add(sid)
            ok = all(len(v) == 1 for v in stories.values()) and len(set().union(*stories.values())) == len(EVENTS)
            if not ok:
                bad.append(order)
    label = args.model or f"shipped {args.profile}"
    print(f"{label} cut {args.cut or 'model'}: orders with a wrong grouping: {len(bad)} of {min(args.orders, len(orders))}")
    for order in bad[:5]:
        print("  failing order of the six batches:", order)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
