"""Choose ``figures.MAX_RATIO`` and the unique-content settings by cross-validation split by story
(``python bench/cv_figures.py DIR``).

Ingests ``DIR/articles.jsonl`` (gold story stripped) through the pipeline once and aligns each story's sentences as the
view does. Folds split the gold stories (every 4th story of gold.json per fold).

- Figures: for every value of the grid, builds each story's figure groups (``find_conflicts`` as the view calls it)
  and scores them with storyline/eval/view.py (dispute precision and recall, update recall). On each fold the value
  with the best mean of dispute F1 and update recall over the other folds is chosen (ties: the value nearest the
  prior 3) and scored on the held-out stories.
- Unique content (``unique_max_char_similarity`` × ``unique_shared_figure`` × ``unique_max_similarity``): lists every
  unique sentence (no cap) and scores unique precision and recall. On each fold the setting with the best recall
  among those whose precision on the other folds reaches ``--precision`` (0.90, the target) is chosen (none: the best
  precision; ties: the setting that removes least) and scored on the held-out stories.

Prints the held-out figures and every setting's figures on all stories. ``--by-gold-story`` also prints the view
metrics with each view built from the articles of one gold story (a measurement of the view alone, without the
clustering's splits and merges; never a pipeline mode).
"""

from __future__ import annotations

import argparse
import itertools
from dataclasses import replace

import storyline.stories.figures as figures
from storyline.eval.view import Ratio, _remap, figure_scores, ingested, unique_scores
from storyline.settings import Settings
from storyline.stories.align import align_sentences
from storyline.stories.view import _relations, boilerplate_rows, merge_stored_alignments, read_copies, \
    read_stored_alignments, unique_content

GRID = (2.0, 3.0, 4.0, 5.0, 6.0)
UNIQUE_CHAR = (1.0, 0.35, 0.3, 0.275, 0.25, 0.225, 0.2)  # unique_max_char_similarity
UNIQUE_FIG = (0.0, 0.1)  # unique_shared_figure
UNIQUE_SIM = (1.0, 0.15)  # unique_max_similarity


def prepared(directory: str, settings: Settings):
    out = []
    with ingested(directory, settings, command="cv-figures") as (store, ext, story_of, gold):
        for (sid,) in store.query("SELECT DISTINCT story_id FROM memberships"):
            arts = list(store.iter_articles(sid))
            ids = [a.id for a in arts]
            al = align_sentences(arts, settings=settings.stories)
            sents: dict[str, list] = {}
            for r in al.sentences:
                sents.setdefault(r.article_id, []).append(r.sentence)
            figs = [f for a in arts for f in figures.extract_figures(a, sents.get(a.id, []))]
            copies = read_copies(store, ids)
            stored = read_stored_alignments(store, ids)
            if stored:  # as the view does: the copies stage's sentence pairs join the alignment
                al, _, _ = merge_stored_alignments(al, stored)
            out.append((arts, figs, copies, ext, al, boilerplate_rows(al)))
    return out, story_of, gold


def counts(views, story_of, gold) -> dict[str, tuple[int, ...]]:
    dicts = []
    for arts, figs, copies, ext, _, _ in views:
        groups = figures.find_conflicts(figs, {a.id: a.text for a in arts}, dates={a.id: a.date for a in arts},
                                        copies=copies, include_agree=True)
        conflicts = [{"kind": c.kind, "values": [{"article_id": v.article_id, "value": v.value, "text": v.text}
                                                 for v in c.values]} for c in groups]
        dicts.append(_remap({"conflicts": conflicts}, ext))
    out = {}
    for g in gold:
        arts = {a for a, s in story_of.items() if s == g["story"]}
        dp, dr, ur = figure_scores(dicts, g, arts)
        out[g["story"]] = (dp.num, dp.den, dr.num, dr.den, ur.num, ur.den)
    return out


def objective(t: list[int]) -> float:
    p = t[0] / t[1] if t[1] else 1.0
    r = t[2] / t[3] if t[3] else 1.0
    u = t[4] / t[5] if t[5] else 1.0
    return ((2 * p * r / (p + r) if p + r else 0.0) + u) / 2


def unique_counts(views, story_of, gold, stories_settings, cfg) -> dict[str, tuple[Ratio, Ratio]]:
    char, fig, sim = cfg
    s = replace(stories_settings, unique_max_char_similarity=char, unique_shared_figure=fig,
                unique_max_similarity=sim, unique_max=10_000)
    dicts = []
    for arts, figs, copies, ext, al, boiler in views:
        # as the view does: sentences giving a value of a figure group are not unique
        groups = figures.find_conflicts(figs, {a.id: a.text for a in arts}, dates={a.id: a.date for a in arts},
                                        copies=copies, include_agree=True)
        items, _ = unique_content(al, s, boiler, _relations(copies), groups)
        dicts.append(_remap({"unique": [{"article_id": x.article_id, "text": x.text} for x in items]}, ext))
    out = {}
    for g in gold:
        arts = {a for a, st in story_of.items() if st == g["story"]}
        out[g["story"]] = unique_scores(dicts, g, arts)
    return out


