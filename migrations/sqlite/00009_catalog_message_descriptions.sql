-- +goose Up
-- Several documents may describe one message (its producer's and each consumer's). As for
-- channels (00008), each keeps its own description here, as a JSON object of the fields the
-- document gives (name, kind, title, summary, description, contentType, subject, owner, tags,
-- payload and key, each {schemaFormat, schemaType, schema}), and the row in catalog_messages is
-- their merge (catalog/merge.go). The documents whose service sends the message come first, then
-- the first imported; a payload or key comes whole from the first description that has one. A
-- message no document describes any more is removed.

CREATE TABLE catalog_message_descriptions (
    message_id  INTEGER NOT NULL REFERENCES catalog_messages (id) ON DELETE CASCADE,
    document_id INTEGER NOT NULL REFERENCES catalog_documents (id) ON DELETE CASCADE,
    sends       INTEGER NOT NULL, -- 1 when the document's service sends the message: it comes first
    facts       TEXT    NOT NULL,
    PRIMARY KEY (message_id, document_id)
);
CREATE INDEX catalog_message_descriptions_document ON catalog_message_descriptions (document_id);

-- Until now the last document to describe a message won, so every document that uses it (its
-- row's document, operations, channel messages) gets the row as it stands. Each document's own
-- description replaces this at its next changed import.
INSERT INTO catalog_message_descriptions (message_id, document_id, sends, facts)
SELECT m.id, d.document_id,
    EXISTS (SELECT 1 FROM catalog_operation_messages om JOIN catalog_operations op ON op.id = om.operation_id
        JOIN catalog_services s ON s.id = op.service_id
        WHERE om.message_id = m.id AND op.action = 'send' AND s.document_id = d.document_id),
    json_object('name', m.name, 'kind', m.kind, 'title', m.title, 'summary', m.summary,
        'description', m.description, 'contentType', m.content_type, 'subject', m.subject,
        'owner', coalesce(o.name, ''), 'tags', json(m.tags),
        'payload', CASE WHEN m.payload <> '' THEN
            json_object('schemaFormat', m.schema_format, 'schemaType', m.schema_type, 'schema', m.payload) END,
        'key', CASE WHEN m.key_schema <> '' THEN
            json_object('schemaFormat', m.key_schema_format, 'schemaType', m.key_schema_type, 'schema', m.key_schema) END)
FROM catalog_messages m
JOIN (SELECT id AS message_id, document_id FROM catalog_messages WHERE document_id IS NOT NULL
    UNION SELECT om.message_id, s.document_id FROM catalog_operation_messages om
        JOIN catalog_operations op ON op.id = om.operation_id
        JOIN catalog_services s ON s.id = op.service_id WHERE s.document_id IS NOT NULL
    UNION SELECT message_id, document_id FROM catalog_channel_messages) d ON d.message_id = m.id
LEFT JOIN catalog_owners o ON o.id = m.owner_id;

-- +goose Down
DROP TABLE catalog_message_descriptions;
