"""Choose the agreement settings by cross-validation split by story (``python bench/cv_agreement.py DIR``).

Ingests ``DIR/articles.jsonl`` (gold story stripped) through the pipeline once, aligns each story's sentences as the
view does, then for every setting of the grid (``agreement_min_similarity`` (``_dense`` with ``--dense``) ×
``agreement_linkage`` × ``agreement_min_shared`` × ``agreement_strong_similarity`` × ``agreement_one_sided_shared``;
``--one-sided-only``: the last alone, the others at their defaults; ``--link-shared-only``: ``agreement_link_shared``
alone; ``--soft-only``: ``agreement_word_similarity`` × ``agreement_soft_links``, 2.0 meaning off) forms the agreements and scores them with
storyline/eval/view.py. Folds split the gold stories (4, shuffled with seed 0); on each fold the setting with the
best F-beta (``--beta``, default 1) over the other folds is chosen and scored on the held-out stories.
Prints the held-out figures and the setting chosen on all stories; then the same for the unique-content settings.
The claim rules (storyline/stories/claims.py) are fixed, not part of the grid.
"""

from __future__ import annotations

import argparse
import itertools
import random

from storyline.eval.view import Ratio, _remap, agreement_scores, ingested, unique_scores
from storyline.settings import Settings, StoriesSettings
from storyline.stories.align import align_sentences
from storyline.stories.claims import agreement_groups
from storyline.stories.view import _relations, boilerplate_rows, merge_stored_alignments, read_copies, \
    read_stored_alignments, unique_content

UNIQUE_SIM = (1.0, 0.2, 0.18, 0.15)  # unique_max_similarity
UNIQUE_FIG = (0.0, 0.05, 0.1, 0.15)  # unique_shared_figure
FLOORS = (0.0, 0.25, 0.3, 0.35, 0.4, 0.5)
FLOORS_DENSE = (0.4, 0.5, 0.6)
LINKAGES = (0.0, 0.5, 1.0)
SHARED = (0.0, 0.2, 0.3, 0.4, 0.5)
STRONG = (1.0, 0.3, 0.35, 0.4, 0.5)
ONE_SIDED = (1.0, 0.3, 0.4, 0.5, 0.6)  # agreement_one_sided_shared (1.0: off)
LINK_SHARED = (1.01, 1.0, 0.8, 0.6, 0.5)  # agreement_link_shared (1.01: off)
WORD_SIM = (2.0, 0.7, 0.6, 0.5)  # agreement_word_similarity (2.0: exact words)
SOFT_LINKS = (2.0, 0.7, 0.6, 0.5)  # agreement_soft_links (2.0: no soft links)


def prepared(directory: str, settings: Settings, encoder=None):
    out = []
    with ingested(directory, settings, command="cv-agreement") as (store, ext, story_of, gold):
        for (sid,) in store.query("SELECT DISTINCT story_id FROM memberships"):
            arts = list(store.iter_articles(sid))
            ids = [a.id for a in arts]
            al = align_sentences(arts, settings=settings.stories, encoder=encoder)
            stored = read_stored_alignments(store, ids)
            if stored:
                al, _, _ = merge_stored_alignments(al, stored)
            out.append((al, _relations(read_copies(store, ids)), boilerplate_rows(al), ext))
    return out, story_of, gold


def score(views, story_of, gold, floor, linkage, shared, strong=1.0, one_sided=1.0, link_shared=None, word_sim=None,
          soft_links=None):
    d = Settings().stories
    link_shared = d.agreement_link_shared if link_shared is None else link_shared
    word_sim = d.agreement_word_similarity if word_sim is None else word_sim
    soft_links = d.agreement_soft_links if soft_links is None else soft_links
    dicts = []
    for al, rel, boiler, ext in views:
        groups = agreement_groups(al, rel, boiler, floor=floor, linkage=linkage, min_shared=shared, strong=strong,
                                  candidates=Settings().stories.agreement_candidates, one_sided=one_sided,
                                  link_shared=link_shared, same_figure=d.agreement_same_figure, word_sim=word_sim,
                                  soft_links=soft_links, soft_floor=d.align_lexical_threshold)
        ag = [{"items": [{"article_id": al.sentences[i].article_id, "text": al.sentences[i].text,
                          "relation": rel.get(al.sentences[i].article_id, "independent")} for i in g]} for g in groups]
        dicts.append(_remap({"agreements": ag}, ext))
    per = {}
    for g in gold:
        arts = {a for a, s in story_of.items() if s == g["story"]}
        p, r, _ = agreement_scores(dicts, g, arts)
        per[g["story"]] = (p, r)
    return per


BETA = 1.0


def score_unique(views, story_of, gold, sim, fig):
    s = StoriesSettings(unique_max_similarity=sim, unique_shared_figure=fig, unique_max=10_000)
    dicts = []
    for al, rel, boiler, ext in views:
        items, _ = unique_content(al, s, boiler, rel)
        dicts.append(_remap({"unique": [{"article_id": x.article_id, "text": x.text} for x in items]}, ext))
    per = {}
    for g in gold:
        arts = {a for a, st in story_of.items() if st == g["story"]}
        per[g["story"]] = unique_scores(dicts, g, arts)
    return per