def cross_validate_unique(views, story_of, gold, stories_settings, folds: int, target: float) -> None:
    grid = list(itertools.product(UNIQUE_CHAR, UNIQUE_FIG, UNIQUE_SIM))
    table = {cfg: unique_counts(views, story_of, gold, stories_settings, cfg) for cfg in grid}
    stories = [g["story"] for g in gold]

    def tot(cfg, names) -> tuple[Ratio, Ratio]:
        p, r = Ratio(), Ratio()
        for n in names:
            p, r = p + table[cfg][n][0], r + table[cfg][n][1]
        return p, r

    def choose(names):
        def key(cfg):
            p, r = tot(cfg, names)
            reached = (p.value or 0.0) >= target
            # reached: most recall, then precision; else most precision; ties: the setting that removes least
            return (reached, (r.value or 0.0) if reached else (p.value or 0.0), p.value or 0.0, cfg)
        return max(grid, key=key)

    held_p, held_r = Ratio(), Ratio()
    for k in range(folds):
        test = stories[k::folds]
        train = [s for s in stories if s not in test]
        best = choose(train)
        p, r = tot(best, test)
        held_p, held_r = held_p + p, held_r + r
        print(f"fold {k}: chosen (char, figure, word) {best}; held-out unique precision {p.num}/{p.den}, "
              f"recall {r.num}/{r.den}")
    for cfg in grid:
        p, r = tot(cfg, stories)
        print(f"all stories, unique (char, figure, word) {cfg}: precision {p.value:.3f} ({p.num}/{p.den}), "
              f"recall {r.value:.3f} ({r.num}/{r.den})")
    best = choose(stories)
    print(f"chosen on all stories: {best}")
    print(f"held-out total: unique precision {held_p.value:.3f} ({held_p.num}/{held_p.den}), recall "
          f"{held_r.value:.3f} ({held_r.num}/{held_r.den})")


def by_gold_story(directory: str, settings: Settings) -> None:
    """eval-view's metrics with one view per gold story (the pipeline's copies and stored alignments kept)."""
    from storyline.eval.view import score_story, total
    from storyline.stories.view import build_view_from_articles

    with ingested(directory, settings, command="cv-figures") as (store, ext, story_of, gold):
        stored_id = {v: k for k, v in ext.items()}
        scores = []
        for g in gold:
            names = {a for a, st in story_of.items() if st == g["story"]}
            arts = [store.get_article(stored_id[a]) for a in sorted(names)]
            ids = [a.id for a in arts]
            view = build_view_from_articles(arts, story_id=g["story"], settings=settings, copies=read_copies(store, ids),
                                            stored_alignments=read_stored_alignments(store, ids))
            scores.append(score_story([_remap(view.to_dict(), ext)], g, names))
    t = total(scores)
    print("one view per gold story: " + ", ".join(
        f"{k} {t[k]['num']}/{t[k]['den']}" for k in ("dispute_precision", "dispute_recall", "update_recall",
                                                   "unique_precision", "quote_coverage", "speaker_accuracy")))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("directory", nargs="?", default="../shared/data/storyview-dev")
    ap.add_argument("--folds", type=int, default=4)
    ap.add_argument("--precision", type=float, default=0.90, help="unique precision the chosen setting must reach")
    ap.add_argument("--by-gold-story", action="store_true", help="also score one view per gold story")
    args = ap.parse_args()
    settings = Settings().with_overrides({"stories.entities": "rules"})
    views, story_of, gold = prepared(args.directory, settings)
    table = {}
    default_ratio = figures.MAX_RATIO
    for ratio in GRID:
        figures.MAX_RATIO = ratio
        table[ratio] = counts(views, story_of, gold)
    figures.MAX_RATIO = default_ratio  # the unique content and --by-gold-story run with the module's value
    stories = [g["story"] for g in gold]

    def agg(ratio: float, names: list[str]) -> list[int]:
        return [sum(table[ratio][s][k] for s in names) for k in range(6)]

    held = [0] * 6
    for k in range(args.folds):
        test = stories[k::args.folds]
        train = [s for s in stories if s not in test]
        best = max(GRID, key=lambda r: (objective(agg(r, train)), -abs(r - 3.0)))
        t = agg(best, test)
        held = [a + b for a, b in zip(held, t)]
        print(f"fold {k}: chosen MAX_RATIO {best}; held-out dispute P {t[0]}/{t[1]} R {t[2]}/{t[3]}, "
              f"update {t[4]}/{t[5]}")
    for ratio in GRID:
        t = agg(ratio, stories)
        print(f"all stories, MAX_RATIO {ratio}: dispute P {t[0]}/{t[1]} R {t[2]}/{t[3]}, update {t[4]}/{t[5]}")
    print(f"held-out total: dispute P {held[0]}/{held[1]} R {held[2]}/{held[3]}, update {held[4]}/{held[5]}")
    print("unique content:")
    cross_validate_unique(views, story_of, gold, settings.stories, args.folds, args.precision)
    if args.by_gold_story:
        by_gold_story(args.directory, settings)


if __name__ == "__main__":
    main()
