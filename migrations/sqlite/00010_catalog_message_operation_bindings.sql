-- +goose Up
-- Message and operation bindings, kept as the document gives them (JSON objects, as
-- catalog_channels.bindings): a message's AMQP contentEncoding, its Kafka schemaIdLocation, an
-- operation's MQTT qos or Kafka clientId. A message's bindings are merged from its documents'
-- descriptions (catalog_message_descriptions' facts gain "bindings") key by key; its Kafka key
-- schema stays in key_schema and is not repeated here. An operation's consumer_group stays: it
-- is read from its Kafka groupId.
ALTER TABLE catalog_messages ADD COLUMN bindings TEXT NOT NULL DEFAULT '{}';
ALTER TABLE catalog_operations ADD COLUMN bindings TEXT NOT NULL DEFAULT '{}';

-- +goose Down
ALTER TABLE catalog_operations DROP COLUMN bindings;
ALTER TABLE catalog_messages DROP COLUMN bindings;
