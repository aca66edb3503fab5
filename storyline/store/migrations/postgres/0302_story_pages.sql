-- rendered story pages (PostgreSQL twin of ../0302_story_pages.sql): the HTML of /stories/{id} and the JSON of
-- /api/stories/{id}, keyed by a hash of what they were rendered from; a row whose key is not the story's current
-- one is never served. One row per story and kind.
CREATE TABLE story_pages (
    story_id text COLLATE "C" NOT NULL,
    kind text NOT NULL CHECK (kind IN ('html', 'json')),
    page_key text NOT NULL,
    body bytea NOT NULL,
    rendered_at timestamptz NOT NULL,
    render_ms double precision NOT NULL,
    PRIMARY KEY (story_id, kind)
);
