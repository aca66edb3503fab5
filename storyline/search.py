"""Story search, entity chips and pages, related stories: the logic shared by the CLI, the API and the web pages.

* :func:`search_stories` finds **stories**, each with its matching articles: full-text (FTS5, BM25) or by meaning
  (cosine of the stored article embeddings), with filters for a date range, an outlet, a language and a minimum
  number of outlets. Copies and rewrites (the copies stage's ``copies`` table) fold under their origin.
* :func:`entity_chips` merges a story view's entities into chips: the same name under two labels is one chip, a
  surname alone joins the one full name of the story that ends with it, and credit lines or broken fragments
  ("Copyright 2026 Meridian Press", "(Meridian Press") are dropped.
* :func:`entity_stories` lists the stories an entity's name appears in; :func:`related_stories` ranks other stories
  by the entities they share with a story, weighted by how rare each entity is and how close in time they are.

All SQL is in :mod:`storyline.store.search`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Mapping, Sequence

from .errors import StorylineError
from .store import Store
from .store.sqlite import from_iso

MODES = ("fts", "semantic")
_OPEN, _CLOSE = "\ue000", "\ue001"  # snippet match marks: private-use characters no article text is shown with
_HAS_WORD = re.compile(r"\w", re.UNICODE)
POOL_PER_STORY = 10  # article hits read per story asked for, before grouping into stories and filtering


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """Which articles may match (time range, outlet, language) and which stories may be listed (min outlets)."""

    since: datetime | None = None
    until: datetime | None = None
    source: str | None = None
    lang: str | None = None
    min_sources: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"since": self.since, "until": self.until, "source": self.source, "lang": self.lang,
                "min_sources": self.min_sources}


def _utc(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt


def snippet_parts(snip: str) -> list[dict[str, Any]]:
    """``[{"text", "match"}]`` from a snippet whose matches sit between the private-use marks."""
    parts: list[dict[str, Any]] = []
    rest = snip
    while rest:
        i = rest.find(_OPEN)
        if i < 0:
            parts.append({"text": rest, "match": False})
            break
        if i:
            parts.append({"text": rest[:i], "match": False})
        j = rest.find(_CLOSE, i)
        j = len(rest) if j < 0 else j
        parts.append({"text": rest[i + 1:j], "match": True})
        rest = rest[j + 1:]
    return parts


def _fts_hits(store: Store, q: str, f: SearchFilters, pool: int) -> list[dict[str, Any]]:
    hits = store.fts_article_hits(q, since=f.since, until=f.until, source=f.source, lang=f.lang, limit=pool,
                                  open_mark=_OPEN, close_mark=_CLOSE)
    for h in hits:
        h["snippet_parts"] = snippet_parts(h.pop("snippet"))
    return hits


def _semantic_hits(store: Store, q: str, f: SearchFilters, pool: int, encoder: Any,
                   matrix: Callable[[str], tuple[list[str], Any]] | None) -> list[dict[str, Any]]:
    """Articles by cosine similarity of the query's embedding with the stored article embeddings (title + lead)."""
    import numpy as np

    models = require_embeddings(store)
    if encoder.name not in models:
        raise NoEmbeddings(f"the stored embeddings were made by {sorted(models)}, not by this encoder "
                           f"{encoder.name!r}; use mode fts")
    if matrix is not None:
        ids, mat = matrix(encoder.name)
    else:
        ids, blobs = store.embedding_rows(encoder.name)
        mat = np.stack([np.frombuffer(b, dtype=np.float16) for b in blobs]).astype(np.float32)
    allowed = store.current_article_ids(since=f.since, until=f.until, source=f.source, lang=f.lang)
    qv = np.asarray(encoder.encode([q]), dtype=np.float32)[0]
    scores = mat @ qv
    top: list[tuple[str, float]] = []
    for i in np.argsort(-scores, kind="stable"):
        if len(top) == pool:
            break
        if ids[i] in allowed:  # superseded versions keep their embeddings but are no result (docs/versions.md)
            top.append((ids[i], float(scores[i])))
    briefs = store.article_briefs(a for a, _ in top)
    out = []
    for aid, score in top:
        b = briefs.get(aid)
        if b is None:
            continue
        lead = b["lead"] + ("…" if len(b["lead"]) == 240 else "")
        out.append({"id": aid, "story_id": b["story_id"], "source": b["source"], "title": b["title"],
                    "date": b["date"], "lang": b["lang"], "score": score,
                    "snippet_parts": [{"text": lead, "match": False}]})
    return out


