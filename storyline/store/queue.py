"""The durable ingest queue (migration 0007, docs/worker.md): writers hand items to it, the one ingest worker
(:mod:`storyline.service.worker`) consumes them in arrival order.

A writer records a run in state ``queued`` with its items in one transaction (:meth:`enqueue_ingest`), and gets the
run id at once. The worker takes the oldest run with pending items (:meth:`next_queued_run`), reads its items in
order (:meth:`queued_items`), and the pipeline marks each batch's items done (:meth:`mark_ingested`) inside the
transaction that stores the batch: a worker killed at any moment leaves each item either stored and done or still
pending, so a restarted worker ingests every item exactly once, continuing the same run with the counts it had
committed (:meth:`begin_queued_run`). :meth:`close_queued_runs` closes the runs whose items are all done (also those
whose worker died between its last commit and closing the run) and drops their items.

This module holds the item encoding shared by both backends and the SQLite store's methods (a mixin of
:class:`~storyline.store.sqlite.Store`); ``storyline/store/postgres/queue.py`` is the PostgreSQL twin.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Sequence

from ..records import Origin, RawItem, Rejected, RunStats

# how many queued rows one executemany inserts (the items of a large run are inserted in chunks)
INSERT_CHUNK = 500

# the states in which a run has ended (a waiter stops waiting); 'queued' and 'running' have not
ENDED_STATES = ("finished", "failed", "interrupted")


def item_to_json(item: RawItem | Rejected) -> str:
    """A queued item as JSON text (ASCII: any string a record holds, lone surrogates and NUL too, survives)."""
    if isinstance(item, Rejected):
        return json.dumps({"rejected": [item.ref, item.stage, item.reason, item.detail]})
    if not isinstance(item, RawItem):
        raise TypeError(f"the ingest queue takes RawItem or Rejected records, got {type(item).__name__}")
    return json.dumps({
        "origin": [item.origin.path, item.origin.record], "text": item.text, "title": item.title, "date": item.date,
        "source": item.source, "url": item.url, "lang": item.lang, "byline": item.byline,
        "external_id": item.external_id, "title_derived": item.title_derived, "format": item.format,
        "extra": dict(item.extra)}, default=str)


def item_from_json(text: str) -> RawItem | Rejected:
    """The inverse of :func:`item_to_json`."""
    d = json.loads(text)
    if "rejected" in d:
        return Rejected(*d["rejected"])
    path, record = d.pop("origin")
    return RawItem(origin=Origin(path, record), **d)


def _run_dict(row: Any) -> dict[str, Any]:
    return {k: row[k] for k in row.keys()} if hasattr(row, "keys") else dict(row)


class SqliteIngestQueue:
    """The SQLite store's ingest-queue methods (mixed into :class:`~storyline.store.sqlite.Store`)."""

    def enqueue_ingest(self, items: Iterable[RawItem | Rejected], command: str = "api ingest") -> int:
        """Record a run in state ``queued`` and its items, in order, in one transaction; return the run id. A run
        of no items is closed at once (finished, nothing seen)."""
        from .sqlite import iso, utcnow

        with self.transaction():
            run_id = int(self.execute("INSERT INTO runs(command, started_at, state) VALUES (?, ?, 'queued')",
                                      (command, iso(utcnow()))).lastrowid)
            n = 0
            chunk: list[tuple[int, str]] = []
            for item in items:
                chunk.append((run_id, item_to_json(item)))
                if len(chunk) >= INSERT_CHUNK:
                    self.conn.executemany("INSERT INTO ingest_queue(run_id, item) VALUES (?, ?)", chunk)
                    n, chunk = n + len(chunk), []
            if chunk:
                self.conn.executemany("INSERT INTO ingest_queue(run_id, item) VALUES (?, ?)", chunk)
                n += len(chunk)
            if n == 0:
                self.execute("UPDATE runs SET state='finished', finished_at=? WHERE id=?", (iso(utcnow()), run_id))
        return run_id

    def next_queued_run(self) -> tuple[int, str] | None:
        """``(run_id, command)`` of the run whose first pending item arrived first, or None when nothing waits."""
        rows = self.query("SELECT q.run_id, r.command FROM ingest_queue q JOIN runs r ON r.id = q.run_id "
                          "WHERE q.done = 0 ORDER BY q.seq LIMIT 1")
        return (int(rows[0][0]), str(rows[0][1])) if rows else None

    def queued_items(self, run_id: int, after_seq: int = 0, limit: int = 500
                     ) -> list[tuple[int, RawItem | Rejected]]:
        """The next ``limit`` pending items of run ``run_id`` after position ``after_seq``: ``(seq, item)``."""
        return [(int(r[0]), item_from_json(r[1])) for r in self.query(
            "SELECT seq, item FROM ingest_queue WHERE run_id=? AND done=0 AND seq>? ORDER BY seq LIMIT ?",
            (run_id, after_seq, limit))]

    def mark_ingested(self, seqs: Sequence[int]) -> None:
        """Mark queued items done; called inside the transaction of the batch that stored them."""
        with self.transaction():
            self.conn.executemany("UPDATE ingest_queue SET done=1 WHERE seq=?", [(int(s),) for s in seqs])

    def begin_queued_run(self, run_id: int) -> RunStats:
        """Start (or, after a crash, resume) queued run ``run_id``: state ``running``; returns the counts it has
        committed so far (zero for a fresh one). As :meth:`start_run`, any other run still ``running`` belongs to
        a process that died (the caller holds the ingest lock) and is marked ``interrupted``."""
        from .sqlite import INTERRUPTED_NOTE, iso, utcnow

        with self.transaction():
            self.execute("UPDATE runs SET state='interrupted', error=coalesce(error, ?) WHERE state='running' "
                         "AND id != ?", (INTERRUPTED_NOTE, run_id))
            self.execute("UPDATE runs SET started_at = CASE WHEN state='queued' THEN ? ELSE started_at END, "
                         "state='running', finished_at=NULL, error=NULL WHERE id=?", (iso(utcnow()), run_id))
            r = self.query("SELECT seen, accepted, rejected, duplicates, new_stories FROM runs WHERE id=?", (run_id,))
        if not r:
            from ..errors import NotFound

            raise NotFound(f"no run {run_id} in this store; queued runs are listed by `storyline runs`")
        return RunStats(run_id, *(int(v) for v in r[0]))

    def close_queued_runs(self) -> list[int]:
        """Close the runs whose queued items are all done (state ``finished``; a run closed by its worker keeps
        its finish time) and drop their items; returns their ids."""
        from .sqlite import iso, utcnow

        with self.transaction():
            ids = [int(r[0]) for r in self.query(
                "SELECT run_id FROM ingest_queue GROUP BY run_id HAVING min(done) = 1 ORDER BY run_id")]
            if ids:
                self.conn.executemany(
                    "UPDATE runs SET state='finished', error=NULL, finished_at=coalesce(finished_at, ?) WHERE id=?",
                    [(iso(utcnow()), i) for i in ids])
                self.conn.executemany("DELETE FROM ingest_queue WHERE run_id=?", [(i,) for i in ids])
        return ids

    def ingest_queue_depth(self) -> dict[str, int]:
        """``{"runs", "items"}`` waiting in the ingest queue."""
        r = self.query("SELECT count(DISTINCT run_id), count(*) FROM ingest_queue WHERE done = 0")[0]
        return {"runs": int(r[0]), "items": int(r[1])}

    def get_run(self, run_id: int) -> dict[str, Any] | None:
        """One run as :meth:`runs` lists it (a ``running`` run whose process died shows as ``interrupted``),
        with ``queued``: its items still waiting; None when there is no such run."""
        rows = self.query("SELECT * FROM runs WHERE id=?", (run_id,))
        if not rows:
            return None
        run = _run_dict(rows[0])
        run["queued"] = int(self.query("SELECT count(*) FROM ingest_queue WHERE run_id=? AND done=0",
                                       (run_id,))[0][0])
        if run["state"] == "running":
            from .lock import is_held
            from .sqlite import INTERRUPTED_NOTE

            if not is_held(self.path):
                # the row and the lock are read at different moments, and a worker writes a run's last state before
                # it lets go of the lock: a run that ended in between reads so on a second look
                if self.query("SELECT state FROM runs WHERE id=?", (run_id,))[0][0] != "running":
                    return self.get_run(run_id)
                if not is_held(self.path):
                    run["state"], run["error"] = "interrupted", run["error"] or INTERRUPTED_NOTE
        return run

    def run_article_ids(self, run_id: int) -> list[str]:
        """The ids of the articles run ``run_id`` stored, in arrival order."""
        return [str(r[0]) for r in self.query("SELECT id FROM articles WHERE run_id=? ORDER BY seq", (run_id,))]
