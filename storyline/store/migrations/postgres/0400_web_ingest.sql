-- web ingest (storyline/ingest/html.py, feeds.py, watch.py): raw HTML kept compressed, feed polling state
CREATE TABLE raw_pages (
    key text COLLATE "C" PRIMARY KEY,
    url text,
    ref text NOT NULL,
    content_type text,
    size bigint NOT NULL,
    body bytea NOT NULL,
    stored_at timestamptz NOT NULL
);
CREATE INDEX raw_pages_url ON raw_pages(url);
CREATE TABLE feeds (
    url text COLLATE "C" PRIMARY KEY,
    title text,
    etag text,
    last_modified text,
    last_polled timestamptz,
    last_status text,
    last_error text,
    failures integer NOT NULL DEFAULT 0,
    next_poll timestamptz,
    added_at timestamptz NOT NULL
);
CREATE TABLE feed_entries (
    feed_url text COLLATE "C" NOT NULL REFERENCES feeds(url) ON DELETE CASCADE,
    entry_key text COLLATE "C" NOT NULL,
    link text,
    first_seen timestamptz NOT NULL,
    run_id bigint REFERENCES runs(id),
    PRIMARY KEY (feed_url, entry_key)
);
