"""Score story views against annotated stories (``storyline eval-view DIR``; definitions in docs/story-view.md).

Pure functions over the ``show --format json`` view dicts (their article ids already mapped to the data set's ids)
and one gold story of ``gold.json``. Only the documented keys of the view are read: ``summary[]``, ``agreements[]``,
``conflicts[]``, ``quotes[]``, ``unique[]``, ``copies[]`` and ``latest``.

A view sentence *matches* a gold sentence when both are of the same article and, after whitespace normalisation, one
contains the other, or their word tokens overlap by at least 0.8 (shared tokens / tokens of the longer one).
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, Iterable, Iterator, Mapping, Sequence

__all__ = ["Ratio", "StoryScore", "match", "normalise", "score_story", "total", "token_overlap", "METRICS"]

_TOKEN = re.compile(r"\w+", re.UNICODE)
_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'"})
OVERLAP = 0.8
COPY_RELATIONS = ("copy", "rewrite")


def normalise(text: str) -> str:
    """Whitespace collapsed, curly quotes made straight, case folded."""
    return " ".join(text.translate(_QUOTES).split()).casefold()


def token_overlap(a: str, b: str) -> float:
    """Shared word tokens / tokens of the longer text (multiset); 0.0 when either is empty."""
    ta, tb = _TOKEN.findall(normalise(a)), _TOKEN.findall(normalise(b))
    if not ta or not tb:
        return 0.0
    counts: dict[str, int] = {}
    for t in ta:
        counts[t] = counts.get(t, 0) + 1
    shared = 0
    for t in tb:
        if counts.get(t, 0) > 0:
            counts[t] -= 1
            shared += 1
    return shared / max(len(ta), len(tb))


def match(a: str, b: str) -> bool:
    """The matching rule: one contains the other after whitespace normalisation, or token overlap ≥ 0.8."""
    na, nb = normalise(a), normalise(b)
    if not na or not nb:
        return False
    return na in nb or nb in na or token_overlap(a, b) >= OVERLAP


@dataclass
class Ratio:
    """``num / den`` kept as counts so that stories add up (micro average); ``None`` when nothing was judged."""

    num: int = 0
    den: int = 0

    @property
    def value(self) -> float | None:
        return self.num / self.den if self.den else None

    def __add__(self, other: "Ratio") -> "Ratio":
        return Ratio(self.num + other.num, self.den + other.den)

    def as_dict(self) -> dict[str, Any]:
        v = self.value
        return {"value": None if v is None else round(v, 4), "num": self.num, "den": self.den}


# metric name → (description, target, higher is better)
METRICS: dict[str, tuple[str, float | None, bool]] = {
    "agreement_precision": ("independent agreement pairs that state the same gold fact / judged pairs", 0.95, True),
    "agreement_recall": ("gold fact pairs of independent articles shown in one agreement", 0.80, True),
    "summary_also_in_precision": ("summary sentence + also_in pairs of the same gold fact / judged pairs", None,
                                  True),
    "dispute_precision": ("disputes shown that match a gold dispute / disputes shown (judged)", 0.90, True),
    "dispute_recall": ("gold disputes shown as a dispute", 0.85, True),
    "update_recall": ("gold updates shown as an update (not a dispute)", 0.85, True),
    "quote_coverage": ("gold quotes found in the article (or its copy's origin)", 0.90, True),
    "speaker_accuracy": ("found gold quotes credited to the gold speaker", 0.90, True),
    "unique_precision": ("unique items that are gold unique / judged unique items", 0.90, True),
    "unique_recall": ("gold unique sentences listed as unique", None, True),
    "copy_recall": ("gold copies found with the right origin", 0.95, True),
    "copy_relation_accuracy": ("found gold copies with the right relation (copy/rewrite)", None, True),
    "boilerplate_leaks": ("gold boilerplate sentences shown as content (summary, agreements, unique, latest)", 0.0,
                          False),
}


@dataclass
class StoryScore:
    story: str
    ratios: dict[str, Ratio] = field(default_factory=dict)
    leaks: list[dict[str, str]] = field(default_factory=list)
    views: list[str] = field(default_factory=list)  # views holding the story's articles
    foreign_articles: int = 0  # articles of other gold stories in those views
    errors: dict[str, list[Any]] = field(default_factory=dict)  # examples of wrong judgements, for reading

    def as_dict(self) -> dict[str, Any]:
        return {"story": self.story, "views": self.views, "foreign_articles": self.foreign_articles,
                **{k: r.as_dict() for k, r in self.ratios.items()}, "boilerplate_leaks": len(self.leaks),
                "leaks": self.leaks, "errors": self.errors}


# -- helpers ------------------------------------------------------------------------------------------------------
def _gold_sentences(gold: Mapping[str, Any]) -> dict[str, list[tuple[str, str]]]:
    """Gold sentences by what they are annotated as: fact id, 'unique', 'boilerplate' → [(article, text)]."""
    out: dict[str, list[tuple[str, str]]] = {}
    for f in gold.get("facts", ()):
        out[f"fact:{f['id']}"] = [(s["article"], s["text"]) for s in f["sentences"]]
    out["unique"] = [(u["article"], u["text"]) for u in gold.get("unique", ())]
    out["boilerplate"] = [(b["article"], b["text"]) for b in gold.get("boilerplate", ())]
    return out


def _labels(article: str, text: str, gold_sents: Mapping[str, list[tuple[str, str]]]) -> set[str]:
    """Which gold annotations the view sentence (article, text) matches."""
    return {label for label, sents in gold_sents.items()
            if any(a == article and match(text, t) for a, t in sents)}


def _copy_articles(gold: Mapping[str, Any]) -> dict[str, str]:
    return {c["article"]: c["origin"] for c in gold.get("copies", ())}


def _not_agree(gold: Mapping[str, Any]) -> list[tuple[tuple[str, str], tuple[str, str]]]:
    return [((n["a"]["article"], n["a"]["text"]), (n["b"]["article"], n["b"]["text"]))
            for n in gold.get("not_agree", ())]


def _pair_judgement(x: tuple[str, str], y: tuple[str, str], gold: Mapping[str, Any],
                    gold_sents: Mapping[str, list[tuple[str, str]]]) -> bool | None:
    return _pair_reason(x, y, gold, gold_sents)[0]


def _pair_reason(x: tuple[str, str], y: tuple[str, str], gold: Mapping[str, Any],
                 gold_sents: Mapping[str, list[tuple[str, str]]]) -> tuple[bool | None, str]:
    """True: both sentences belong to one gold fact. False: a ``not_agree`` pair, a boilerplate or gold-unique
    sentence, or sentences of different facts only. None: not judged (a sentence the gold does not annotate)."""
    for a, b in _not_agree(gold):
        if ((x[0] == a[0] and match(x[1], a[1]) and y[0] == b[0] and match(y[1], b[1]))
                or (x[0] == b[0] and match(x[1], b[1]) and y[0] == a[0] and match(y[1], a[1]))):
            return False, "not_agree"
    lx, ly = _labels(*x, gold_sents), _labels(*y, gold_sents)
    facts_x = {l for l in lx if l.startswith("fact:")}
    facts_y = {l for l in ly if l.startswith("fact:")}
    if facts_x & facts_y:
        return True, "same fact"
    if {"boilerplate", "unique"} & (lx | ly):
        return False, "boilerplate" if "boilerplate" in lx | ly else "unique"
    if facts_x and facts_y:
        return False, "different facts"
    return None, "not annotated"


def _items_of_story(items: Iterable[Mapping[str, Any]], articles: set[str]) -> list[Mapping[str, Any]]:
    return [i for i in items if i.get("article_id") in articles]


# -- the metrics --------------------------------------------------------------------------------------------------
def agreement_scores(views: Sequence[Mapping[str, Any]], gold: Mapping[str, Any], articles: set[str],
                     errors: dict[str, list[Any]] | None = None) -> tuple[Ratio, Ratio, Ratio]:
    """(agreement precision, agreement recall, summary also_in precision); see docs/story-view.md."""
    gold_sents = _gold_sentences(gold)
    copies = _copy_articles(gold)
    prec = Ratio()
    groups: list[list[tuple[str, str]]] = []
    for v in views:
        for g in v.get("agreements", ()):
            items = _items_of_story(g.get("items", ()), articles)
            groups.append([(i["article_id"], i["text"]) for i in items])
            indep = [(i["article_id"], i["text"]) for i in g.get("items", ())
                     if i.get("relation") not in COPY_RELATIONS]
            for x, y in combinations(indep, 2):
                if x[0] == y[0]:
                    continue
                if x[0] not in articles and y[0] not in articles:
                    continue
                if (x[0] in articles) != (y[0] in articles):  # two gold stories in one agreement: wrong
                    ok: bool | None = False
                    why = "two gold stories"
                else:
                    ok, why = _pair_reason(x, y, gold, gold_sents)
                if ok is None:
                    continue
                prec += Ratio(int(ok), 1)
                if not ok and errors is not None:
                    errors.setdefault("agreement", []).append([x, y, why])
    rec = Ratio()
    seen: set[tuple[tuple[str, str], tuple[str, str]]] = set()
    for f in gold.get("facts", ()):
        sents = [(s["article"], s["text"]) for s in f["sentences"] if s["article"] not in copies]
        for x, y in combinations(sents, 2):
            if x[0] == y[0] or (x, y) in seen:
                continue
            seen.add((x, y))
            hit = any(any(a == x[0] and match(t, x[1]) for a, t in grp)
                      and any(a == y[0] and match(t, y[1]) for a, t in grp) for grp in groups)
            rec += Ratio(int(hit), 1)
            if not hit and errors is not None:
                errors.setdefault("agreement_missed", []).append([x, y])
    also = Ratio()
    for v in views:
        for s in v.get("summary", ()):
            cits = s.get("citations") or []
            if not cits or cits[0].get("article_id") not in articles:
                continue
            x = (cits[0]["article_id"], s["text"])
            for e in s.get("also_in", ()):
                if e.get("article_id") == x[0] or e.get("article_id") in (copies.get(x[0]),) \
                        or copies.get(e.get("article_id", "")) == x[0]:
                    continue
                ok = _pair_judgement(x, (e["article_id"], e["text"]), gold, gold_sents) \
                    if e.get("article_id") in articles else False
                if ok is not None:
                    also += Ratio(int(ok), 1)
    return prec, rec, also


def _value_matches(pred: Mapping[str, Any], gv: Mapping[str, Any]) -> bool:
    if pred.get("article_id") != gv["article"]:
        return False
    if not match(pred.get("text", ""), gv["sentence"]):
        return False
    pv, gs = normalise(str(pred.get("value", ""))), normalise(gv["span"])
    return bool(pv) and (pv in gs or gs in pv)


def figure_scores(views: Sequence[Mapping[str, Any]], gold: Mapping[str, Any], articles: set[str],
                  errors: dict[str, list[Any]] | None = None) -> tuple[Ratio, Ratio, Ratio]:
    """(dispute precision, dispute recall, update recall).

    A shown conflict is assigned to the gold figure group with most of its values matched (≥ 2 values of different
    articles); a ``dispute`` is right when that group is a gold dispute, and judged wrong when it matches no group
    or a gold ``agree``/``update`` group. A conflict without ``kind`` counts as a dispute."""
    groups = list(gold.get("figures", ()))
    shown: list[tuple[str, int | None]] = []  # (kind, index of the gold group it matched)
    for v in views:
        for c in v.get("conflicts", ()):
            vals = _items_of_story(c.get("values", ()), articles)
            if not vals:
                continue
            kind = c.get("kind") or "dispute"
            best, best_n = None, 0
            for gi, g in enumerate(groups):
                hit_articles = {p["article_id"] for p in vals if any(_value_matches(p, gv) for gv in g["values"])}
                if len(hit_articles) >= 2 and len(hit_articles) > best_n:
                    best, best_n = gi, len(hit_articles)
            shown.append((kind, best))
            if errors is not None and kind == "dispute" and (best is None or groups[best]["kind"] != "dispute"):
                errors.setdefault("dispute", []).append(
                    {"about": c.get("about"), "values": [p.get("value") for p in vals],
                     "gold": None if best is None else groups[best]["kind"]})
    d_prec = Ratio()
    for kind, gi in shown:
        if kind == "dispute":
            d_prec += Ratio(int(gi is not None and groups[gi]["kind"] == "dispute"), 1)
    d_rec, u_rec = Ratio(), Ratio()
    for gi, g in enumerate(groups):
        kinds = {k for k, i in shown if i == gi}
        if g["kind"] == "dispute":
            d_rec += Ratio(int("dispute" in kinds), 1)
        elif g["kind"] == "update":
            u_rec += Ratio(int("update" in kinds and "dispute" not in kinds), 1)
    return d_prec, d_rec, u_rec


def quote_scores(views: Sequence[Mapping[str, Any]], gold: Mapping[str, Any],
                 errors: dict[str, list[Any]] | None = None) -> tuple[Ratio, Ratio]:
    """(quote coverage, speaker accuracy). A gold quote is found when a shown quote of its article (or of the
    article's origin, when the gold says the article is a copy or rewrite) matches its words; the speaker is right
    when it equals the gold speaker after normalisation."""
    copies = _copy_articles(gold)
    shown = [q for v in views for q in v.get("quotes", ())]
    cov, spk = Ratio(), Ratio()
    for gq in gold.get("quotes", ()):
        arts = {gq["article"], copies.get(gq["article"], gq["article"])}
        found = [q for q in shown if q.get("article_id") in arts and match(q.get("text", ""), gq["quote"])]
        cov += Ratio(int(bool(found)), 1)
        if not found:
            if errors is not None:
                errors.setdefault("quote_missed", []).append([gq["article"], gq["quote"]])
            continue
        want = normalise(gq["speaker"] or "")
        ok = any(normalise(q.get("speaker") or "") == want for q in found)
        spk += Ratio(int(ok), 1)
        if not ok and errors is not None:
            errors.setdefault("speaker", []).append([gq["quote"][:60], gq["speaker"], found[0].get("speaker")])
    return cov, spk


def unique_scores(views: Sequence[Mapping[str, Any]], gold: Mapping[str, Any], articles: set[str],
                  errors: dict[str, list[Any]] | None = None) -> tuple[Ratio, Ratio]:
    """(unique precision, unique recall). A listed unique item is right when it matches a gold ``unique``
    sentence, and wrong when it matches a gold fact sentence (another source says it), a boilerplate sentence, or
    is in an article the gold marks as a copy or rewrite (its text is its origin's); otherwise it is not judged."""
    gold_sents = _gold_sentences(gold)
    copies = _copy_articles(gold)
    items = [u for v in views for u in _items_of_story(v.get("unique", ()), articles)]
    prec = Ratio()
    for u in items:
        labels = _labels(u["article_id"], u["text"], gold_sents)
        if "unique" in labels:
            prec += Ratio(1, 1)
        elif u["article_id"] in copies or labels:
            prec += Ratio(0, 1)
            if errors is not None:
                errors.setdefault("unique", []).append([u["article_id"], u["text"], sorted(labels)])
    rec = Ratio()
    for a, t in gold_sents["unique"]:
        rec += Ratio(int(any(u["article_id"] == a and match(u["text"], t) for u in items)), 1)
    return prec, rec


def copy_scores(views: Sequence[Mapping[str, Any]], gold: Mapping[str, Any]) -> tuple[Ratio, Ratio]:
    """(copy recall with the right origin, relation accuracy of the found ones)."""
    rows = [c for v in views for c in v.get("copies", ())]
    rec, rel = Ratio(), Ratio()
    for gc in gold.get("copies", ()):
        found = [r for r in rows if r.get("article_id") == gc["article"] and r.get("origin_id") == gc["origin"]]
        rec += Ratio(int(bool(found)), 1)
        if found:
            rel += Ratio(int(any(r.get("relation") == gc["relation"] for r in found)), 1)
    return rec, rel


def _latest_texts(latest: Any) -> list[tuple[str, str]]:
    """(article_id, text) of every cited span in the ``latest`` section, whatever its nesting."""
    out: list[tuple[str, str]] = []
    if isinstance(latest, Mapping):
        if isinstance(latest.get("text"), str) and isinstance(latest.get("article_id"), str):
            out.append((latest["article_id"], latest["text"]))
        for v in latest.values():
            if isinstance(v, (Mapping, list, tuple)):
                out += _latest_texts(v)
    elif isinstance(latest, (list, tuple)):
        for v in latest:
            out += _latest_texts(v)
    return out


def boilerplate_leaks(views: Sequence[Mapping[str, Any]], gold: Mapping[str, Any]) -> list[dict[str, str]]:
    """Gold boilerplate sentences shown as content: in the summary (or its also_in), an agreement, the unique list
    or the latest section. Each leaking gold sentence counts once per section it appears in."""
    shown: dict[str, list[tuple[str, str]]] = {"summary": [], "agreements": [], "unique": [], "latest": []}
    for v in views:
        for s in v.get("summary", ()):
            for c in (s.get("citations") or [])[:1]:
                shown["summary"].append((c.get("article_id"), s.get("text", "")))
            shown["summary"] += [(e.get("article_id"), e.get("text", "")) for e in s.get("also_in", ())]
        for g in v.get("agreements", ()):
            shown["agreements"] += [(i.get("article_id"), i.get("text", "")) for i in g.get("items", ())]
        shown["unique"] += [(u.get("article_id"), u.get("text", "")) for u in v.get("unique", ())]
        shown["latest"] += _latest_texts(v.get("latest"))
    leaks = []
    for b in gold.get("boilerplate", ()):
        for section, items in shown.items():
            if any(a == b["article"] and match(t, b["text"]) for a, t in items):
                leaks.append({"article": b["article"], "text": b["text"], "section": section})
    return leaks


def score_story(views: Sequence[Mapping[str, Any]], gold: Mapping[str, Any], articles: Iterable[str],
                *, view_ids: Sequence[str] = (), foreign_articles: int = 0) -> StoryScore:
    """Every metric of one gold story over the views that hold its articles (article ids already the data set's)."""
    arts = set(articles)
    errors: dict[str, list[Any]] = {}
    s = StoryScore(gold["story"], views=list(view_ids), foreign_articles=foreign_articles, errors=errors)
    s.ratios["agreement_precision"], s.ratios["agreement_recall"], s.ratios["summary_also_in_precision"] = \
        agreement_scores(views, gold, arts, errors)
    s.ratios["dispute_precision"], s.ratios["dispute_recall"], s.ratios["update_recall"] = \
        figure_scores(views, gold, arts, errors)
    s.ratios["quote_coverage"], s.ratios["speaker_accuracy"] = quote_scores(views, gold, errors)
    s.ratios["unique_precision"], s.ratios["unique_recall"] = unique_scores(views, gold, arts, errors)
    s.ratios["copy_recall"], s.ratios["copy_relation_accuracy"] = copy_scores(views, gold)
    s.leaks = boilerplate_leaks(views, gold)
    return s


def total(scores: Sequence[StoryScore]) -> dict[str, Any]:
    """Micro averages over the stories (counts added) and the total boilerplate leaks."""
    out: dict[str, Any] = {}
    for name in METRICS:
        if name == "boilerplate_leaks":
            out[name] = sum(len(s.leaks) for s in scores)
            continue
        r = Ratio()
        for s in scores:
            r = r + s.ratios.get(name, Ratio())
        out[name] = r.as_dict()
    return out


# -- running it -----------------------------------------------------------------------------------------------------
def read_dataset(directory: str | Any) -> tuple[list[dict[str, Any]], dict[str, str], list[dict[str, Any]]]:
    """``DIR/articles.jsonl`` and ``DIR/gold.json``: (records with the gold ``story`` field removed, gold story per
    record id, gold stories)."""
    import json
    from pathlib import Path

    from ..errors import StorylineError

    d = Path(directory)
    arts_path, gold_path = d / "articles.jsonl", d / "gold.json"
    for p in (arts_path, gold_path):
        if not p.is_file():
            raise StorylineError(f"{p} does not exist; eval-view needs a folder with articles.jsonl and gold.json, "
                                 f"e.g. ../shared/data/storyview-dev")
    records: list[dict[str, Any]] = []
    story_of: dict[str, str] = {}
    for n, line in enumerate(arts_path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except ValueError as e:
            raise StorylineError(f"{arts_path}:{n}: not JSON ({e}); expected one article object per line") from None
        if not isinstance(rec, dict) or "id" not in rec or "story" not in rec:
            raise StorylineError(f"{arts_path}:{n}: an article needs 'id' and 'story' fields, got "
                                 f"{sorted(rec) if isinstance(rec, dict) else type(rec).__name__}")
        story_of[str(rec["id"])] = str(rec.pop("story"))  # gold: kept here, never passed to the pipeline
        records.append(rec)
    try:
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
    except ValueError as e:
        raise StorylineError(f"{gold_path}: not JSON ({e})") from None
    if not isinstance(gold, list) or not all(isinstance(g, dict) and "story" in g for g in gold):
        raise StorylineError(f"{gold_path}: expected a list of stories, each with a 'story' field")
    return records, story_of, gold


def _remap(value: Any, ids: Mapping[str, str]) -> Any:
    """A copy of a view dict with every ``article_id``/``origin_id`` (and ``*_article_id``) mapped to the data set's
    ids."""
    if isinstance(value, Mapping):
        return {k: (ids.get(v, v) if isinstance(v, str) and (k in ("article_id", "origin_id", "id")
                                                               or k.endswith("_article_id")) else _remap(v, ids))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_remap(v, ids) for v in value]
    return value


@contextmanager
def ingested(directory: str | Any, settings: Any, *, workdir: str | None = None,
             command: str = "eval-view") -> Iterator[tuple[Any, dict[str, str], dict[str, str], list[dict[str, Any]]]]:
    """``DIR/articles.jsonl`` (without its gold ``story`` field) ingested through the pipeline (clustering and the
    default observers: the copies stage) into a temporary store. Yields ``(store, ext, story_of, gold)``: ``ext``
    maps stored article ids to the records' ids, ``story_of`` the records' ids to their gold story (for scoring
    only: it never reaches the pipeline). The store is closed and removed afterwards."""
    import json
    import tempfile
    from pathlib import Path

    from ..cluster import make_clusterer
    from ..ingest import read_paths
    from ..ingest.order import time_ordered
    from ..pipeline import open_pipeline
    from ..store import Store

    records, story_of, gold = read_dataset(directory)
    with tempfile.TemporaryDirectory(dir=workdir, prefix="storyline-eval-view-") as tmp:
        src = Path(tmp) / "articles.jsonl"
        src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
        store = Store(Path(tmp) / "eval.db")
        try:
            # in time order, as `storyline ingest` hands a file to the clusterer (a file grouped by story would
            # otherwise give the clustering an order no news stream has)
            items = list(time_ordered(read_paths([src], settings.ingest), settings.ingest.order_window,
                                      settings=settings.ingest))
            open_pipeline(store, settings, make_clusterer(settings)).run(items, command=command)
            ext = store.external_ids()
            yield store, ext, story_of, gold
        finally:
            store.close()


def evaluate_views(directory: str | Any, settings: Any, *, encoder: Any = None,
                   workdir: str | None = None) -> dict[str, Any]:
    """Ingest ``DIR/articles.jsonl`` (without its gold ``story`` field) into a temporary store through the pipeline
    (clustering and the default observers: the copies stage), build the view of every story it forms (with
    ``encoder`` for the sentence alignment when given, as ``show --dense``) and score each gold story against the
    view(s) holding its articles. Returns ``{"total", "stories", "clustering", "seconds"}``."""
    import time

    from ..stories import build_view

    t0 = time.perf_counter()
    # the clustering is the same with or without the view encoder
    with ingested(directory, settings, workdir=workdir) as (store, ext, story_of, gold):
        members = list(store.story_of_articles().items())
        views: dict[str, dict[str, Any]] = {}
        for sid in sorted({s for _, s in members}):
            views[sid] = _remap(build_view(store, sid, encoder=encoder, settings=settings).to_dict(), ext)
    view_of: dict[str, str] = {ext.get(a, a): s for a, s in members}
    scores = []
    for g in gold:
        arts = {a for a, s in story_of.items() if s == g["story"]}
        vids = sorted({view_of[a] for a in arts if a in view_of})
        held = {a for a, s in view_of.items() if s in vids}
        scores.append(score_story([views[v] for v in vids], g, arts, view_ids=vids,
                                  foreign_articles=len(held - arts)))
    clustering = {"gold_stories": len(gold), "views": len(views),
                  "split_stories": sum(1 for s in scores if len(s.views) > 1),
                  "merged_stories": sum(1 for s in scores if s.foreign_articles)}
    return {"total": total(scores), "stories": [s.as_dict() for s in scores], "clustering": clustering,
            "seconds": round(time.perf_counter() - t0, 2)}
