-- +goose Up
-- The catalog: what AsyncAPI documents (and people, through the API) say about the event landscape.
-- Names are the keys users see; ids are internal. Tags are JSON arrays of strings. Rows that a
-- document described carry its id, so a changed document can remove what it no longer describes.

CREATE TABLE catalog_owners (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL DEFAULT 'team' CHECK (kind IN ('team', 'person')),
    email       TEXT NOT NULL DEFAULT '',
    url         TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT ''
);

-- One row per AsyncAPI document (keyed by its `id`, else its info.title); each import that
-- changes it adds a row to catalog_document_versions.
CREATE TABLE catalog_documents (
    id               INTEGER PRIMARY KEY,
    key              TEXT    NOT NULL UNIQUE,
    asyncapi_version TEXT    NOT NULL,
    version          INTEGER NOT NULL,         -- the newest row in catalog_document_versions
    hash             TEXT    NOT NULL,         -- sha256 of every file read and the import options
    source           TEXT    NOT NULL,         -- file name, or "api" for an uploaded body
    imported_at      TEXT    NOT NULL
);

CREATE TABLE catalog_document_versions (
    document_id INTEGER NOT NULL REFERENCES catalog_documents (id) ON DELETE CASCADE,
    version     INTEGER NOT NULL,
    hash        TEXT    NOT NULL,
    source      TEXT    NOT NULL,
    content     TEXT    NOT NULL,              -- the root file as imported
    imported_at TEXT    NOT NULL,
    PRIMARY KEY (document_id, version)
);

CREATE TABLE catalog_domains (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',      -- Markdown
    owner_id    INTEGER REFERENCES catalog_owners (id) ON DELETE SET NULL,
    tags        TEXT NOT NULL DEFAULT '[]'
);

CREATE TABLE catalog_services (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    version     TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',      -- Markdown
    domain_id   INTEGER REFERENCES catalog_domains (id) ON DELETE SET NULL,
    owner_id    INTEGER REFERENCES catalog_owners (id) ON DELETE SET NULL,
    tags        TEXT NOT NULL DEFAULT '[]',
    document_id INTEGER REFERENCES catalog_documents (id) ON DELETE SET NULL
);

-- name is the Kafka topic when the channel has a Kafka binding, else its address.
CREATE TABLE catalog_channels (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    address     TEXT NOT NULL DEFAULT '',
    kafka_topic TEXT NOT NULL DEFAULT '',
    bindings    TEXT NOT NULL DEFAULT '{}',    -- the channel's bindings as JSON (AMQP exchange/queue, Kafka partitions, ...)
    description TEXT NOT NULL DEFAULT '',
    owner_id    INTEGER REFERENCES catalog_owners (id) ON DELETE SET NULL,
    tags        TEXT NOT NULL DEFAULT '[]',
    document_id INTEGER REFERENCES catalog_documents (id) ON DELETE SET NULL
);

CREATE TABLE catalog_messages (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    kind          TEXT NOT NULL DEFAULT 'event' CHECK (kind IN ('event', 'command', 'query')),
    title         TEXT NOT NULL DEFAULT '',
    summary       TEXT NOT NULL DEFAULT '',
    description   TEXT NOT NULL DEFAULT '',
    content_type  TEXT NOT NULL DEFAULT '',
    schema_format TEXT NOT NULL DEFAULT '',    -- as the document says it, e.g. application/vnd.apache.avro;version=1.9.0
    schema_type   TEXT NOT NULL DEFAULT '',    -- the registry's name for it: JSON, AVRO, PROTOBUF; '' if none
    payload       TEXT NOT NULL DEFAULT '',    -- the payload schema, references resolved
    subject       TEXT NOT NULL DEFAULT '',    -- x-eventlens-subject; '' means TopicNameStrategy per channel
    owner_id      INTEGER REFERENCES catalog_owners (id) ON DELETE SET NULL,
    tags          TEXT NOT NULL DEFAULT '[]',
    document_id   INTEGER REFERENCES catalog_documents (id) ON DELETE SET NULL
);

-- Which messages travel on which channel, under which registry subject, and which document says so.
CREATE TABLE catalog_channel_messages (
    channel_id  INTEGER NOT NULL REFERENCES catalog_channels (id) ON DELETE CASCADE,
    message_id  INTEGER NOT NULL REFERENCES catalog_messages (id) ON DELETE CASCADE,
    document_id INTEGER NOT NULL REFERENCES catalog_documents (id) ON DELETE CASCADE,
    subject     TEXT    NOT NULL,
    PRIMARY KEY (channel_id, message_id, document_id)
);

-- What a service sends or receives, on which channel, in which consumer group.
CREATE TABLE catalog_operations (
    id             INTEGER PRIMARY KEY,
    service_id     INTEGER NOT NULL REFERENCES catalog_services (id) ON DELETE CASCADE,
    name           TEXT    NOT NULL,
    action         TEXT    NOT NULL CHECK (action IN ('send', 'receive')),
    channel_id     INTEGER NOT NULL REFERENCES catalog_channels (id),
    summary        TEXT    NOT NULL DEFAULT '',
    description    TEXT    NOT NULL DEFAULT '',
    consumer_group TEXT    NOT NULL DEFAULT '',
    UNIQUE (service_id, name)
);
CREATE INDEX catalog_operations_channel ON catalog_operations (channel_id);

CREATE TABLE catalog_operation_messages (
    operation_id INTEGER NOT NULL REFERENCES catalog_operations (id) ON DELETE CASCADE,
    message_id   INTEGER NOT NULL REFERENCES catalog_messages (id),
    PRIMARY KEY (operation_id, message_id)
);
CREATE INDEX catalog_operation_messages_message ON catalog_operation_messages (message_id);

-- +goose Down
DROP TABLE catalog_operation_messages;
DROP TABLE catalog_operations;
DROP TABLE catalog_channel_messages;
DROP TABLE catalog_messages;
DROP TABLE catalog_channels;
DROP TABLE catalog_services;
DROP TABLE catalog_domains;
DROP TABLE catalog_document_versions;
DROP TABLE catalog_documents;
DROP TABLE catalog_owners;
