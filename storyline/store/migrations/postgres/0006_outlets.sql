-- outlets: the optional registry of outlets (docs/outlets.md); aliases and domains are jsonb arrays of text,
-- attributes a jsonb object of the user's own attributes.
CREATE TABLE outlets (
    name text COLLATE "C" PRIMARY KEY,
    aliases jsonb NOT NULL DEFAULT '[]',
    domains jsonb NOT NULL DEFAULT '[]',
    country text,
    language text,
    kind text,
    owner text,
    attributes jsonb NOT NULL DEFAULT '{}',
    imported_from text,
    updated_at timestamptz NOT NULL
);
