"""Geometry for the inline SVG charts (a coverage sparkline per story, a timeline per story page).

Only numbers and labels are computed here; the templates draw them, so every label goes through Jinja's escaping.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Sequence


def sparkline(coverage: Sequence[dict[str, Any]], width: int = 96, height: int = 22) -> dict[str, Any]:
    """Bars of articles per day. ``coverage`` is ``[{"day", "n"}]`` (see ``queries.coverage``)."""
    if not coverage:
        return {"width": width, "height": height, "bars": [], "label": "no dated articles"}
    top = max(c["n"] for c in coverage) or 1
    slot = width / len(coverage)
    gap = 1 if slot > 3 else 0
    bars = []
    for i, c in enumerate(coverage):
        h = 0 if c["n"] == 0 else max(2.0, (height - 2) * c["n"] / top)
        bars.append({"x": round(i * slot, 2), "y": round(height - h, 2), "w": round(max(slot - gap, 0.5), 2),
                     "h": round(h, 2), "label": f"{c['day']}: {c['n']} article{'s' if c['n'] != 1 else ''}"})
    total = sum(c["n"] for c in coverage)
    label = f"{total} dated article{'s' if total != 1 else ''} over {len(coverage)} day{'s' if len(coverage) != 1 else ''}"
    return {"width": width, "height": height, "bars": bars, "label": label}


def _ts(d: Any) -> float | None:
    if d is None:
        return None
    if isinstance(d, str):
        d = datetime.fromisoformat(d)
    if d.tzinfo is None:
        d = d.replace(tzinfo=timezone.utc)
    return d.timestamp()


def timeline(articles: Sequence[dict[str, Any]], width: int = 720, lane: int = 26,
             left: int = 150, right: int = 16) -> dict[str, Any]:
    """One lane per source, one dot per dated article at its publication time, day ticks along the bottom."""
    dated = [(a, _ts(a.get("date"))) for a in articles]
    undated = [a for a, t in dated if t is None]
    dated = [(a, t) for a, t in dated if t is not None]
    sources = sorted({a["source"] for a, _ in dated})
    top = 8
    height = top + lane * max(len(sources), 1) + 28
    out: dict[str, Any] = {"width": width, "height": height, "lanes": [], "dots": [], "ticks": [],
                           "undated": [{"id": a["id"], "source": a["source"], "title": a["title"]} for a in undated],
                           "plot_left": left, "plot_right": width - right, "axis_y": height - 22}
    if not dated:
        return out
    t0, t1 = min(t for _, t in dated), max(t for _, t in dated)
    span = (t1 - t0) or 3600.0
    t0 -= span * 0.04
    t1 = t0 + span * 1.08
    plot_w = width - left - right

    def x_of(t: float) -> float:
        return round(left + plot_w * (t - t0) / (t1 - t0), 2)

    for i, s in enumerate(sources):
        out["lanes"].append({"y": top + lane * i + lane / 2, "label": s})
    lane_y = {s: top + lane * i + lane / 2 for i, s in enumerate(sources)}
    for a, t in sorted(dated, key=lambda p: p[1]):
        when = datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        out["dots"].append({"x": x_of(t), "y": lane_y[a["source"]], "id": a["id"],
                            "label": f"{a['source']}, {when}: {a['title']}"})
    day = 86400
    first_day = int(t0 // day + 1) * day
    days = [d for d in range(first_day, int(t1) + 1, day)]
    step = max(1, len(days) // 8)
    for d in days[::step]:
        out["ticks"].append({"x": x_of(d), "label": datetime.fromtimestamp(d, timezone.utc).strftime("%b %d")})
    return out
