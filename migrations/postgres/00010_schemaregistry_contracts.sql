-- +goose Up
-- Data contracts in the registry's config and associations: SQLite's 00016 (see there for what
-- each holds), in PostgreSQL's types. The contract stays TEXT, as the other JSON columns.
ALTER TABLE sr_config ADD COLUMN contract TEXT;

CREATE TABLE sr_associations (
    resource_id        TEXT COLLATE "C" NOT NULL,
    resource_type      TEXT COLLATE "C" NOT NULL,
    association_type   TEXT COLLATE "C" NOT NULL,
    guid               TEXT    NOT NULL UNIQUE,
    resource_name      TEXT COLLATE "C" NOT NULL,
    resource_namespace TEXT COLLATE "C" NOT NULL,
    subject            TEXT COLLATE "C" NOT NULL,
    lifecycle          TEXT    NOT NULL,
    frozen             BOOLEAN NOT NULL,
    created_at         BIGINT  NOT NULL,
    updated_at         BIGINT  NOT NULL,
    PRIMARY KEY (resource_id, resource_type, association_type)
);
CREATE INDEX sr_associations_name ON sr_associations (resource_name, resource_namespace);
CREATE INDEX sr_associations_subject ON sr_associations (subject);

-- +goose Down
DROP TABLE sr_associations;
ALTER TABLE sr_config DROP COLUMN contract;
