package server

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// typed wraps a schema text of a schema type in a register request, with optional references
// (a JSON array).
func typed(schemaType, schema, refs string) string {
	b, _ := json.Marshal(schema)
	out := `{"schemaType":"` + schemaType + `","schema":` + string(b)
	if refs != "" {
		out += `,"references":` + refs
	}
	return out + `}`
}

// compatibilityAnswer is the body of POST /compatibility/….
type compatibilityAnswer struct {
	IsCompatible bool     `json:"is_compatible"`
	Messages     []string `json:"messages"`
}

func (ts *testServer) check(t *testing.T, path, reqBody string) compatibilityAnswer {
	t.Helper()
	var a compatibilityAnswer
	if err := json.Unmarshal([]byte(ts.mustCall(t, "POST", path, reqBody)), &a); err != nil {
		t.Fatal(err)
	}
	return a
}

// jsonSchemaCase is one case of Confluent's JSON Schema diff corpus.
type jsonSchemaCase struct {
	Description       string
	OriginalSchema    json.RawMessage `json:"original_schema"`
	UpdateSchema      json.RawMessage `json:"update_schema"`
	Changes           []string
	Compatible        bool
	CompatibleLenient *bool `json:"compatible_lenient"`
}

func readJSONSchemaCases(t *testing.T) []jsonSchemaCase {
	t.Helper()
	raw, err := os.ReadFile("../../shared/conformance/confluent/jsonschema/diff-schema-examples.json")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip("shared corpus missing:", err)
	}
	var cases []jsonSchemaCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	return cases
}

// TestRegistryJSONSchemaPolicy runs, over HTTP, the corpus cases whose verdict depends on the
// compatibilityPolicy: STRICT by default, LENIENT when the subject or the global config says so.
func TestRegistryJSONSchemaPolicy(t *testing.T) {
	ts := startServer(t)
	cases := readJSONSchemaCases(t)
	n := 0
	for i, c := range cases {
		if c.CompatibleLenient == nil || *c.CompatibleLenient == c.Compatible {
			continue
		}
		n++
		t.Run(fmt.Sprint(i, " ", c.Description), func(t *testing.T) {
			subject := fmt.Sprintf("policy-%d", i)
			ts.mustCall(t, "POST", "/subjects/"+subject+"/versions", typed("JSON", string(c.OriginalSchema), ""))
			update := typed("JSON", string(c.UpdateSchema), "")
			path := "/compatibility/subjects/" + subject + "/versions/latest?verbose=true"

			strict := ts.check(t, path, update)
			if strict.IsCompatible != c.Compatible {
				t.Fatalf("STRICT: compatible %v, want %v: %v", strict.IsCompatible, c.Compatible, strict.Messages)
			}
			// Each difference STRICT refuses is one message naming a change of the case.
			listed := 0
			for _, m := range strict.Messages {
				if !strings.HasPrefix(m, `{errorType:"`) {
					continue
				}
				listed++
				if !slices.ContainsFunc(c.Changes, func(change string) bool {
					return strings.HasPrefix(m, `{errorType:"`+strings.Fields(change)[0]+`"`)
				}) {
					t.Errorf("STRICT message names no change of the case %v: %s", c.Changes, m)
				}
			}
			if !c.Compatible && listed == 0 {
				t.Errorf("STRICT refuses without a difference: %v", strict.Messages)
			}
			status, _ := ts.call(t, "POST", "/subjects/"+subject+"/versions", update)
			if c.Compatible != (status == 200) {
				t.Fatalf("STRICT register: %d", status)
			}

			ts.mustCall(t, "PUT", "/config/"+subject, `{"compatibilityPolicy":"LENIENT"}`)
			if out := ts.mustCall(t, "GET", "/config/"+subject+"?defaultToGlobal=true", ""); !strings.Contains(out, `"compatibilityLevel":"BACKWARD"`) || !strings.Contains(out, `"compatibilityPolicy":"LENIENT"`) {
				t.Fatalf("config: %s", out)
			}
			lenient := ts.check(t, path, update)
			if lenient.IsCompatible != *c.CompatibleLenient {
				t.Fatalf("LENIENT: compatible %v, want %v: %v", lenient.IsCompatible, *c.CompatibleLenient, lenient.Messages)
			}
			status, out := ts.call(t, "POST", "/subjects/"+subject+"/versions", update)
			if *c.CompatibleLenient != (status == 200) {
				t.Fatalf("LENIENT register: %d %s", status, out)
			}
		})
	}
	if n == 0 {
		t.Fatal("no corpus case depends on the policy")
	}

	// The global policy applies to subjects without one of their own, also to those with a
	// subject config that sets only the level; deleting the global config restores STRICT.
	c := cases[44] // OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL: STRICT no, LENIENT yes
	if c.CompatibleLenient == nil || !*c.CompatibleLenient || c.Compatible {
		t.Fatalf("case 44 changed: %+v", c)
	}
	for _, s := range []string{"global-a", "global-b"} {
		ts.mustCall(t, "POST", "/subjects/"+s+"/versions", typed("JSON", string(c.OriginalSchema), ""))
	}
	ts.mustCall(t, "PUT", "/config/global-b", `{"compatibility":"BACKWARD"}`)
	update := typed("JSON", string(c.UpdateSchema), "")
	steps := []struct {
		put, del string
		want     bool
	}{
		{want: false},
		{put: `{"compatibilityPolicy":"lenient"}`, want: true},
		{del: "/config", want: false},
	}
	for _, st := range steps {
		if st.put != "" {
			ts.mustCall(t, "PUT", "/config", st.put)
		}
		if st.del != "" {
			ts.mustCall(t, "DELETE", st.del, "")
		}
		for _, s := range []string{"global-a", "global-b"} {
			if got := ts.check(t, "/compatibility/subjects/"+s+"/versions/latest", update); got.IsCompatible != st.want {
				t.Errorf("%s after %q%q: compatible %v, want %v", s, st.put, st.del, got.IsCompatible, st.want)
			}
		}
	}
	// A subject's own STRICT wins over a global LENIENT.
	ts.mustCall(t, "PUT", "/config", `{"compatibilityPolicy":"LENIENT"}`)
	ts.mustCall(t, "PUT", "/config/global-b", `{"compatibilityPolicy":"STRICT"}`)
	if got := ts.check(t, "/compatibility/subjects/global-b/versions/latest", update); got.IsCompatible {
		t.Error("subject STRICT under global LENIENT: compatible")
	}
	if status, out := ts.call(t, "PUT", "/config/global-b", `{"compatibilityPolicy":"SLOPPY"}`); status != 422 || !strings.Contains(out, `"error_code":42203`) {
		t.Errorf("unknown policy: %d %s", status, out)
	}
}

