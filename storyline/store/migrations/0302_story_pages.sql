-- rendered story pages: the HTML of /stories/{id} and the JSON of /api/stories/{id}, stored beside the story's
-- view (0301) so that a request for an unchanged story is one indexed read (storyline/store/views.py,
-- storyline/web/stored_pages.py). page_key is a hash of what the page was rendered from: the story's version
-- (updated_at, current article count), its view's fingerprint, the templates and the settings; a row whose key is
-- not the story's current one is never served. One row per story and kind.
CREATE TABLE story_pages (
    story_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('html', 'json')),
    page_key TEXT NOT NULL,
    body BLOB NOT NULL,
    rendered_at TEXT NOT NULL,
    render_ms REAL NOT NULL,
    PRIMARY KEY (story_id, kind)
);
