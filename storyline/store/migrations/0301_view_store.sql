-- story views: the built view of each story, stored once per story version (storyline/store/views.py). fingerprint
-- is a hash of what the view is built from (the story's current article ids, its headline, the copy relations of its
-- articles, the builder and its settings); a row whose fingerprint is not the story's current one is the previous
-- version, served while the current one is built. One row per story.
CREATE TABLE stored_views (
    story_id TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    view TEXT NOT NULL,
    built_at TEXT NOT NULL,
    build_ms REAL NOT NULL
);
-- a build in progress (one per story across processes): others serve the previous version or wait for the row
-- instead of building it again; a claim older than a few minutes belongs to a process that died and is taken over
CREATE TABLE view_builds (
    story_id TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    owner TEXT NOT NULL,
    started REAL NOT NULL
);
