// Package demo is the synthetic shop behind `eventlens demo`: orders, payments, inventory, shipping
// and notifications exchanging messages through an in-process Kafka cluster (franz-go's kfake),
// each service a franz-go client traced by franz-go's kotel plugin with an OpenTelemetry Go SDK
// tracer provider of its own, exporting spans to eventlens with the real OTLP/HTTP exporter.
//
// It is a client of eventlens and talks to it only over its public protocols (the catalog's
// REST API, the Confluent-compatible registry API and OTLP/HTTP): it imports nothing of eventlens.
// eventlens polls its Kafka cluster (NewCluster, Cluster.Brokers) for consumer-group lag as it
// polls any other.
//
// # Kafka, as an application uses it
//
// Each consumer is in its own group, handles each partition's records in order, the partitions
// side by side, and commits what it has processed (AutoCommitMarks), so the group's committed
// offsets are its real backlog. shipping books parcels slowly, and for one
// stretch in three (Options.LagCycle, 2 min, from the start) its carrier is slower still, so
// its group falls behind at every poll, then catches up. payments sends each declined order as
// it came to orders.placed.DLT, the dead-letter topic Spring Kafka would name, which nobody
// consumes. kotel makes the publish and receive spans; each handler runs inside the process
// span kotel's Tracer.WithProcessSpan starts, to which the shop adds what eventlens reads and
// kotel does not say (see processSpan). Only the emails notifications sends through RabbitMQ
// are a hand-made span: the shop has no RabbitMQ.
//
// # The shop describes itself
//
// Each service has an AsyncAPI 3.0 document, embedded from asyncapi/*.yaml: its channels (Kafka
// topics, and a RabbitMQ exchange for emails), its send and receive operations (receives name
// their Kafka consumer group), its messages and their payloads (Avro for orders.placed, Protobuf
// for inventory.reserved, JSON Schema for the others), its owner (a team), its domain
// (x-eventlens-domain), tags and descriptions. A channel or message that several documents
// mention is written the same way in each. At start the shop imports the documents with
// POST /api/catalog/asyncapi, which registers every payload in the schema registry under
// <topic>-value. Every message is in the Confluent wire format, the id of the schema it was
// written with in its first bytes, and every span names a schema in eventlens' attributes
// messaging.message.schema.id and messaging.message.schema.version: a producer the one it writes
// with, a consumer the one it decodes with (the id in the bytes it received), so the subject
// pages and the catalog's drift can tell who reads which version.
// A payload the registry refuses (when the database already holds an incompatible newer version
// of the subject) is logged, and that channel's spans carry no schema.
//
// # The contract evolves
//
// While the shop runs, the orders team changes OrderPlaced, one change every
// Options.SchemaStep (15 s), registered with POST /subjects/orders.placed-value/versions as a
// producer's serializer would: version 2 adds a field with a default; then a change that adds a
// field without one is refused by the registry (409, logged as a warning, and listed on the
// subject's page and on /drift); then version 3 rewords the record's doc and adds an optional
// field. orders writes each new version as soon as the registry takes it, and payments, which
// decodes with the schema a message names, follows. inventory does not: it was built against
// version 1 and keeps decoding with it, so it shows as a consumer on an older version. On a
// database that already holds the versions (a restart with a kept database) the shop takes them
// at once and only tries the refused change again.
//
// # The deliberate drift
//
// One consumer is left out of the documents on purpose: fraud-check reads payments.completed in
// consumer group fraud-check, so GET /api/catalog/drift always shows one undocumented_consumer.
// Once version 2 of orders.placed-value is in, it also shows inventory's
// stale_consumer_schema. The dead-letter topic is in no document either (an
// undocumented_producer, and a channel_without_schema: its messages are orders.placed's).
// Everything else the shop does is documented, and its other spans name the registry's latest
// schemas, so there is no other finding (not_observed starts counting only a week after the
// import).
//
// # API keys
//
// The shop sends no credentials unless Options.APIKey holds a key ("id:secret", role write): then
// the catalog import gets it as HTTP Basic and the OTLP exporter as a Bearer token (the secret).
// A server that has API keys therefore needs EVENTLENS_DEMO_KEY=id:secret for
// `eventlens serve --demo` and `eventlens demo --db …`; without it the import is refused (the shop
// logs a warning and keeps running) and so are its spans.
package demo
