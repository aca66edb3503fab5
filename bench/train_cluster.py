"""Train the join-or-new models (storyline/cluster/models/<profile>.json) and measure them on held-out stories.

Training pairs come from replaying each labelled stream through the clusterer's own candidate generation with
teacher forcing (each article is put in its gold story after its candidates are scored); the streams are
allsides-2021 and neus-train from ../shared/data AND their variants (headline only, title + first sentence, dates
removed, dates spread, and crowded: every story re-dated into the same 1 or 3 days, an aggregator's stream;
storyline/eval/variants.py), so one model covers short texts, undated streams and crowded days.

Everything is chosen by cross-validation with folds split by gold story (GroupKFold on the cluster id, per set):
for fold i the model is trained on the pairs of the other folds' articles, then the *online* clusterer runs on fold
i's articles only (in arrival order, seeded ties) and is scored (B-cubed). The P(join) cut is the one with the best
mean held-out F1 over every (set, variant) stream. The old single score threshold runs on the same held-out folds.
Leave-one-set-out: trained on one set (all its variants), run on the other set's streams whole.

    python bench/train_cluster.py                          # both profiles: CV, then the shipped models
    python bench/train_cluster.py --profile lexical --folds 3
    python bench/train_cluster.py --no-save                # measure only

Results: bench/out/train_cluster.json; the models keep their CV figures under "meta".
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DATA = REPO.parent / "shared" / "data"
OUT = REPO / "bench" / "out"
CACHE = Path("/tmp/storyline-cache-cluster/emb")
DATA_IN = {"path": DATA}  # --data (the fold adapters read the same sets)

SETS = {"allsides-2021": ("given", "headline", "lead", "undated", "spread", "spread4", "crowd1", "crowd3", "years",
                          "headline+crowd3", "headline+undated"),
        # neus is undated ("undated" and "spread" would be itself): "dated" gives its stories days over half a year,
        # so that a second set teaches the models dated streams (leave-one-set-out: trained without allsides-2021's
        # dated variants, the models merged allsides-2021's stories wholesale)
        "neus-train": ("given", "headline", "lead", "dated", "dated+crowd3"),
        # full-text reports of 12 stories by several outlets over several days (the story-view dev set; its
        # gold field is "story")
        "storyview-dev": ("given", "headline", "lead", "undated")}


def set_source(data: Path, name: str, tmp: Path) -> Path | None:
    """The labelled JSONL of set ``name`` (``id``, ``cluster``, ...), or None when the set is absent."""
    flat = data / f"{name}.jsonl"
    if flat.exists():
        return flat
    nested = data / name / "articles.jsonl"
    if not nested.exists():
        return None
    out = tmp / f"{name}-labelled.jsonl"  # the story-view layout: the gold story is the "story" field
    with nested.open(encoding="utf-8") as src, out.open("w", encoding="utf-8") as dst:
        for line in src:
            if line.strip():
                rec = json.loads(line)
                rec["cluster"] = rec.pop("story")
                dst.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return out
CUTS = (0.2, 0.3, 0.4, 0.5, 0.6)
BATCH = 64


def load_streams(data: Path, tmp: Path, seed: int, sets=()) -> list[dict]:
    """Every (set, variant) stream as normalized articles in arrival order with their gold labels."""
    from storyline.eval.runner import arrival_order, labelled_items
    from storyline.eval.variants import write_variant
    from storyline.normalize import normalize
    from storyline.records import Article
    from storyline.settings import Settings

    settings = Settings()
    streams = []
    for name, variants in SETS.items():
        src = set_source(data, name, tmp)
        if src is None or (sets and name not in sets):
            continue
        for v in variants:
            path = write_variant(src, tmp / f"{name}-{v}.jsonl", v.split("+"))  # "a+b": variant a, then b
            items, gold, _ = labelled_items(path, settings)
            arts, labels = [], []
            for it in arrival_order(items, seed):
                a = normalize(it, settings.ingest)
                if isinstance(a, Article):
                    arts.append(a)
                    labels.append(f"{name}/{gold[it.external_id]}")
            streams.append({"set": name, "variant": v, "articles": arts, "labels": labels})
    return streams


def folds_of(streams: list[dict], k: int) -> dict[str, int]:
    """Gold story -> fold, GroupKFold per set (the same split for every variant of a set)."""
    from sklearn.model_selection import GroupKFold

    fold: dict[str, int] = {}
    for name in dict.fromkeys(s["set"] for s in streams):
        labels = sorted({lab for s in streams if s["set"] == name for lab in s["labels"]})
        for i, (_, test) in enumerate(GroupKFold(n_splits=k).split(labels, groups=labels)):
            for j in test:
                fold[labels[j]] = i
    return fold


# cluster settings that --gap-prior and --cluster-set override for every clusterer (teacher forcing, held-out runs, the
# final model)
CLUSTER_OVERRIDES: dict = {}
# cluster settings of the teacher forcing only (the pairs the models are fitted on), unless --cluster-set names them:
# the pairs come from the best decision_candidates of a 20-candidate search, wider than the pipeline's 12 (the
# candidates ranked 13-20 by the search's votes rarely reach the top 5 by score, docs/clustering.md "Fewer
# candidates"), so the shipped fit does not move with the pipeline's search width; held-out runs use the pipeline's
TEACH_OVERRIDES: dict = {"max_candidates": 20}


# The event adapter (storyline/cluster/adapter.py) of the default profile, kept out of its own evaluation:
# - "current": the adapter of the clusterers that are *scored* (held-out runs): in cross-validation fold i's, fitted
#   with the shipped adapter's recipe on the other folds' stories only; None: the one the settings name (shipped);
# - "teach": label -> the adapter whose vectors *train* the join model: each story's is fitted without that story
#   (cross-fitting: an adapter fitted on a story brings its reports closer than it will bring a new story's, and a
#   model trained on those vectors trusts the dense signal too much: held-out neus-train fell 0.006-0.008 that way).
ADAPTER: dict = {"current": None, "teach": None}


def new_clusterer(profile: str, encoder, **overrides):
    from storyline.cluster.base import profile_threshold
    from storyline.cluster.online import OnlineClusterer
    from storyline.settings import Settings

    cs = replace(Settings().cluster, profile=profile, decision="score", **{**CLUSTER_OVERRIDES, **overrides})
    cs = replace(cs, threshold=profile_threshold(cs))
    c = OnlineClusterer(cs, encoder if profile == "default" else None)
    if c.encoder is not None and ADAPTER["current"] is not None:
        c.adapter = ADAPTER["current"]
    return c


def _shipped_adapter():
    from storyline.cluster.adapter import load_adapter

    return load_adapter("")


def adapter_on(encoder, keep):
    """An adapter fitted with the shipped adapter's recipe on the stories (bench/train_adapter.py's rows) whose label
    passes ``keep``; None when no adapter ships or there is no encoder. Fits are cached by the rows they use."""
    shipped = _shipped_adapter()
    if encoder is None or shipped is None:
        return None
    import train_adapter

    if "views" not in ADAPTER:
        ADAPTER["views"] = train_adapter.load_views(DATA_IN["path"], encoder)
        ADAPTER["fits"] = {}
    views, labels, _ = ADAPTER["views"]
    rows = np.flatnonzero([keep(lab) for lab in labels])
    key = rows.tobytes()
    if key not in ADAPTER["fits"]:
        fitted = train_adapter.fit_rows(views, labels, rows, dict(shipped.meta["recipe"]))
        ADAPTER["fits"][key] = replace(fitted, meta={"fitted_on_rows": int(len(rows))})
    return ADAPTER["fits"][key]


def use_adapters(encoder, profile: str, train, fold: dict[str, int] | None) -> None:
    """Set ADAPTER for a fit on the stories whose label passes ``train``: "current" fitted on all of them (None with
    ``train`` None: the shipped one), "teach" cross-fitted — a story of fold j through the adapter fitted on the
    training stories of the other folds."""
    enc = encoder if profile == "default" else None
    if enc is None:
        ADAPTER["current"] = ADAPTER["teach"] = None
        return
    ADAPTER["current"] = None if train is None else adapter_on(enc, train)
    keep = train or (lambda lab: True)
    by_fold = {j: adapter_on(enc, lambda lab, j=j: keep(lab) and fold.get(lab, -1) != j)
               for j in sorted(set(fold.values()))} if fold else {}
    ADAPTER["teach"] = (lambda lab: by_fold.get(fold.get(lab, -1), ADAPTER["current"])) if by_fold else None


def teach(profile: str, encoder, streams: list[dict], keep, names=None) -> tuple[np.ndarray, np.ndarray]:
    """The teacher-forced (X, y) of every stream's articles whose label passes ``keep``; the set each row comes from
    is left in ``teach.sets`` (for the per-set weights)."""
    xs, ys, sets = [], [], []
    for s in streams:
        pairs = [(a, lab) for a, lab in zip(s["articles"], s["labels"]) if keep(lab)]
        c = new_clusterer(profile, encoder, **{k: v for k, v in TEACH_OVERRIDES.items() if k not in CLUSTER_OVERRIDES})
        for i in range(0, len(pairs), BATCH):
            chunk = pairs[i:i + BATCH]
            vectors = None
            if c.encoder is not None and ADAPTER["teach"] is not None:
                raw = encoder.encode([a.lead for a, _ in chunk])
                # one row at a time, as the shipped model was fitted: a batched product rounds differently in the
                # last float32 bits, and --ranges-only checks the refit's coefficients for equality
                vectors = np.stack([ADAPTER["teach"](lab).apply(raw[j:j + 1])[0] for j, (_, lab) in enumerate(chunk)])
            X, y = c.teach([a for a, _ in chunk], [lab for _, lab in chunk], names or FEATURE_SET[profile], vectors)
            xs.append(X)
            ys.append(y)
            sets.extend([s["set"]] * len(y))
    teach.sets = np.asarray(sets)
    return np.concatenate(xs), np.concatenate(ys)


# the features the models are trained on (--features replaces them for both profiles, dense ones dropped for lexical)
FEATURE_SET: dict[str, tuple[str, ...]] = {}
# "set": each labelled set has a fixed share of the fit's total weight, whatever its size or number of variants;
# "row": every (article, candidate) pair weighs the same (storyview-dev's 52 articles then count for ~0.3 %).
WEIGHTING = {"mode": "set"}
# The shares: allsides-2021 and neus-train equal, storyview-dev (12 stories) a tenth. At an equal third, its few
# well-separated same-day stories taught the lexical model that a lone, low-density candidate is a join, and three
# unrelated events ingested on one day merged (tests/test_serve_workers.py); at a tenth they stay apart. Against
# thirds, 0.3/0.6/0.1 and 0.6/0.3/0.1 (3-fold CV by gold story, lexical, held-out mean over the 15 streams at cut
# 0.4) these shares scored best (0.8933 vs 0.8896-0.8925; docs/clustering.md, "Set shares, chosen by CV").
SET_SHARES = {"allsides-2021": 0.45, "neus-train": 0.45, "storyview-dev": 0.10}


def row_weights(sets: np.ndarray) -> np.ndarray | None:
    if WEIGHTING["mode"] == "row" or len(sets) == 0:
        return None
    names, counts = np.unique(sets, return_counts=True)
    shares = {n: SET_SHARES.get(n, 1.0 / len(names)) for n in names}
    total = sum(shares.values())
    per = {n: len(sets) * shares[n] / (total * c) for n, c in zip(names, counts)}
    return np.array([per[x] for x in sets])


def fit(profile: str, X: np.ndarray, y: np.ndarray, cut: float, meta: dict):
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    from storyline.cluster.model import JoinModel

    w = row_weights(teach.sets) if len(getattr(teach, "sets", ())) == len(y) else None
    scaler = StandardScaler().fit(X, sample_weight=w)
    lr = LogisticRegression(C=1.0, max_iter=3000).fit(scaler.transform(X), y, sample_weight=w)
    # each feature's range in the training pairs: the model takes values outside it at the nearest end (JoinModel)
    return JoinModel(profile, FEATURE_SET[profile], scaler.mean_.copy(), scaler.scale_.copy(), lr.coef_[0].copy(),
                     float(lr.intercept_[0]), cut, meta, X.min(axis=0), X.max(axis=0))


def run_online(profile: str, encoder, articles, labels, model=None, cut: float | None = None,
               only=None) -> dict:
    """The online clusterer over ``articles`` (with ``model`` at ``cut``, else the score threshold), B-cubed against
    ``labels``; ``only(label)`` restricts the scoring to those gold stories' articles."""
    from storyline.eval.metrics import bcubed, bcubed_of

    c = new_clusterer(profile, encoder)
    if model is not None:
        c.model = model
        c.settings = replace(c.settings, threshold=cut)
    pred = {}
    for i in range(0, len(articles), BATCH):
        chunk = articles[i:i + BATCH]
        for a, asg in zip(chunk, c.assign(chunk)):
            pred[a.id] = asg.story_id
    resolved = {aid: c.resolve(sid) for aid, sid in pred.items()}
    gold = {a.id: lab for a, lab in zip(articles, labels)}
    r = bcubed(resolved, gold) if only is None else bcubed_of(resolved, gold, [a for a in gold if only(gold[a])])
    return {"p": r.precision, "r": r.recall, "f1": r.f1}


