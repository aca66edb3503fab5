"""Variants of a labelled set: the same stories as a real stream might carry them (bench/robustness.py).

Each variant maps one labelled record (a dict with ``id``, ``cluster``, ``date``, ``source``, ``title``, ``text``) to
another; the gold label and the id are never changed. Randomised variants are seeded per record (by its id and the
seed), so a record gets the same treatment whatever file order it comes in.
"""

from __future__ import annotations

import hashlib
import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from ..errors import StorylineError
from ..normalize import derive_headline

Record = dict[str, Any]

# the variants of bench/robustness.py, in table order ("full" = the full text where a record has one: the
# ``full_text`` field if present, else its ``text``, which is what the two sets in ../shared/data carry)
VARIANTS = ("given", "headline", "lead", "full", "undated", "spread", "crowd1", "crowd3", "no-outlet", "years",
            "dated")
LABELS = {
    "given": "as given",
    "headline": "headline only",
    "lead": "title + first sentence",
    "full": "full text where present",
    "undated": "dates removed",
    "spread": "dates spread (uniform 0-2 d)",
    "crowd1": "crowded: all in 1 d",
    "crowd3": "crowded: all in 3 d",
    "no-outlet": "outlets unknown",
    "spread4": "dates spread (uniform 0-4 d)",
    "years": "sparse: stories over 5 years",
    "dated": "undated records dated (stories over half a year)",
}


def _rng(rec: Record, seed: int) -> random.Random:
    h = hashlib.blake2b(f"{seed}\x00{rec.get('id')}".encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(h, "big"))


def spread_date(rec: Record, kind: str, days: float, seed: int) -> Record:
    """``rec`` with its date moved later by a seeded random delay: uniform over [0, days] or exponential with mean
    ``days`` (an undated record stays undated)."""
    if not rec.get("date") or kind == "none":
        return rec
    rng = _rng(rec, seed)
    shift = rng.uniform(0.0, days) if kind == "uniform" else rng.expovariate(1.0 / days)
    return {**rec, "date": (datetime.fromisoformat(rec["date"]) + timedelta(days=shift)).isoformat()}


# the common start of the crowded variants: every story's reports fall in the same few days after it
CROWD_START = datetime(2021, 1, 4, tzinfo=timezone.utc)


def crowd_date(rec: Record, days: float, seed: int) -> Record:
    """``rec`` re-dated to a seeded uniform time within ``days`` of :data:`CROWD_START`, whatever its story: many
    unrelated stories share the same days, as in an aggregator's stream (an undated record stays undated)."""
    if not rec.get("date"):
        return rec
    shift = _rng(rec, seed).uniform(0.0, days)
    return {**rec, "date": (CROWD_START + timedelta(days=shift)).isoformat()}


YEARS_DAYS = 5 * 365


def years_date(rec: Record, seed: int) -> Record:
    """``rec`` in a sparse stream of five years: every story moved by its own seeded offset (uniform over
    :data:`YEARS_DAYS` days, the same for all its reports, drawn from the story's label), each report then a seeded
    0-2 days later — the reports of one event stay together, the events thin out (an undated record stays
    undated). The stream the issue's full-text sets of reports spread over years look like."""
    if not rec.get("date"):
        return rec
    story = hashlib.blake2b(f"{seed}\x00story\x00{rec.get('cluster')}".encode(), digest_size=8).digest()
    offset = random.Random(int.from_bytes(story, "big")).uniform(0.0, YEARS_DAYS)
    shift = offset + _rng(rec, seed).uniform(0.0, 2.0)
    return {**rec, "date": (datetime.fromisoformat(rec["date"]) + timedelta(days=shift)).isoformat()}


# the span and start of the dated variant: an undated set's stories spread over half a year, as allsides-2021's
# 505 stories are (April-October 2021); neus-train's 2,452 stories then come about 13 a day
DATED_DAYS = 190
DATED_START = datetime(2021, 4, 1, tzinfo=timezone.utc)


def dated_date(rec: Record, seed: int) -> Record:
    """An undated ``rec`` given a date: its story's seeded day within :data:`DATED_DAYS` of :data:`DATED_START` (drawn
    from the story's label, the same for all its reports), the report a seeded 0-2 days later — an undated set
    (neus-train) as a dated stream, for training the join models on dated streams of another set than
    allsides-2021. A dated record keeps its date."""
    if rec.get("date"):
        return rec
    story = hashlib.blake2b(f"{seed}\x00dated\x00{rec.get('cluster')}".encode(), digest_size=8).digest()
    offset = random.Random(int.from_bytes(story, "big")).uniform(0.0, DATED_DAYS)
    shift = offset + _rng(rec, seed).uniform(0.0, 2.0)
    return {**rec, "date": (DATED_START + timedelta(days=shift)).isoformat()}


def first_sentence(text: str) -> str:
    return derive_headline(text or "", max_chars=400) if (text or "").strip() else ""


def variant(rec: Record, name: str, seed: int = 1) -> Record:
    """``rec`` as the variant ``name`` (one of :data:`VARIANTS`) carries it."""
    if name == "given":
        return rec
    if name == "headline":
        return {**rec, "text": ""}
    if name == "lead":
        return {**rec, "text": first_sentence(rec.get("text") or "")}
    if name == "full":
        return {**rec, "text": rec.get("full_text") or rec.get("text") or ""}
    if name == "undated":
        return {**rec, "date": None}
    if name == "spread":
        return spread_date(rec, "uniform", 2.0, seed)
    if name == "spread4":  # a wider spread, for training (stories whose reports run over several days)
        return spread_date(rec, "uniform", 4.0, seed)
    if name == "crowd1":
        return crowd_date(rec, 1.0, seed)
    if name == "crowd3":
        return crowd_date(rec, 3.0, seed)
    if name == "no-outlet":
        return {**rec, "source": None}
    if name == "years":
        return years_date(rec, seed)
    if name == "dated":
        return dated_date(rec, seed)
    raise StorylineError(f"unknown variant {name!r}; valid variants: {list(VARIANTS) + ['spread4']}")


def compose(names: Iterable[str]) -> Callable[[Record, int], Record]:
    """Apply several variants in turn (``("headline", "undated")``: headline-only and undated)."""
    names = tuple(names)

    def f(rec: Record, seed: int = 1) -> Record:
        for n in names:
            rec = variant(rec, n, seed)
        return rec
    return f


def read_records(path: str | Path) -> Iterator[Record]:
    with Path(path).open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def write_variant(src: str | Path, dst: str | Path, names: str | Iterable[str], seed: int = 1) -> Path:
    """Write the variant(s) of the labelled JSONL ``src`` to ``dst``."""
    f = compose([names] if isinstance(names, str) else names)
    with Path(dst).open("w", encoding="utf-8") as out:
        for rec in read_records(src):
            out.write(json.dumps(f(rec, seed)) + "\n")
    return Path(dst)
