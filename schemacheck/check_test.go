package schemacheck

import (
	"fmt"
	"slices"
	"testing"

	"github.com/eventlens/eventlens/schemaregistry"
)

// avro is a record Payment whose fields start on line 6.
func avro(fields string) string {
	return "{\n  \"type\": \"record\",\n  \"name\": \"Payment\",\n  \"namespace\": \"shop\",\n  \"fields\": [\n" + fields + "\n  ]\n}"
}

// jsonSchema is a closed object whose properties start on line 5.
func jsonSchema(properties, more string) string {
	return "{\n  \"type\": \"object\",\n  \"additionalProperties\": false,\n  \"properties\": {\n" + properties + "\n  }" + more + "\n}"
}

// proto is a .proto file of package shop whose body starts on line 4.
func proto(syntax, body string) string {
	return "syntax = \"" + syntax + "\";\npackage shop;\n\n" + body + "\n"
}

// checkFiles checks new against old offline at level.
func checkFiles(t *testing.T, schemaType, level, old, new string) []Finding {
	t.Helper()
	c := &Checker{Formats: schemaregistry.Formats(), Level: level}
	r, err := c.AgainstFiles([]File{{Path: "old", Subject: "s", SchemaType: schemaType, Text: old}},
		[]File{{Path: "new", Subject: "s", SchemaType: schemaType, Text: new}})
	if err != nil {
		t.Fatal(err)
	}
	return r.Checked[0].Findings
}