def cross_validate(profile: str, encoder, streams: list[dict], k: int, cuts, whole: bool,
                   train_on=lambda s: True) -> dict:
    """``train_on(stream)``: whether a stream's pairs train the model (every stream is scored)."""
    fold = folds_of(streams, k)
    rows = []
    for i in range(k):
        t0 = time.time()
        use_adapters(encoder, profile, lambda lab, i=i: fold.get(lab, -1) != i, fold)
        X, y = teach(profile, encoder, [s for s in streams if train_on(s)], lambda lab: fold[lab] != i)
        model = fit(profile, X, y, 0.5, {})
        for s in streams:
            idx = [j for j, lab in enumerate(s["labels"]) if fold[lab] == i]
            arts = [s["articles"][j] for j in idx]
            labs = [s["labels"][j] for j in idx]
            row = {"fold": i, "set": s["set"], "variant": s["variant"], "n": len(arts),
                   "score": run_online(profile, encoder, arts, labs)}
            for cut in cuts:
                row[f"learned@{cut}"] = run_online(profile, encoder, arts, labs, model, cut)
            if whole:  # the held-out stories among all the others (a stream as dense as the real one)
                held = lambda lab: fold[lab] == i  # noqa: E731
                row["whole:score"] = run_online(profile, encoder, s["articles"], s["labels"], only=held)
                for cut in cuts:
                    row[f"whole:learned@{cut}"] = run_online(profile, encoder, s["articles"], s["labels"], model,
                                                             cut, only=held)
            rows.append(row)
        print(f"  {profile} fold {i}: {len(y)} pairs ({int(y.sum())} joins), {time.time() - t0:.0f} s", flush=True)
    ADAPTER["current"] = ADAPTER["teach"] = None
    return {"rows": rows}


