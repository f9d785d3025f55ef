// Package jsonschema is the registry's JSON Schema format: it parses drafts 4, 6, 7, 2019-09 and
// 2020-12 with their references, and compares two versions the way the Confluent Schema Registry
// does, naming every change with Confluent's difference type and JSON-pointer path.
//
// Parsing, metaschema validation and $ref resolution are delegated to
// github.com/santhosh-tekuri/jsonschema/v6. The comparison works on a small object model that
// reads a schema the way Confluent's Java object model reads it (everit-json-schema for drafts
// 4 to 7, json-sKema translated to that model for 2019-09 and 2020-12), because the same text
// yields different differences under the two readings and the registry must agree with
// Confluent on both.
package jsonschema
