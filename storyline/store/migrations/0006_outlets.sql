-- outlets: the optional registry of outlets (docs/outlets.md), fed by `storyline outlets import FILE`.
-- aliases and domains are JSON arrays of text; attributes a JSON object of the user's own attributes (e.g. a lean
-- rating the user supplies); each name, alias and domain points at one outlet (checked on import).
CREATE TABLE outlets (
    name TEXT PRIMARY KEY,
    aliases TEXT NOT NULL DEFAULT '[]',
    domains TEXT NOT NULL DEFAULT '[]',
    country TEXT,
    language TEXT,
    kind TEXT,
    owner TEXT,
    attributes TEXT NOT NULL DEFAULT '{}',
    imported_from TEXT,
    updated_at TEXT NOT NULL
);
