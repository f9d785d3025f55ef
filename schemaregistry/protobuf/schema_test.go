package protobuf

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eventlens/eventlens/schemaregistry/format"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name   string
		schema string
		refs   []format.Reference
		want   string // part of the error message
	}{
		{"syntax error", "syntax = \"proto3\";\nmessage A {\n  string a = ;\n}\n", nil, "schema:3:14: syntax error"},
		{"unknown type", "syntax = \"proto3\";\nmessage A {\n  B b = 1;\n}\n", nil, `schema:3:3: field A.b: unknown type B`},
		{"duplicate number", "syntax = \"proto3\";\nmessage A {\n  string a = 1;\n  string b = 1;\n}\n", nil, "schema:4:14"},
		{"missing import", "syntax = \"proto3\";\nimport \"other.proto\";\n", nil, `other.proto`},
		{"bad reference", "syntax = \"proto3\";\nimport \"other.proto\";\n",
			[]format.Reference{{Name: "other.proto", Schema: "message {"}}, "other.proto:1:9: syntax error"},
		{"import cycle", "syntax = \"proto3\";\nimport \"a.proto\";\n", []format.Reference{
			{Name: "a.proto", Schema: "syntax = \"proto3\";\nimport \"b.proto\";\n"},
			{Name: "b.proto", Schema: "syntax = \"proto3\";\nimport \"a.proto\";\n"},
		}, "cycle"},
		{"too large", "syntax = \"proto3\";\n" + strings.Repeat("// padding\n", 1_000_000), nil, "bytes, more than the"},
		{"too deep", "syntax = \"proto3\";\n" + strings.Repeat("message A {\n", 100) + strings.Repeat("}\n", 100), nil, "schema:66: nested more than 64 deep"},
		{"deep option literal", "option (x) = " + strings.Repeat("{a:", 10_000) + strings.Repeat("}", 10_000) + ";", nil, "nested more than 64 deep"},
		{"too many references", "syntax = \"proto3\";\n", make([]format.Reference, MaxReferences+1), "references"},
		{"empty", "", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			s, err := Parse(tt.schema, tt.refs)
			if tt.name == "empty" {
				// protoc accepts an empty file; so does Confluent.
				if err != nil || s.Canonical() != "" {
					t.Fatalf("Parse(\"\") = %q, %v", s.Canonical(), err)
				}
				return
			}
			if !errors.Is(err, format.ErrInvalidSchema) {
				t.Fatalf("err = %v, want ErrInvalidSchema", err)
			}
			if strings.HasPrefix(tt.name, "too large") || strings.HasPrefix(tt.name, "too many") {
				if !errors.Is(err, ErrTooLarge) {
					t.Errorf("err = %v, want ErrTooLarge", err)
				}
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to contain %q", err, tt.want)
			}
			// A hang guard, not a speed test: the benchmarks measure speed.
			if d := time.Since(start); d > time.Minute {
				t.Errorf("took %v", d)
			}
		})
	}
}

