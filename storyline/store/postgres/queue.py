"""The PostgreSQL store's ingest-queue methods (twin of :mod:`storyline.store.queue`, which documents them; migration
``postgres/0007_ingest_queue.sql``), mixed into :class:`~storyline.store.postgres.PostgresStore`."""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from ...records import RawItem, Rejected, RunStats
from ..queue import INSERT_CHUNK, item_from_json, item_to_json


class PostgresIngestQueue:
    def enqueue_ingest(self, items: Iterable[RawItem | Rejected], command: str = "api ingest") -> int:
        """Record a run in state ``queued`` and its items, in order, in one transaction; return the run id."""
        from ..sqlite import utcnow

        with self.transaction():
            run_id = int(self._rows("INSERT INTO runs(command, started_at, state) VALUES (%s, %s, 'queued') "
                                    "RETURNING id", (command, utcnow()))[0]["id"])
            n = 0
            chunk: list[tuple[int, str]] = []
            for item in items:
                chunk.append((run_id, item_to_json(item)))
                if len(chunk) >= INSERT_CHUNK:
                    self._many("INSERT INTO ingest_queue(run_id, item) VALUES (%s, %s)", chunk)
                    n, chunk = n + len(chunk), []
            if chunk:
                self._many("INSERT INTO ingest_queue(run_id, item) VALUES (%s, %s)", chunk)
                n += len(chunk)
            if n == 0:
                self._run("UPDATE runs SET state='finished', finished_at=%s WHERE id=%s", (utcnow(), run_id))
        return run_id

    def next_queued_run(self) -> tuple[int, str] | None:
        """``(run_id, command)`` of the run whose first pending item arrived first, or None."""
        rows = self._rows("SELECT q.run_id, r.command FROM ingest_queue q JOIN runs r ON r.id = q.run_id "
                          "WHERE NOT q.done ORDER BY q.seq LIMIT 1")
        return (int(rows[0]["run_id"]), str(rows[0]["command"])) if rows else None

    def queued_items(self, run_id: int, after_seq: int = 0, limit: int = 500
                     ) -> list[tuple[int, RawItem | Rejected]]:
        """The next ``limit`` pending items of run ``run_id`` after position ``after_seq``: ``(seq, item)``."""
        return [(int(r["seq"]), item_from_json(r["item"])) for r in self._rows(
            "SELECT seq, item FROM ingest_queue WHERE run_id=%s AND NOT done AND seq>%s ORDER BY seq LIMIT %s",
            (run_id, after_seq, limit))]

    def mark_ingested(self, seqs: Sequence[int]) -> None:
        """Mark queued items done; called inside the transaction of the batch that stored them."""
        self._run("UPDATE ingest_queue SET done=true WHERE seq = ANY(%s)", ([int(s) for s in seqs],))

    def begin_queued_run(self, run_id: int) -> RunStats:
        """Start (or resume) queued run ``run_id``; the counts it has committed so far (see the SQLite store)."""
        from ..sqlite import INTERRUPTED_NOTE, utcnow

        with self.transaction():
            self._run("UPDATE runs SET state='interrupted', error=coalesce(error, %s) WHERE state='running' "
                      "AND id != %s", (INTERRUPTED_NOTE, run_id))
            self._run("UPDATE runs SET started_at = CASE WHEN state='queued' THEN %s ELSE started_at END, "
                      "state='running', finished_at=NULL, error=NULL WHERE id=%s", (utcnow(), run_id))
            r = self._rows("SELECT seen, accepted, rejected, duplicates, new_stories FROM runs WHERE id=%s",
                           (run_id,))
        if not r:
            from ...errors import NotFound

            raise NotFound(f"no run {run_id} in this store; queued runs are listed by `storyline runs`")
        c = r[0]
        return RunStats(run_id, int(c["seen"]), int(c["accepted"]), int(c["rejected"]), int(c["duplicates"]),
                        int(c["new_stories"]))

    def close_queued_runs(self) -> list[int]:
        """Close the runs whose queued items are all done and drop their items (see the SQLite store)."""
        from ..sqlite import utcnow

        with self.transaction():
            ids = [int(r["run_id"]) for r in self._rows(
                "SELECT run_id FROM ingest_queue GROUP BY run_id HAVING bool_and(done) ORDER BY run_id")]
            if ids:
                self._run("UPDATE runs SET state='finished', error=NULL, finished_at=coalesce(finished_at, %s) "
                          "WHERE id = ANY(%s)", (utcnow(), ids))
                self._run("DELETE FROM ingest_queue WHERE run_id = ANY(%s)", (ids,))
        return ids

    def ingest_queue_depth(self) -> dict[str, int]:
        """``{"runs", "items"}`` waiting in the ingest queue."""
        r = self._rows("SELECT count(DISTINCT run_id) AS runs, count(*) AS items FROM ingest_queue WHERE NOT done")[0]
        return {"runs": int(r["runs"]), "items": int(r["items"])}

    def get_run(self, run_id: int) -> dict[str, Any] | None:
        """One run as :meth:`runs` lists it, with ``queued``: its items still waiting (see the SQLite store)."""
        from ..sqlite import INTERRUPTED_NOTE, iso

        rows = self._rows("SELECT r.*, (SELECT count(*) FROM ingest_queue q WHERE q.run_id = r.id AND NOT q.done) "
                          "AS queued FROM runs r WHERE r.id=%s", (run_id,))
        if not rows:
            return None
        run = dict(rows[0])
        for k in ("started_at", "finished_at"):
            run[k] = iso(run[k]) if run.get(k) is not None else run.get(k)
        run["queued"] = int(run["queued"])
        if run["state"] == "running":
            if self._running_runs_without_holder([run_id]):
                run["state"], run["error"] = "interrupted", run["error"] or INTERRUPTED_NOTE
            elif self._rows("SELECT state FROM runs WHERE id=%s", (run_id,))[0]["state"] != "running":
                return self.get_run(run_id)  # it ended while it was read: read it again, whole
        return run

    def run_article_ids(self, run_id: int) -> list[str]:
        """The ids of the articles run ``run_id`` stored, in arrival order."""
        return [str(r["id"]) for r in self._rows("SELECT id FROM articles WHERE run_id=%s ORDER BY seq", (run_id,))]
