-- core: the durable ingest queue (PostgreSQL twin of ../0007_ingest_queue.sql; docs/worker.md). A writer records a
-- run in state 'queued' and its items in arrival order (seq) in one transaction; the one ingest worker marks each
-- item done in the same transaction as the batch that stored it, so after a crash each item is ingested once.
-- item: the raw record as JSON text (not jsonb: a record may carry escapes jsonb refuses, such as \u0000).
CREATE TABLE ingest_queue (
    seq bigserial PRIMARY KEY,
    run_id bigint NOT NULL REFERENCES runs(id),
    item text NOT NULL,
    done boolean NOT NULL DEFAULT false
);
CREATE INDEX ingest_queue_pending ON ingest_queue(seq) WHERE NOT done;
CREATE INDEX ingest_queue_run ON ingest_queue(run_id, seq);
-- a run's stored articles (the answer of an API ingest) without reading every article
CREATE INDEX articles_run ON articles(run_id);
