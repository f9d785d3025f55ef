// Package avro implements the registry's schema format for Apache Avro: parsing with references,
// the canonical and normalized texts Confluent stores, and Avro's reader/writer compatibility rules.
// It reproduces the answers of Confluent's AvroSchema (Java Avro underneath) so that ids, MD5
// deduplication and compatibility verdicts agree with a Confluent Schema Registry.
package avro
