// Package javajson holds JSON values that keep their members' order and print the way Java's
// Jackson prints them, so canonical schema texts match Confluent's byte for byte.
// The Avro and JSON Schema formats both parse schema texts into a Value and write it back.
package javajson