def summarise(rows: list[dict], keys: list[str]) -> dict:
    """Mean held-out B-cubed (P, R, F1) per method, per (set, variant) and over all streams."""
    out: dict = {}
    for key in keys:
        per: dict = {}
        for r in rows:
            per.setdefault(f"{r['set']}/{r['variant']}", []).append(r[key])
        streams = {s: {m: float(np.mean([x[m] for x in v])) for m in ("p", "r", "f1")} for s, v in per.items()}
        out[key] = {"streams": streams, "mean_f1": float(np.mean([v["f1"] for v in streams.values()]))}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--profile", choices=("default", "lexical", "both"), default="both")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--cuts", default=",".join(map(str, CUTS)))
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--embedding-cache", type=Path, default=CACHE)
    ap.add_argument("--no-save", action="store_true")
    ap.add_argument("--out", type=Path, default=OUT / "train_cluster.json", help="the JSON of figures (read, then "
                    "updated with the profiles run)")
    ap.add_argument("--no-whole", dest="whole", action="store_false",
                    help="skip scoring the held-out stories inside the whole stream (the cut is then chosen on the "
                         "held-out folds run alone)")
    ap.add_argument("--no-loso", action="store_true", help="skip leave-one-set-out")
    ap.add_argument("--loso-only", action="store_true",
                    help="only leave-one-set-out, at --cut (default: the shipped model's cut), with the shipped "
                         "model's features; no cross-validation, nothing saved but the figures")
    ap.add_argument("--train-streams", default="",
                    help="comma-separated SET/VARIANT streams whose pairs train the models (default: all); the "
                         "others are only scored (to measure a model on variants it never saw)")
    ap.add_argument("--features", default="", help="comma-separated features to train on instead of the shipped "
                    "set (storyline/cluster/model.py: FEATURES + EXTRA_FEATURES; '+name' adds to the shipped set); "
                    "dense features are dropped for the lexical profile")
    ap.add_argument("--weighting", choices=("set", "row"), default="set", help="set: each labelled set has its share "
                    "SET_SHARES of the fit's weight (default); row: every (article, candidate) pair weighs the same")
    ap.add_argument("--set-shares", default="", metavar="SET=SHARE,...",
                    help="the sets' shares of the fit's weight for this run instead of SET_SHARES (e.g. "
                         "allsides-2021=0.4,neus-train=0.5,storyview-dev=0.1): run once per candidate and compare")
    ap.add_argument("--sets", default="", help="comma-separated labelled sets to use (default: every set of SETS "
                    "found in --data)")
    ap.add_argument("--gap-prior", type=float, default=None, help="cluster.gap_prior for this run (the start of the "
                    "stream's moving within-story gap, feature stream_gap): run once per candidate value and compare "
                    "the held-out means; the shipped value is storyline/settings.py's")
    ap.add_argument("--cluster-set", action="append", default=[], metavar="KEY=VALUE",
                    help="a cluster setting (storyline/settings.py ClusterSettings) for every clusterer of this run, "
                         "e.g. max_candidates=12: run once per candidate value and compare the held-out means")
    ap.add_argument("--table", action="store_true", help="only print the Markdown table of the last run's figures")
    ap.add_argument("--ranges-only", action="store_true",
                    help="only recompute the shipped models' training ranges (low/high: the features' range in the "
                         "training pairs, which the model clips its input to) from the same teacher-forced pairs, "
                         "leaving coefficients, cut and meta as they are")
    ap.add_argument("--cut", type=float, default=None,
                    help="skip the cross-validation: fit the shipped model with this cut, keeping the CV figures of "
                         "the last full run (bench/out/train_cluster.json)")
    args = ap.parse_args(argv)
    from storyline.cluster.base import make_encoder
    from storyline.cluster.model import load_model, model_path
    from storyline.represent.dense import CachedEncoder
    from storyline.settings import Settings

    cuts = [float(x) for x in args.cuts.split(",")]
    out_path0 = args.out
    if args.table:
        print(table(json.loads(out_path0.read_text("utf-8"))))
        return 0
    profiles = ("default", "lexical") if args.profile == "both" else (args.profile,)
    OUT.mkdir(parents=True, exist_ok=True)
    out_path = args.out
    results = json.loads(out_path.read_text("utf-8")) if out_path.exists() else {}
    from storyline.cluster.model import computable, features_for, is_computable

    for profile in ("default", "lexical"):
        names = [x.strip() for x in args.features.split(",") if x.strip()]
        if names and all(n.startswith("+") for n in names):
            names = list(features_for(profile)) + [n[1:] for n in names]
        bad = [n for n in names if not is_computable(n, "default")]
        if bad:
            raise SystemExit(f"unknown --features {bad}; valid: {list(computable('default'))} and products a*b")
        FEATURE_SET[profile] = (tuple(n for n in names if is_computable(n, profile)) if names
                                else features_for(profile))
    WEIGHTING["mode"] = args.weighting
    for kv in filter(None, (x.strip() for x in args.set_shares.split(","))):
        name, sep, share = kv.partition("=")
        try:
            value = float(share)
        except ValueError:
            sep = ""
        if not sep:
            raise SystemExit(f"--set-shares {kv!r}: give SET=SHARE with a number")
        SET_SHARES[name.strip()] = value
    if args.gap_prior is not None:
        CLUSTER_OVERRIDES["gap_prior"] = args.gap_prior
    for kv in args.cluster_set:
        key, sep, value = kv.partition("=")
        default = getattr(Settings().cluster, key.strip(), None)
        if not sep or default is None or isinstance(default, (str, bool)):
            raise SystemExit(f"--cluster-set {kv!r}: give KEY=VALUE with KEY a numeric cluster setting")
        CLUSTER_OVERRIDES[key.strip()] = type(default)(value)
    sets = tuple(x.strip() for x in args.sets.split(",") if x.strip())
    with tempfile.TemporaryDirectory(prefix="storyline-train-") as tmp:
        DATA_IN["path"] = args.data
        streams = load_streams(args.data, Path(tmp), args.seed, sets)
    if not streams:
        raise SystemExit(f"no labelled sets in {args.data}")
    chosen = {x.strip() for x in args.train_streams.split(",") if x.strip()}
    known = {f"{s['set']}/{s['variant']}" for s in streams}
    if chosen - known:
        raise SystemExit(f"unknown --train-streams {sorted(chosen - known)}; valid: {sorted(known)}")
    train_on = (lambda s: f"{s['set']}/{s['variant']}" in chosen) if chosen else (lambda s: True)  # noqa: E731
    encoder = None
    if "default" in profiles:
        encoder = CachedEncoder(make_encoder(Settings()), args.embedding_cache)
        encoder.warm_up()
    for profile in profiles:
        t0 = time.time()
        if args.ranges_only:
            _ranges_only(profile, encoder, streams, train_on, args.folds)
            continue
        if args.loso_only:  # the shipped model's recipe and cut, each set in turn never seen
            cut = args.cut if args.cut is not None else load_model(profile).threshold
            res = results.setdefault(profile, {})
            res["leave_one_set_out"] = leave_one_set_out(profile, encoder, streams, args.folds, cut, train_on)
            res["leave_one_set_out_cut"] = cut
            out_path.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
            continue
        if args.cut is not None:
            res = results.get(profile, {})
            if "summary" not in res:
                raise SystemExit(f"--cut needs a previous cross-validation of {profile} in {out_path}")
            best, summary = args.cut, res["summary"]
            _final(profile, encoder, streams, best, summary, res, args, t0, train_on)
            results[profile] = res
            out_path.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
            continue
        cv = cross_validate(profile, encoder, streams, args.folds, cuts, args.whole, train_on)
        keys = ["score"] + [f"learned@{c}" for c in cuts]
        if args.whole:
            keys += ["whole:score"] + [f"whole:learned@{c}" for c in cuts]
        summary = summarise(cv["rows"], keys)
        # the cut: best mean held-out F1 over every stream, measured on the held-out stories among all the others
        # (as dense as a real stream) when that was run, else on the held-out folds alone
        prefix = "whole:" if args.whole else ""
        best = max(cuts, key=lambda c: summary[f"{prefix}learned@{c}"]["mean_f1"])
        res = {"folds": args.folds, "cuts": cuts, "chosen_cut": best, "summary": summary, "rows": cv["rows"]}
        for key in keys:
            print(f"{profile} {key:<14} held-out mean F1 {summary[key]['mean_f1']:.4f}  " + "  ".join(
                f"{s}={v['f1']:.3f}" for s, v in summary[key]["streams"].items()), flush=True)
        if not args.no_loso:
            res["leave_one_set_out"] = leave_one_set_out(profile, encoder, streams, args.folds, best, train_on)
        _final(profile, encoder, streams, best, summary, res, args, t0, train_on)
        results[profile] = res
        out_path.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0


