package main

import (
	"github.com/eventlens/eventlens/schemaregistry/avro"
	"github.com/eventlens/eventlens/schemaregistry/format"
	"github.com/eventlens/eventlens/schemaregistry/jsonschema"
)

// schemaFormats are the schema formats this binary understands, by schema type.
func schemaFormats() map[string]format.Format {
	return map[string]format.Format{"AVRO": avro.Format{}, "JSON": jsonschema.Format{}}
}
