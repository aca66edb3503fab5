"""The ingest pipeline: readers → normalize → dedupe → cluster → store, in batches, one transaction per batch.

Every item is accounted for: ``seen == accepted + rejected + duplicates`` for every run (checked by tests).
Observers (e.g. the copy detector) see each stored batch with its assignments, inside the same transaction.
A batch that does not commit leaves no trace in memory either: the clusterer and the observers are rebuilt from the
store (which holds only committed batches), so a rolled-back batch leaves no phantom story or copy-index entry.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field, replace
from typing import Callable, Iterable, Iterator, Protocol, Sequence

from .cluster import Clusterer, make_clusterer
from .headline import story_headline_index
from .normalize import normalize
from .records import UNKNOWN_OUTLET, Article, Assignment, RawItem, Rejected, RunStats, content_id
from .settings import Settings
from .store import Store


class Observer(Protocol):
    """A stage that runs after clustering on each stored batch (inside the batch's transaction)."""

    def observe(self, store: Store, articles: Sequence[Article], assignments: Sequence[Assignment]) -> None: ...


Progress = Callable[[int], None]
# called with each batch's items inside the transaction that stores the batch (the ingest queue marks them done there)
OnCommit = Callable[[list], None]


@dataclass
class Pipeline:
    """Runs items into a store. Collaborators are passed in; :func:`open_pipeline` builds the defaults."""

    store: Store
    settings: Settings = field(default_factory=Settings)
    clusterer: Clusterer | None = None
    observers: list[Observer] = field(default_factory=list)

    def __post_init__(self) -> None:
        # the store's ingest generation, read before restoring: a run another process finishes while this one
        # restores makes it differ, and the next run() restores again (a clusterer passed in is taken as restored)
        self._generation = self.store.ingest_generation()
        self._stale = False  # a batch failed and the in-memory state could not be rebuilt then: rebuild before a run
        if self.clusterer is None:
            self.clusterer = make_clusterer(self.settings).restore(self.store)
        if hasattr(self.clusterer, "observe") and self.clusterer not in self.observers:
            self.observers.insert(0, self.clusterer)  # it persists its per-article embeddings with each batch

    def run(self, items: Iterable[RawItem | Rejected], command: str = "ingest",
            progress: Progress | None = None, *, run_id: int | None = None,
            on_commit: OnCommit | None = None) -> RunStats:
        """Run ``items`` into the store under its ingest lock (one writer at a time per database, across
        processes). If another process ingested since this pipeline's clusterer was restored (or since its own last
        run), the clusterer and the observers are restored first, so every article is clustered against every
        story stored before it.

        ``run_id``: a run queued in the store (:mod:`storyline.store.queue`) to start, or to resume with the counts
        it committed; ``on_commit(batch)`` runs inside each batch's transaction."""
        with self.store.ingest_lock():
            if self._stale or self.store.ingest_generation() != self._generation:
                self._restore()
                self._stale = False
            try:
                return self._run(items, command, progress, run_id, on_commit)
            finally:
                self._generation = self.store.ingest_generation()

    def _restore(self) -> None:
        """Rebuild the clusterer's state (a fresh one of the same kind, same encoder) and the observers' indexes
        from the store: another process has written to it."""
        from .cluster.online import OnlineClusterer

        old = self.clusterer
        if isinstance(old, OnlineClusterer):  # same settings and encoder as the one it replaces
            fresh: Clusterer = OnlineClusterer(old.settings, old.encoder)
        else:
            fresh = make_clusterer(self.settings, encoder=getattr(old, "encoder", None))
        self.clusterer = fresh.restore(self.store)
        self.observers = [self.clusterer if obs is old else obs for obs in self.observers]
        for obs in self.observers:
            if obs is not self.clusterer and hasattr(obs, "restore"):
                obs.restore(self.store)

    def _run(self, items: Iterable[RawItem | Rejected], command: str, progress: Progress | None,
             run_id: int | None = None, on_commit: OnCommit | None = None) -> RunStats:
        if run_id is None:
            run_id = self.store.start_run(command)
            seen = accepted = rejected = duplicates = new_stories = 0
        else:  # a queued run: its counts go on from what it committed before its worker stopped
            was = self.store.begin_queued_run(run_id)
            seen, accepted, rejected, duplicates, new_stories = (was.seen, was.accepted, was.rejected,
                                                                 was.duplicates, was.new_stories)
        batch_size = max(1, self.settings.ingest.batch_size)
        try:
            for batch in _batches(items, batch_size):
                done = RunStats(run_id, seen, accepted, rejected, duplicates, new_stories)
                b_acc, b_rej, b_dup, b_new = self._run_batch(batch, run_id, done, on_commit)
                seen += len(batch)  # counted once its batch is committed, so seen == accepted + rejected + dups
                accepted += b_acc
                rejected += b_rej
                duplicates += b_dup
                new_stories += b_new
                if progress is not None:
                    progress(len(batch))
        except BaseException as e:
            # an unexpected error (or Ctrl-C) still closes the run with what was committed before it, and says why
            why = "interrupted" if isinstance(e, KeyboardInterrupt) else f"{type(e).__name__}: {e}"
            try:
                self.store.finish_run(RunStats(run_id, seen, accepted, rejected, duplicates, new_stories), why)
            except sqlite3.Error:  # the store itself is failing: the original error is the one to report
                pass
            raise
        stats = RunStats(run_id, seen, accepted, rejected, duplicates, new_stories)
        self.store.finish_run(stats)
        return stats

    def _run_batch(self, batch: list[RawItem | Rejected], run_id: int, done: RunStats,
                   on_commit: OnCommit | None = None) -> tuple[int, int, int, int]:
        """Run one batch in one transaction, which also writes the run's counts (``done`` plus this batch's)."""
        rejects: list[tuple[Rejected, str]] = []  # with the content hash of the offending record, where known
        fresh: list[Article] = []
        batch_ids: set[str] = set()
        outlets = self._outlets()
        for item in batch:
            # an Article comes already normalised (a backfill normalises on its workers: storyline/service/)
            out = item if isinstance(item, (Rejected, Article)) else normalize(item, self.settings.ingest)
            if isinstance(out, Rejected):
                rejects.append((out, "" if isinstance(item, Rejected) else _raw_hash(item)))
            else:
                fresh.append(outlets.apply(out))  # an alias or URL host → the registered outlet (docs/outlets.md)
        known = self.store.existing_ids(a.id for a in fresh)
        articles: list[Article] = []
        duplicates = 0
        for a in fresh:
            if a.id in known or a.id in batch_ids:
                duplicates += 1
            else:
                batch_ids.add(a.id)
                articles.append(a)
        articles = self._flag_reused_ids(articles)
        try:
            return self._cluster_and_store(articles, rejects, duplicates, run_id, len(batch), done,
                                           None if on_commit is None else lambda: on_commit(batch))
        except BaseException as e:
            self._discard_uncommitted(e)
            raise

    def _discard_uncommitted(self, error: BaseException) -> None:
        """The batch did not commit (the store rolled it back): the clusterer and the observers drop what it
        added to their in-memory state by being rebuilt from the store. On Ctrl-C (or if the store cannot be read
        now) the rebuild waits for the next run."""
        self._stale = True
        if isinstance(error, Exception):
            try:
                self._restore()
                self._stale = False
            except Exception:  # noqa: BLE001 - the original error is the one to report; the next run rebuilds
                pass

    def _cluster_and_store(self, articles: list[Article], rejects: list[tuple[Rejected, str]], duplicates: int,
                           run_id: int, n_seen: int, done: RunStats,
                           on_commit: Callable[[], None] | None = None) -> tuple[int, int, int, int]:
        """Cluster ``articles`` and store them, the rejects and the run's counts (``done`` plus this batch's
        ``n_seen`` items) in one transaction."""
        assignments = self.clusterer.assign(articles) if articles else []
        new_stories = 0
        with self.store.transaction():
            for r, input_hash in rejects:  # stored once per input; a re-run links the stored row to its run
                self.store.add_reject(r, run_id, input_hash)
            # batched writes (executemany), flushed before each merge so a merge sees every earlier membership
            start = 0
            for i, asg in enumerate(assignments):
                if asg.merged or i == len(assignments) - 1:
                    new_stories += self._write(articles[start:i + 1], assignments[start:i + 1], run_id)
                    start = i + 1
                    for gone in asg.merged:
                        self.store.merge_stories(asg.story_id, gone)
            superseded = self.store.supersede_versions(articles)  # an outlet's newer version replaces the older
            self._refresh_headlines({asg.story_id for asg in assignments if not asg.is_new or asg.merged} | superseded)
            for obs in self.observers:
                obs.observe(self.store, articles, assignments)
            self.store.record_progress(RunStats(
                run_id, done.seen + n_seen, done.accepted + len(articles), done.rejected + len(rejects),
                done.duplicates + duplicates, done.new_stories + new_stories))
            if on_commit is not None:
                on_commit()
        return len(articles), len(rejects), duplicates, new_stories

    def _outlets(self):
        """The outlet registry (storyline/outlets.py), read once per run; ``outlets.file`` is imported first when
        set and changed since this pipeline last read it."""
        run = self.store.ingest_generation()
        if getattr(self, "_registry_run", None) != run:
            from .outlets import import_outlets_file

            if self.settings.outlets.file:
                import_outlets_file(self.store, self.settings.outlets.file, only_if_changed=True)
            self._registry, self._registry_run = self.store.outlet_registry(), run
        return self._registry

    def _flag_reused_ids(self, articles: list[Article]) -> list[Article]:
        """An article whose own id (``external_id``) its outlet already used for a different text is stored as a new
        article (ids are content hashes: a corrected re-export is a new version), with a warning naming the earlier
        one; :meth:`Store.supersede_versions` then marks which version is current (docs/versions.md)."""
        # an unknown outlet's ids are no one outlet's ids: two files' record "7" are not versions of one record
        keyed = [(a.source, a.external_id) for a in articles if a.external_id and a.source != UNKNOWN_OUTLET]
        if not keyed:
            return articles
        earlier = self.store.ids_by_external_id(keyed)
        out = []
        for a in articles:
            key = (a.source, a.external_id or "")
            prev = earlier.get(key) if a.external_id and a.source != UNKNOWN_OUTLET else None
            if prev is not None and prev != a.id:
                a = replace(a, warnings=(*a.warnings, f"id {a.external_id!r} of {a.source} was used before for a "
                                                      f"different text: article {prev}"))
            elif a.external_id and a.source != UNKNOWN_OUTLET:
                earlier.setdefault(key, a.id)  # a later article of this batch re-using it is flagged too
            out.append(a)
        return out

    def _refresh_headlines(self, story_ids: set[str]) -> None:
        """A grown story's headline follows it: the newest representative title (storyline/headline.py)."""
        titles = self.store.stories_titles(story_ids) if story_ids else {}
        for sid in sorted(titles):
            got = titles[sid]
            best = story_headline_index(got.titles, got.derived, got.dates,
                                        ratio=self.settings.stories.headline_recent_ratio)
            if best is not None and got.titles[best] != got.headline:
                self.store.set_headline(sid, got.titles[best])

    def _write(self, articles: Sequence[Article], assignments: Sequence[Assignment], run_id: int) -> int:
        """Store articles, their new stories and memberships (in that order: foreign keys); returns new stories."""
        self.store.add_articles(articles, run_id)
        new = [(asg.story_id, a.title) for a, asg in zip(articles, assignments) if asg.is_new]
        self.store.create_stories(new)
        self.store.add_memberships(assignments)
        return len(new)


def _raw_hash(item: RawItem) -> str:
    """A content hash of a raw record (what a reader found), so a reject is stored once per input."""
    return content_id(item.title, item.text, item.date, item.source, item.url, item.external_id, length=32)


def _batches(items: Iterable[RawItem | Rejected], size: int) -> Iterator[list[RawItem | Rejected]]:
    batch: list[RawItem | Rejected] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def default_observers(settings: Settings) -> list[Observer]:
    """The stages that run after clustering by default (the copy detector registers here)."""
    observers: list[Observer] = []
    if settings.copies.enabled:
        from .copies import CopyDetector

        observers.append(CopyDetector(settings.copies))
    return observers


def open_pipeline(store: Store, settings: Settings | None = None, clusterer: Clusterer | None = None) -> Pipeline:
    settings = settings or Settings()
    return Pipeline(store, settings, clusterer, default_observers(settings))


def ingest(store: Store, items: Iterable[RawItem | Rejected], settings: Settings | None = None,
           command: str = "ingest", progress: Progress | None = None) -> RunStats:
    """Run ``items`` through the default pipeline into ``store``."""
    return open_pipeline(store, settings).run(items, command=command, progress=progress)
