package avro

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/eventlens/eventlens/schemaregistry/format"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, text string
		refs       []format.Reference
		want       string // part of the message
	}{
		{"malformed JSON", `{"type":"record",`, nil, "malformed JSON"},
		{"trailing text", `"int" "long"`, nil, "malformed JSON"},
		{"unknown type", `{"type":"record","name":"R","fields":[{"name":"a","type":"integer"}]}`, nil, `unknown type "integer"`},
		{"unknown complex type", `{"type":"tuple"}`, nil, `unknown type "tuple"`},
		{"type not a string", `{"type":["int"]}`, nil, `"type" string`},
		{"record without fields", `{"type":"record","name":"R"}`, nil, "no fields"},
		{"bad default", `{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":"x"}]}`, nil, "default"},
		{"missing reference", `{"type":"record","name":"R","fields":[{"name":"u","type":"com.acme.User"}]}`, nil, `unknown type "com.acme.User"`},
		{"duplicate field", `{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"a","type":"int"}]}`, nil, "two fields"},
		{"bad name", `{"type":"record","name":"1R","fields":[]}`, nil, "name"},
		{"bad reference", `"com.acme.User"`, []format.Reference{{Name: "com.acme.User", Subject: "user", Version: 1, Schema: `{"type":"record"`}}, `reference "com.acme.User"`},
		{"too deep", strings.Repeat(`{"type":"array","items":`, 100) + `"int"` + strings.Repeat(`}`, 100), nil, "deeper"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Format{}.Parse(tt.text, tt.refs)
			if !errors.Is(err, format.ErrInvalidSchema) {
				t.Fatalf("error %v, want ErrInvalidSchema", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

func TestReferences(t *testing.T) {
	refs := []format.Reference{
		{Name: "com.acme.Money", Subject: "money", Version: 1,
			Schema: `{"type":"record","name":"Money","namespace":"com.acme","fields":[{"name":"cents","type":"long"},{"name":"currency","type":{"type":"enum","name":"Currency","symbols":["EUR","USD"]}}]}`},
		// A reference may use the ones before it.
		{Name: "com.acme.Price", Subject: "price", Version: 3,
			Schema: `{"type":"record","name":"Price","namespace":"com.acme","fields":[{"name":"amount","type":"Money"}]}`},
	}
	s := mustParse(t, `{"type":"record","name":"Order","namespace":"com.acme.orders","fields":[
		{"name":"price","type":"com.acme.Price"},
		{"name":"refund","type":["null","com.acme.Money"],"default":null},
		{"name":"currency","type":"com.acme.Currency"}]}`, refs...)
	// Referenced types are written by name; a type nested in a reference is not among the
	// names Confluent passes as known, so Java writes it in full where it is first used.
	want := `{"type":"record","name":"Order","namespace":"com.acme.orders","fields":[` +
		`{"name":"price","type":"com.acme.Price"},` +
		`{"name":"refund","type":["null","com.acme.Money"],"default":null},` +
		`{"name":"currency","type":{"type":"enum","name":"Currency","namespace":"com.acme","symbols":["EUR","USD"]}}]}`
	if s.Canonical() != want {
		t.Errorf("canonical\n got %s\nwant %s", s.Canonical(), want)
	}
}

func TestCanonical(t *testing.T) {
	tests := []struct{ name, text, want string }{
		{"primitive", `{"type":"string"}`, `"string"`},
		{"primitive with property", `{"type":"int","logicalType":"date"}`, `{"type":"int","logicalType":"date"}`},
		{"attribute order, doc, default, aliases, properties",
			`{"fields":[{"default":1.50,"type":"double","name":"a","aliases":["b","b"],"doc":"A","x-pii":true,"order":"DESCENDING"}],
			  "aliases":["Old","com.other.Older"],"doc":"R","type":"record","name":"R","namespace":"com.acme","owner":"team"}`,
			`{"type":"record","name":"R","namespace":"com.acme","doc":"R","fields":[{"name":"a","type":"double","doc":"A","default":1.5,"order":"descending","aliases":["b"],"x-pii":true}],"owner":"team","aliases":["Old","com.other.Older"]}`},
		{"nested namespaces",
			`{"type":"record","name":"a.b.R","fields":[
				{"name":"s","type":{"type":"record","name":"S","fields":[]}},
				{"name":"t","type":{"type":"record","name":"T","namespace":"c","fields":[{"name":"u","type":{"type":"fixed","name":"U","namespace":"","size":2}}]}},
				{"name":"s2","type":"S"},{"name":"t2","type":"c.T"}]}`,
			`{"type":"record","name":"R","namespace":"a.b","fields":[{"name":"s","type":{"type":"record","name":"S","fields":[]}},{"name":"t","type":{"type":"record","name":"T","namespace":"c","fields":[{"name":"u","type":{"type":"fixed","name":"U","namespace":"","size":2}}]}},{"name":"s2","type":"S"},{"name":"t2","type":"c.T"}]}`},
		{"enum default and numbers",
			`{"type":"record","name":"R","fields":[{"name":"e","type":{"type":"enum","name":"E","symbols":["A","B"],"default":"A"}},
				{"name":"f","type":"float","default":"1e10"},{"name":"l","type":"long","default":-0},{"name":"d","type":"double","default":0.0001}]}`,
			`{"type":"record","name":"R","fields":[{"name":"e","type":{"type":"enum","name":"E","symbols":["A","B"],"default":"A"}},{"name":"f","type":"float","default":1.0E10},{"name":"l","type":"long","default":0},{"name":"d","type":"double","default":1.0E-4}]}`},
		{"string escapes", `{"type":"enum","name":"E","doc":"a\"b\\c\u0001\u00e9</","symbols":["A"]}`,
			`{"type":"enum","name":"E","doc":"a\"b\\c\u0001é</","symbols":["A"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustParse(t, tt.text)
			if s.Canonical() != tt.want {
				t.Errorf("canonical\n got %s\nwant %s", s.Canonical(), tt.want)
			}
			if again := mustParse(t, s.Canonical()).Canonical(); again != s.Canonical() {
				t.Errorf("canonical text changes when parsed again:\n%s", again)
			}
		})
	}
}

func TestNormalized(t *testing.T) {
	tests := []struct{ name, text, want string }{
		{"properties sorted, logical type first",
			`{"type":"bytes","scale":2,"precision":4,"logicalType":"decimal","a":1}`,
			`{"type":"bytes","logicalType":"decimal","precision":4,"scale":2,"a":1}`},
		{"invalid logical type is a plain property",
			`{"type":"string","logicalType":"date","a":1}`,
			`{"type":"string","a":1,"logicalType":"date"}`},
		{"aliases sorted, empty doc dropped, defaults converted",
			`{"type":"record","name":"R","namespace":"n","doc":"","aliases":["Z","A"],"fields":[
				{"name":"d","type":"double","default":1,"aliases":["y","x"],"z":1,"b":2},
				{"name":"u","type":["float","null"],"default":2}]}`,
			`{"type":"record","name":"R","namespace":"n","fields":[{"name":"d","type":"double","default":1.0,"aliases":["x","y"],"b":2,"z":1},{"name":"u","type":["float","null"],"default":2.0}],"aliases":["A","Z"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustParse(t, tt.text).Normalized(); got != tt.want {
				t.Errorf("normalized\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestBackwardIncompatibilities(t *testing.T) {
	tests := []struct {
		name, new, old string
		want           []format.Difference
	}{
		{"every incompatibility is reported",
			`{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":{"type":"array","items":"int"}},{"name":"c","type":"string"}]}`,
			`{"type":"record","name":"R","fields":[{"name":"b","type":{"type":"array","items":"long"}},{"name":"c","type":["string","int"]}]}`,
			[]format.Difference{
				{Type: ReaderFieldMissingDefaultValue, Path: "/fields/0", Field: "R.a", NewType: "int", OldPath: "/", NewPath: "/fields/0",
					Message: "{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'a' at path '/fields/0' in the new schema has no default value and is missing in the old schema', additionalInfo:'a'}"},
				{Type: TypeMismatch, Path: "/fields/1/type/items", Field: "R.b", OldType: "array<long>", NewType: "array<int>",
					OldPath: "/fields/0/type/items", NewPath: "/fields/1/type/items",
					Message: "{errorType:'TYPE_MISMATCH', description:'The type (path '/fields/1/type/items') of a field in the new schema does not match with the old schema', additionalInfo:'reader type: INT not compatible with writer type: LONG'}"},
				{Type: TypeMismatch, Path: "/fields/2/type/1", Field: "R.c", OldType: "string | int", NewType: "string",
					OldPath: "/fields/1/type/1", NewPath: "/fields/2/type",
					Message: "{errorType:'TYPE_MISMATCH', description:'The type (path '/fields/2/type/1') of a field in the new schema does not match with the old schema', additionalInfo:'reader type: STRING not compatible with writer type: INT'}"},
			}},
		{"enum symbols",
			`{"type":"enum","name":"E","symbols":["A"]}`, `{"type":"enum","name":"E","symbols":["C","A","B"]}`,
			[]format.Difference{{Type: MissingEnumSymbols, Path: "/symbols",
				Message: "{errorType:'MISSING_ENUM_SYMBOLS', description:'The new schema is missing enum symbols '[B, C]' at path '/symbols' in the old schema', additionalInfo:'[B, C]'}",
				OldType: "E", NewType: "E", OldPath: "/symbols", NewPath: "/symbols"}}},
		{"enum default covers new symbols",
			`{"type":"enum","name":"E","symbols":["A","U"],"default":"U"}`, `{"type":"enum","name":"E","symbols":["A","B"]}`, nil},
		{"promotions", `["long","double","bytes"]`, `["int","float","string"]`, nil},
		{"aliases", `{"type":"record","name":"New","aliases":["Old"],"fields":[{"name":"b","aliases":["a"],"type":"long"}]}`,
			`{"type":"record","name":"Old","fields":[{"name":"a","type":"int"}]}`, nil},
		{"recursive types",
			`{"type":"record","name":"List","fields":[{"name":"next","type":["null","List"]},{"name":"v","type":"long"}]}`,
			`{"type":"record","name":"List","fields":[{"name":"next","type":["null","List"]},{"name":"v","type":"int"}]}`, nil},
		{"names and sizes",
			`{"type":"fixed","name":"F","size":4}`, `{"type":"fixed","name":"G","size":8}`,
			[]format.Difference{
				{Type: NameMismatch, Path: "/name", Message: "{errorType:'NAME_MISMATCH', description:'The name of the schema has changed (path '/name')', additionalInfo:'expected: G'}",
					OldType: "G", NewType: "F", OldPath: "/name", NewPath: "/name"},
				{Type: FixedSizeMismatch, Path: "/size", Message: "{errorType:'FIXED_SIZE_MISMATCH', description:'The size of FIXED type field at path '/size' in the new schema does not match with the old schema', additionalInfo:'expected: 8, found: 4'}",
					OldType: "G", NewType: "F", OldPath: "/size", NewPath: "/size"},
			}},
		{"union branch", `["null","string"]`, `["null","string","int"]`,
			[]format.Difference{{Type: MissingUnionBranch, Path: "/2",
				Message: "{errorType:'MISSING_UNION_BRANCH', description:'The new schema is missing a type inside a union field at path '/2' in the old schema', additionalInfo:'reader union lacking writer type: INT'}",
				OldType: "null | string | int", NewType: "null | string", OldPath: "/2", NewPath: "/"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustParse(t, tt.new).BackwardIncompatibilities(mustParse(t, tt.old))
			if len(got) != len(tt.want) {
				t.Fatalf("got %d differences, want %d:\n%v", len(got), len(tt.want), got)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("difference %d\n got %+v\nwant %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// TestDifferenceFields checks the field and types each difference names for people, beside
// Confluent's path and message.
func TestDifferenceFields(t *testing.T) {
	payment := func(fields string) string {
		return `{"type":"record","name":"Payment","namespace":"shop","fields":[` + fields + `]}`
	}
	order := func(city string) string {
		return `{"type":"record","name":"Order","fields":[{"name":"customer","type":{"type":"record","name":"Customer","fields":[
			{"name":"address","type":{"type":"record","name":"Address","fields":[{"name":"city","type":` + city + `}]}}]}}]}`
	}
	tests := []struct {
		name, new, old string
		want           []string // type, field, old type, new type of each difference
	}{
		{"type change", payment(`{"name":"id","type":"long"}`), payment(`{"name":"id","type":"string"}`),
			[]string{"TYPE_MISMATCH Payment.id string → long"}},
		{"union to its branch", payment(`{"name":"note","type":"string"}`), payment(`{"name":"note","type":["null","string"]}`),
			[]string{"TYPE_MISMATCH Payment.note null | string → string"}},
		{"logical type", payment(`{"name":"at","type":{"type":"int","logicalType":"date"}}`),
			payment(`{"name":"at","type":{"type":"long","logicalType":"timestamp-millis"}}`),
			[]string{"TYPE_MISMATCH Payment.at long (timestamp-millis) → int (date)"}},
		{"field added without default", payment(`{"name":"id","type":"string"},{"name":"currency","type":"string"}`),
			payment(`{"name":"id","type":"string"}`),
			[]string{"READER_FIELD_MISSING_DEFAULT_VALUE Payment.currency  → string"}},
		{"field removed reads as before", payment(`{"name":"id","type":"string"}`),
			payment(`{"name":"id","type":"string"},{"name":"currency","type":"string"}`), nil},
		{"enum symbol removed",
			payment(`{"name":"status","type":{"type":"enum","name":"Status","symbols":["NEW","PAID"]}}`),
			payment(`{"name":"status","type":{"type":"enum","name":"Status","symbols":["NEW","PAID","REFUNDED"]}}`),
			[]string{"MISSING_ENUM_SYMBOLS Payment.status shop.Status → shop.Status"}},
		{"nested fields", order(`"long"`), order(`"string"`),
			[]string{"TYPE_MISMATCH Order.customer.address.city string → long"}},
		{"array of records", `{"type":"record","name":"Order","fields":[{"name":"lines","type":{"type":"array","items":
				{"type":"record","name":"Line","fields":[{"name":"sku","type":"int"}]}}}]}`,
			`{"type":"record","name":"Order","fields":[{"name":"lines","type":{"type":"array","items":
				{"type":"record","name":"Line","fields":[{"name":"sku","type":"string"}]}}}]}`,
			[]string{"TYPE_MISMATCH Order.lines.sku string → int"}},
		{"map values", payment(`{"name":"tags","type":{"type":"map","values":"int"}}`),
			payment(`{"name":"tags","type":{"type":"map","values":"string"}}`),
			[]string{"TYPE_MISMATCH Payment.tags map<string> → map<int>"}},
		{"root type", `"long"`, `"string"`, []string{"TYPE_MISMATCH  string → long"}},
		{"record renamed", payment(``), `{"type":"record","name":"Charge","namespace":"shop","fields":[]}`,
			[]string{"NAME_MISMATCH  shop.Charge → shop.Payment"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, d := range mustParse(t, tt.new).BackwardIncompatibilities(mustParse(t, tt.old)) {
				got = append(got, d.Type+" "+d.Field+" "+d.OldType+" → "+d.NewType)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}
