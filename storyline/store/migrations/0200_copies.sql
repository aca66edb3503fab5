-- copies: MinHash signatures (LSH restore after restart), judged pairs, origins, sentence alignments
CREATE TABLE copy_signatures (
    article_id TEXT PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    body_hash TEXT NOT NULL,
    num_perm INTEGER NOT NULL,
    seed INTEGER NOT NULL,
    shingle_words INTEGER NOT NULL,
    signature BLOB NOT NULL
);
CREATE INDEX copy_signatures_hash ON copy_signatures(body_hash);
CREATE TABLE copy_pairs (
    article_a TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    article_b TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    relation TEXT NOT NULL CHECK (relation IN ('copy', 'rewrite')),
    similarity REAL NOT NULL,
    containment REAL NOT NULL,
    coverage REAL NOT NULL,
    method TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (article_a, article_b),
    CHECK (article_a < article_b)
);
CREATE INDEX copy_pairs_b ON copy_pairs(article_b);
CREATE TABLE copies (
    article_id TEXT PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    origin_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    relation TEXT NOT NULL CHECK (relation IN ('copy', 'rewrite')),
    similarity REAL NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX copies_origin ON copies(origin_id);
CREATE TABLE sentence_alignments (
    article_a TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    article_b TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    sent_a INTEGER NOT NULL,
    sent_b INTEGER NOT NULL,
    a_start INTEGER NOT NULL,
    a_end INTEGER NOT NULL,
    b_start INTEGER NOT NULL,
    b_end INTEGER NOT NULL,
    lexical REAL NOT NULL,
    dense REAL,
    method TEXT NOT NULL,
    PRIMARY KEY (article_a, article_b, sent_a)
);
CREATE INDEX sentence_alignments_b ON sentence_alignments(article_b);
