-- cluster: per-article dense embeddings (float16 little-endian blobs), so a later run restores the clusterer
-- without re-encoding every stored article. One row per article and model.
CREATE TABLE article_embeddings (
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    model TEXT NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (article_id, model)
);
