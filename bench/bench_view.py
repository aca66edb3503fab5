"""Time the story view of a generated 200-article story (``python bench/bench_view.py [--articles N]``).

The generator writes N articles about one fictional event: each picks ~12 of 40 statements, re-words some (synonyms,
clause order), varies a few figures between outlets, and adds 2 sentences of its own. Timings are for
``build_view_from_articles`` (lexical similarity; entities by rules and, separately, by spaCy: model load, first
view with no entities cached, then cached per article), on
the cores this process may use. Run it with ``taskset -c 0,1`` to pin 2 cores.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from datetime import datetime, timedelta, timezone

from storyline.records import Article
from storyline.settings import StoriesSettings
from storyline.stories import build_view_from_articles

PLACES = ["Marrow Bay", "Kestel", "Dunmore", "Halvik", "Sorrel Point"]
PEOPLE = ["Mayor Ilse Brandt", "Fire chief Aldo Renner", "Governor Paula Quist", "Dr Omar Feld", "Inspector Lena Voss"]
OUTLETS = [f"Outlet {i:02d}" for i in range(60)]
SYN = {"said": "stated", "residents": "inhabitants", "damaged": "hit", "started": "began", "officials": "authorities",
       "closed": "shut", "large": "big", "quickly": "rapidly"}


def statements(rng: random.Random) -> list[str]:
    out = []
    for k in range(40):
        place, person = PLACES[k % 5], PEOPLE[k % 5]
        n = rng.randint(3, 900)
        kind = k % 6
        if kind == 0:
            out.append(f"Floodwater damaged about {n} homes in {place} on Tuesday, officials said.")
        elif kind == 1:
            out.append(f"“We are doing everything we can to reach people who are cut off,” {person} said.")
        elif kind == 2:
            out.append(f"The regional government has set aside ${n} million for repairs in {place} and nearby towns.")
        elif kind == 3:
            out.append(f"According to the weather service, the river at {place} rose {n % 9 + 1} metres in a day.")
        elif kind == 4:
            out.append(f"Schools in {place} closed and {n} residents were moved to shelters as the water started "
                       f"to rise quickly.")
        else:
            out.append(f"{person} told reporters that large parts of the road to {place} would stay shut for weeks.")
    return out


def reword(s: str, rng: random.Random) -> str:
    words = s.split(" ")
    return " ".join(SYN.get(w, w) if rng.random() < 0.6 else w for w in words)


def vary(s: str, rng: random.Random) -> str:
    import re

    return re.sub(r"\d+", lambda m: str(int(m.group(0)) + rng.choice([0, 0, 0, 5, 10])), s, count=1)


def generate(n: int, seed: int = 7, distinct: bool = False) -> list[Article]:
    rng = random.Random(seed)
    pool = statements(rng)
    t0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
    arts = []
    for i in range(n):
        picked = rng.sample(pool, 12)
        sents = [vary(reword(s, rng), rng) if rng.random() < 0.5 else s for s in picked]
        if distinct:  # no sentence repeats across articles: the worst case for NER, which runs once per sentence
            sents = [f"{s[:-1]} (report {i}-{j})." for j, s in enumerate(sents)]
        sents += [f"Outlet reporter {i} spoke to a shopkeeper in {rng.choice(PLACES)} whose cellar flooded "
                  f"overnight number {i}.", f"Local volunteers number {i} handed out {rng.randint(10, 500)} "
                  f"sandbags near the {rng.choice(['station', 'harbour', 'school', 'bridge'])}."]
        paras = ["\n\n".join(" ".join(sents[j:j + 2]) for j in range(0, len(sents), 2))]
        date = None if i % 25 == 24 else t0 + timedelta(minutes=37 * i)
        arts.append(Article(f"bench-{i:04d}", f"Floods hit {rng.choice(PLACES)} as river rises ({i})", paras[0],
                            OUTLETS[i % len(OUTLETS)], date))
    return arts


def timed(arts: list[Article], settings: StoriesSettings, cache=None) -> tuple[float, object]:
    t = time.perf_counter()
    view = build_view_from_articles(arts, story_id="bench", settings=settings, entity_cache=cache)
    return time.perf_counter() - t, view


class MemoryCache:
    def __init__(self) -> None:
        self.d: dict = {}

    def get(self, article_id: str, method: str):
        return self.d.get((article_id, method))

    def put(self, article_id: str, method: str, raw) -> None:
        self.d[(article_id, method)] = raw


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=int, default=200)
    ap.add_argument("--spacy", action="store_true", help="also time spaCy NER (cold, then cached per article)")
    ap.add_argument("--distinct", action="store_true", help="no sentence shared between articles (no wire copy)")
    args = ap.parse_args()
    arts = generate(args.articles, distinct=args.distinct)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    words = sum(len(a.text.split()) for a in arts)
    print(f"story: {len(arts)} articles, {words} words, {len({a.source for a in arts})} sources; cores: {cores}")
    timed(arts[:5], StoriesSettings(entities="rules"))  # import/JIT warm-up, not counted
    secs, view = timed(arts, StoriesSettings(entities="rules"))
    c = view.counts
    print(f"view (lexical similarity, rule entities): {secs:.2f} s  "
          f"[{c['sentences']} sentences, {c['aligned_pairs']} aligned pairs, {len(view.summary)} summary, "
          f"{c['quotes']} quotes, {c['figures']} figures, {len(view.conflicts)} conflicts, {c['unique_total']} unique]")
    if args.spacy:
        from storyline.stories.entities import spacy_available

        t = time.perf_counter()
        if not spacy_available(StoriesSettings().spacy_model):
            raise SystemExit("--spacy: the spaCy model is not installed (pip install 'storyline[nlp]')")
        print(f"spaCy import + model load (once per process; `storyline serve` does it at start): "
              f"{time.perf_counter() - t:.2f} s")
        cache = MemoryCache()
        secs, _ = timed(arts, StoriesSettings(entities="spacy"), cache)
        print(f"view (lexical similarity, spaCy entities, first view: no article's entities cached): {secs:.2f} s")
        secs, _ = timed(arts, StoriesSettings(entities="spacy"), cache)
        print(f"view (lexical similarity, spaCy entities, cached per article): {secs:.2f} s")


if __name__ == "__main__":
    main()