// Schemas for the reference tests: Protobuf imports and JSON Schema $refs to other subjects.
const (
	protoBase  = "syntax = \"proto3\";\npackage shop.base;\n\nmessage Money {\n  int64 units = 1;\n  string currency = 2;\n}\n"
	protoOther = "syntax = \"proto3\";\npackage shop.other;\n\nimport \"base.proto\";\n\nmessage Line {\n  string sku = 1;\n  shop.base.Money price = 2;\n}\n"
	protoMain  = "syntax = \"proto3\";\npackage shop;\n\nimport \"other.proto\";\n\nmessage Order {\n  string id = 1;\n  repeated shop.other.Line lines = 2;\n}\n"
	// protoMainBroken changes the type of field 2.
	protoMainBroken = "syntax = \"proto3\";\npackage shop;\n\nimport \"other.proto\";\n\nmessage Order {\n  string id = 1;\n  string lines = 2;\n}\n"
	protoMainNext   = "syntax = \"proto3\";\npackage shop;\n\nimport \"other.proto\";\n\nmessage Order {\n  string id = 1;\n  repeated shop.other.Line lines = 2;\n  string note = 3;\n}\n"

	jsonBase       = `{"type":"object","properties":{"units":{"type":"integer"},"currency":{"type":"string"}},"additionalProperties":false}`
	jsonOther      = `{"type":"object","properties":{"sku":{"type":"string"},"price":{"$ref":"money.json"}},"additionalProperties":false}`
	jsonMain       = `{"type":"object","properties":{"id":{"type":"string"},"line":{"$ref":"https://example.com/schemas/line.json"}},"additionalProperties":false}`
	jsonMainBroken = `{"type":"object","properties":{"id":{"type":"string"},"line":{"type":"integer"}},"additionalProperties":false}`
	jsonMainNext   = `{"type":"object","properties":{"id":{"type":"string"},"line":{"$ref":"https://example.com/schemas/line.json"},"note":{"type":"string"}},"additionalProperties":false}`
)

