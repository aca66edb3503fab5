-- core: runs, articles, stories, memberships, aliases, rejects, full-text index (PostgreSQL twin of ../0001_core.sql)
-- Timestamps are timestamptz, JSON columns jsonb; ids compare and sort bytewise (COLLATE "C", as SQLite's BINARY).
-- articles.seq and memberships.seq are the arrival order (SQLite's rowid); articles.search the weighted tsvector
-- of title (A) and text (B).
CREATE TABLE runs (
    id bigserial PRIMARY KEY,
    command text NOT NULL,
    started_at timestamptz NOT NULL,
    finished_at timestamptz,
    seen integer NOT NULL DEFAULT 0,
    accepted integer NOT NULL DEFAULT 0,
    rejected integer NOT NULL DEFAULT 0,
    duplicates integer NOT NULL DEFAULT 0,
    new_stories integer NOT NULL DEFAULT 0
);
CREATE TABLE articles (
    seq bigserial NOT NULL UNIQUE,
    id text COLLATE "C" PRIMARY KEY,
    external_id text COLLATE "C",
    source text COLLATE "C" NOT NULL,
    title text NOT NULL,
    title_derived boolean NOT NULL DEFAULT false,
    text text NOT NULL,
    date timestamptz,
    lang text,
    url text,
    byline text,
    origin text NOT NULL,
    warnings jsonb NOT NULL DEFAULT '[]',
    extra jsonb NOT NULL DEFAULT '{}',
    run_id bigint REFERENCES runs(id),
    ingested_at timestamptz NOT NULL,
    search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', text), 'B')
    ) STORED
);
CREATE INDEX articles_date ON articles(date);
CREATE INDEX articles_source ON articles(source);
CREATE INDEX articles_search ON articles USING gin(search);
CREATE TABLE stories (
    id text COLLATE "C" PRIMARY KEY,
    headline text NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE TABLE memberships (
    seq bigserial NOT NULL UNIQUE,
    article_id text COLLATE "C" PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    story_id text COLLATE "C" NOT NULL REFERENCES stories(id),
    score double precision NOT NULL,
    components jsonb NOT NULL DEFAULT '{}',
    shared jsonb NOT NULL DEFAULT '[]',
    assigned_at timestamptz NOT NULL
);
CREATE INDEX memberships_story ON memberships(story_id);
CREATE TABLE story_aliases (
    alias text COLLATE "C" PRIMARY KEY,
    story_id text COLLATE "C" NOT NULL REFERENCES stories(id),
    merged_at timestamptz NOT NULL
);
CREATE INDEX story_aliases_story ON story_aliases(story_id);
CREATE TABLE rejects (
    id bigserial PRIMARY KEY,
    run_id bigint REFERENCES runs(id),
    ref text NOT NULL,
    stage text NOT NULL,
    reason text NOT NULL,
    detail text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL
);
