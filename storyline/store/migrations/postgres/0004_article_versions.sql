-- core: article versions (PostgreSQL twin of ../0004_article_versions.sql; docs/versions.md). superseded_by names
-- the version that replaced this one; NULL means the article is current.
ALTER TABLE articles ADD COLUMN superseded_by text COLLATE "C" REFERENCES articles(id);
CREATE INDEX articles_superseded_by ON articles(superseded_by) WHERE superseded_by IS NOT NULL;
CREATE INDEX articles_record ON articles(source, external_id) WHERE external_id IS NOT NULL;
-- a database that stored versions before this migration: by arrival, each is superseded by the next one
UPDATE articles SET superseded_by = (
    SELECT b.id FROM articles b WHERE b.source = articles.source AND b.external_id = articles.external_id
    AND b.seq > articles.seq ORDER BY b.seq LIMIT 1
) WHERE external_id IS NOT NULL AND EXISTS (
    SELECT 1 FROM articles b WHERE b.source = articles.source AND b.external_id = articles.external_id
    AND b.seq > articles.seq
);
