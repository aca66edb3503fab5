-- core: look up a record's own id (JSON/CSV "id", feed entry id) to notice an id re-used with a different text
CREATE INDEX IF NOT EXISTS articles_external_id ON articles(external_id) WHERE external_id IS NOT NULL;