def leave_one_set_out(profile: str, encoder, streams: list[dict], folds: int, cut: float, train_on,
                      held_sets=None) -> dict:
    """Each labelled set in turn held out whole: the event adapter (default profile) and the join model are fitted
    on the other sets' stories only (the adapter's training vectors cross-fitted as in the CV), then the online
    clusterer runs every stream of the held-out set, whole, at ``cut``; the score threshold runs beside it. The
    nearest thing here to the issue's held-out sets of other kinds: a set whose outlets, period, text lengths and
    story shapes the models never saw. ``held_sets``: only these sets in turn (default: every set)."""
    loso: dict = {}
    for held in dict.fromkeys(s["set"] for s in streams):
        if held_sets is not None and held not in held_sets:
            continue
        t0 = time.time()
        use_adapters(encoder, profile, lambda lab, held=held: not lab.startswith(held + "/"),
                     folds_of(streams, folds))
        X, y = teach(profile, encoder, [s for s in streams if s["set"] != held and train_on(s)], lambda lab: True)
        model = fit(profile, X, y, cut, {})
        for s in streams:
            if s["set"] == held:
                key = f"{s['set']}/{s['variant']}"
                loso[key] = {"learned": run_online(profile, encoder, s["articles"], s["labels"], model, cut),
                             "score": run_online(profile, encoder, s["articles"], s["labels"])}
                print(f"  {profile} leave-one-set-out {key}: learned {loso[key]['learned']['f1']:.3f} "
                      f"(score {loso[key]['score']['f1']:.3f})", flush=True)
        print(f"  {profile} {held} held out: {time.time() - t0:.0f} s", flush=True)
    ADAPTER["current"] = ADAPTER["teach"] = None
    return loso


