-- copies: MinHash signatures (LSH restore after restart, paged by seq: SQLite's rowid), judged pairs, origins,
-- sentence alignments
CREATE TABLE copy_signatures (
    seq bigserial NOT NULL UNIQUE,
    article_id text COLLATE "C" PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    body_hash text COLLATE "C" NOT NULL,
    num_perm integer NOT NULL,
    seed bigint NOT NULL,
    shingle_words integer NOT NULL,
    signature bytea NOT NULL
);
CREATE INDEX copy_signatures_hash ON copy_signatures(body_hash);
CREATE TABLE copy_pairs (
    article_a text COLLATE "C" NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    article_b text COLLATE "C" NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    relation text NOT NULL CHECK (relation IN ('copy', 'rewrite')),
    similarity double precision NOT NULL,
    containment double precision NOT NULL,
    coverage double precision NOT NULL,
    method text NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (article_a, article_b),
    CHECK (article_a < article_b)
);
CREATE INDEX copy_pairs_b ON copy_pairs(article_b);
CREATE TABLE copies (
    article_id text COLLATE "C" PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    origin_id text COLLATE "C" NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    relation text NOT NULL CHECK (relation IN ('copy', 'rewrite')),
    similarity double precision NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX copies_origin ON copies(origin_id);
CREATE TABLE sentence_alignments (
    article_a text COLLATE "C" NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    article_b text COLLATE "C" NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    sent_a integer NOT NULL,
    sent_b integer NOT NULL,
    a_start integer NOT NULL,
    a_end integer NOT NULL,
    b_start integer NOT NULL,
    b_end integer NOT NULL,
    lexical double precision NOT NULL,
    dense double precision,
    method text NOT NULL,
    PRIMARY KEY (article_a, article_b, sent_a)
);
CREATE INDEX sentence_alignments_b ON sentence_alignments(article_b);
