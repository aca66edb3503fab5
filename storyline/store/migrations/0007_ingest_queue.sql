-- core: the durable ingest queue (docs/worker.md). A writer (POST /api/ingest, `storyline ingest --queue`) records a
-- run in state 'queued' and its items, in arrival order (seq), in one transaction; the one ingest worker consumes
-- them run by run and marks each item done in the same transaction as the batch that stored it, so a worker killed
-- at any moment leaves every item either committed and done, or pending: after a restart each is ingested once.
-- item: the raw record as JSON (storyline/store/queue.py). A run's rows are removed once the run is closed.
CREATE TABLE ingest_queue (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    item TEXT NOT NULL,
    done INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX ingest_queue_pending ON ingest_queue(seq) WHERE done = 0;
CREATE INDEX ingest_queue_run ON ingest_queue(run_id, seq);
-- a run's stored articles (the answer of an API ingest) without reading every article
CREATE INDEX articles_run ON articles(run_id);
