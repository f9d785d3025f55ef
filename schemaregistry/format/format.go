// Package format declares what the registry needs from a schema format (Avro, JSON Schema,
// Protobuf): parsing with references, a canonical text, and a compatibility check that names
// every difference. Each format lives in its own package and knows nothing of HTTP or storage.
package format

import "errors"

// ErrInvalidSchema marks a schema text that does not parse or validate; the registry answers it
// with Confluent's 42201.
var ErrInvalidSchema = errors.New("invalid schema")

// ErrTooLarge marks a schema refused for its size or its number of references, before any
// real work on it; errors carrying it also carry ErrInvalidSchema. The registry answers it with
// Confluent's 42209 (schema too large).
var ErrTooLarge = errors.New("schema too large")

// Reference is a schema that another schema imports, already resolved by the registry to the
// text of the referenced version.
type Reference struct {
	Name    string // how the referring schema names it: Avro full name, JSON $ref URL, .proto import path
	Subject string
	Version int
	Schema  string // the referenced version's stored text
}

// Difference is one change between two versions of a schema that breaks compatibility.
//
// Type, Path and Message are what Confluent answers. Field, OldType and NewType say where and
// what in the words of the people who write the schema, for reports; registry answers never
// carry them. Field is empty for a change outside any field (at the root, to a message or
// a package), where the types, when set, are those of that place. A type is empty when that
// schema lacks the field: only NewType is set for a field the new schema adds, only OldType
// for one it drops.
//
// OldPath and NewPath say where the difference is in each schema's own text, in Path's
// notation, to find its line there. Path cannot: Confluent walks the schema that reads, so
// under FORWARD its positions (Avro's /fields/N) are the old schema's, and Avro's union
// branches are always the writer's. Where a schema lacks the field (or union branch) the
// other has, its path is that of the record, object or message that would hold it.
type Difference struct {
	Type    string // Confluent's name for the kind of change, e.g. READER_FIELD_MISSING_DEFAULT_VALUE
	Path    string // where in the schema: "/fields/1/type" (Avro), "#/properties/x" (JSON), "#/Msg/3" (Protobuf)
	Message string // Confluent's verbose message: {errorType:'…', description:'…'[, additionalInfo:'…']}

	Field   string // dotted name: "Payment.id" (Avro), "customer.id" (JSON Schema), "Order.id (1)" (Protobuf)
	OldType string // the field's type in the old schema as written: "string", "null | string", "Address"
	NewType string // the field's type in the new schema
	OldPath string // where in the old schema: "/fields/3/type"
	NewPath string // where in the new schema: "/fields/0/type"
}

// Format parses schema texts of one schema type.
type Format interface {
	// Type is the registry's name for the format: AVRO, JSON or PROTOBUF.
	Type() string
	// Parse validates text with its references and returns the parsed schema, or an error
	// wrapping ErrInvalidSchema.
	Parse(text string, refs []Reference) (Schema, error)
}

// Schema is a parsed schema, parsed once and compared many times.
type Schema interface {
	// Canonical is the text the registry stores and compares to find an existing schema.
	Canonical() string
	// Normalized is the canonical text after the format's normalization (normalize=true).
	Normalized() string
	// BackwardIncompatibilities lists every reason why data written with previous cannot be read
	// with this schema; none means this schema is backward compatible with previous.
	BackwardIncompatibilities(previous Schema) []Difference
}

// PolicySchema is a Schema whose compatibility check depends on the subject's
// compatibilityPolicy (JSON Schema: STRICT or LENIENT).
type PolicySchema interface {
	Schema
	// WithPolicy returns the schema judged under policy; the receiver is left as it is, so one
	// parsed schema can serve subjects with different policies.
	WithPolicy(policy string) Schema
}

// FieldSchema is a Schema that tells which fields it has at its top level: a record's fields
// (Avro), the root's properties (JSON Schema), the fields of the file's messages (Protobuf).
// The registry asks it for the fields a data contract reserves (validateFields).
type FieldSchema interface {
	HasTopLevelField(name string) bool
}
