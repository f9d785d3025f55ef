// Package avro implements the registry's schema format for Apache Avro: parsing with references,
// the canonical and normalized texts Confluent stores, Java Avro's reader/writer compatibility
// rules with every incompatibility reported, and a diff that names every change, compatible or not.
// It reproduces the answers of Confluent's AvroSchema so that MD5 deduplication and compatibility
// verdicts agree with a Confluent Schema Registry.
package avro
