"""Evaluate story clustering on a labelled JSONL stream through the real pipeline.

The file has one article per line, ``{"id", "cluster", "date", "source", "title", "text"}`` (the format of
``../shared/data``); ``cluster`` is the gold story and is used only for scoring. Articles are read with the project's
readers, the gold label is taken out of each record (it never reaches the pipeline, not even in ``extra``), they are
put in arrival order (by date, undated ones last; ties of equal dates and the order of undated items come from a
seeded shuffle, never from ids, which often encode the gold story), and run into a fresh temporary store by :class:`~storyline.pipeline.Pipeline` (normalize → dedupe → cluster → store). The
clock runs around the pipeline only: ingest to stored stories.
"""

from __future__ import annotations

import random
import resource
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from ..errors import StorylineError
from ..ingest import read_paths
from ..normalize import effective_date, normalize
from ..records import Article, RawItem, Rejected
from .metrics import PRF, bcubed, pairwise

if TYPE_CHECKING:
    from ..represent.dense import Encoder
    from ..settings import IngestSettings, Settings

ORDERS = ("time", "shuffled")


@dataclass(frozen=True, slots=True)
class EvalResult:
    path: str
    profile: str
    order: str
    bcubed: PRF
    pairwise: PRF
    n_pred: int
    n_gold: int
    n_articles: int
    seconds: float
    peak_rss_mb: float
    merges: int
    n_rejected: int = 0

    @property
    def articles_per_s(self) -> float:
        return self.n_articles / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "profile": self.profile,
            "order": self.order,
            "bcubed": self.bcubed.as_dict(),
            "pairwise": self.pairwise.as_dict(),
            "n_pred": self.n_pred,
            "n_gold": self.n_gold,
            "n_articles": self.n_articles,
            "articles_per_s": round(self.articles_per_s, 1),
            "seconds": round(self.seconds, 3),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "merges": self.merges,
            "n_rejected": self.n_rejected,
        }


DEFAULT_SEED = 12  # the seeded shuffle that breaks date ties and orders undated items (`storyline eval --seed`)


def _arrival_key(item: RawItem, settings: "IngestSettings | None" = None,
                 now: datetime | None = None) -> tuple[bool, float]:
    dt = effective_date(item.date, settings, now)
    return (dt is None, dt.timestamp() if dt is not None else 0.0)


def arrival_order(items: list[RawItem], seed: int = DEFAULT_SEED, settings: "IngestSettings | None" = None,
                  now: datetime | None = None) -> list[RawItem]:
    """Items in the order a live feed would give: by date, undated last; equal dates and undated items in a seeded
    random order (a stable sort after a shuffle), never by id. A date is the one normalize stores
    (:func:`~storyline.normalize.effective_date`): one too far after ``now`` (default: the UTC wall clock) counts
    as none."""
    out = list(items)
    random.Random(seed).shuffle(out)
    now = datetime.now(timezone.utc) if now is None else now  # one time of ingest for the whole sort
    out.sort(key=lambda item: _arrival_key(item, settings, now))
    return out


def labelled_items(path: str | Path, settings: "Settings") -> tuple[list[RawItem], dict[str, str], list[str]]:
    """Read a labelled JSONL: the raw items, gold story per item id (the ``id`` field), and the records the reader
    rejected (e.g. an empty ``text``), which cannot become articles and are left out of the scores (and counted)."""
    items: list[RawItem] = []
    gold: dict[str, str] = {}
    rejected: list[str] = []
    for it in read_paths([path], settings.ingest):
        if not isinstance(it, RawItem):
            rejected.append(f"{it.ref}: {it.reason}")
            continue
        label = it.extra.get("cluster")
        if it.external_id is None or label is None:
            raise StorylineError(f"{it.origin}: an evaluation record needs 'id' and 'cluster' fields, "
                                 f"got fields {sorted(it.extra)} plus the known ones")
        # the gold label is for scoring only: it never reaches the pipeline
        items.append(replace(it, extra={k: v for k, v in it.extra.items() if k != "cluster"}))
        gold[it.external_id] = str(label)
    if not items:
        raise StorylineError(f"{path}: no articles to evaluate")
    return items, gold, rejected


def evaluate(
    path: str | Path,
    settings: "Settings",
    *,
    encoder: "Encoder | None" = None,
    order: str = "time",
    seed: int = DEFAULT_SEED,
    workdir: str | Path | None = None,
) -> EvalResult:
    """Run ``path`` through the pipeline into a fresh store and score the stories against the gold labels.

    ``order="time"`` feeds them in arrival order (:func:`arrival_order`, ties and undated items shuffled with
    ``seed``); ``order="shuffled"`` in a seeded random order regardless of dates (a check that the clusterer does not
    lean on the order of undated data).
    """
    from ..cluster import make_clusterer
    from ..pipeline import Pipeline
    from ..store import Store

    if order not in ORDERS:
        raise StorylineError(f"order must be one of {list(ORDERS)}, got {order!r}")
    items, gold, rejected = labelled_items(path, settings)
    if order == "time":
        items = arrival_order(items, seed, settings.ingest)
    else:
        random.Random(seed).shuffle(items)
    with tempfile.TemporaryDirectory(dir=workdir, prefix="storyline-eval-") as tmp:
        store = Store(Path(tmp) / "eval.db")
        try:
            clusterer = make_clusterer(settings, encoder)
            if hasattr(clusterer, "warm_up"):
                clusterer.warm_up()  # load the model outside the clock, as a long-running service would have
            pipe = Pipeline(store, settings, clusterer)
            # each item is normalised once, inside the clock, and the pipeline takes the articles as they are (it
            # normalises only raw items); the same articles give the ids the predictions are read by
            normalized: list[str | Rejected] = []  # each item's article id, or why it was rejected

            def feed() -> Iterator[Article | Rejected]:
                for it in items:
                    art = normalize(it, settings.ingest)
                    normalized.append(art if isinstance(art, Rejected) else art.id)
                    yield art

            t0 = time.perf_counter()
            pipe.run(feed(), command=f"eval {path}")
            seconds = time.perf_counter() - t0
            pred_by_article = store.story_of_articles()
            merges = store.count_aliases()
        finally:
            store.close()
    pred: dict[str, str] = {}
    for it, art in zip(items, normalized, strict=True):
        if isinstance(art, Rejected) or art not in pred_by_article:
            raise StorylineError(f"{it.origin}: article {it.external_id!r} was not stored by the pipeline "
                                 f"({getattr(art, 'reason', 'unknown')}); the evaluation needs every article")
        pred[it.external_id] = pred_by_article[art]  # type: ignore[index]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return EvalResult(
        path=str(path), profile=settings.cluster.profile, order=order,
        bcubed=bcubed(pred, gold), pairwise=pairwise(pred, gold),
        n_pred=len(set(pred.values())), n_gold=len(set(gold.values())), n_articles=len(items),
        seconds=seconds, peak_rss_mb=peak, merges=merges, n_rejected=len(rejected),
    )


def with_profile(settings: "Settings", profile: str | None) -> "Settings":
    if profile is None:
        return settings
    return replace(settings, cluster=replace(settings.cluster, profile=profile))
