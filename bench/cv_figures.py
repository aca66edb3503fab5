"""Choose ``figures.MAX_RATIO`` by cross-validation split by story (``python bench/cv_figures.py DIR``).

Ingests ``DIR/articles.jsonl`` (gold story stripped) through the pipeline once, then for every value of the grid
builds each story's figure groups (``find_conflicts`` as the view calls it) and scores them with
storyline/eval/view.py (dispute precision and recall, update recall). Folds split the gold stories; on each fold the
value with the best mean of dispute F1 and update recall over the other folds is chosen (ties: the value nearest the
prior 3) and scored on the held-out stories. Prints the held-out figures and every value's figures on all stories.
"""

from __future__ import annotations

import argparse

import storyline.stories.figures as figures
from storyline.eval.view import _remap, figure_scores, ingested
from storyline.settings import Settings
from storyline.stories.align import align_sentences
from storyline.stories.view import read_copies

GRID = (2.0, 3.0, 4.0, 5.0, 6.0)


def prepared(directory: str, settings: Settings):
    out = []
    with ingested(directory, settings, command="cv-figures") as (store, ext, story_of, gold):
        for (sid,) in store.query("SELECT DISTINCT story_id FROM memberships"):
            arts = list(store.iter_articles(sid))
            al = align_sentences(arts, settings=settings.stories)
            sents: dict[str, list] = {}
            for r in al.sentences:
                sents.setdefault(r.article_id, []).append(r.sentence)
            figs = [f for a in arts for f in figures.extract_figures(a, sents.get(a.id, []))]
            out.append((arts, figs, read_copies(store, [a.id for a in arts]), ext))
    return out, story_of, gold


def counts(views, story_of, gold) -> dict[str, tuple[int, ...]]:
    dicts = []
    for arts, figs, copies, ext in views:
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("directory")
    ap.add_argument("--folds", type=int, default=4)
    args = ap.parse_args()
    settings = Settings().with_overrides({"stories.entities": "rules"})
    views, story_of, gold = prepared(args.directory, settings)
    table = {}
    for ratio in GRID:
        figures.MAX_RATIO = ratio
        table[ratio] = counts(views, story_of, gold)
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


if __name__ == "__main__":
    main()