def _ranges_only(profile, encoder, streams, train_on, folds: int) -> None:
    """Write the shipped model's training ranges (low/high) from the pairs it was fitted on, after checking that a
    fit on those pairs gives its coefficients (the same data): nothing else of the model changes."""
    from dataclasses import replace as dc_replace

    from storyline.cluster.model import load_model, model_path

    shipped = load_model(profile)
    FEATURE_SET[profile] = tuple(shipped.features)
    use_adapters(encoder, profile, None, folds_of(streams, folds))  # as _final fits it
    X, y = teach(profile, encoder, [s for s in streams if train_on(s)], lambda lab: True)
    ADAPTER["teach"] = None
    refit = fit(profile, X, y, shipped.threshold, {})
    drift = float(np.max(np.abs(refit.coef - shipped.coef)))
    if drift > 1e-6:
        raise SystemExit(f"{profile}: a fit on these pairs differs from the shipped model (coefficients up to "
                         f"{drift:.3g} apart): retrain it (python bench/train_cluster.py) instead of adding ranges")
    model = dc_replace(shipped, low=refit.low, high=refit.high)
    model.save(model_path(profile))
    print(f"wrote the training ranges of {model_path(profile)} ({len(y)} pairs)")


def _settings_gap_prior() -> float:
    from storyline.settings import Settings

    return Settings().cluster.gap_prior


