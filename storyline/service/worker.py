"""The long-lived ingest worker: one process (``storyline worker``, or a thread of ``storyline serve``) that holds the
clusterer and the copy index in memory, built once at start from the store, and consumes the durable ingest queue
(:mod:`storyline.store.queue`) in arrival order through the same :class:`~storyline.pipeline.Pipeline` the CLI
ingest uses, so an API ingest costs the new items' clustering, not a restore of the whole store (docs/worker.md).

Exactly once: the pipeline marks each batch's queued items done inside the transaction that stores the batch, so a
worker killed at any moment (``kill -9``) leaves every item either stored and done, or pending. A restarted worker
continues the interrupted run where it stopped, with the counts it had committed (``seen == accepted + rejected +
duplicates`` holds for the whole run).

One consumer at a time: each run is taken and ingested under the database's ingest lock (a ``flock`` beside a
SQLite file, an advisory lock on PostgreSQL), which every other ingest path takes too. Two workers on one store are
safe (they take turns, and each restores its clusterer when the other has ingested: the pipeline compares the
store's ingest generation) but pointless: run one.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections import deque
from typing import Any, Callable, Iterator, Sequence

from ..records import RawItem, Rejected, RunStats
from ..settings import Settings
from ..store.queue import ENDED_STATES

log = logging.getLogger("storyline.worker")

PAGE = 500  # queued items read per query while a run is ingested
MAX_BACKOFF_S = 60.0  # a failing run is retried after 1, 2, 4 … seconds, at most this long apart

Finished = Callable[[RunStats, list[str]], None]


class WorkerStopped(KeyboardInterrupt):
    """Raised into a run when the worker is asked to stop: the pipeline records the run as ``interrupted`` (a
    KeyboardInterrupt is how it knows an interruption from a failure) with what it committed; its pending items
    stay queued for the next start."""


class IngestWorker:
    """Consumes the ingest queue of the store ``db`` (a SQLite path or a PostgreSQL URL).

    ``encoder_factory``: returns the sentence encoder to build the clusterer with (the API server passes its own,
    so the model loads once per process; called on the worker's thread). ``on_finished(stats, article_ids)`` is
    called after each run closes (the server warms the touched stories' views). :meth:`start` runs the worker on a
    background thread; :meth:`run` runs it in the caller's thread (``storyline worker``)."""

    def __init__(self, db: str, settings: Settings | None = None, *, encoder_factory: Callable[[], Any] | None = None,
                 on_finished: Finished | None = None, poll_s: float | None = None,
                 observers: Sequence[Any] = ()):
        self.db = str(db)
        self.settings = settings or Settings()
        self.encoder_factory = encoder_factory
        self.on_finished = on_finished
        self.observers = tuple(observers)  # more pipeline observers, after the copies stage (the server's view refresh)
        self.poll_s = self.settings.ingest.worker_poll_s if poll_s is None else poll_s
        self.store: Any = None
        self.pipeline: Any = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._done = threading.Condition()
        self._signals = 0  # runs closed or failed so far (under _done): a waiter sleeps until it changes
        self._thread: threading.Thread | None = None
        self.build_s: float | None = None  # how long building the in-memory state took
        self.runs = 0  # runs this worker ingested
        self.items = 0  # items it ingested
        self.errors = 0
        self.last_error: str | None = None

    # -- life cycle ---------------------------------------------------------------------------------------------
    def open(self) -> "IngestWorker":
        """Open the store and build the pipeline's in-memory state (clusterer and copy index) once; close the runs
        a previous worker committed whole but did not get to close."""
        if self.pipeline is not None:
            return self
        from ..pipeline import open_pipeline
        from ..store import open_store

        t0 = time.perf_counter()
        self.store = open_store(self.db, check_same_thread=False)
        try:
            clusterer = None
            if self.encoder_factory is not None and self.settings.cluster.profile == "default":
                from ..cluster import make_clusterer

                clusterer = make_clusterer(self.settings, encoder=self.encoder_factory()).restore(self.store)
            self.pipeline = open_pipeline(self.store, self.settings, clusterer)
            for obs in self.pipeline.observers:  # the copy index too, now rather than on the first batch
                if obs is not self.pipeline.clusterer and hasattr(obs, "restore"):
                    obs.restore(self.store)
            self.pipeline.observers.extend(self.observers)
        except BaseException:
            self.close()
            raise
        # The state just built lives as long as the worker: moved out of the collector's generations, a full
        # collection no longer walks it (194 ms a pass at 100,000 stored articles, lexical profile, 2 cores; 50 ms at
        # 1,000), so no ingest pays for the size of the store. What is frozen is never collected: the state a restore
        # replaces (rare: another process ingested) is freed by reference counting, cycles excepted.
        gc.collect()
        gc.freeze()
        self.build_s = time.perf_counter() - t0
        with self.store.ingest_lock():
            closed = self.store.close_queued_runs()
        if closed:
            log.info("closed runs %s: their items were all ingested before the worker stopped", closed)
        return self

    def start(self) -> "IngestWorker":
        """Run the worker on a daemon thread (building its state there, so a server answers meanwhile)."""
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._thread_main, name="storyline-ingest-worker", daemon=True)
            self._thread.start()
        return self

    def _thread_main(self) -> None:
        try:
            self.run(self._stop)
        except WorkerStopped:
            pass
        except Exception as e:  # noqa: BLE001 - the store cannot even be opened: recorded, visible in status()
            self.errors += 1
            self.last_error = f"{type(e).__name__}: {e}"
            log.error("the ingest worker stopped: %s", self.last_error, exc_info=e)
        finally:
            self._signal()

    def stop(self, timeout: float = 30.0) -> bool:
        """Ask the worker to stop (a run in progress stops after its current batch, as ``interrupted``; its
        pending items stay queued) and wait at most ``timeout`` seconds; True when it has stopped."""
        self._stop.set()
        self._wake.set()
        t = self._thread
        if t is not None:
            t.join(timeout)
            if t.is_alive():
                return False
        self.close()
        return True

    def close(self) -> None:
        store, self.store, self.pipeline = self.store, None, None
        if store is not None:
            store.close()

    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def notify(self) -> None:
        """Something was queued in this process: look now rather than at the next poll."""
        self._wake.set()

    # -- the loop -------------------------------------------------------------------------------------------------
    def run(self, stop: threading.Event | None = None, *, drain: bool = False) -> None:
        """Consume the queue until ``stop`` is set, or with ``drain`` until nothing is queued. A run that fails
        (the store refused a write, a bug) is recorded as failed with its reason, its pending items stay queued,
        and it is tried again after a pause that doubles up to :data:`MAX_BACKOFF_S`."""
        stop = stop or self._stop
        self.open()
        backoff = 0.0
        while not stop.is_set():
            try:
                stats = self.step(stop)
            except WorkerStopped:
                raise
            except Exception as e:  # noqa: BLE001 - recorded in the run and in status(), then retried
                self.errors += 1
                self.last_error = f"{type(e).__name__}: {e}"
                log.error("ingest run failed (retried in %.0f s): %s", max(1.0, backoff), self.last_error)
                self._signal()
                backoff = min(MAX_BACKOFF_S, max(1.0, backoff * 2))
                stop.wait(backoff)
                continue
            backoff = 0.0
            if stats is not None:
                continue
            if drain:
                return
            self._wake.wait(self.poll_s)
            self._wake.clear()

    def step(self, stop: threading.Event | None = None) -> RunStats | None:
        """Ingest the oldest queued run, whole; None when nothing is queued."""
        store = self.store
        if store.next_queued_run() is None:  # a cheap indexed look, without the lock, while idle
            return None
        with store.ingest_lock():
            nxt = store.next_queued_run()
            if nxt is None:
                return None
            run_id, command = nxt
            order: deque[int] = deque()  # the positions of the items handed to the pipeline, not yet committed

            def mark(batch: list) -> None:  # inside the batch's transaction
                store.mark_ingested([order.popleft() for _ in batch])

            stats = self.pipeline.run(self._items(run_id, order, stop), command=command, run_id=run_id,
                                      on_commit=mark)
            store.close_queued_runs()
        self.runs += 1
        self.items += stats.seen
        if self.on_finished is not None:
            try:
                self.on_finished(stats, store.run_article_ids(run_id))
            except Exception as e:  # noqa: BLE001 - a follow-up (view warming) never fails the ingest
                log.warning("after run %d: %s", run_id, e)
        self._signal()
        return stats

    def _items(self, run_id: int, order: deque[int], stop: threading.Event | None
               ) -> Iterator[RawItem | Rejected]:
        after = 0
        while True:
            page = self.store.queued_items(run_id, after, PAGE)
            if not page:
                return
            for seq, item in page:
                if stop is not None and stop.is_set():
                    raise WorkerStopped(f"the worker was stopped during run {run_id}")
                order.append(seq)
                yield item
            after = page[-1][0]

    # -- waiting --------------------------------------------------------------------------------------------------
    def _signal(self) -> None:
        with self._done:
            self._signals += 1
            self._done.notify_all()

    def signals(self) -> int:
        """How many times this worker has closed or failed a run (or stopped): read before looking at the store,
        then :meth:`wait_signal` with it, so a run closed in between is not missed."""
        with self._done:
            return self._signals

    def wait_signal(self, seen: int, timeout: float) -> None:
        """Sleep until :meth:`signals` differs from ``seen``, or ``timeout`` seconds pass."""
        with self._done:
            self._done.wait_for(lambda: self._signals != seen, timeout)

    def status(self) -> dict[str, Any]:
        return {"alive": self.alive(), "build_s": self.build_s, "runs": self.runs, "items": self.items,
                "errors": self.errors, "last_error": self.last_error}


def wait_for_run(store: Any, run_id: int, timeout: float, worker: IngestWorker | None = None,
                 poll_s: float = 0.02) -> dict[str, Any] | None:
    """Wait until queued run ``run_id`` has ended (finished, failed or interrupted) or ``timeout`` seconds pass;
    returns the run as :meth:`Store.get_run` gives it (None: no such run). ``worker``: this process's worker, whose
    signal ends the wait at once; otherwise (a worker in another process) the store is asked every ``poll_s``."""
    deadline = time.monotonic() + timeout
    while True:
        seen = worker.signals() if worker is not None else 0
        run = store.get_run(run_id)
        if run is None or run["state"] in ENDED_STATES:
            return run
        left = deadline - time.monotonic()
        if left <= 0:
            return run
        if worker is not None and not worker.alive() and worker.last_error is not None:
            return run  # this process's worker could not even start (status() says why): no use waiting
        if worker is not None and worker.alive():
            worker.wait_signal(seen, min(left, 1.0))
        else:
            time.sleep(min(left, poll_s))