class NoEmbeddings(StorylineError):
    """Semantic search was asked of a database without (matching) stored embeddings."""


def require_embeddings(store: Store) -> dict[str, int]:
    """``{model: n}`` of the stored article embeddings; :class:`NoEmbeddings` when there are none (checked before
    an encoder is loaded, which takes seconds)."""
    models = store.embedding_models()
    if not models:
        raise NoEmbeddings("semantic search needs stored article embeddings and this database has none (they are "
                           "stored when articles are ingested with cluster.profile=default); use mode fts")
    return models


def search_stories(store: Store, q: str, *, mode: str = "fts", filters: SearchFilters | None = None,
                   limit: int = 20, encoder: Any = None,
                   matrix: Callable[[str], tuple[list[str], Any]] | None = None) -> dict[str, Any]:
    """Stories matching ``q``, best first, each with its matching articles (copies folded under their origin).

    ``{"query", "mode", "filters", "stories": [{id, headline, n_articles, n_sources, sources, first_seen,
    last_seen, score, articles: [{id, source, title, date, lang, score, snippet, snippet_parts, copies}]}]}``.
    A story's score is its best article's: BM25 (higher is better) in ``fts`` mode, cosine similarity in
    ``semantic`` mode. ``encoder`` (semantic mode) embeds the query; ``matrix(model)`` may supply cached
    ``(ids, matrix)`` of the stored embeddings.
    """
    f = filters or SearchFilters()
    f = SearchFilters(_utc(f.since), _utc(f.until), f.source or None, f.lang or None, f.min_sources)
    if mode not in MODES:
        raise StorylineError(f"search mode must be one of {list(MODES)}, got {mode!r}")
    if f.min_sources < 0:
        raise StorylineError(f"min_sources must be 0 or more, got {f.min_sources}")
    if f.since and f.until and f.since > f.until:
        raise StorylineError(f"since ({f.since.isoformat()}) is after until ({f.until.isoformat()}); swap them")
    out: dict[str, Any] = {"query": q, "mode": mode, "filters": f.as_dict(), "stories": []}
    if not q.strip() or (mode == "fts" and not _HAS_WORD.search(q)):  # '"', '***', '-': nothing to look for
        return out
    pool = max(50, limit * POOL_PER_STORY)
    if mode == "fts":
        hits = _fts_hits(store, q, f, pool)
    else:
        if encoder is None:
            raise StorylineError("semantic search needs an encoder for the query")
        hits = _semantic_hits(store, q, f, pool, encoder, matrix)
    hits = [h for h in hits if h["story_id"] is not None]
    for h in hits:
        h["score"] = round(h["score"], 4)
        h["date"] = from_iso(h["date"]) if isinstance(h["date"], str) else h["date"]
        h["snippet"] = "".join(f"[{p['text']}]" if p["match"] else p["text"] for p in h["snippet_parts"])
        h["copies"] = []
    _fold_copies(store, hits)
    order: list[str] = []
    by_story: dict[str, list[dict[str, Any]]] = {}
    for h in hits:
        if h["story_id"] not in by_story:
            order.append(h["story_id"])
        by_story.setdefault(h["story_id"], []).append(h)
    summaries = store.story_summaries(order)
    for sid in order:
        s = summaries.get(sid)
        if s is None or s["n_sources"] < f.min_sources:
            continue
        arts = by_story[sid]
        out["stories"].append({**s, "score": max(a["score"] for a in arts), "articles": arts})
        if len(out["stories"]) == limit:
            break
    return out


def _fold_copies(store: Store, hits: list[dict[str, Any]]) -> None:
    """Move each hit that is a copy or rewrite of another hit (copies table), or that repeats another hit's title
    from another outlet of the same story, into that hit's ``copies``; the first (best-ranked) one stays."""
    origins = store.copy_origins(h["id"] for h in hits)
    keep: dict[str, dict[str, Any]] = {}
    by_title: dict[tuple[str, str], dict[str, Any]] = {}
    dropped = []
    for h in hits:
        origin = origins.get(h["id"])
        head = keep.get(origin[0]) if origin else None
        title_key = (h["story_id"], " ".join(h["title"].casefold().split()))
        if head is None:
            head = by_title.get(title_key)
        if head is None:  # an origin listed after its copy: the copy, ranked higher, stays the head
            for k, v in origins.items():
                if v[0] == h["id"] and k in keep:
                    head = keep[k]
                    break
        if head is not None:
            head["copies"].append({"id": h["id"], "source": h["source"], "score": h["score"],
                                   "relation": origin[1] if origin else "same title"})
            dropped.append(h)
            continue
        keep[h["id"]] = h
        by_title.setdefault(title_key, h)
    for h in dropped:
        hits.remove(h)


