-- +goose Up
-- Contexts (Confluent's ":.staging:orders-value"): each context other than the default one
-- has its own schema ids. A schema's key in sr_schemas is its context's number times 2^32 plus
-- its id in the context, so the default context (number 0, no row here) keeps every id as it
-- was. last_id is the highest id the context ever handed out (sr_ids is the default context's),
-- so a hard-deleted id is not given again. A deleted context (DELETE /contexts/{c}, only when
-- it has no subjects) keeps its row and number, marked deleted, and comes back with its ids
-- when a subject is registered in it again. Subjects, config and mode rows name contexts by
-- the qualified subject (":.staging:orders-value", ":.staging:" for the context's own).
CREATE TABLE sr_contexts (
    name    TEXT    PRIMARY KEY,           -- ".staging"
    number  INTEGER NOT NULL UNIQUE CHECK (number > 0),
    last_id INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- Subjects named ":.ctx:name" before contexts (STRONG associations with a namespace register
-- them) move into their context with the ids they had. Their schemas stay in the default
-- context as well, so a client reading such an id without ?subject= still finds it.
INSERT INTO sr_contexts (name, number, last_id)
SELECT ctx, row_number() OVER (ORDER BY ctx), 0 FROM (
    SELECT DISTINCT substr(subject, 2, instr(substr(subject, 2), ':') - 1) AS ctx FROM sr_versions
    WHERE substr(subject, 1, 2) = ':.' AND instr(substr(subject, 2), ':') > 0
);

INSERT INTO sr_schemas (id, guid, schema_type, schema, refs, metadata, rule_set, created_at)
SELECT DISTINCT c.number * 4294967296 + s.id, s.guid, s.schema_type, s.schema, s.refs, s.metadata, s.rule_set, s.created_at
FROM sr_versions v
JOIN sr_contexts c ON c.name = substr(v.subject, 2, instr(substr(v.subject, 2), ':') - 1)
JOIN sr_schemas s ON s.id = v.schema_id
WHERE substr(v.subject, 1, 2) = ':.' AND instr(substr(v.subject, 2), ':') > 0;

-- A reference that names no context is now to a subject of the referring schema's.
INSERT OR IGNORE INTO sr_references (schema_id, ref_subject, ref_version)
SELECT c.number * 4294967296 + r.schema_id,
    CASE WHEN substr(r.ref_subject, 1, 2) = ':.' THEN r.ref_subject ELSE ':' || c.name || ':' || r.ref_subject END,
    r.ref_version
FROM sr_references r
JOIN sr_contexts c ON r.schema_id + c.number * 4294967296 IN (SELECT id FROM sr_schemas);

UPDATE sr_versions SET schema_id = schema_id + 4294967296 *
    (SELECT number FROM sr_contexts WHERE name = substr(subject, 2, instr(substr(subject, 2), ':') - 1))
WHERE substr(subject, 1, 2) = ':.' AND instr(substr(subject, 2), ':') > 0;

UPDATE sr_contexts SET last_id = (SELECT max(id) FROM sr_schemas
    WHERE id > sr_contexts.number * 4294967296 AND id < (sr_contexts.number + 1) * 4294967296) - number * 4294967296;

-- +goose Down
DROP TABLE sr_contexts;
