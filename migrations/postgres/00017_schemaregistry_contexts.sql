-- +goose Up
-- Contexts: SQLite's 00022 (see there for what each column holds and for the subjects named
-- ":.ctx:name" before contexts, which move into their context with their ids), in
-- PostgreSQL's types.
CREATE TABLE sr_contexts (
    name    TEXT COLLATE "C" PRIMARY KEY,
    number  BIGINT  NOT NULL UNIQUE CHECK (number > 0),
    last_id BIGINT  NOT NULL,
    deleted BOOLEAN NOT NULL DEFAULT FALSE
);

INSERT INTO sr_contexts (name, number, last_id)
SELECT ctx, row_number() OVER (ORDER BY ctx), 0 FROM (
    SELECT DISTINCT substr(subject, 2, strpos(substr(subject, 2), ':') - 1) AS ctx FROM sr_versions
    WHERE left(subject, 2) = ':.' AND strpos(substr(subject, 2), ':') > 0
) q;

INSERT INTO sr_schemas (id, guid, schema_type, schema, refs, metadata, rule_set, created_at)
SELECT DISTINCT c.number * 4294967296 + s.id, s.guid, s.schema_type, s.schema, s.refs, s.metadata, s.rule_set, s.created_at
FROM sr_versions v
JOIN sr_contexts c ON c.name = substr(v.subject, 2, strpos(substr(v.subject, 2), ':') - 1)
JOIN sr_schemas s ON s.id = v.schema_id
WHERE left(v.subject, 2) = ':.' AND strpos(substr(v.subject, 2), ':') > 0;

INSERT INTO sr_references (schema_id, ref_subject, ref_version)
SELECT c.number * 4294967296 + r.schema_id,
    CASE WHEN left(r.ref_subject, 2) = ':.' THEN r.ref_subject ELSE ':' || c.name || ':' || r.ref_subject END,
    r.ref_version
FROM sr_references r
JOIN sr_contexts c ON r.schema_id + c.number * 4294967296 IN (SELECT id FROM sr_schemas)
ON CONFLICT DO NOTHING;

UPDATE sr_versions SET schema_id = schema_id + 4294967296 *
    (SELECT number FROM sr_contexts WHERE name = substr(subject, 2, strpos(substr(subject, 2), ':') - 1))
WHERE left(subject, 2) = ':.' AND strpos(substr(subject, 2), ':') > 0;

UPDATE sr_contexts c SET last_id = (SELECT max(id) FROM sr_schemas
    WHERE id > c.number * 4294967296 AND id < (c.number + 1) * 4294967296) - c.number * 4294967296;

-- +goose Down
DROP TABLE sr_contexts;
