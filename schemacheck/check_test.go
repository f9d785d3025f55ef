package schemacheck

import (
	"fmt"
	"slices"
	"testing"

	"github.com/eventlens/eventlens/schemaregistry"
)

// TestFindingsNameFields checks, for each schema format, that a check offline names the field
// of every break with its old and new types, at the right line of the new file.
func TestFindingsNameFields(t *testing.T) {
	avro := func(fields string) string {
		return "{\n  \"type\": \"record\",\n  \"name\": \"Payment\",\n  \"namespace\": \"shop\",\n  \"fields\": [\n" + fields + "\n  ]\n}"
	}
	jsonSchema := func(properties, more string) string {
		return "{\n  \"type\": \"object\",\n  \"additionalProperties\": false,\n  \"properties\": {\n" + properties + "\n  }" + more + "\n}"
	}
	proto := func(syntax, body string) string {
		return "syntax = \"" + syntax + "\";\npackage shop;\n\n" + body + "\n"
	}
	tests := []struct {
		name, schemaType, level, old, new string
		want                              []string // kind, line, field, old type → new type
	}{
		{"avro type change", "AVRO", "BACKWARD",
			avro(`    {"name": "id", "type": "string"}`),
			avro(`    {"name": "id", "type": "long"}`),
			[]string{"TYPE_MISMATCH 6 Payment.id string → long"}},
		{"avro field removed", "AVRO", "FORWARD",
			avro("    {\"name\": \"id\", \"type\": \"string\"},\n    {\"name\": \"note\", \"type\": [\"null\", \"string\"]}"),
			avro(`    {"name": "id", "type": "string"}`),
			[]string{"READER_FIELD_MISSING_DEFAULT_VALUE 5 Payment.note null | string → "}},
		{"avro field added without default", "AVRO", "BACKWARD",
			avro(`    {"name": "id", "type": "string"}`),
			avro("    {\"name\": \"id\", \"type\": \"string\"},\n    {\"name\": \"currency\", \"type\": \"string\"}"),
			[]string{"READER_FIELD_MISSING_DEFAULT_VALUE 7 Payment.currency  → string"}},
		{"avro enum symbol removed", "AVRO", "BACKWARD",
			avro(`    {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["NEW", "PAID", "REFUNDED"]}}`),
			avro(`    {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["NEW", "PAID"]}}`),
			[]string{"MISSING_ENUM_SYMBOLS 6 Payment.status shop.Status → shop.Status"}},
		{"avro nested fields", "AVRO", "FULL",
			avro("    {\"name\": \"customer\", \"type\": {\"type\": \"record\", \"name\": \"Customer\", \"fields\": [\n" +
				"      {\"name\": \"address\", \"type\": {\"type\": \"record\", \"name\": \"Address\", \"fields\": [\n" +
				"        {\"name\": \"city\", \"type\": \"string\"}]}}]}}"),
			avro("    {\"name\": \"customer\", \"type\": {\"type\": \"record\", \"name\": \"Customer\", \"fields\": [\n" +
				"      {\"name\": \"address\", \"type\": {\"type\": \"record\", \"name\": \"Address\", \"fields\": [\n" +
				"        {\"name\": \"city\", \"type\": \"int\"}]}}]}}"),
			[]string{"TYPE_MISMATCH 8 Payment.customer.address.city string → int", "TYPE_MISMATCH 8 Payment.customer.address.city string → int"}},

		{"json type change", "JSON", "BACKWARD",
			jsonSchema(`    "id": {"type": "string"}`, ""),
			jsonSchema(`    "id": {"type": "integer"}`, ""),
			[]string{"TYPE_CHANGED 5 id string → integer"}},
		{"json field removed", "JSON", "BACKWARD",
			jsonSchema("    \"id\": {\"type\": \"string\"},\n    \"note\": {\"type\": \"string\"}", ""),
			jsonSchema(`    "id": {"type": "string"}`, ""),
			[]string{"PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL 4 note string → "}},
		{"json field added without default", "JSON", "BACKWARD",
			jsonSchema(`    "id": {"type": "string"}`, ""),
			jsonSchema("    \"id\": {\"type\": \"string\"},\n    \"currency\": {\"type\": \"string\"}", `, "required": ["currency"]`),
			[]string{"REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL 6 currency  → string"}},
		{"json enum value removed", "JSON", "BACKWARD",
			jsonSchema(`    "status": {"enum": ["NEW", "PAID", "REFUNDED"]}`, ""),
			jsonSchema(`    "status": {"enum": ["NEW", "PAID"]}`, ""),
			[]string{`ENUM_ARRAY_NARROWED 5 status enum ["NEW", "PAID", "REFUNDED"] → enum ["NEW", "PAID"]`}},
		{"json nested fields", "JSON", "BACKWARD",
			jsonSchema("    \"customer\": {\"type\": \"object\", \"properties\": {\n      \"id\": {\"type\": [\"string\", \"null\"]}}}", ""),
			jsonSchema("    \"customer\": {\"type\": \"object\", \"properties\": {\n      \"id\": {\"type\": \"string\"}}}", ""),
			[]string{"TYPE_CHANGED 6 customer.id string | null → string"}},

		{"protobuf type change", "PROTOBUF", "BACKWARD",
			proto("proto3", "message Order {\n  string id = 1;\n}"),
			proto("proto3", "message Order {\n  int64 id = 1;\n}"),
			[]string{"FIELD_SCALAR_KIND_CHANGED 5 Order.id (1) string → int64"}},
		{"protobuf field removed", "PROTOBUF", "BACKWARD",
			proto("proto2", "message Order {\n  required string id = 1;\n  optional string note = 2;\n}"),
			proto("proto2", "message Order {\n  optional string note = 2;\n}"),
			[]string{"REQUIRED_FIELD_REMOVED 4 Order.id (1) required string → "}},
		{"protobuf field added without default", "PROTOBUF", "BACKWARD",
			proto("proto2", "message Order {\n  optional string note = 2;\n}"),
			proto("proto2", "message Order {\n  optional string note = 2;\n  required string currency = 3;\n}"),
			[]string{"REQUIRED_FIELD_ADDED 6 Order.currency (3)  → required string"}},
		{"protobuf enum value removed reads as before", "PROTOBUF", "BACKWARD",
			proto("proto3", "enum Status {\n  NEW = 0;\n  PAID = 1;\n  REFUNDED = 2;\n}"),
			proto("proto3", "enum Status {\n  NEW = 0;\n  PAID = 1;\n}"),
			nil},
		{"protobuf nested fields", "PROTOBUF", "BACKWARD",
			proto("proto3", "message Order {\n  message Line {\n    string sku = 1;\n  }\n  repeated Line lines = 1;\n}"),
			proto("proto3", "message Order {\n  message Line {\n    bytes sku = 1;\n    int32 qty = 2 [packed = false];\n  }\n  repeated Line lines = 1;\n}"),
			nil},
		{"protobuf field of a nested message", "PROTOBUF", "BACKWARD",
			proto("proto3", "message Order {\n  message Line {\n    string sku = 1;\n  }\n  repeated Line lines = 1;\n}"),
			proto("proto3", "message Order {\n  message Line {\n    int32 sku = 1;\n  }\n  repeated Line lines = 1;\n}"),
			[]string{"FIELD_SCALAR_KIND_CHANGED 6 Order.Line.sku (1) string → int32"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Checker{Formats: schemaregistry.Formats(), Level: tt.level}
			old := File{Path: "old", Subject: "s", SchemaType: tt.schemaType, Text: tt.old}
			next := File{Path: "new", Subject: "s", SchemaType: tt.schemaType, Text: tt.new}
			r, err := c.AgainstFiles([]File{old}, []File{next})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range r.Checked[0].Findings {
				got = append(got, fmt.Sprintf("%s %d %s %s → %s", f.Kind, f.Line, f.Field, f.OldType, f.NewType))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}
