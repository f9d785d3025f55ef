// Package schemaregistry is eventlens' schema registry: subjects, versions, global schema ids,
// references, compatibility config and modes, with the semantics of the Confluent Schema Registry.
// It stores everything in SQLite, keeps parsed schemas in memory, and knows nothing of HTTP.
package schemaregistry
