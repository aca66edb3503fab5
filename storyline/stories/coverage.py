"""Coverage of a story by outlet attribute, and the registered outlets that missed a story their peers covered.

``story_coverage(store, articles)`` reads the outlet registry (storyline/outlets.py) and answers, for one story:

* ``outlets``: each outlet that covered it (articles, whether registered, its attributes), plus the agencies only
  credited in a desk tag (``credited_only``): they contributed, but published nothing of their own here;
* ``by``: for each attribute (country, kind, language, owner, and each attribute the user registered), which
  outlets covered the story per value — ``"unregistered"`` for an outlet not in the registry, ``"unspecified"`` for
  a registered outlet without that attribute;
* ``missing``: registered outlets that did not cover the story although many of their *peers* did. Peers are the
  other registered outlets of the same kind and the same country. An outlet is listed when at least
  ``outlets.peer_min_covering`` of its peers covered the story, they are at least ``outlets.peer_share`` of its
  peers, and the outlet itself has an article dated within ``outlets.active_window_days`` of the story's first or
  last article (else it is absent from the data at that time, not from the story). An outlet without a kind or a
  country has no peers and is never listed. Without a registry, ``by`` has only "unregistered" and ``missing`` is
  empty.

Articles of an unknown outlet are counted in ``unknown_articles`` and are no outlet. docs/outlets.md.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Sequence

from ..errors import ConfigError
from ..outlets import CORE_ATTRIBUTES, Registry
from ..records import UNKNOWN_OUTLET, Article
from ..settings import OutletsSettings, Settings

UNREGISTERED = "unregistered"
UNSPECIFIED = "unspecified"


def _outlets_settings(settings: Any) -> OutletsSettings:
    s = settings.outlets if isinstance(settings, Settings) else settings
    s = s if isinstance(s, OutletsSettings) else OutletsSettings()
    if not 0.0 <= s.peer_share <= 1.0:
        raise ConfigError(f"outlets.peer_share must be in [0, 1], got {s.peer_share}; e.g. 0.5 (half the peers)")
    return s


def story_coverage(store: Any, articles: Sequence[Article], settings: Any = None) -> dict[str, Any]:
    """Coverage of the story made of ``articles`` (its current articles) by outlet attribute; see the module."""
    s = _outlets_settings(settings)
    registry = store.outlet_registry()
    dates = [a.date for a in articles if a.date is not None]
    if dates:
        window = timedelta(days=s.active_window_days)
        active = store.outlets_active_between(min(dates) - window, max(dates) + window)
    else:
        active = set(store.outlet_counts())
    return coverage_of(articles, registry, active, s)


def coverage_of(articles: Sequence[Article], registry: Registry, active: set[str],
                settings: OutletsSettings | None = None) -> dict[str, Any]:
    """The pure part of :func:`story_coverage`: ``active`` names the outlets with an article near the story's
    dates."""
    s = _outlets_settings(settings)
    counts: dict[str, int] = {}
    unknown = 0
    for a in articles:
        if a.source == UNKNOWN_OUTLET:
            unknown += 1
        else:
            counts[a.source] = counts.get(a.source, 0) + 1
    credited: dict[str, int] = {}
    for a in articles:
        for name in registry.canonical_agencies(a.extra.get("credited") or ()):
            if name not in counts:
                credited[name] = credited.get(name, 0) + 1
    user_attrs = sorted({k for o in registry.outlets.values() for k in o.attributes})
    attrs = [*CORE_ATTRIBUTES, *user_attrs]
    outlets = []
    for name in sorted(counts, key=lambda n: (-counts[n], n.casefold())):
        o = registry.outlets.get(name)
        outlets.append({"name": name, "articles": counts[name], "registered": o is not None, "credited_only": False,
                        **{k: (o.attribute(k) if o else None) for k in attrs}})
    for name in sorted(credited, key=str.casefold):
        o = registry.outlets.get(name)
        outlets.append({"name": name, "articles": 0, "credited_in": credited[name], "registered": o is not None,
                        "credited_only": True, **{k: (o.attribute(k) if o else None) for k in attrs}})
    by: dict[str, list[dict[str, Any]]] = {}
    for attr in attrs:
        groups: dict[str, list[str]] = {}
        for name in counts:
            o = registry.outlets.get(name)
            value = (o.attribute(attr) or UNSPECIFIED) if o else UNREGISTERED
            groups.setdefault(value, []).append(name)
        by[attr] = [{"value": v, "outlets": sorted(ns, key=str.casefold), "articles": sum(counts[n] for n in ns)}
                    for v, ns in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0].casefold()))]
    return {"outlets": outlets, "by": by, "missing": _missing(counts, credited, registry, active, s),
            "unknown_articles": unknown, "registered": len(registry),
            "peers": "registered outlets of the same kind and country"}


def _missing(counts: dict[str, int], credited: dict[str, int], registry: Registry, active: set[str],
             s: OutletsSettings) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str], list[str]] = {}
    for o in registry.outlets.values():
        if o.kind and o.country:
            groups.setdefault((o.kind.casefold(), o.country.casefold()), []).append(o.name)
    out = []
    for o in registry.outlets.values():
        if o.name in counts or o.name in credited or o.name not in active or not (o.kind and o.country):
            continue
        peers = [p for p in groups[(o.kind.casefold(), o.country.casefold())] if p != o.name]
        covering = sorted((p for p in peers if p in counts), key=str.casefold)
        if peers and len(covering) >= max(1, s.peer_min_covering) and len(covering) / len(peers) >= s.peer_share:
            out.append({"outlet": o.name, "kind": o.kind, "country": o.country, "peers": len(peers),
                        "peers_covering": covering})
    out.sort(key=lambda m: (-len(m["peers_covering"]) / m["peers"], m["outlet"].casefold()))
    return out