// TestFindingsNameFields checks, for each schema format, that a check offline names the field
// of every break with its old and new types, at the right line of the new file.
func TestFindingsNameFields(t *testing.T) {
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
			[]string{"READER_FIELD_MISSING_DEFAULT_VALUE 1 Payment.note null | string → "}}, // at the record
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
			[]string{"PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL 1 note string → "}}, // at the object
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
			var got []string
			for _, f := range checkFiles(t, tt.schemaType, tt.level, tt.old, tt.new) {
				got = append(got, fmt.Sprintf("%s %d %s %s → %s", f.Kind, f.Line, f.Field, f.OldType, f.NewType))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestFindingLinesInNewFile checks that each break is reported at its line in the file being
// checked when fields before it were removed or reordered. Confluent's paths follow the schema
// that reads, which under FORWARD (and the forward half of FULL) is the old one; a field only
// the old schema has is reported at the record, object or message that held it.
func TestFindingLinesInNewFile(t *testing.T) {
	type scenario struct {
		name, schemaType, old, new string
		want                       map[string][]string // by level: kind, line, field of each finding
	}
	scenarios := []scenario{
		{"avro type change after removed fields", "AVRO",
			avro("    {\"name\": \"note\", \"type\": \"string\", \"default\": \"\"},\n" +
				"    {\"name\": \"ref\", \"type\": \"string\", \"default\": \"\"},\n" +
				"    {\"name\": \"id\", \"type\": \"string\"}"),
			avro(`    {"name": "id", "type": "long"}`),
			map[string][]string{
				"BACKWARD": {"TYPE_MISMATCH 6 Payment.id"},
				"FORWARD":  {"TYPE_MISMATCH 6 Payment.id"}, // Confluent's /fields/2/type is the old position
				"FULL":     {"TYPE_MISMATCH 6 Payment.id", "TYPE_MISMATCH 6 Payment.id"},
			}},
		{"avro type change after reordered fields", "AVRO",
			avro("    {\"name\": \"id\", \"type\": \"string\"},\n    {\"name\": \"amount\", \"type\": \"int\"}"),
			avro("    {\"name\": \"amount\", \"type\": \"int\"},\n    {\"name\": \"id\", \"type\": \"long\"}"),
			map[string][]string{
				"BACKWARD": {"TYPE_MISMATCH 7 Payment.id"},
				"FORWARD":  {"TYPE_MISMATCH 7 Payment.id"}, // /fields/0/type is amount in the new file
				"FULL":     {"TYPE_MISMATCH 7 Payment.id", "TYPE_MISMATCH 7 Payment.id"},
			}},
		{"avro field removed from a moved record", "AVRO",
			avro("    {\"name\": \"id\", \"type\": \"string\"},\n" +
				"    {\"name\": \"customer\", \"type\": {\"type\": \"record\", \"name\": \"Customer\", \"fields\": [\n" +
				"      {\"name\": \"email\", \"type\": \"string\"},\n" +
				"      {\"name\": \"name\", \"type\": \"string\"}]}}"),
			avro("    {\"name\": \"customer\", \"type\": {\"type\": \"record\", \"name\": \"Customer\", \"fields\": [\n" +
				"      {\"name\": \"name\", \"type\": \"string\"}]}},\n" +
				"    {\"name\": \"id\", \"type\": \"string\"}"),
			map[string][]string{
				"BACKWARD": nil,
				"FORWARD":  {"READER_FIELD_MISSING_DEFAULT_VALUE 6 Payment.customer.email"}, // at Customer
				"FULL":     {"READER_FIELD_MISSING_DEFAULT_VALUE 6 Payment.customer.email"},
			}},
		{"avro union branch removed", "AVRO",
			avro("    {\"name\": \"id\", \"type\": \"string\"},\n" +
				"    {\"name\": \"ref\", \"type\": [\n      \"int\",\n      \"null\",\n      \"string\"]}"),
			avro("    {\"name\": \"ref\", \"type\": [\n      \"null\",\n      \"string\"]},\n" +
				"    {\"name\": \"id\", \"type\": \"string\"}"),
			map[string][]string{
				// Confluent's /fields/0/type/0 is the old union's int; the new union lacks it.
				"BACKWARD": {"MISSING_UNION_BRANCH 6 Payment.ref"},
				"FORWARD":  nil,
				"FULL":     {"MISSING_UNION_BRANCH 6 Payment.ref"},
			}},

		{"json properties removed and reordered before the changed one", "JSON",
			jsonSchema("    \"customer\": {\n      \"type\": \"object\",\n      \"additionalProperties\": false,\n"+
				"      \"required\": [\"email\"],\n      \"properties\": {\n"+
				"        \"email\": {\"type\": \"string\"},\n        \"id\": {\"type\": \"string\"},\n        \"name\": {\"type\": \"string\"}}}", ""),
			jsonSchema("    \"customer\": {\n      \"type\": \"object\",\n      \"additionalProperties\": false,\n"+
				"      \"properties\": {\n"+
				"        \"name\": {\"type\": \"string\"},\n        \"id\": {\"type\": \"integer\"}}}", ""),
			map[string][]string{
				"BACKWARD": {"PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL 5 customer.email", "TYPE_CHANGED 10 customer.id"},
				"FORWARD":  {"REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL 5 customer.email", "TYPE_CHANGED 10 customer.id"},
				"FULL": {"REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL 5 customer.email", "TYPE_CHANGED 10 customer.id",
					"PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL 5 customer.email", "TYPE_CHANGED 10 customer.id"},
			}},

		{"protobuf nested field after removed and reordered fields", "PROTOBUF",
			proto("proto3", "message Order {\n  string note = 1;\n  int64 total = 2;\n"+
				"  message Line {\n    string sku = 1;\n    int32 qty = 2;\n  }\n  repeated Line lines = 3;\n}"),
			proto("proto3", "message Order {\n  int64 total = 2;\n"+
				"  message Line {\n    string qty = 2;\n    string sku = 1;\n  }\n  repeated Line lines = 3;\n}"),
			map[string][]string{
				"BACKWARD": {"FIELD_SCALAR_KIND_CHANGED 7 Order.Line.qty (2)"}, // not Order.total (2)
				"FORWARD":  {"FIELD_SCALAR_KIND_CHANGED 7 Order.Line.qty (2)"},
				"FULL":     {"FIELD_SCALAR_KIND_CHANGED 7 Order.Line.qty (2)", "FIELD_SCALAR_KIND_CHANGED 7 Order.Line.qty (2)"},
			}},
		{"protobuf oneof renamed and a member removed", "PROTOBUF",
			proto("proto3", "message Payment {\n  string id = 1;\n"+
				"  oneof method {\n    string card = 2;\n    string voucher = 3;\n    string iban = 4;\n  }\n}"),
			proto("proto3", "message Payment {\n"+
				"  oneof instrument {\n    string iban = 4;\n    int64 card = 2;\n  }\n  string id = 1;\n}"),
			map[string][]string{
				"BACKWARD": {"FIELD_SCALAR_KIND_CHANGED 7 Payment.card (2)", "ONEOF_FIELD_REMOVED 4 Payment.voucher (3)"},
				"FORWARD":  {"FIELD_SCALAR_KIND_CHANGED 7 Payment.card (2)"}, // Confluent's #/Payment/method/2 names the old oneof
				"FULL": {"FIELD_SCALAR_KIND_CHANGED 7 Payment.card (2)",
					"FIELD_SCALAR_KIND_CHANGED 7 Payment.card (2)", "ONEOF_FIELD_REMOVED 4 Payment.voucher (3)"},
			}},
		{"protobuf required field removed from a nested message", "PROTOBUF",
			proto("proto2", "message Order {\n  optional string id = 1;\n"+
				"  message Line {\n    required string sku = 1;\n    optional int32 qty = 2;\n  }\n  repeated Line lines = 2;\n}"),
			proto("proto2", "message Order {\n  repeated Line lines = 2;\n  optional string id = 1;\n"+
				"  message Line {\n    optional int32 qty = 2;\n  }\n}"),
			map[string][]string{
				"BACKWARD": {"REQUIRED_FIELD_REMOVED 7 Order.Line.sku (1)"}, // at Line, not at Order.id (1)
				"FORWARD":  {"REQUIRED_FIELD_ADDED 7 Order.Line.sku (1)"},
				"FULL":     {"REQUIRED_FIELD_ADDED 7 Order.Line.sku (1)", "REQUIRED_FIELD_REMOVED 7 Order.Line.sku (1)"},
			}},
	}
	for _, sc := range scenarios {
		for _, level := range []string{"BACKWARD", "FORWARD", "FULL"} {
			t.Run(sc.name+" "+level, func(t *testing.T) {
				var got []string
				for _, f := range checkFiles(t, sc.schemaType, level, sc.old, sc.new) {
					got = append(got, fmt.Sprintf("%s %d %s", f.Kind, f.Line, f.Field))
				}
				if want := sc.want[level]; !slices.Equal(got, want) {
					t.Errorf("got  %q\nwant %q", got, want)
				}
			})
		}
	}
}
