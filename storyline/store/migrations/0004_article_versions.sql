-- core: article versions. An outlet's record (source, external_id) stored again with a different text is a newer
-- version of it (article ids are content hashes, so each text is its own article). superseded_by names the
-- version that replaced this one; NULL means the article is current. Superseded articles stay stored (history)
-- and keep their membership, but every listing and count of current coverage leaves them out (docs/versions.md).
ALTER TABLE articles ADD COLUMN superseded_by TEXT REFERENCES articles(id);
CREATE INDEX articles_superseded_by ON articles(superseded_by) WHERE superseded_by IS NOT NULL;
CREATE INDEX articles_record ON articles(source, external_id) WHERE external_id IS NOT NULL;
-- a database that stored versions before this migration: by arrival, each is superseded by the next one
UPDATE articles SET superseded_by = (
    SELECT b.id FROM articles b WHERE b.source = articles.source AND b.external_id = articles.external_id
    AND b.rowid > articles.rowid ORDER BY b.rowid LIMIT 1
) WHERE external_id IS NOT NULL AND EXISTS (
    SELECT 1 FROM articles b WHERE b.source = articles.source AND b.external_id = articles.external_id
    AND b.rowid > articles.rowid
);