// A huge enum just under the size limit parses and diffs in bounded time.
func TestHugeEnum(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("syntax = \"proto3\";\nenum E {\n")
	for i := 0; sb.Len() < MaxSchemaBytes-100; i++ {
		fmt.Fprintf(&sb, "V%d = %d;\n", i, i)
	}
	sb.WriteString("}\n")
	start := time.Now()
	s, err := Parse(sb.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := Diff(s, s); len(d) != 0 {
		t.Fatalf("self-diff: %v", d)
	}
	// A hang guard, not a speed test: the benchmarks measure speed.
	if d := time.Since(start); d > time.Minute {
		t.Errorf("took %v", d)
	}
}

func TestImports(t *testing.T) {
	tests := []struct {
		name   string
		schema string
		refs   []format.Reference
	}{
		{"reference", "syntax = \"proto3\";\nimport \"customer.proto\";\nmessage Order { shop.Customer customer = 1; }\n",
			[]format.Reference{{Name: "customer.proto", Subject: "customer", Version: 1,
				Schema: "syntax = \"proto3\";\npackage shop;\nmessage Customer { string id = 1; }\n"}}},
		{"transitive references", "syntax = \"proto3\";\nimport \"a.proto\";\nmessage M { A a = 1; }\n",
			[]format.Reference{
				{Name: "a.proto", Subject: "a", Version: 1, Schema: "syntax = \"proto3\";\nimport \"b.proto\";\nmessage A { B b = 1; }\n"},
				{Name: "b.proto", Subject: "b", Version: 2, Schema: "syntax = \"proto3\";\nmessage B { string s = 1; }\n"},
			}},
		{"google/protobuf", "syntax = \"proto3\";\nimport \"google/protobuf/timestamp.proto\";\nimport \"google/protobuf/struct.proto\";\n" +
			"message M { google.protobuf.Timestamp at = 1; google.protobuf.Struct s = 2; }\n", nil},
		{"google/type", "syntax = \"proto3\";\nimport \"google/type/date.proto\";\nimport \"google/type/money.proto\";\n" +
			"message M { google.type.Date d = 1; google.type.Money m = 2; }\n", nil},
		{"confluent", "syntax = \"proto3\";\nimport \"confluent/meta.proto\";\nimport \"confluent/type/decimal.proto\";\n" +
			"message M { confluent.type.Decimal d = 1 [(confluent.field_meta).doc = \"money\"]; }\n", nil},
		{"reference overrides a built-in", "syntax = \"proto3\";\nimport \"google/type/date.proto\";\nmessage M { google.type.Date d = 1; }\n",
			[]format.Reference{{Name: "google/type/date.proto", Subject: "date", Version: 1,
				Schema: "syntax = \"proto3\";\npackage google.type;\nmessage Date { int32 year = 1; }\n"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Format{}.Parse(tt.schema, tt.refs)
			if err != nil {
				t.Fatal(err)
			}
			// A schema is compatible with itself.
			if d := s.BackwardIncompatibilities(s); len(d) != 0 {
				t.Errorf("self-diff: %v", d)
			}
		})
	}
}

func TestCanonical(t *testing.T) {
	tests := []struct {
		name, schema, want string
	}{
		{
			// The schema of Confluent's MD5 golden data: the registry stores and hashes this text.
			name: "md5 golden schema",
			schema: "syntax = \"proto3\";\npackage io.confluent.kafka.example;\nimport \"google/protobuf/timestamp.proto\";\n" +
				"message Person {\n  string name = 1;\n  int32 age = 2;\n  string ssn = 3;\n  User user = 4;\n  Address address = 5;\n}\n" +
				"message User {\n  string id = 1;\n  string email = 2;\n}\n" +
				"message Address {\n  string street = 1;\n  string city = 2;\n  string zip = 3;\n}",
			want: "syntax = \"proto3\";\npackage io.confluent.kafka.example;\n\nimport \"google/protobuf/timestamp.proto\";\n\n" +
				"message Person {\n  string name = 1;\n  int32 age = 2;\n  string ssn = 3;\n  User user = 4;\n  Address address = 5;\n}\n" +
				"message User {\n  string id = 1;\n  string email = 2;\n}\n" +
				"message Address {\n  string street = 1;\n  string city = 2;\n  string zip = 3;\n}\n",
		},
		{
			name: "comments, blank lines and declaration order",
			schema: `// leading comment
syntax = "proto3";   package  shop ;
enum Status { ACTIVE = 0; }   // enums print after messages
/* block */ message Order {
  string   id=1 ;
  map < string , Status > states = 2;
  oneof payment { string card = 3; string iban = 4; }
  message Line { int64 qty = 1; }
  enum Kind { KIND_UNSPECIFIED = 0; }
  reserved 10, 12 to 14, 20 to max;
  reserved "old";
}
`,
			want: "syntax = \"proto3\";\npackage shop;\n\n" +
				"message Order {\n  reserved 10, 12 to 14, 20 to max;\n  reserved \"old\";\n\n" +
				"  string id = 1;\n  map<string, Status> states = 2;\n\n" +
				"  oneof payment {\n    string card = 3;\n    string iban = 4;\n  }\n\n" +
				"  message Line {\n    int64 qty = 1;\n  }\n  enum Kind {\n    KIND_UNSPECIFIED = 0;\n  }\n}\n" +
				"enum Status {\n  ACTIVE = 0;\n}\n",
		},
		{
			name: "options, defaults and escapes",
			schema: `syntax = "proto2";
option java_package = "a\"b\\c\td";
option optimize_for = SPEED;
message M {
  optional int32 a = 1 [default = -0x10, deprecated = true];
  optional string b = 2 [json_name = "bee", default = "x\ny"];
  optional int32 c = 3 [packed = false];
  extensions 100 to 199;
}
`,
			want: "syntax = \"proto2\";\n\n" +
				"option java_package = \"a\\\"b\\\\c\\td\";\noption optimize_for = SPEED;\n\n" +
				"message M {\n" +
				"  optional int32 a = 1 [\n    deprecated = true,\n    default = -0x10\n  ];\n" +
				"  optional string b = 2 [\n    default = \"x\\ny\",\n    json_name = \"bee\"\n  ];\n" +
				"  optional int32 c = 3 [packed = false];\n\n" +
				"  extensions 100 to 199;\n}\n",
		},
		{
			name: "message literal options and services",
			schema: `syntax = "proto3";
import "confluent/meta.proto";
message Req { option (confluent.message_meta) = { doc: "r" tags: "a" tags: "b" params { key: "k" value: "v" } }; }
service Shop {
  rpc Buy (Req) returns (stream Req);
  rpc Sell (stream Req) returns (Req) { option deprecated = true; }
}
`,
			want: "syntax = \"proto3\";\n\nimport \"confluent/meta.proto\";\n\n" +
				"message Req {\n  option (confluent.message_meta) = {\n    doc: \"r\",\n    tags: [\n      \"a\",\n      \"b\"\n    ],\n" +
				"    params: {\n      key: \"k\",\n      value: \"v\"\n    }\n  };\n}\n\n" +
				"service Shop {\n  rpc Buy (Req) returns (stream Req);\n  rpc Sell (stream Req) returns (Req) {\n    option deprecated = true;\n  };\n}\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse(tt.schema, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Canonical(); got != tt.want {
				t.Errorf("canonical:\n%s\nwant:\n%s", got, tt.want)
			}
			// Canonical text is a fixed point.
			again, err := Parse(s.Canonical(), nil)
			if err != nil {
				t.Fatalf("canonical text does not parse: %v", err)
			}
			if again.Canonical() != s.Canonical() {
				t.Errorf("canonical text is not stable:\n%s", again.Canonical())
			}
		})
	}
}

