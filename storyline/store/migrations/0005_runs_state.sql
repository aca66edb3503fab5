-- core: a run's state (running, finished, failed, interrupted) and its counts written with each committed batch; a
-- run still 'running' whose process died is shown as interrupted (its ingest lock is free, storyline/store/lock.py)
ALTER TABLE runs ADD COLUMN state TEXT NOT NULL DEFAULT 'finished';
UPDATE runs SET state = CASE WHEN finished_at IS NULL OR error = 'interrupted' THEN 'interrupted'
                             WHEN error IS NOT NULL THEN 'failed' ELSE 'finished' END;
-- rejects are stored once per input: the same location, stage, reason, detail and content hash (input_hash: of the
-- offending record where the pipeline has it, else '') is one row; each run that met it is linked in run_rejects
-- (n: how many times in that run). Rows stored before this migration keep input_hash NULL when they repeat one.
ALTER TABLE rejects ADD COLUMN input_hash TEXT;
UPDATE rejects SET input_hash = '' WHERE id IN (SELECT min(id) FROM rejects GROUP BY ref, stage, reason, detail);
CREATE UNIQUE INDEX rejects_input ON rejects(ref, stage, reason, detail, input_hash) WHERE input_hash IS NOT NULL;
CREATE TABLE run_rejects (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    reject_id INTEGER NOT NULL REFERENCES rejects(id),
    n INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (run_id, reject_id)
);
CREATE INDEX run_rejects_reject ON run_rejects(reject_id);
INSERT INTO run_rejects(run_id, reject_id, n) SELECT run_id, id, 1 FROM rejects WHERE run_id IS NOT NULL;
