-- story views: the built view of each story, stored once per story version (PostgreSQL twin of
-- ../0301_view_store.sql; storyline/store/views.py). fingerprint is a hash of what the view is built from; a row
-- whose fingerprint is not the story's current one is the previous version, served while the current one is built.
-- view is `json`, not `jsonb`: json keeps the text as written, so the view's keys come back in the order the builder
-- gave them (jsonb reorders them), as on SQLite.
CREATE TABLE stored_views (
    story_id text COLLATE "C" PRIMARY KEY,
    fingerprint text NOT NULL,
    view json NOT NULL,
    built_at timestamptz NOT NULL,
    build_ms double precision NOT NULL
);
-- a build in progress (one per story across processes and machines): started is the server's clock, so claims of
-- workers on several machines compare on one clock; a claim older than a few minutes belongs to a process that died
CREATE TABLE view_builds (
    story_id text COLLATE "C" PRIMARY KEY,
    fingerprint text NOT NULL,
    owner text NOT NULL,
    started timestamptz NOT NULL
);
