"""What the story page shows, in the reader's order, prepared from the story's data (``/api/stories/{id}``).

The story view's keys differ between builds: newer ones add ``agreements``, ``latest``, ``conflicts[].kind``
(dispute | update | agree), quote ``kind`` direct | reported and ``coverage`` by outlet attribute. Each part here
is built from the newer key when it is present and non-empty and falls back to the older one (``summary`` for what
agrees, every conflict a dispute) otherwise, so the page renders either. Nothing is invented: a part with no data
is ``None`` or empty and the page says so.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Mapping, Sequence

# how many items a section shows before the rest folds into a <details>
FOLD_AFTER = 6


def _kind(conflict: Mapping[str, Any]) -> str:
    k = conflict.get("kind")
    return k if k in ("dispute", "update", "agree") else "dispute"  # the older view: every conflict is a dispute


def _date_of(article_id: str | None, articles: Mapping[str, Mapping[str, Any]]) -> Any:
    a = articles.get(article_id or "")
    return a.get("date") if a else None


def _as_dt(d: Any) -> datetime | None:
    if d is None:
        return None
    if isinstance(d, str):
        try:
            d = datetime.fromisoformat(d)
        except ValueError:
            return None
    if isinstance(d, datetime):
        return d if d.tzinfo else d.replace(tzinfo=timezone.utc)
    return None


def _update(conflict: Mapping[str, Any], articles: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """A dated progression: the values in publication order (undated last)."""
    far = datetime.max.replace(tzinfo=timezone.utc)
    values = [dict(v, date=_as_dt(v.get("date")) or _as_dt(_date_of(v.get("article_id"), articles)))
              for v in conflict.get("values") or []]
    values.sort(key=lambda v: v["date"] or far)
    return {**conflict, "values": values}


def _agreement(a: Mapping[str, Any]) -> dict[str, Any] | None:
    """One agreed statement: its text and citation (the first item) and who else reports it."""
    items = [dict(i) for i in (a.get("items") or a.get("support") or []) if isinstance(i, Mapping)]
    # the cited span is the item of the agreement's own article (its top level names the article, not the span)
    lead = next((i for i in items if a.get("article_id") and i.get("article_id") == a.get("article_id")), None)
    lead = lead or (items[0] if items else (dict(a) if a.get("start") is not None else None))
    if lead is None or not (a.get("text") or lead.get("text")):
        return None
    others = [i for i in items if i.get("article_id") != lead.get("article_id")]
    sources = list(a.get("sources") or [])
    return {"text": a.get("text") or lead.get("text"), "article_id": lead.get("article_id"),
            "source": lead.get("source"), "start": lead.get("start"), "end": lead.get("end"),
            "relation": a.get("relation") or lead.get("relation"), "others": others,
            "sources": sources or sorted({i.get("source") for i in [lead, *others] if i.get("source")})}


def _speaker_groups(quotes: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}
    for q in quotes:
        who = (q.get("speaker") or "").strip() or "Unattributed"
        g = groups.setdefault(who.casefold(), {"speaker": who, "quotes": [], "direct": 0, "reported": 0,
                                               "sources": set()})
        kind = "direct" if q.get("kind") in (None, "direct") else "reported"  # indirect (older view) = reported
        g["quotes"].append({**q, "kind": kind})
        g[kind] += 1
        if q.get("source"):
            g["sources"].add(q["source"])
    # "Valcourt" is "Irena Valcourt" when she is the only speaker of the story with that surname (the rule of
    # storyline.search.entity_chips)
    by_last: dict[str, list[str]] = {}
    for key in groups:
        if len(key.split()) >= 2:
            by_last.setdefault(key.split()[-1], []).append(key)
    for key in list(groups):
        if len(key.split()) == 1 and len(by_last.get(key, ())) == 1:
            g, into = groups.pop(key), groups[by_last[key][0]]
            into["quotes"] += g["quotes"]
            into["direct"] += g["direct"]
            into["reported"] += g["reported"]
            into["sources"] |= g["sources"]
    out = []
    for g in groups.values():
        g["sources"] = sorted(g["sources"])
        out.append(g)
    out.sort(key=lambda g: (g["speaker"] == "Unattributed", -len(g["sources"]), -len(g["quotes"]), g["speaker"]))
    return out


def _by_outlet(unique: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for u in unique:
        groups.setdefault(u.get("source") or "unknown outlet", []).append(u)
    return [{"source": s, "items": items} for s, items in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))]


def prepare(payload: Mapping[str, Any], view: Mapping[str, Any] | None) -> dict[str, Any]:
    """The page's parts: ``glance`` (the header counts), ``latest``, ``disputes``, ``updates``, ``agreed_figures``,
    ``agreements`` (or ``summary`` as fallback), ``unique_by_outlet``, ``speakers``, ``sources``, ``coverage``."""
    v = dict(view or {})
    articles = {a["id"]: a for a in payload.get("articles") or []}
    conflicts = list(v.get("conflicts") or [])
    disputes = [c for c in conflicts if _kind(c) == "dispute"]
    updates = [_update(c, articles) for c in conflicts if _kind(c) == "update"]
    agreed_figures = [c for c in conflicts if _kind(c) == "agree"]
    agreements = [a for a in (_agreement(x) for x in v.get("agreements") or [] if isinstance(x, Mapping)) if a]
    unique = list(v.get("unique") or [])
    counts = v.get("counts") or {}
    unique_total = counts.get("unique_total", len(unique)) if isinstance(counts, Mapping) else len(unique)
    latest = v.get("latest") if isinstance(v.get("latest"), Mapping) and v["latest"].get("text") else None
    n_sources = len(payload.get("sources") or [])
    glance = {
        "sources": n_sources,
        "independent": v.get("independent_sources"),
        "disputes": len(disputes) if view else None,
        "updates": len(updates),
        "unique": unique_total if view else None,
        "updated": _as_dt(payload.get("last_seen")),
    }
    return {
        "glance": glance,
        "latest": latest,
        "disputes": disputes,
        "updates": updates,
        "agreed_figures": agreed_figures,
        "agreements": agreements,
        "summary": list(v.get("summary") or []),
        "unique_by_outlet": _by_outlet(unique),
        "unique_shown": len(unique),
        "unique_total": unique_total,
        "speakers": _speaker_groups(list(v.get("quotes") or [])),
        "sources": list(v.get("sources") or []),
        "provenance": list(v.get("provenance") or []),
        "coverage": v.get("coverage") or None,
        "timeline_events": list(v.get("timeline") or []),
        "fold_after": FOLD_AFTER,
    }
