-- story views: per-article named-entity results (spaCy NER is the slowest part of a view), keyed by extractor
CREATE TABLE IF NOT EXISTS article_entities (
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    method TEXT NOT NULL,
    entities TEXT NOT NULL,
    PRIMARY KEY (article_id, method)
);
