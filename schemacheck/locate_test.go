package schemacheck

import "testing"

func TestLineOf(t *testing.T) {
	avsc := `{
  "type": "record",
  "name": "Order",
  "fields": [
    {"name": "id", "type": "string"},
    {
      "name": "amount",
      "type": {"type": "array", "items": "int"}
    }
  ]
}`
	jsonSchema := `{
  "type": "object",
  "properties": {
    "id": {"type": "string"},
    "a/b": {"type": "integer"}
  }
}`
	proto := `syntax = "proto3";
package shop;

message Order {
  string id = 1;
  oneof payment {
    string card = 2;
    string iban = 3 [deprecated = true];
  }
  message Line { // {
    int32 qty = 4;
    string id = 1;
    enum Unit {
      PIECE = 1;
    }
  }
}

enum Status {
  UNKNOWN = 0;
}
`
	tests := []struct {
		schemaType, text, path string
		want                   int
	}{
		{"AVRO", avsc, "/fields/0", 5},
		{"AVRO", avsc, "/fields/1", 6},
		{"AVRO", avsc, "/fields/1/type", 8},
		{"AVRO", avsc, "/fields/1/type/items", 8},
		{"AVRO", avsc, "/", 1},
		{"AVRO", "\n\n  {\"type\": \"record\"}", "/", 3},
		{"AVRO", avsc, "/fields/7", 4},
		{"AVRO", "not json", "/fields/0", 0},
		{"JSON", jsonSchema, "#/properties/id", 4},
		{"JSON", jsonSchema, "#/properties/a~1b", 5},
		{"JSON", jsonSchema, "#/properties/missing", 3},
		{"JSON", jsonSchema, "#/", 1},
		{"PROTOBUF", proto, "#/Order/1", 5},
		{"PROTOBUF", proto, "#/Order/payment/3", 8},
		{"PROTOBUF", proto, "#/Order/3", 8},
		{"PROTOBUF", proto, "#/Order", 4},
		{"PROTOBUF", proto, "#/Status", 19},
		{"PROTOBUF", proto, "#/Order/9", 4},
		{"PROTOBUF", proto, "#/Order/4", 4}, // Line's field, not Order's
		{"PROTOBUF", proto, "#/Order/Line/1", 12},
		{"PROTOBUF", proto, "#/Order/Line/4", 11},
		{"PROTOBUF", proto, "#/Order/Line/Unit/1", 14},
		{"PROTOBUF", proto, "#/Order/Line/Gone", 10},
		{"PROTOBUF", proto, "#/Line", 0}, // only nested in Order
		{"PROTOBUF", proto, "#/Nope/1", 0},
		{"PROTOBUF", proto, "#/", 0},
	}
	for _, tt := range tests {
		if got := lineOf(tt.schemaType, tt.text, tt.path); got != tt.want {
			t.Errorf("lineOf(%s, %q) = %d, want %d", tt.schemaType, tt.path, got, tt.want)
		}
	}
}
