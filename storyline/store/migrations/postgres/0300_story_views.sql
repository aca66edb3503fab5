-- story views: per-article named-entity results (spaCy NER is the slowest part of a view), keyed by extractor
CREATE TABLE IF NOT EXISTS article_entities (
    article_id text COLLATE "C" NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    method text NOT NULL,
    entities jsonb NOT NULL,
    PRIMARY KEY (article_id, method)
);