// TestRegistryReferences registers, for Protobuf and JSON Schema, a schema that references a
// subject that itself references a third (passed only as a direct reference: the registry
// resolves the rest), then looks it up, checks compatibility, lists referrers and refuses to
// delete what is referenced.
func TestRegistryReferences(t *testing.T) {
	tests := []struct {
		typ                             string
		base, other, main, broken, next string
		baseName, otherName             string
		brokenType                      string
	}{
		{"PROTOBUF", protoBase, protoOther, protoMain, protoMainBroken, protoMainNext, "base.proto", "other.proto", "FIELD_KIND_CHANGED"},
		{"JSON", jsonBase, jsonOther, jsonMain, jsonMainBroken, jsonMainNext, "money.json", "https://example.com/schemas/line.json", "TYPE_CHANGED"},
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			ts := startServer(t)
			baseRef := `[{"name":"` + tt.baseName + `","subject":"base","version":1}]`
			otherRef := `[{"name":"` + tt.otherName + `","subject":"other","version":-1}]`
			ts.mustCall(t, "POST", "/subjects/base/versions", typed(tt.typ, tt.base, ""))
			ts.mustCall(t, "POST", "/subjects/other/versions", typed(tt.typ, tt.other, baseRef))
			// Without its reference the schema does not resolve.
			if status, out := ts.call(t, "POST", "/subjects/main/versions", typed(tt.typ, tt.main, "")); status != 422 || !strings.Contains(out, `"error_code":42201`) {
				t.Fatalf("without references: %d %s", status, out)
			}
			var reg struct {
				ID         int
				References []struct {
					Name, Subject string
					Version       int
				}
			}
			if err := json.Unmarshal([]byte(ts.mustCall(t, "POST", "/subjects/main/versions", typed(tt.typ, tt.main, otherRef))), &reg); err != nil {
				t.Fatal(err)
			}
			// The reference is stored resolved (-1 became 1) and only the direct one is listed.
			if len(reg.References) != 1 || reg.References[0].Version != 1 || reg.References[0].Name != tt.otherName {
				t.Fatalf("stored references: %+v", reg.References)
			}
			// Registering it again, and looking it up, finds the same id.
			for _, path := range []string{"/subjects/main/versions", "/subjects/main"} {
				var again struct{ ID, Version int }
				json.Unmarshal([]byte(ts.mustCall(t, "POST", path, typed(tt.typ, tt.main, otherRef))), &again)
				if again.ID != reg.ID || again.Version != 1 {
					t.Fatalf("POST %s: %+v, want id %d version 1", path, again, reg.ID)
				}
			}
			if out := ts.mustCall(t, "GET", "/schemas/ids/"+fmt.Sprint(reg.ID), ""); !strings.Contains(out, `"references":[{"name":"`+tt.otherName+`","subject":"other","version":1}]`) || !strings.Contains(out, `"schemaType":"`+tt.typ+`"`) {
				t.Fatalf("by id: %s", out)
			}

			a := ts.check(t, "/compatibility/subjects/main/versions/latest?verbose=true", typed(tt.typ, tt.next, otherRef))
			if !a.IsCompatible {
				t.Fatalf("compatible change refused: %v", a.Messages)
			}
			a = ts.check(t, "/compatibility/subjects/main/versions?verbose=true", typed(tt.typ, tt.broken, otherRef))
			if a.IsCompatible || len(a.Messages) < 4 || !strings.Contains(a.Messages[0], `{errorType:"`+tt.brokenType+`", description:"`) {
				t.Fatalf("breaking change: %+v", a)
			}
			if status, out := ts.call(t, "POST", "/subjects/main/versions", typed(tt.typ, tt.broken, otherRef)); status != 409 || !strings.Contains(out, tt.brokenType) {
				t.Fatalf("register breaking change: %d %s", status, out)
			}
			ts.mustCall(t, "POST", "/subjects/main/versions", typed(tt.typ, tt.next, otherRef))

			if out := ts.mustCall(t, "GET", "/subjects/other/versions/1/referencedby", ""); out != fmt.Sprintf("[%d,%d]", reg.ID, reg.ID+1) {
				t.Errorf("other referenced by %s", out)
			}
			if out := ts.mustCall(t, "GET", "/subjects/base/versions/1/referencedby", ""); out != "[2]" {
				t.Errorf("base referenced by %s, want the direct referrer only", out)
			}
			for _, path := range []string{"/subjects/other/versions/1", "/subjects/base/versions/1", "/subjects/other"} {
				if status, out := ts.call(t, "DELETE", path, ""); status != 422 || !strings.Contains(out, `"error_code":42206`) {
					t.Errorf("DELETE %s: %d %s", path, status, out)
				}
			}
			// Once its referrers are gone for good, a version can go.
			ts.mustCall(t, "DELETE", "/subjects/main", "")
			ts.mustCall(t, "DELETE", "/subjects/main?permanent=true", "")
			ts.mustCall(t, "DELETE", "/subjects/other/versions/1", "")
		})
	}
}

