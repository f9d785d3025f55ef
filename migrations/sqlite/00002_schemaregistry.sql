-- +goose Up
-- The schema registry: distinct schemas with their global ids, the subject versions that point
-- at them, the references between them, and per-subject (or global) config and mode.

-- One row per distinct schema. guid is Confluent's MD5 over the stored text, references,
-- metadata and rule set, written as a UUID; AUTOINCREMENT so a hard-deleted id is never reused.
CREATE TABLE sr_schemas (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    guid        TEXT    NOT NULL,
    schema_type TEXT    NOT NULL,
    schema      TEXT    NOT NULL,
    refs        TEXT    NOT NULL DEFAULT '[]', -- JSON [{name, subject, version}], versions resolved
    metadata    TEXT,                          -- JSON, NULL when absent
    rule_set    TEXT,                          -- JSON, NULL when absent
    created_at  INTEGER NOT NULL               -- unix milliseconds
);
CREATE INDEX sr_schemas_guid ON sr_schemas (guid, schema_type);

-- Subject versions. deleted = 1 is a soft delete; a hard delete removes the row.
CREATE TABLE sr_versions (
    subject    TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    schema_id  INTEGER NOT NULL REFERENCES sr_schemas (id),
    deleted    INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (subject, version)
) WITHOUT ROWID;
CREATE INDEX sr_versions_schema ON sr_versions (schema_id);

-- Which subject versions a schema references, to answer referencedby and refuse deletes.
CREATE TABLE sr_references (
    schema_id   INTEGER NOT NULL REFERENCES sr_schemas (id) ON DELETE CASCADE,
    ref_subject TEXT    NOT NULL,
    ref_version INTEGER NOT NULL,
    PRIMARY KEY (schema_id, ref_subject, ref_version)
) WITHOUT ROWID;
CREATE INDEX sr_references_target ON sr_references (ref_subject, ref_version);

-- Compatibility config; subject '__GLOBAL' (not a valid subject) holds the global one.
CREATE TABLE sr_config (
    subject              TEXT PRIMARY KEY,
    compatibility        TEXT,
    compatibility_policy TEXT,
    normalize            INTEGER
) WITHOUT ROWID;

-- Mode; subject '__GLOBAL' holds the global one.
CREATE TABLE sr_mode (
    subject TEXT PRIMARY KEY,
    mode    TEXT NOT NULL
) WITHOUT ROWID;

-- +goose Down
DROP TABLE sr_mode;
DROP TABLE sr_config;
DROP TABLE sr_references;
DROP TABLE sr_versions;
DROP TABLE sr_schemas;