func TestNormalized(t *testing.T) {
	tests := []struct {
		name, schema, want string
	}{
		{
			name: "names qualified, members sorted, proto2 syntax dropped",
			schema: `syntax = "proto2";
package p;
import "z.proto";
import "confluent/meta.proto";
option java_package = "x";
option (confluent.file_meta).doc = "f";
message M {
  reserved 9, 3 to 4;
  optional N n = 2;
  map<string, N> ns = 1;
  oneof b { string y = 6; }
  oneof a { string x = 5; }
  message N { optional double d = 1 [default = 1.50]; }
}
`,
			want: "package p;\n\nimport \"confluent/meta.proto\";\nimport \"z.proto\";\n\n" +
				"option (confluent.file_meta) = {\n  doc: \"f\"\n};\noption java_package = \"x\";\n\n" +
				"message M {\n  reserved 3 to 4;\n  reserved 9;\n\n" +
				"  map<string, .p.M.N> ns = 1;\n  optional .p.M.N n = 2;\n\n" +
				"  oneof a {\n    string x = 5;\n  }\n  oneof b {\n    string y = 6;\n  }\n\n" +
				"  message N {\n    optional double d = 1 [default = 1.5];\n  }\n}\n",
		},
	}
	refs := []format.Reference{{Name: "z.proto", Schema: "syntax = \"proto2\";\n"}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse(tt.schema, refs)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Normalized(); got != tt.want {
				t.Errorf("normalized:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestBackwardIncompatibilitiesMessages(t *testing.T) {
	old, err := Parse("syntax = \"proto3\";\nmessage M { int32 a = 1; oneof o { int32 b = 2; int32 c = 3; } }\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	upd, err := Parse("syntax = \"proto3\";\nmessage M { string a = 1; oneof o { int32 b = 2; } }\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	got := upd.BackwardIncompatibilities(old)
	want := []format.Difference{
		{Type: "FIELD_SCALAR_KIND_CHANGED", Path: "#/M/1", Field: "M.a (1)", OldType: "int32", NewType: "string", OldPath: "#/M/1", NewPath: "#/M/1", Message: `{errorType:"FIELD_SCALAR_KIND_CHANGED", description:"The kind of a SCALAR field at path '#/M/1' in the new schema does not match its kind in the old schema"}`},
		{Type: "ONEOF_FIELD_REMOVED", Path: "#/M/o/3", Field: "M.c (3)", OldType: "int32", OldPath: "#/M/o/3", NewPath: "#/M", Message: `{errorType:"ONEOF_FIELD_REMOVED", description:"The new schema is missing a oneof field at path '#/M/o/3' in the old schema"}`},
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("difference %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	// Compatible changes are in the full diff only.
	all := Diff(old, upd)
	if len(all) != 2 {
		t.Errorf("Diff = %v", all)
	}
}

// TestDifferenceFields checks the field and types each difference names for people, beside
// Confluent's path and message.
func TestDifferenceFields(t *testing.T) {
	proto2 := func(body string) string { return "syntax = \"proto2\";\npackage shop;\n" + body }
	proto3 := func(body string) string { return "syntax = \"proto3\";\npackage shop;\n" + body }
	tests := []struct {
		name, old, new string
		want           []string // type, path, field, old type → new type of each difference
	}{
		{"type change", proto3(`message Order { string id = 1; }`), proto3(`message Order { int64 id = 1; }`),
			[]string{"FIELD_SCALAR_KIND_CHANGED #/Order/1 Order.id (1) string → int64"}},
		{"scalar to message", proto3(`message Order { string customer = 2; } message Customer { string id = 1; }`),
			proto3(`message Order { Customer customer = 2; } message Customer { string id = 1; }`),
			[]string{"FIELD_KIND_CHANGED #/Order/2 Order.customer (2) string → Customer"}},
		{"label change", proto2(`message Order { optional int32 qty = 3; }`), proto2(`message Order { repeated int32 qty = 3; }`),
			[]string{"FIELD_NUMERIC_LABEL_CHANGED #/Order/3 Order.qty (3) optional int32 → repeated int32"}},
		{"required field removed", proto2(`message Order { required string id = 1; optional string note = 2; }`),
			proto2(`message Order { optional string note = 2; }`),
			[]string{"REQUIRED_FIELD_REMOVED #/Order/1 Order.id (1) required string → "}},
		{"field removed reads as before", proto3(`message Order { string id = 1; string note = 2; }`),
			proto3(`message Order { string id = 1; }`), nil},
		{"required field added", proto2(`message Order { optional string note = 2; }`),
			proto2(`message Order { optional string note = 2; required string currency = 3; }`),
			[]string{"REQUIRED_FIELD_ADDED #/Order/3 Order.currency (3)  → required string"}},
		{"enum value removed reads as before", proto3(`enum Status { NEW = 0; PAID = 1; REFUNDED = 2; }`),
			proto3(`enum Status { NEW = 0; PAID = 1; }`), nil},
		{"oneof member removed", proto3(`message Order { oneof payment { string card = 4; string iban = 5; } }`),
			proto3(`message Order { oneof payment { string card = 4; } }`),
			[]string{"ONEOF_FIELD_REMOVED #/Order/payment/5 Order.iban (5) string → "}},
		{"nested message field", proto3(`message Order { message Line { string sku = 1; } repeated Line lines = 1; }`),
			proto3(`message Order { message Line { bytes sku = 1; double price = 2; } repeated Line lines = 1; }`), nil},
		{"field of a nested message", proto3(`message Order { message Line { string sku = 1; } repeated Line lines = 1; }`),
			proto3(`message Order { message Line { int32 sku = 1; } repeated Line lines = 1; }`),
			[]string{"FIELD_SCALAR_KIND_CHANGED #/Order/Line/1 Order.Line.sku (1) string → int32"}},
		{"map value", proto3(`message Order { map<string, string> tags = 6; }`), proto3(`message Order { map<string, int32> tags = 6; }`),
			[]string{"FIELD_SCALAR_KIND_CHANGED #/Order/6 Order.tags (6) map<string, string> → map<string, int32>"}},
		{"message removed", proto3(`message Order { string id = 1; } message Refund { string id = 1; }`),
			proto3(`message Order { string id = 1; }`),
			[]string{"MESSAGE_REMOVED #/Refund   → "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old, err := Parse(tt.old, nil)
			if err != nil {
				t.Fatal(err)
			}
			upd, err := Parse(tt.new, nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range upd.BackwardIncompatibilities(old) {
				got = append(got, d.Type+" "+d.Path+" "+d.Field+" "+d.OldType+" → "+d.NewType)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestDifferencePaths checks where each difference is in the old and the new schema: a field
// in the oneof each schema puts it in, and at its message in a schema that lacks it.
func TestDifferencePaths(t *testing.T) {
	proto2 := func(body string) string { return "syntax = \"proto2\";\npackage shop;\n" + body }
	tests := []struct {
		name, old, new string
		want           []string // type, path, old path, new path of each difference
	}{
		{"oneof renamed", proto2(`message Order { oneof payment { string card = 4; string iban = 5; } }`),
			proto2(`message Order { oneof method { int64 card = 4; string iban = 5; } }`),
			[]string{"FIELD_SCALAR_KIND_CHANGED #/Order/method/4 #/Order/payment/4 #/Order/method/4"}},
		{"oneof member removed", proto2(`message Order { oneof payment { string card = 4; string iban = 5; } }`),
			proto2(`message Order { oneof payment { string card = 4; } }`),
			[]string{"ONEOF_FIELD_REMOVED #/Order/payment/5 #/Order/payment/5 #/Order"}},
		{"required field added", proto2(`message Order { message Line { optional string sku = 1; } }`),
			proto2(`message Order { message Line { optional string sku = 1; required int32 qty = 2; } }`),
			[]string{"REQUIRED_FIELD_ADDED #/Order/Line/2 #/Order/Line #/Order/Line/2"}},
		{"nested message removed", proto2(`message Order { message Line { optional string sku = 1; } }`),
			proto2(`message Order { }`),
			[]string{"MESSAGE_REMOVED #/Order/Line #/Order/Line #/Order"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old, err := Parse(tt.old, nil)
			if err != nil {
				t.Fatal(err)
			}
			upd, err := Parse(tt.new, nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range upd.BackwardIncompatibilities(old) {
				got = append(got, d.Type+" "+d.Path+" "+d.OldPath+" "+d.NewPath)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}
