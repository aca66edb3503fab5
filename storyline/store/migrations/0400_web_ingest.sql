-- web ingest (storyline/ingest/html.py, feeds.py, watch.py): raw HTML kept compressed, feed polling state
-- raw pages: zlib-compressed bytes keyed by the SHA-256 of the raw page (articles name the key in extra.raw_page)
CREATE TABLE raw_pages (
    key TEXT PRIMARY KEY,
    url TEXT,
    ref TEXT NOT NULL,
    content_type TEXT,
    size INTEGER NOT NULL,
    body BLOB NOT NULL,
    stored_at TEXT NOT NULL
);
CREATE INDEX raw_pages_url ON raw_pages(url);
-- feeds polled by `storyline watch`: conditional-request validators, schedule and backoff
CREATE TABLE feeds (
    url TEXT PRIMARY KEY,
    title TEXT,
    etag TEXT,
    last_modified TEXT,
    last_polled TEXT,
    last_status TEXT,
    last_error TEXT,
    failures INTEGER NOT NULL DEFAULT 0,
    next_poll TEXT,
    added_at TEXT NOT NULL
);
-- entries already ingested per feed (by guid/id, else link, else a hash of title and summary)
CREATE TABLE feed_entries (
    feed_url TEXT NOT NULL REFERENCES feeds(url) ON DELETE CASCADE,
    entry_key TEXT NOT NULL,
    link TEXT,
    first_seen TEXT NOT NULL,
    run_id INTEGER REFERENCES runs(id),
    PRIMARY KEY (feed_url, entry_key)
);