# -- entities ---------------------------------------------------------------------------------------------------
_EDGE = " \t\n,;:·•-–—/\\|\"'“”‘’«»*_"
_JUNK = re.compile(r"^(?:copyright\b|©|\(c\)\s|all rights reserved|reporting by\b|editing by\b|writing by\b|"
                   r"additional reporting\b|photo(?:graph)?s?\s*(?:by|:)|image:|source:)", re.IGNORECASE)
_LABEL_ORDER = {"person": 0, "organisation": 1, "place": 2}
# words that end no name: a name run that ends with one was cut mid-phrase ("Vellmar Dock and", "Kommission des")
_CONNECTORS = frozenset("and of the for to in on at by y e et und de del des der die das zur zum la le el los las "
                        "al".split())


def clean_entity_text(text: str) -> str | None:
    """The entity's name without stray edge punctuation, unbalanced brackets ("(Meridian Press" → "Meridian Press")
    and a trailing connector word ("Vellmar Dock and" → "Vellmar Dock"); None for a credit or copyright line, text
    with no letter or no capital (in a script with case), or a short capitalised word that is no acronym ("Un")."""
    t = " ".join(text.split()).strip(_EDGE)
    while t and t[0] in "([{" and not any(c in t for c in ")]}"):
        t = t[1:].strip(_EDGE)
    while t and t[-1] in ")]}" and not any(c in t for c in "([{"):
        t = t[:-1].strip(_EDGE)
    if t.lower().startswith("the ") and len(t) > 4:
        t = t[4:]
    words = t.split()
    while len(words) > 1 and words[-1].lower() in _CONNECTORS:  # "Vellmar Dock and" → "Vellmar Dock"
        words.pop()
    t = " ".join(words).strip(_EDGE)
    if not t or not any(c.isalpha() for c in t) or _JUNK.match(t) or len(t) < 2:
        return None
    if t == t.lower() and t != t.upper():  # no capital at all in a cased script: "city council", "al menos"
        return None
    if len(words) == 1 and len(t) < 4 and t != t.upper():  # "Un", "Las": a sentence's first word, not a name
        return None  # (acronyms stay: "UN", "EU", "BBC")
    return t


def entity_chips(entities: Sequence[Mapping[str, Any]], outlets: Sequence[str] = ()) -> list[dict[str, Any]]:
    """A story view's ``entities`` (``{text, label, count, by_source}``) merged into chips, most widely reported
    first: ``{text, label, count, n_sources, by_source, variants}``.

    The rule: (1) names equal after cleaning (:func:`clean_entity_text`) and case-folding are one entity, whatever
    label each mention got (an extractor calls "Ostrel" a place in one sentence and an organisation in the next);
    the chip takes the label with most mentions. (2) A one-word name that is the last word of exactly one longer
    person name in the story is that person ("Valcourt" → "Irena Valcourt"); with two candidates ("Irena Valcourt",
    "Marc Valcourt") it stays apart, since either could be meant. Outlets of the story named as entities (a
    credit line, a desk tag) are left out: they say who reported, not who the story is about.
    """
    skip = {o.casefold() for o in outlets if o}
    groups: dict[str, dict[str, Any]] = {}
    for e in entities:
        text = clean_entity_text(str(e.get("text") or ""))
        if text is None or text.casefold() in skip:
            continue
        g = groups.setdefault(text.casefold(), {"surfaces": {}, "labels": {}, "count": 0, "by_source": {}})
        n = int(e.get("count") or 0)
        g["surfaces"][text] = g["surfaces"].get(text, 0) + n
        label = str(e.get("label") or "other")
        g["labels"][label] = g["labels"].get(label, 0) + n
        g["count"] += n
        for src, k in (e.get("by_source") or {}).items():
            g["by_source"][src] = g["by_source"].get(src, 0) + int(k)

    def label_of(g: dict[str, Any]) -> str:
        return min(g["labels"], key=lambda lab: (-g["labels"][lab], _LABEL_ORDER.get(lab, 9), lab))

    people_by_last: dict[str, list[str]] = {}
    for key, g in groups.items():
        words = key.split()
        if len(words) >= 2 and label_of(g) == "person":
            people_by_last.setdefault(words[-1], []).append(key)
    for key in list(groups):
        if len(key.split()) == 1 and len(people_by_last.get(key, ())) == 1:
            into = groups[people_by_last[key][0]]
            g = groups.pop(key)
            for s, n in g["surfaces"].items():
                into["surfaces"][s] = into["surfaces"].get(s, 0) + n
            into["count"] += g["count"]
            for src, k in g["by_source"].items():
                into["by_source"][src] = into["by_source"].get(src, 0) + k
    chips = []
    for g in groups.values():
        surfaces = sorted(g["surfaces"], key=lambda s: (-len(s.split()), -g["surfaces"][s], s))
        chips.append({"text": surfaces[0], "label": label_of(g), "count": g["count"],
                      "n_sources": len(g["by_source"]), "by_source": dict(sorted(g["by_source"].items())),
                      "variants": surfaces[1:]})
    chips.sort(key=lambda c: (-c["n_sources"], -c["count"], c["text"]))
    return chips


