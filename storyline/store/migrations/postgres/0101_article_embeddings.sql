-- cluster: per-article dense embeddings (float16 little-endian bytes), one row per article and model; seq is the
-- insertion order (SQLite's rowid). With the pgvector extension installed on the server, PostgresStore also keeps
-- each vector in a `vector` column (added by the store on open, see storyline/store/postgres/vectors.py).
CREATE TABLE article_embeddings (
    seq bigserial NOT NULL UNIQUE,
    article_id text COLLATE "C" NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    model text COLLATE "C" NOT NULL,
    vector bytea NOT NULL,
    PRIMARY KEY (article_id, model)
);
