package schemaregistry

import (
	"github.com/eventlens/eventlens/schemaregistry/avro"
	"github.com/eventlens/eventlens/schemaregistry/format"
	"github.com/eventlens/eventlens/schemaregistry/jsonschema"
	"github.com/eventlens/eventlens/schemaregistry/protobuf"
)

// Formats are the schema formats eventlens understands, by schema type: what the server
// registers and what `eventlens check` compares offline.
func Formats() map[string]format.Format {
	return map[string]format.Format{
		"AVRO":     avro.Format{},
		"JSON":     jsonschema.Format{},
		"PROTOBUF": protobuf.Format{},
	}
}
