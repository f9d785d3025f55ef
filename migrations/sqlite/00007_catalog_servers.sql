-- +goose Up
-- AsyncAPI servers (brokers) and Kafka message keys.

-- A server is known by its name (its key in the documents' `servers`), like a channel: documents
-- that name the same server describe one broker, and the last import that describes it wins.
-- host and pathname are AsyncAPI 3.0's; a 2.x url is split into them.
CREATE TABLE catalog_servers (
    id               INTEGER PRIMARY KEY,
    name             TEXT NOT NULL UNIQUE,
    host             TEXT NOT NULL,
    pathname         TEXT NOT NULL DEFAULT '',
    protocol         TEXT NOT NULL,
    protocol_version TEXT NOT NULL DEFAULT '',
    description      TEXT NOT NULL DEFAULT '',   -- Markdown
    variables        TEXT NOT NULL DEFAULT '{}', -- server variables as JSON ({port}: enum, default, ...)
    bindings         TEXT NOT NULL DEFAULT '{}', -- as the document gives them (kafka schemaRegistryUrl, ...)
    tags             TEXT NOT NULL DEFAULT '[]',
    document_id      INTEGER REFERENCES catalog_documents (id) ON DELETE SET NULL
);

-- The servers a service's document declares: the service runs against them.
CREATE TABLE catalog_service_servers (
    service_id INTEGER NOT NULL REFERENCES catalog_services (id) ON DELETE CASCADE,
    server_id  INTEGER NOT NULL REFERENCES catalog_servers (id) ON DELETE CASCADE,
    PRIMARY KEY (service_id, server_id)
);
CREATE INDEX catalog_service_servers_server ON catalog_service_servers (server_id);

-- The servers a channel is available on, as each document says (a channel that lists none is
-- on every server of its document).
CREATE TABLE catalog_channel_servers (
    channel_id  INTEGER NOT NULL REFERENCES catalog_channels (id) ON DELETE CASCADE,
    server_id   INTEGER NOT NULL REFERENCES catalog_servers (id) ON DELETE CASCADE,
    document_id INTEGER NOT NULL REFERENCES catalog_documents (id) ON DELETE CASCADE,
    PRIMARY KEY (channel_id, server_id, document_id)
);
CREATE INDEX catalog_channel_servers_server ON catalog_channel_servers (server_id);

-- A message's Kafka key schema (bindings.kafka.key), registered as <channel>-key.
ALTER TABLE catalog_messages ADD COLUMN key_schema_format TEXT NOT NULL DEFAULT '';
ALTER TABLE catalog_messages ADD COLUMN key_schema_type   TEXT NOT NULL DEFAULT '';
ALTER TABLE catalog_messages ADD COLUMN key_schema        TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE catalog_messages DROP COLUMN key_schema;
ALTER TABLE catalog_messages DROP COLUMN key_schema_type;
ALTER TABLE catalog_messages DROP COLUMN key_schema_format;
DROP TABLE catalog_channel_servers;
DROP TABLE catalog_service_servers;
DROP TABLE catalog_servers;
