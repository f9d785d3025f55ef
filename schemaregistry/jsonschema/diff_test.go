package jsonschema

import (
	"slices"
	"testing"
)

func TestDiffTooComplexIsIncompatible(t *testing.T) {
	s, err := Parse(`{"type": "string"}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	changes := compareBounded(Strict, s.root, s.root, 0)
	if len(changes) != 1 || changes[0].Type != tooComplex || Strict.Compatible(tooComplex) || Lenient.Compatible(tooComplex) {
		t.Errorf("changes = %v, want one incompatible %s", changes, tooComplex)
	}
}

// TestDifferenceFields checks the property and types each difference names for people, beside
// Confluent's path and message.
func TestDifferenceFields(t *testing.T) {
	object := func(properties string, more string) string {
		return `{"type": "object", "additionalProperties": false, "properties": {` + properties + `}` + more + `}`
	}
	tests := []struct {
		name, old, new string
		want           []string // type, path, field, old type → new type of each difference
	}{
		{"type change", object(`"id": {"type": "string"}`, ``), object(`"id": {"type": "integer"}`, ``),
			[]string{"TYPE_CHANGED #/properties/id id string → integer"}},
		{"nested fields", object(`"customer": `+object(`"id": {"type": "string"}`, ``), ``),
			object(`"customer": `+object(`"id": {"type": "number"}`, ``), ``),
			[]string{"TYPE_CHANGED #/properties/customer/properties/id customer.id string → number"}},
		{"property removed from a closed model", object(`"id": {"type": "string"}, "note": {"type": "string"}`, ``),
			object(`"id": {"type": "string"}`, ``),
			[]string{"PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL #/properties/note note string → "}},
		{"required property added without default", object(`"id": {"type": "string"}`, ``),
			object(`"id": {"type": "string"}, "currency": {"type": "string"}`, `, "required": ["currency"]`),
			[]string{"REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL #/properties/currency currency  → string"}},
		{"required property added with default", object(`"id": {"type": "string"}`, ``),
			object(`"id": {"type": "string"}, "currency": {"type": "string", "default": "EUR"}`, `, "required": ["currency"]`), nil},
		{"existing property made required", object(`"amount": {"type": "integer"}`, ``),
			object(`"amount": {"type": "integer"}`, `, "required": ["amount"]`),
			[]string{"REQUIRED_ATTRIBUTE_ADDED #/required/amount amount integer → integer"}},
		{"enum value removed", object(`"status": {"enum": ["NEW", "PAID", "REFUNDED"]}`, ``),
			object(`"status": {"enum": ["NEW", "PAID"]}`, ``),
			[]string{`ENUM_ARRAY_NARROWED #/properties/status/enum status enum ["NEW", "PAID", "REFUNDED"] → enum ["NEW", "PAID"]`}},
		{"nullable made mandatory", object(`"note": {"type": ["string", "null"]}`, ``), object(`"note": {"type": "string"}`, ``),
			[]string{"TYPE_CHANGED #/properties/note note string | null → string"}},
		{"array items", object(`"lines": {"type": "array", "items": `+object(`"sku": {"type": "string"}`, ``)+`}`, ``),
			object(`"lines": {"type": "array", "items": `+object(`"sku": {"type": "integer"}`, ``)+`}`, ``),
			[]string{"TYPE_CHANGED #/properties/lines/items/properties/sku lines.sku string → integer"}},
		{"limit inside a property", object(`"code": {"type": "string", "maxLength": 8}`, ``),
			object(`"code": {"type": "string", "maxLength": 4}`, ``),
			[]string{"MAX_LENGTH_DECREASED #/properties/code/maxLength code string → string"}},
		{"root type", `{"type": "string"}`, `{"type": "boolean"}`, []string{"TYPE_CHANGED #/  string → boolean"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parse := func(text string) *Schema {
				s, err := Parse(text, nil)
				if err != nil {
					t.Fatalf("parse %s: %v", text, err)
				}
				return s
			}
			var got []string
			for _, d := range parse(tt.new).BackwardIncompatibilities(parse(tt.old)) {
				got = append(got, d.Type+" "+d.Path+" "+d.Field+" "+d.OldType+" → "+d.NewType)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestDifferencePaths checks where each difference is in the old and the new schema: Confluent's
// path, unless that schema lacks the property or item, which is then located at the object or
// array that would hold it.
func TestDifferencePaths(t *testing.T) {
	closed := func(properties string, more string) string {
		return `{"type": "object", "additionalProperties": false, "properties": {` + properties + `}` + more + `}`
	}
	tests := []struct {
		name, old, new string
		want           []string // type, path, old path, new path of each difference
	}{
		{"property removed", closed(`"id": {"type": "string"}, "note": {"type": "string"}`, ``),
			closed(`"id": {"type": "string"}`, ``),
			[]string{"PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL #/properties/note #/properties/note #/"}},
		{"required property added", closed(`"id": {"type": "string"}`, ``),
			closed(`"id": {"type": "string"}, "currency": {"type": "string"}`, `, "required": ["currency"]`),
			[]string{"REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL #/properties/currency #/ #/properties/currency"}},
		{"nested property removed", closed(`"customer": `+closed(`"id": {"type": "string"}, "email": {"type": "string"}`, ``), ``),
			closed(`"customer": `+closed(`"id": {"type": "string"}`, ``), ``),
			[]string{"PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL #/properties/customer/properties/email #/properties/customer/properties/email #/properties/customer"}},
		{"removed property no longer covered",
			`{"type": "object", "properties": {"code": {"type": "object", "properties": {"n": {"type": "string"}}}}, "additionalProperties": {"type": "object", "properties": {"n": {"type": "integer"}}}}`,
			`{"type": "object", "properties": {}, "additionalProperties": {"type": "object", "properties": {"n": {"type": "integer"}}}}`,
			[]string{"PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/properties/code #/properties/code #/",
				"TYPE_CHANGED #/properties/code/properties/n #/properties/code/properties/n #/"}},
		{"tuple item removed", `{"type": "array", "items": [{"type": "string"}, {"type": "integer"}], "additionalItems": false}`,
			`{"type": "array", "items": [{"type": "string"}], "additionalItems": false}`,
			[]string{"ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL #/items/1 #/items/1 #/"}},
		{"type changed", closed(`"id": {"type": "string"}`, ``), closed(`"id": {"type": "integer"}`, ``),
			[]string{"TYPE_CHANGED #/properties/id #/properties/id #/properties/id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parse := func(text string) *Schema {
				s, err := Parse(text, nil)
				if err != nil {
					t.Fatalf("parse %s: %v", text, err)
				}
				return s
			}
			var got []string
			for _, d := range parse(tt.new).BackwardIncompatibilities(parse(tt.old)) {
				got = append(got, d.Type+" "+d.Path+" "+d.OldPath+" "+d.NewPath)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}