// TestRegistryNormalize registers with normalize=true, and looks up with it, a schema written
// differently from the registered one but the same after the format's normalization.
func TestRegistryNormalize(t *testing.T) {
	tests := []struct {
		typ, written, equivalent string
	}{
		{"AVRO", `{"type":"record","name":"R","namespace":"ns","fields":[{"name":"a","type":"int"}]}`,
			`{"fields":[{"type":"int","name":"a"}],"name":"ns.R","type":"record"}`},
		{"JSON", `{"type":"object","properties":{"b":{"type":"string"},"a":{"type":"integer"}}}`,
			`{"properties":{"a":{"type":"integer"},"b":{"type":"string"}},"type":"object"}`},
		{"PROTOBUF", "syntax = \"proto3\";\npackage p;\nmessage M {\n  string b = 2;\n  string a = 1;\n}\n",
			"syntax = \"proto3\";\npackage p;\nmessage M {\n  string a = 1;\n  string b = 2;\n}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			ts := startServer(t)
			id := func(out string) int {
				var s struct{ ID int }
				json.Unmarshal([]byte(out), &s)
				return s.ID
			}
			first := id(ts.mustCall(t, "POST", "/subjects/s/versions", typed(tt.typ, tt.written, "")))
			// Without normalization the other spelling is another schema (Avro's canonical
			// text already orders attributes)…
			if status, _ := ts.call(t, "POST", "/subjects/s", typed(tt.typ, tt.equivalent, "")); status != 404 && tt.typ != "AVRO" {
				t.Fatalf("lookup without normalize: %d", status)
			}
			// …with it, the same one.
			if got := id(ts.mustCall(t, "POST", "/subjects/s?normalize=true", typed(tt.typ, tt.equivalent, ""))); got != first {
				t.Fatalf("lookup with normalize: id %d, want %d", got, first)
			}
			// Registering both spellings normalized yields one id, stored normalized.
			n1 := id(ts.mustCall(t, "POST", "/subjects/n/versions?normalize=true", typed(tt.typ, tt.written, "")))
			n2 := id(ts.mustCall(t, "POST", "/subjects/n/versions?normalize=true", typed(tt.typ, tt.equivalent, "")))
			if n1 != n2 {
				t.Fatalf("normalized registrations: ids %d and %d", n1, n2)
			}
			if out := ts.mustCall(t, "GET", "/subjects/n/versions", ""); out != "[1]" {
				t.Fatalf("versions: %s", out)
			}
			// The config's normalize does the same for a client that does not ask.
			ts.mustCall(t, "PUT", "/config/c", `{"normalize":true}`)
			c1 := id(ts.mustCall(t, "POST", "/subjects/c/versions", typed(tt.typ, tt.written, "")))
			c2 := id(ts.mustCall(t, "POST", "/subjects/c/versions", typed(tt.typ, tt.equivalent, "")))
			if c1 != n1 || c2 != n1 {
				t.Fatalf("config normalize: ids %d %d, want %d", c1, c2, n1)
			}
			if a := ts.check(t, "/compatibility/subjects/c/versions/latest?normalize=true", typed(tt.typ, tt.equivalent, "")); !a.IsCompatible {
				t.Fatalf("compatibility with normalize: %+v", a)
			}
		})
	}
}