def _final(profile, encoder, streams, best, summary, res, args, t0, train_on=lambda s: True) -> None:
    """Fit the model on every training stream, save it, and run it on the whole streams (in-sample figures)."""
    from storyline.cluster.model import model_path

    trained = [s for s in streams if train_on(s)]
    use_adapters(encoder, profile, None, folds_of(streams, args.folds))  # each story's vectors fitted without it
    X, y = teach(profile, encoder, trained, lambda lab: True)
    ADAPTER["teach"] = None
    folds = res.get("folds")
    meta = {"trained_on": [f"{s['set']}/{s['variant']}" for s in trained], "pairs": int(len(y)),
            "weighting": WEIGHTING["mode"],
            "gap_prior": CLUSTER_OVERRIDES.get("gap_prior", _settings_gap_prior()),
            **({"cluster_settings": {k: v for k, v in CLUSTER_OVERRIDES.items() if k != "gap_prior"}}
               if set(CLUSTER_OVERRIDES) - {"gap_prior"} else {}),
            "teach_settings": {k: v for k, v in TEACH_OVERRIDES.items() if k not in CLUSTER_OVERRIDES},
            **({"dense_adapter": "the shipped one (storyline/cluster/models/dense_adapter.npz); the training pairs' "
                                 f"vectors cross-fitted by {args.folds} folds of gold stories"}
               if profile == "default" and _shipped_adapter() is not None else {}),
            **({"set_shares": dict(SET_SHARES)} if WEIGHTING["mode"] == "set" else {}),
            "joins": int(y.sum()),
            "cut_chosen_by": f"{folds}-fold CV by gold story, best mean held-out B3 F1" if args.cut is None else
                             f"--cut {args.cut}: given (e.g. the lowest cut at which bench/replay_events.py fails no "
                             f"order); its {folds}-fold held-out figure below",
            "heldout_mean_f1_score_threshold": round(summary["score"]["mean_f1"], 4)}
    for prefix, name in (("", "heldout_mean_f1_folds_alone"), ("whole:", "heldout_mean_f1_in_whole_stream")):
        if f"{prefix}learned@{best}" in summary:
            meta[name] = round(summary[f"{prefix}learned@{best}"]["mean_f1"], 4)
    model = fit(profile, X, y, best, meta)
    if not args.no_save:
        model.save(model_path(profile))
        print(f"wrote {model_path(profile)} (cut {best})")
    in_sample = {f"{s['set']}/{s['variant']}": run_online(profile, encoder, s["articles"], s["labels"], model,
                                                           best) for s in streams}
    in_sample_score = {f"{s['set']}/{s['variant']}": run_online(profile, encoder, s["articles"], s["labels"])
                       for s in streams}
    res["chosen_cut"] = best
    res["in_sample"] = in_sample
    res["whole_stream_score_threshold"] = in_sample_score
    res["seconds"] = round(time.time() - t0, 1)
    print(f"{profile} in-sample (final model, whole streams): " + "  ".join(
        f"{k}={v['f1']:.3f} (score {in_sample_score[k]['f1']:.3f})" for k, v in in_sample.items()), flush=True)


