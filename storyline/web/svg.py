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


# tick steps the timeline chooses from (seconds): the smallest giving at most MAX_TICKS ticks
TICK_STEPS = (3600, 2 * 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 7 * 86400, 14 * 86400, 30 * 86400)
MAX_TICKS = 7
CHAR_W = 6.6  # average width of a 12 px system-font character, for fitting lane labels into the left margin


def _fit(label: str, max_chars: int) -> str:
    return label if len(label) <= max_chars else label[:max_chars - 1].rstrip() + "…"


def timeline(articles: Sequence[dict[str, Any]], width: int = 720, lane: int = 26,
             left: int = 150, right: int = 16, max_ticks: int = MAX_TICKS) -> dict[str, Any]:
    """One lane per source, one dot per dated article at its publication time, time ticks along the bottom.

    Ticks are hours for a story of a day or less (so a one-day story has axis labels), days or weeks for longer
    ones; the first and last tick labels are anchored inside the plot, and a lane label longer than the left
    margin is shortened with "…" (the dot's tooltip keeps the full name)."""
    dated = [(a, _ts(a.get("date"))) for a in articles]
    undated = [a for a, t in dated if t is None]
    dated = [(a, t) for a, t in dated if t is not None]
    sources = sorted({a["source"] for a, _ in dated})
    longest = max((len(s) for s in sources), default=0)
    left = int(min(left, max(48, longest * CHAR_W + 14)))
    max_chars = max(4, int((left - 14) / CHAR_W))
    top = 8
    height = top + lane * max(len(sources), 1) + 28
    out: dict[str, Any] = {"width": width, "height": height, "lanes": [], "dots": [], "ticks": [],
                           "undated": [{"id": a["id"], "source": a["source"], "title": a["title"]} for a in undated],
                           "plot_left": left, "plot_right": width - right, "axis_y": height - 22}
    if not dated:
        return out
    t0, t1 = min(t for _, t in dated), max(t for _, t in dated)
    span = max(t1 - t0, 3 * 3600.0)  # a single instant still gets a few hours of axis around it
    mid = (t0 + t1) / 2 if t1 - t0 < 3 * 3600 else None
    if mid is not None:
        t0, t1 = mid - span / 2, mid + span / 2
    t0 -= span * 0.04
    t1 = t0 + span * 1.08
    # the axis stays within the dates Python can name (a feed's "0001-01-01" is a real, if wrong, date)
    lo = datetime(1, 1, 1, tzinfo=timezone.utc).timestamp()
    hi = datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc).timestamp()
    if t0 < lo:
        t0, t1 = lo, min(hi, t1 + (lo - t0))
    if t1 > hi:
        t0, t1 = max(lo, t0 - (t1 - hi)), hi
    plot_w = width - left - right

    def x_of(t: float) -> float:
        return round(left + plot_w * (t - t0) / (t1 - t0), 2)

    for i, s in enumerate(sources):
        out["lanes"].append({"y": top + lane * i + lane / 2, "label": _fit(s, max_chars), "full": s})
    lane_y = {s: top + lane * i + lane / 2 for i, s in enumerate(sources)}
    for a, t in sorted(dated, key=lambda p: p[1]):
        when = datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        out["dots"].append({"x": x_of(t), "y": lane_y[a["source"]], "id": a["id"],
                            "label": f"{a['source']}, {when}: {a['title']}"})
    ticks_fit = max(2, min(max_ticks, int(plot_w // 70)))  # a label needs ~70 px

    def n_ticks(step: int) -> int:
        return int(t1 // step) - int(t0 // step)

    step = next((s for s in TICK_STEPS if n_ticks(s) <= ticks_fit), TICK_STEPS[-1])
    while n_ticks(step) > ticks_fit:
        step *= 2
    first = int(t0 // step + 1) * step
    prev_day = None
    for d in range(first, int(t1) + 1, step):
        at = datetime.fromtimestamp(d, timezone.utc)
        if step >= 86400:
            label = at.strftime("%b %d")
        elif at.date() != prev_day:
            label = at.strftime("%b %d %H:%M")
        else:
            label = at.strftime("%H:%M")
        prev_day = at.date()
        x = x_of(d)
        half = len(label) * CHAR_W / 2
        anchor = "start" if x - half < left else "end" if x + half > width - right else "middle"
        out["ticks"].append({"x": x, "label": label, "anchor": anchor})
    return out