def f05(p: Ratio, r: Ratio) -> float:
    """F-beta (BETA: 1 by default; --beta 0.5 weighs precision more)."""
    pv, rv = p.value or 0.0, r.value or 0.0
    b2 = BETA * BETA
    return 0.0 if pv + rv == 0 else (1 + b2) * pv * rv / (b2 * pv + rv)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("directory", nargs="?", default="../shared/data/storyview-dev")
    ap.add_argument("--folds", type=int, default=4)
    ap.add_argument("--dense", action="store_true", help="align with the MiniLM encoder too (as show --dense)")
    ap.add_argument("--beta", type=float, default=1.0, help="F-beta that chooses the setting (default F1)")
    ap.add_argument("-v", action="store_true", help="also print the best settings on all stories")
    ap.add_argument("--one-sided-only", action="store_true",
                    help="sweep agreement_one_sided_shared alone, the other settings at their defaults")
    ap.add_argument("--link-shared-only", action="store_true",
                    help="sweep agreement_link_shared alone, the other settings at their defaults")
    ap.add_argument("--soft-only", action="store_true",
                    help="sweep agreement_word_similarity x agreement_soft_links, the others at their defaults")
    args = ap.parse_args()
    global BETA
    BETA = args.beta
    encoder = None
    if args.dense:
        from storyline.represent.dense import MiniLMEncoder

        encoder = MiniLMEncoder(threads=2)
    views, story_of, gold = prepared(args.directory, Settings(), encoder)
    stories = sorted(g["story"] for g in gold)
    random.Random(0).shuffle(stories)
    folds = [stories[k::args.folds] for k in range(args.folds)]
    print("agreements (agreement_min_similarity%s, agreement_linkage, agreement_min_shared, "
          "agreement_strong_similarity, agreement_one_sided_shared):" % ("_dense" if args.dense else ""))
    grid = [c for c in itertools.product(FLOORS_DENSE if args.dense else FLOORS, LINKAGES, SHARED, STRONG, ONE_SIDED)
            if c[2] > 0 or c[3] == 1.0]  # without a share of words to ask for, the strong score changes nothing
    if args.one_sided_only:
        d = Settings().stories
        grid = [(d.agreement_min_similarity_dense if args.dense else d.agreement_min_similarity, d.agreement_linkage,
                 d.agreement_min_shared, d.agreement_strong_similarity, o) for o in ONE_SIDED]
    if args.link_shared_only:
        d = Settings().stories
        grid = [(d.agreement_min_similarity_dense if args.dense else d.agreement_min_similarity, d.agreement_linkage,
                 d.agreement_min_shared, d.agreement_strong_similarity, d.agreement_one_sided_shared, x)
                for x in LINK_SHARED]
    if args.soft_only:
        d = Settings().stories
        grid = [(d.agreement_min_similarity_dense if args.dense else d.agreement_min_similarity, d.agreement_linkage,
                 d.agreement_min_shared, d.agreement_strong_similarity, d.agreement_one_sided_shared,
                 d.agreement_link_shared, w, x) for w in WORD_SIM for x in SOFT_LINKS]
    table = {cfg: score(views, story_of, gold, *cfg) for cfg in grid}
    cross_validate(grid, table, stories, folds, args.v)
    print("unique content (unique_max_similarity, unique_shared_figure):")
    grid = list(itertools.product(UNIQUE_SIM, UNIQUE_FIG))
    table = {cfg: score_unique(views, story_of, gold, *cfg) for cfg in grid}
    cross_validate(grid, table, stories, folds, args.v)


def cross_validate(grid, table, stories, folds, verbose):

    def total(cfg, names):
        p, r = Ratio(), Ratio()
        for n in names:
            p, r = p + table[cfg][n][0], r + table[cfg][n][1]
        return p, r

    held_p, held_r = Ratio(), Ratio()
    for k, test in enumerate(folds):
        train = [s for s in stories if s not in test]
        best = max(grid, key=lambda c: (f05(*total(c, train)), c))
        p, r = total(best, test)
        held_p, held_r = held_p + p, held_r + r
        print(f"fold {k}: chose {best}; held-out precision "
              f"{p.value or 0:.3f} ({p.num}/{p.den}) recall {r.value or 0:.3f} ({r.num}/{r.den})")
    print(f"held-out (4 folds by story): precision {held_p.value:.3f} ({held_p.num}/{held_p.den}), recall "
          f"{held_r.value:.3f} ({held_r.num}/{held_r.den})")
    best = max(grid, key=lambda c: (f05(*total(c, stories)), c))
    p, r = total(best, stories)
    print(f"all stories: {best}: precision {p.value:.3f} recall "
          f"{r.value:.3f}")
    if verbose:
        for cfg in sorted(grid, key=lambda c: -f05(*total(c, stories)))[:15]:
            p, r = total(cfg, stories)
            print(cfg, round(p.value or 0, 3), round(r.value or 0, 3))


if __name__ == "__main__":
    main()