def table(results: dict) -> str:
    """Held-out (fold alone, and held-out stories inside the whole stream) and in-sample B-cubed F1, per stream:
    the old score threshold vs the learned model at its chosen cut."""
    lines = ["| profile | stream | score, held-out fold | learned, held-out fold | score, held-out in stream | "
             "learned, held-out in stream | score, whole stream | learned, whole stream (in-sample) |",
             "|---|---|---|---|---|---|---|---|"]
    for profile, res in results.items():
        S, cut = res["summary"], res["chosen_cut"]

        def f(key, stream):
            v = S.get(key, {}).get("streams", {}).get(stream)
            return f"{v['f1']:.3f}" if v else "-"
        for stream in S["score"]["streams"]:
            ins, sc = res.get("in_sample", {}).get(stream), res.get("whole_stream_score_threshold", {}).get(stream)
            lines.append(f"| {profile} | {stream} | {f('score', stream)} | {f(f'learned@{cut}', stream)} | "
                         f"{f('whole:score', stream)} | {f(f'whole:learned@{cut}', stream)} | "
                         f"{sc['f1']:.3f} | {ins['f1']:.3f} |" if ins and sc else "")

        def m(key):
            return f"**{S[key]['mean_f1']:.3f}**" if key in S else "-"
        mean = lambda d: f"**{sum(v['f1'] for v in d.values()) / len(d):.3f}**" if d else "-"  # noqa: E731
        lines.append(f"| {profile} | **mean** (cut {cut}, {res['folds']} folds) | {m('score')} | "
                     f"{m(f'learned@{cut}')} | {m('whole:score')} | {m(f'whole:learned@{cut}')} | "
                     f"{mean(res.get('whole_stream_score_threshold', {}))} | {mean(res.get('in_sample', {}))} |")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
