// Package protobuf is the registry's PROTOBUF format: it parses .proto schemas with their
// imports, prints them the way Confluent stores them, and tells which changes between two
// versions break compatibility, under Confluent's rules and with Confluent's names.
package protobuf