// TestRegistryHostileJSONAndProtobuf sends JSON Schemas and Protobuf schemas built to cost:
// deep nesting, huge enums, reference cycles, combinatorial oneOfs, 10 MB bodies. Each gets its
// answer (a 413 or 422 with a Confluent error body, or a verdict) within a few seconds, and the
// server keeps serving.
func TestRegistryHostileJSONAndProtobuf(t *testing.T) {
	small := startServer(t) // the tests' 1 MB body limit
	ts := startServer(t, func(c *Config) { c.MaxBody = "32M" })

	numbers := make([]string, 100_000)
	for i := range numbers {
		numbers[i] = fmt.Sprint(i)
	}
	jsonEnum := func(values []string) string {
		return `{"type":"object","properties":{"e":{"enum":[` + strings.Join(values, ",") + `]}}}`
	}
	protoValues := make([]string, 50_000)
	for i := range protoValues {
		protoValues[i] = fmt.Sprintf("  V%d = %d;", i, i)
	}
	protoEnum := func(values []string) string {
		return "syntax = \"proto3\";\nenum E {\n" + strings.Join(values, "\n") + "\n}\nmessage M {\n  E e = 1;\n}\n"
	}
	// 200 alternatives of 20 properties each: pairing them all is 40,000 comparisons.
	oneOf := func(typ string) string {
		alts := make([]string, 200)
		for i := range alts {
			props := make([]string, 20)
			for j := range props {
				props[j] = fmt.Sprintf(`"p%d_%d":{"type":%q}`, i, j, typ)
			}
			alts[i] = `{"type":"object","properties":{` + strings.Join(props, ",") + `}}`
		}
		return `{"oneOf":[` + strings.Join(alts, ",") + `]}`
	}
	jsonCycle := `{"definitions":{"a":{"$ref":"#/definitions/b"},"b":{"$ref":"#/definitions/a"}},"$ref":"#/definitions/a"}`
	jsonCycle2 := `{"definitions":{"a":{"$ref":"#/definitions/b"},"b":{"$ref":"#/definitions/a"},"c":{"type":"string"}},"$ref":"#/definitions/a"}`
	recursive := `{"type":"object","properties":{"next":{"$ref":"#"},"v":{"type":"string"}}}`
	recursive2 := `{"type":"object","properties":{"next":{"$ref":"#"},"v":{"type":"integer"}}}`
	huge := strings.Repeat("x", 10<<20)

	// Reference cycles by name: qq's a.proto is p, p's b.proto is q; a schema that imports
	// a.proto as qq gets two files named a.proto, the later importing itself.
	ts.mustCall(t, "POST", "/subjects/q/versions", typed("PROTOBUF", "syntax = \"proto3\";\npackage q;\nmessage Q {}\n", ""))
	ts.mustCall(t, "POST", "/subjects/p/versions", typed("PROTOBUF", "syntax = \"proto3\";\npackage p;\nimport \"b.proto\";\nmessage P {\n  q.Q q = 1;\n}\n", `[{"name":"b.proto","subject":"q","version":1}]`))
	ts.mustCall(t, "POST", "/subjects/qq/versions", typed("PROTOBUF", "syntax = \"proto3\";\npackage qq;\nimport \"a.proto\";\nmessage QQ {\n  p.P p = 1;\n}\n", `[{"name":"a.proto","subject":"p","version":1}]`))
	ts.mustCall(t, "POST", "/subjects/jx/versions", typed("JSON", `{"type":"object"}`, ""))
	ts.mustCall(t, "POST", "/subjects/jy/versions", typed("JSON", `{"type":"object","properties":{"x":{"$ref":"x.json"}}}`, `[{"name":"x.json","subject":"jx","version":1}]`))
	ts.mustCall(t, "POST", "/subjects/jx/versions?force=true", typed("JSON", `{"type":"object","properties":{"y":{"$ref":"y.json"}}}`, `[{"name":"y.json","subject":"jy","version":1}]`))
	for _, s := range []struct{ subject, body string }{
		{"jenum", typed("JSON", jsonEnum(numbers), "")},
		{"penum", typed("PROTOBUF", protoEnum(protoValues), "")},
		{"jcycle", typed("JSON", jsonCycle, "")},
		{"jrec", typed("JSON", recursive, "")},
		{"oneof", typed("JSON", oneOf("string"), "")},
	} {
		ts.mustCall(t, "POST", "/subjects/"+s.subject+"/versions", s.body)
	}

	tests := []struct {
		name   string
		srv    *testServer
		path   string
		body   string
		status int
		code   int // the error code when status is not 200
	}{
		{"JSON 10 MB body over the body limit", small, "/subjects/s/versions", typed("JSON", `{"description":"`+huge+`"}`, ""), 413, 413},
		{"Protobuf 10 MB body over the body limit", small, "/subjects/s/versions", typed("PROTOBUF", "syntax = \"proto3\";\n// "+huge+"\nmessage M {}\n", ""), 413, 413},
		{"JSON 10 MB schema", ts, "/subjects/s/versions", typed("JSON", `{"description":"`+huge+`"}`, ""), 422, 42209},
		{"Protobuf 10 MB schema", ts, "/subjects/s/versions", typed("PROTOBUF", "syntax = \"proto3\";\n// "+huge+"\nmessage M {}\n", ""), 422, 42209},
		{"JSON 10 MB schema checked", ts, "/compatibility/subjects/jenum/versions/latest?verbose=true", typed("JSON", `{"description":"`+huge+`"}`, ""), 422, 42209},
		{"JSON nested 5000 deep", ts, "/subjects/s/versions", typed("JSON", strings.Repeat(`{"type":"array","items":`, 5000)+`{}`+strings.Repeat("}", 5000), ""), 422, 42201},
		{"Protobuf nested 1000 deep", ts, "/subjects/s/versions", typed("PROTOBUF", "syntax = \"proto3\";\n"+strings.Repeat("message M { ", 1000)+strings.Repeat("}", 1000), ""), 422, 42201},
		{"Protobuf options nested 1000 deep", ts, "/subjects/s/versions", typed("PROTOBUF", "syntax = \"proto3\";\noption (x) = "+strings.Repeat("{ a: ", 1000)+"1"+strings.Repeat("}", 1000)+";\n", ""), 422, 42201},
		{"JSON enum of 100,000 values checked", ts, "/compatibility/subjects/jenum/versions/latest?verbose=true", typed("JSON", jsonEnum(numbers[1:]), ""), 200, 0},
		{"Protobuf enum of 50,000 values checked", ts, "/compatibility/subjects/penum/versions/latest?verbose=true", typed("PROTOBUF", protoEnum(protoValues[1:]), ""), 200, 0},
		{"JSON $ref cycle checked", ts, "/compatibility/subjects/jcycle/versions/latest?verbose=true", typed("JSON", jsonCycle2, ""), 200, 0},
		{"JSON recursive schema checked", ts, "/compatibility/subjects/jrec/versions/latest?verbose=true", typed("JSON", recursive2, ""), 200, 0},
		{"JSON 200 oneOf alternatives checked", ts, "/compatibility/subjects/oneof/versions/latest?verbose=true", typed("JSON", oneOf("integer"), ""), 200, 0},
		{"Protobuf import cycle through references", ts, "/subjects/cyc/versions", typed("PROTOBUF", "syntax = \"proto3\";\nimport \"a.proto\";\nmessage C {\n  qq.QQ q = 1;\n}\n", `[{"name":"a.proto","subject":"qq","version":1}]`), 422, 42201},
		{"JSON $ref cycle through references", ts, "/subjects/jcyc/versions", typed("JSON", `{"type":"object","properties":{"x":{"$ref":"x.json"}}}`, `[{"name":"x.json","subject":"jx","version":2}]`), 200, 0},
		{"reference to a missing version", ts, "/subjects/s/versions", typed("PROTOBUF", "syntax = \"proto3\";\nimport \"a.proto\";\n", `[{"name":"a.proto","subject":"p","version":99}]`), 422, 42201},
	}
	wantMessage := map[string]string{
		"Protobuf import cycle through references": "cycle",
		"Protobuf 10 MB schema":                    "more than the",
		"reference to a missing version":           "does not exist",
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A hang guard, not a speed test (benchmarks measure speed): each answer takes about
			// a second at most on a quiet 2-core machine, and must come even on a loaded one.
			start := time.Now()
			status, out := tt.srv.call(t, "POST", tt.path, tt.body)
			if took := time.Since(start); took > time.Minute {
				t.Errorf("answered in %v", took)
			}
			if status != tt.status {
				t.Fatalf("status %d, want %d: %.300s", status, tt.status, out)
			}
			if status == 200 {
				return
			}
			var e apiError
			if err := json.Unmarshal([]byte(out), &e); err != nil || e.ErrorCode != tt.code || e.Message == "" {
				t.Fatalf("want error_code %d: %.300s", tt.code, out)
			}
			if want := wantMessage[tt.name]; !strings.Contains(e.Message, want) {
				t.Fatalf("message %q does not say %q", e.Message, want)
			}
		})
	}
	for _, srv := range []*testServer{small, ts} {
		if status, out := srv.call(t, "GET", "/subjects/s/versions", ""); status != 404 || !strings.Contains(out, "40401") {
			t.Errorf("after hostile input: %d %s", status, out)
		}
	}
}
