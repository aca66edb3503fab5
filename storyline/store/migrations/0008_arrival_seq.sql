-- core: explicit arrival sequences (articles, memberships). articles.seq is the order in which articles were stored (what the implicit
-- rowid was; PostgreSQL's articles.seq since its 0001): every arrival order, keyset page and "newest" reads it. The
-- FTS5 index stays keyed on rowid, for search alone. A database stored before this migration keeps its order: each
-- article's seq is its rowid. The insert statement sets seq (max + 1, read through the unique index); the trigger
-- fills it for an insert that leaves it out.
ALTER TABLE articles ADD COLUMN seq INTEGER;
-- the full-text index follows the title and text only: an update of another column (seq below, superseded_by)
-- leaves it alone instead of deleting and re-adding the same row
DROP TRIGGER articles_au;
CREATE TRIGGER articles_au AFTER UPDATE OF title, text ON articles BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.rowid, old.title, old.text);
    INSERT INTO articles_fts(rowid, title, text) VALUES (new.rowid, new.title, new.text);
END;
UPDATE articles SET seq = rowid;
CREATE UNIQUE INDEX articles_seq ON articles(seq);
CREATE TRIGGER articles_seq_ai AFTER INSERT ON articles WHEN new.seq IS NULL BEGIN
    UPDATE articles SET seq = (SELECT coalesce(max(seq), 0) + 1 FROM articles) WHERE rowid = new.rowid;
END;
-- memberships.seq: the order in which articles joined their stories (a story's first member), as on PostgreSQL. An
-- upsert that moves an article keeps its seq, as it kept its rowid.
ALTER TABLE memberships ADD COLUMN seq INTEGER;
UPDATE memberships SET seq = rowid;
CREATE UNIQUE INDEX memberships_seq ON memberships(seq);
CREATE TRIGGER memberships_seq_ai AFTER INSERT ON memberships WHEN new.seq IS NULL BEGIN
    UPDATE memberships SET seq = (SELECT coalesce(max(seq), 0) + 1 FROM memberships) WHERE rowid = new.rowid;
END;
