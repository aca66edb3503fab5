"""Split an article's text into segments for highlighting, without ever producing markup from article text:
the template escapes each segment and wraps it in a ``<mark>`` when spans cover it."""

from __future__ import annotations

from typing import Any, Sequence


def segments(text: str, spans: Sequence[dict[str, Any]],
             highlight: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """``[{"text", "kinds": [...], "labels": [...], "anchor": bool}]`` covering ``text`` exactly, in order.

    ``spans`` are ``{"start", "end", "kind", "label"}``; ``highlight`` (``{"start", "end"}``) adds kind ``hl`` and
    puts the page anchor (``#hl``) on its first segment.
    """
    marks = [dict(s) for s in spans]
    if highlight is not None:
        marks.append({"start": highlight["start"], "end": highlight["end"], "kind": "hl",
                      "label": "the cited span"})
    cuts = {0, len(text)}
    for m in marks:
        cuts.add(max(0, min(len(text), m["start"])))
        cuts.add(max(0, min(len(text), m["end"])))
    points = sorted(cuts)
    out: list[dict[str, Any]] = []
    anchored = False
    for a, b in zip(points, points[1:]):
        cover = [m for m in marks if m["start"] <= a and b <= m["end"]]
        kinds = sorted({m["kind"] for m in cover})
        labels = sorted({m["label"] for m in cover})
        anchor = "hl" in kinds and not anchored
        anchored = anchored or anchor
        out.append({"text": text[a:b], "kinds": kinds, "labels": labels, "anchor": anchor})
    return out