def entity_stories(store: Store, name: str, limit: int = 50) -> dict[str, Any]:
    """The stories whose current articles mention ``name`` (its words in a row), latest first, each with how many
    of its articles do."""
    text = clean_entity_text(name)
    if text is None:
        raise StorylineError(f"{name!r} is not an entity name (no letters, or a credit line); entity pages are "
                             "linked from a story page's chips")
    hits = store.stories_mentioning(text, limit=max(200, limit * 20))
    summaries = store.story_summaries(hits)
    rows = []
    for sid, arts in hits.items():
        s = summaries.get(sid)
        if s is not None:
            rows.append({**s, "n_mentioning": len(arts), "article_ids": arts})
    epoch = datetime.min.replace(tzinfo=timezone.utc)
    rows.sort(key=lambda r: (r["last_seen"] or epoch, r["id"]), reverse=True)
    return {"name": text, "stories": rows[:limit], "n_stories": len(rows)}


# Related stories: how fast closeness in time fades. A week: the demo corpus' and the seeds' stories run one to
# four days, follow-ups of one event (a strike and its end, a quake and the ferries resuming) come within days.
RELATED_TIME_SCALE_DAYS = 7.0
RELATED_TOP_ENTITIES = 8  # the story's most widely reported entities that are compared


def _day_gap(a: Mapping[str, Any], b: Mapping[str, Any]) -> float:
    """Days between two stories' date ranges (0 when they overlap; unknown dates count as far apart)."""
    a0, a1, b0, b1 = a.get("first_seen"), a.get("last_seen"), b.get("first_seen"), b.get("last_seen")
    if None in (a0, a1, b0, b1):
        return 10 * RELATED_TIME_SCALE_DAYS
    if a1 < b0:
        return (b0 - a1).total_seconds() / 86400
    if b1 < a0:
        return (a0 - b1).total_seconds() / 86400
    return 0.0


def related_stories(store: Store, story: Mapping[str, Any], chips: Sequence[Mapping[str, Any]],
                    limit: int = 5, n_total: int | None = None) -> list[dict[str, Any]]:
    """Other stories sharing entities with ``story`` (``{id, first_seen, last_seen}``), best first.

    Score = Σ over shared entities of log(1 + N / stories mentioning it) — a rare name shared says more than a
    country every story mentions — times exp(-days apart / RELATED_TIME_SCALE_DAYS). Each row names the shared
    entities, so a reader sees why it is there. ``n_total``: the number of current stories, when the caller has it
    (a count over the whole store, 10-40 ms on 10,000 articles, otherwise)."""
    n_total = max(store.count_stories(current=True) if n_total is None else n_total, 1)
    shared: dict[str, list[str]] = {}
    weight: dict[str, float] = {}
    for chip in list(chips)[:RELATED_TOP_ENTITIES]:
        hits = store.stories_mentioning(chip["text"], limit=2000)
        hits.pop(story["id"], None)
        if not hits:
            continue
        w = math.log(1 + n_total / (len(hits) + 1))
        for sid in hits:
            shared.setdefault(sid, []).append(chip["text"])
            weight[sid] = weight.get(sid, 0.0) + w
    summaries = store.story_summaries(shared)
    rows = []
    for sid, names in shared.items():
        s = summaries.get(sid)
        if s is None:
            continue
        gap = _day_gap(story, s)
        score = weight[sid] * math.exp(-gap / RELATED_TIME_SCALE_DAYS)
        rows.append({**s, "shared": names, "days_apart": round(gap, 1), "score": round(score, 3)})
    rows.sort(key=lambda r: (-r["score"], r["id"]))
    return rows[:limit]
