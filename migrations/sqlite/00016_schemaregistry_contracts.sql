-- +goose Up
-- Data contracts in the registry's config (Confluent 7.4+): what a config says beyond its level,
-- policy and normalize — alias, validateFields, compatibilityGroup and the default and override
-- metadata and rule sets merged into each new version — as one JSON object, NULL when it says
-- none of it. Nothing queries inside it; the registry reads the row whole.
ALTER TABLE sr_config ADD COLUMN contract TEXT;

-- Associations (Confluent 8): a Kafka topic's key or value bound to a subject, which clients
-- ask before they fall back to the topic's default subject name. One row per resource and
-- association type; guid is the association's own id.
CREATE TABLE sr_associations (
    resource_id        TEXT    NOT NULL,
    resource_type      TEXT    NOT NULL,
    association_type   TEXT    NOT NULL,
    guid               TEXT    NOT NULL UNIQUE,
    resource_name      TEXT    NOT NULL,
    resource_namespace TEXT    NOT NULL,
    subject            TEXT    NOT NULL,
    lifecycle          TEXT    NOT NULL, -- STRONG or WEAK
    frozen             INTEGER NOT NULL,
    created_at         INTEGER NOT NULL, -- unix milliseconds
    updated_at         INTEGER NOT NULL,
    PRIMARY KEY (resource_id, resource_type, association_type)
) WITHOUT ROWID;
CREATE INDEX sr_associations_name ON sr_associations (resource_name, resource_namespace);
CREATE INDEX sr_associations_subject ON sr_associations (subject);

-- +goose Down
DROP TABLE sr_associations;
ALTER TABLE sr_config DROP COLUMN contract;
