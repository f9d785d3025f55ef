package jsonschema

import (
	"crypto/md5"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/eventlens/eventlens/schemaregistry/format"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, text string
		refs       []format.Reference
		want       string
	}{
		{"malformed JSON", `{"type": "string"`, nil, "malformed JSON"},
		{"trailing data", `{} {}`, nil, "malformed JSON"},
		{"not a schema", `"string"`, nil, "object or a boolean"},
		{"invalid against metaschema", `{"type": 5}`, nil, "metaschema"},
		{"invalid against draft-04", `{"$schema": "http://json-schema.org/draft-04/schema#", "required": []}`, nil, "metaschema"},
		{"minLength negative", `{"type": "string", "minLength": -1}`, nil, "metaschema"},
		{"missing reference", `{"$ref": "address.json"}`, nil, "address.json"},
		{"missing pointer", `{"$ref": "#/definitions/nope"}`, nil, "definitions/nope"},
		{"malformed reference", `{"$ref": "address.json"}`, []format.Reference{{Name: "address.json", Schema: `{`}}, "reference"},
		{"deep nesting", strings.Repeat(`{"not":`, 300) + `{}` + strings.Repeat(`}`, 300), nil, "nesting"},
		{"too large", `{"description": "` + strings.Repeat("x", maxSchemaBytes) + `"}`, nil, "bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Format{}.Parse(tt.text, tt.refs)
			if !errors.Is(err, format.ErrInvalidSchema) {
				t.Fatalf("err = %v, want one wrapping ErrInvalidSchema", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestParseAcceptsEveryDraft(t *testing.T) {
	for _, s := range []string{
		"http://json-schema.org/draft-04/schema#",
		"http://json-schema.org/draft-06/schema#",
		"http://json-schema.org/draft-07/schema#",
		"https://json-schema.org/draft/2019-09/schema",
		"https://json-schema.org/draft/2020-12/schema",
	} {
		text := fmt.Sprintf(`{"$schema": %q, "type": "object", "properties": {"a": {"type": "string", "pattern": "^(?!x)"}}}`, s)
		if _, err := Parse(text, nil); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	if _, err := Parse(`true`, nil); err != nil {
		t.Errorf("boolean schema: %v", err)
	}
}

func TestReferences(t *testing.T) {
	address := format.Reference{Name: "address.json", Subject: "address", Version: 1,
		Schema: `{"type": "object", "properties": {"street": {"type": "string"}}, "definitions": {"zip": {"type": "string"}}}`}
	narrowed := address
	narrowed.Schema = `{"type": "object", "properties": {"street": {"type": "integer"}}}`
	tests := []struct {
		name string
		text string
		refs []format.Reference
	}{
		{"relative name", `{"properties": {"home": {"$ref": "address.json"}}}`, []format.Reference{address}},
		{"pointer into a reference", `{"properties": {"zip": {"$ref": "address.json#/definitions/zip"}}}`, []format.Reference{address}},
		{"against the schema's $id", `{"$id": "https://example.com/schemas/customer.json", "properties": {"home": {"$ref": "address.json"}}}`, []format.Reference{address}},
		{"absolute name", `{"properties": {"home": {"$ref": "https://example.com/address.json"}}}`,
			[]format.Reference{{Name: "https://example.com/address.json", Schema: address.Schema}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Parse(tt.text, tt.refs); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Run("changes inside a reference are found", func(t *testing.T) {
		text := `{"properties": {"home": {"$ref": "address.json"}}}`
		before, err := Parse(text, []format.Reference{address})
		if err != nil {
			t.Fatal(err)
		}
		after, err := Parse(text, []format.Reference{narrowed})
		if err != nil {
			t.Fatal(err)
		}
		got := after.BackwardIncompatibilities(before)
		want := []format.Difference{{Type: "TYPE_CHANGED", Path: "#/properties/home/properties/street",
			Field: "home.street", OldType: "string", NewType: "integer",
			OldPath: "#/properties/home/properties/street", NewPath: "#/properties/home/properties/street",
			Message: `{errorType:"TYPE_CHANGED", description:"A type at path '#/properties/home/properties/street' is different between the new schema and the old schema"}`}}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("got %v\nwant %v", got, want)
		}
	})
}

func TestCanonical(t *testing.T) {
	tests := []struct{ in, canonical, normalized string }{
		{`{ "type" : "object",
		    "properties": {"b": {"type": "string"}, "a": {"type": "integer"}} }`,
			`{"type":"object","properties":{"b":{"type":"string"},"a":{"type":"integer"}}}`,
			`{"properties":{"a":{"type":"integer"},"b":{"type":"string"}},"type":"object"}`},
		{`{"description": "<tag> & \u00e9\u2028 \t\"\\\u0001/"}`,
			`{"description":"<tag> & é` + "\u2028" + ` \t\"\\\u0001/"}`,
			`{"description":"<tag> & é` + "\u2028" + ` \t\"\\\u0001/"}`},
		{`{"default": [1, -0, 1.50, 1e2, 1.5e-7, 0.000001, 12345678901234567890, -2.5E+3]}`,
			`{"default":[1,0,1.50,1E+2,1.5E-7,0.000001,12345678901234567890,-2.5E+3]}`,
			`{"default":[1,0,1.50,1E+2,1.5E-7,0.000001,12345678901234567890,-2.5E+3]}`},
		{`{"a": 1, "a": 2, "b": 3}`, `{"a":2,"b":3}`, `{"a":2,"b":3}`},
		{`true`, `true`, `true`},
	}
	for _, tt := range tests {
		s, err := Parse(tt.in, nil)
		if err != nil {
			t.Fatalf("%s: %v", tt.in, err)
		}
		if got := s.Canonical(); got != tt.canonical {
			t.Errorf("Canonical(%s)\n got  %s\n want %s", tt.in, got, tt.canonical)
		}
		if got := s.Normalized(); got != tt.normalized {
			t.Errorf("Normalized(%s)\n got  %s\n want %s", tt.in, got, tt.normalized)
		}
	}
}

// Confluent hashes the bytes of the schema text it stores (plus references, metadata and
// rules when present): the golden JSON hash without any of them is the MD5 of the text alone.
func TestMD5GoldenHashesTheStoredText(t *testing.T) {
	var golden struct {
		Schemas        map[string]string            `json:"schemas"`
		ExpectedHashes map[string]map[string]string `json:"expectedHashes"`
	}
	data := readCorpus(t, "../md5/schema-md5-golden-data.json")
	if err := json.Unmarshal(data, &golden); err != nil {
		t.Fatal(err)
	}
	text := golden.Schemas["json"]
	if _, err := Parse(text, nil); err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum([]byte(text))
	got := fmt.Sprintf("%x-%x-%x-%x-%x", sum[0:4], sum[4:6], sum[6:8], sum[8:10], sum[10:16])
	if want := golden.ExpectedHashes["JSON"]["000"]; got != want {
		t.Errorf("MD5 = %s, want %s", got, want)
	}
}

func TestHostileInputsFailFast(t *testing.T) {
	enum := make([]string, 200_000)
	for i := range enum {
		enum[i] = fmt.Sprint(i)
	}
	tests := []struct {
		name string
		text string
	}{
		{"huge enum", `{"enum": [` + strings.Join(enum, ",") + `]}`},
		{"reference cycle", `{"$ref": "#/definitions/a", "definitions": {"a": {"$ref": "#/definitions/b"}, "b": {"$ref": "#/definitions/a"}}}`},
		{"self reference", `{"properties": {"x": {"$ref": "#"}}, "anyOf": [{"$ref": "#"}, {"$ref": "#/properties/x"}]}`},
		{"10 MB", `{"description": "` + strings.Repeat("x", 10<<20) + `"}`},
		{"wide oneOf", `{"oneOf": [` + strings.TrimSuffix(strings.Repeat(`{"properties": {"a": {"oneOf": [{"type": "string"}, {"type": "number"}, {"$ref": "#"}]}}},`, 60), ",") + `]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			s, err := Parse(tt.text, nil)
			if err == nil {
				Diff(s, s, Strict)
			}
			// A hang guard, not a speed test: the benchmarks measure speed.
			if d := time.Since(start); d > time.Minute {
				t.Errorf("took %v", d)
			}
		})
	}
}
