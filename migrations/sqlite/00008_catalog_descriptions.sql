-- +goose Up
-- Several documents may describe one channel or one server (each service's document lists the
-- channels and brokers it uses). Each keeps its own description here, as the document gives it
-- (a JSON object: the catalog.Channel or catalog.Server fields), and the row in catalog_channels
-- or catalog_servers is their merge (catalog/merge.go): a field takes the value of the first
-- description that sets one, bindings and variables merge key by key, tags are the union. The
-- row's document_id is now the document whose description comes first. A channel or server no
-- document describes any more is removed.

CREATE TABLE catalog_channel_descriptions (
    channel_id  INTEGER NOT NULL REFERENCES catalog_channels (id) ON DELETE CASCADE,
    document_id INTEGER NOT NULL REFERENCES catalog_documents (id) ON DELETE CASCADE,
    sends       INTEGER NOT NULL, -- 1 when the document's service sends on the channel: it comes first
    facts       TEXT    NOT NULL,
    PRIMARY KEY (channel_id, document_id)
);
CREATE INDEX catalog_channel_descriptions_document ON catalog_channel_descriptions (document_id);

CREATE TABLE catalog_server_descriptions (
    server_id   INTEGER NOT NULL REFERENCES catalog_servers (id) ON DELETE CASCADE,
    document_id INTEGER NOT NULL REFERENCES catalog_documents (id) ON DELETE CASCADE,
    facts       TEXT    NOT NULL,
    PRIMARY KEY (server_id, document_id)
);
CREATE INDEX catalog_server_descriptions_document ON catalog_server_descriptions (document_id);

-- Until now only the last document to describe a row was kept, so every document that uses a
-- channel (operations, channel messages, channel servers) or declares a server gets the row as
-- it stands. Each document's own description replaces this at its next changed import.
INSERT INTO catalog_channel_descriptions (channel_id, document_id, sends, facts)
SELECT c.id, d.document_id,
    EXISTS (SELECT 1 FROM catalog_operations op JOIN catalog_services s ON s.id = op.service_id
        WHERE op.channel_id = c.id AND op.action = 'send' AND s.document_id = d.document_id),
    json_object('name', c.name, 'address', c.address, 'kafkaTopic', c.kafka_topic, 'bindings', json(c.bindings),
        'description', c.description, 'owner', coalesce(o.name, ''), 'tags', json(c.tags))
FROM catalog_channels c
JOIN (SELECT id AS channel_id, document_id FROM catalog_channels WHERE document_id IS NOT NULL
    UNION SELECT op.channel_id, s.document_id FROM catalog_operations op
        JOIN catalog_services s ON s.id = op.service_id WHERE s.document_id IS NOT NULL
    UNION SELECT channel_id, document_id FROM catalog_channel_messages
    UNION SELECT channel_id, document_id FROM catalog_channel_servers) d ON d.channel_id = c.id
LEFT JOIN catalog_owners o ON o.id = c.owner_id;

INSERT INTO catalog_server_descriptions (server_id, document_id, facts)
SELECT sv.id, d.document_id,
    json_object('name', sv.name, 'host', sv.host, 'pathname', sv.pathname, 'protocol', sv.protocol,
        'protocolVersion', sv.protocol_version, 'description', sv.description, 'variables', json(sv.variables),
        'bindings', json(sv.bindings), 'tags', json(sv.tags))
FROM catalog_servers sv
JOIN (SELECT id AS server_id, document_id FROM catalog_servers WHERE document_id IS NOT NULL
    UNION SELECT ss.server_id, s.document_id FROM catalog_service_servers ss
        JOIN catalog_services s ON s.id = ss.service_id WHERE s.document_id IS NOT NULL) d ON d.server_id = sv.id;

-- +goose Down
DROP TABLE catalog_server_descriptions;
DROP TABLE catalog_channel_descriptions;
