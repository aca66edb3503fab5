-- core: a run's state (running, finished, failed, interrupted) and its counts written with each committed batch
-- (PostgreSQL twin of ../0005_runs_state.sql); a run still 'running' while no session holds the ingest advisory lock
-- belonged to a process that died and is shown as interrupted (storyline/store/postgres/lock.py)
ALTER TABLE runs ADD COLUMN state text NOT NULL DEFAULT 'finished';
UPDATE runs SET state = CASE WHEN finished_at IS NULL OR error = 'interrupted' THEN 'interrupted'
                             WHEN error IS NOT NULL THEN 'failed' ELSE 'finished' END;
-- rejects are stored once per input: the same location, stage, reason, detail and content hash (input_hash: of the
-- offending record where the pipeline has it, else '') is one row; each run that met it is linked in run_rejects
-- (n: how many times in that run). Rows stored before this migration keep input_hash NULL when they repeat one.
-- The unique index holds md5 of ref and detail: a btree entry is limited to about 2.7 kB, and a detail may quote
-- a long stretch of the bad input.
ALTER TABLE rejects ADD COLUMN input_hash text;
UPDATE rejects SET input_hash = '' WHERE id IN (SELECT min(id) FROM rejects GROUP BY ref, stage, reason, detail);
CREATE UNIQUE INDEX rejects_input ON rejects(md5(ref), stage, reason, md5(detail), input_hash)
    WHERE input_hash IS NOT NULL;
CREATE TABLE run_rejects (
    run_id bigint NOT NULL REFERENCES runs(id),
    reject_id bigint NOT NULL REFERENCES rejects(id),
    n integer NOT NULL DEFAULT 1,
    PRIMARY KEY (run_id, reject_id)
);
CREATE INDEX run_rejects_reject ON run_rejects(reject_id);
INSERT INTO run_rejects(run_id, reject_id, n) SELECT run_id, id, 1 FROM rejects WHERE run_id IS NOT NULL;
