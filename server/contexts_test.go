package server

import (
	"encoding/json"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/eventlens/eventlens/storage"
	"github.com/eventlens/eventlens/storage/storagetest"
	"github.com/eventlens/eventlens/tracing"
)

// withoutTimes is a JSON answer decoded, without the members that change from run to run
// (ts, guid), for comparing answers whole.
func withoutTimes(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("not JSON: %.300s", s)
	}
	var strip func(v any)
	strip = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			delete(v, "ts")
			delete(v, "guid")
			for _, x := range v {
				strip(x)
			}
		case []any:
			for _, x := range v {
				strip(x)
			}
		}
	}
	strip(v)
	return v
}

// Every answer about contexts, exactly, on both backends: qualified subjects with ids of their
// own, the listings, ?subject= lookups, config per context, the /contexts/{context}/ prefix and
// deleting a context.
func TestContextsOverHTTP(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ts := startServerOn(t, db, tracing.Config{})
		a, b, c := avroRecord("A", 1), avroRecord("B", 1), avroRecord("C", 1)
		version := func(subject string, version, id int, schema string) string {
			s := `{"version":` + itoa(version) + `,"id":` + itoa(id) + `,"schema":` + jsonString(schema) + `}`
			if subject != "" {
				s = `{"subject":` + jsonString(subject) + "," + s[1:]
			}
			return s
		}
		for _, reg := range []struct {
			subject, schema string
			id              int
		}{
			{"orders-value", a, 1},
			{":.staging:orders-value", b, 1},
			{":.staging:payments-value", c, 2},
			{"%3A.prod%3Aorders-value", a, 1}, // percent-encoded, as clients escape ':'
			{":.:payments-value", c, 2},       // the default context, named
		} {
			out := ts.mustCall(t, "POST", "/subjects/"+reg.subject+"/versions", body(reg.schema))
			if got, want := withoutTimes(t, out), withoutTimes(t, version("", 1, reg.id, reg.schema)); !reflect.DeepEqual(got, want) {
				t.Fatalf("register %s: %s, want id %d", reg.subject, out, reg.id)
			}
		}
		tests := []struct {
			name, method, path, body string
			status                   int
			want                     string // the whole answer; for errors only its error_code
		}{
			{"contexts", "GET", "/contexts", "", 200, `[".",".prod",".staging"]`},
			{"contexts from 1", "GET", "/contexts?offset=1", "", 200, `[".prod",".staging"]`},
			{"contexts, one", "GET", "/contexts?limit=1", "", 200, `["."]`},
			{"contexts by prefix", "GET", "/contexts?contextPrefix=.st", "", 200, `[".staging"]`},
			{"contexts by a prefix none has", "GET", "/contexts?contextPrefix=" + strings.Repeat("x", 5000), "", 200, `[]`},
			{"subjects of every context", "GET", "/subjects", "", 200, `[":.prod:orders-value",":.staging:orders-value",":.staging:payments-value","orders-value","payments-value"]`},
			{"subjects, wildcard", "GET", "/subjects?subjectPrefix=:*:", "", 200, `[":.prod:orders-value",":.staging:orders-value",":.staging:payments-value","orders-value","payments-value"]`},
			{"subjects of the default context", "GET", "/subjects?subjectPrefix=", "", 200, `["orders-value","payments-value"]`},
			{"subjects of a context", "GET", "/subjects?subjectPrefix=:.staging:", "", 200, `[":.staging:orders-value",":.staging:payments-value"]`},
			{"subjects named so in any context", "GET", "/subjects?subjectPrefix=:*:orders", "", 200, `[":.prod:orders-value",":.staging:orders-value","orders-value"]`},
			{"schemas of the default context", "GET", "/schemas", "", 200, `[` + version("orders-value", 1, 1, a) + `,` + version("payments-value", 1, 2, c) + `]`},
			{"schemas of a context", "GET", "/schemas?subjectPrefix=:.prod:", "", 200, `[` + version(":.prod:orders-value", 1, 1, a) + `]`},
			{"id 1", "GET", "/schemas/ids/1", "", 200, `{"schema":` + jsonString(a) + `}`},
			{"id 1 of a staging subject", "GET", "/schemas/ids/1?subject=:.staging:orders-value", "", 200, `{"schema":` + jsonString(b) + `}`},
			{"id 1 of a staging subject, escaped", "GET", "/schemas/ids/1?subject=%3A.staging%3Aorders-value", "", 200, `{"schema":` + jsonString(b) + `}`},
			{"id 2 in staging", "GET", "/schemas/ids/2?subject=:.staging:", "", 200, `{"schema":` + jsonString(c) + `}`},
			{"id 1 of a subject without it", "GET", "/schemas/ids/1?subject=:.staging:payments-value", "", 404, `40403`},
			{"id 3, in no context", "GET", "/schemas/ids/3?subject=:.staging:", "", 404, `40403`},
			{"id 1 with max id", "GET", "/schemas/ids/1?subject=:.staging:&fetchMaxId=true", "", 200, `{"schema":` + jsonString(b) + `,"maxId":2}`},
			{"id 1's text in prod", "GET", "/schemas/ids/1/schema?subject=:.prod:", "", 200, a},
			{"id 1's subjects in staging", "GET", "/schemas/ids/1/subjects?subject=:.staging:", "", 200, `[":.staging:orders-value"]`},
			{"id 2's versions in staging", "GET", "/schemas/ids/2/versions?subject=:.staging:", "", 200, `[{"subject":":.staging:payments-value","version":1}]`},
			{"id 2's versions", "GET", "/schemas/ids/2/versions", "", 200, `[{"subject":"payments-value","version":1}]`},
			{"a version in a context", "GET", "/subjects/:.staging:orders-value/versions/1", "", 200, version(":.staging:orders-value", 1, 1, b)},
			{"the default context named", "GET", "/subjects/:.:orders-value/versions/latest", "", 200, version("orders-value", 1, 1, a)},
			{"lookup in a context", "POST", "/subjects/:.staging:payments-value", body(c), 200, version(":.staging:payments-value", 1, 2, c)},
			{"ids of a guid in each context", "GET", "/contexts/.prod/subjects/orders-value/versions/1", "", 200, version(":.prod:orders-value", 1, 1, a)},
			{"a context's config", "PUT", "/config/:.staging:", `{"compatibility":"NONE"}`, 200, `{"compatibility":"NONE"}`},
			{"a context's config read", "GET", "/config/:.staging:", "", 200, `{"compatibilityLevel":"NONE"}`},
			{"a subject's config from its context", "GET", "/config/:.staging:orders-value?defaultToGlobal=true", "", 200, `{"compatibilityLevel":"NONE"}`},
			{"the default context keeps the global config", "GET", "/config/orders-value?defaultToGlobal=true", "", 200, `{"compatibilityLevel":"BACKWARD"}`},
			{"under /contexts: subjects", "GET", "/contexts/.staging/subjects", "", 200, `[":.staging:orders-value",":.staging:payments-value"]`},
			{"under /contexts: the default context", "GET", "/contexts/./subjects", "", 200, `["orders-value","payments-value"]`},
			{"under /contexts: an id", "GET", "/contexts/.staging/schemas/ids/2", "", 200, `{"schema":` + jsonString(c) + `}`},
			{"under /contexts: a version", "GET", "/contexts/staging/subjects/orders-value/versions/1", "", 200, version(":.staging:orders-value", 1, 1, b)},
			{"under /contexts: the config", "GET", "/contexts/.staging/config", "", 200, `{"compatibilityLevel":"NONE"}`},
			{"under /contexts: registration", "POST", "/contexts/.staging/subjects/audit/versions", body(a), 200, version("", 1, 3, a)},
			{"under /contexts: a colon in the name", "GET", "/contexts/a:b/subjects", "", 400, `400`},
			{"a context with subjects", "DELETE", "/contexts/.staging", "", 422, `42211`},
			{"a context alone as a subject", "POST", "/subjects/:.staging:/versions", body(a), 422, `42208`},
			{"a context without its colon", "POST", "/subjects/:.staging/versions", body(a), 422, `42208`},
			{"the wildcard as a context", "POST", "/subjects/:*:x/versions", body(a), 422, `42208`},
			{"the global context", "POST", "/subjects/:.__GLOBAL:x/versions", body(a), 422, `42208`},
			{"a control character in the context", "POST", "/subjects/:.a%00b:x/versions", body(a), 422, `42208`},
			{"a NUL in a plain subject", "POST", "/subjects/a%00b/versions", body(a), 422, `42208`},
			{"a NUL in a context lookup", "GET", "/schemas/ids/1?subject=:.a%00b:x", "", 404, `40403`},
			{"slashes in a context", "GET", "/contexts/" + url.PathEscape("../../config") + "/subjects", "", 200, `[]`},
			{"the default context", "DELETE", "/contexts/.", "", 422, `42205`},
			{"a colon in a context name", "DELETE", "/contexts/.a:b", "", 400, `400`},
			{"a context never used", "DELETE", "/contexts/" + url.PathEscape("../../etc"), "", 204, ``},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				status, out := ts.call(t, tt.method, tt.path, tt.body)
				if status != tt.status {
					t.Fatalf("status %d, want %d: %.300s", status, tt.status, out)
				}
				switch {
				case status == 204:
					if out != "" {
						t.Errorf("body %q", out)
					}
				case status >= 400:
					var e apiError
					if err := json.Unmarshal([]byte(out), &e); err != nil || itoa(e.ErrorCode) != tt.want {
						t.Errorf("error %s, want code %s", out, tt.want)
					}
				case !strings.HasPrefix(tt.want, "{") && !strings.HasPrefix(tt.want, "["):
					if out != tt.want {
						t.Errorf("answer %s, want %s", out, tt.want)
					}
				case !reflect.DeepEqual(withoutTimes(t, out), withoutTimes(t, tt.want)):
					t.Errorf("answer\n%s\nwant\n%s", out, tt.want)
				}
			})
		}

		// The same guid in two contexts: one id in each.
		var v struct{ GUID string }
		if err := json.Unmarshal([]byte(ts.mustCall(t, "GET", "/subjects/orders-value/versions/1", "")), &v); err != nil {
			t.Fatal(err)
		}
		if out := ts.mustCall(t, "GET", "/schemas/guids/"+v.GUID+"/ids", ""); out != `[{"context":".","id":1},{"context":".prod","id":1},{"context":".staging","id":3}]` {
			t.Errorf("ids of a guid: %s", out)
		}

		// A context goes once its subjects are gone for good, and is listed again when used.
		for _, permanent := range []string{"", "?permanent=true"} {
			ts.mustCall(t, "DELETE", "/subjects/:.prod:orders-value"+permanent, "")
		}
		if status, out := ts.call(t, "DELETE", "/contexts/.prod", ""); status != 204 {
			t.Fatalf("delete an empty context: %d %s", status, out)
		}
		if out := ts.mustCall(t, "GET", "/contexts", ""); out != `[".",".staging"]` {
			t.Errorf("contexts after the delete: %s", out)
		}
		if out := ts.mustCall(t, "POST", "/subjects/:.prod:orders-value/versions", body(b)); !reflect.DeepEqual(withoutTimes(t, out), withoutTimes(t, version("", 1, 2, b))) {
			t.Errorf("prod again: %s, want a new id, 2", out)
		}

		// A context's name is any text without a colon, however long (Confluent sets no limit).
		long := ":." + strings.Repeat("c", 5000) + ":x"
		if out := ts.mustCall(t, "POST", "/subjects/"+long+"/versions", body(a)); !reflect.DeepEqual(withoutTimes(t, out), withoutTimes(t, version("", 1, 1, a))) {
			t.Errorf("a long context: %.300s", out)
		}
		if out := ts.mustCall(t, "GET", "/contexts?offset=1&limit=1", ""); out != `[`+jsonString(long[1:5002])+`]` {
			t.Errorf("contexts with the long one: %.300s", out)
		}
	})
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// BenchmarkRegistryContexts measures GET /schemas/ids with ?subject= (as confluent-kafka-go
// asks), in the default context and in another, against the same request without it, in one
// run, over real HTTP as BenchmarkRegistry does.
//
//	go test ./server -run '^$' -bench BenchmarkRegistryContexts -benchtime 3s
func BenchmarkRegistryContexts(b *testing.B) {
	s := newBenchServer(b)
	s.send(b, "POST", "/subjects/orders-value/versions", body(avroRecord("Order", 3)))
	s.send(b, "POST", "/subjects/:.staging:orders-value/versions", body(avroRecord("Staged", 3)))
	s.run(b, "echo_constant", "GET", "/bench/constant", "")
	s.run(b, "schema_by_id", "GET", "/schemas/ids/1", "")
	s.run(b, "schema_by_id_subject", "GET", "/schemas/ids/1?subject=orders-value", "")
	s.run(b, "schema_by_id_context_subject", "GET", "/schemas/ids/1?subject=:.staging:orders-value", "")
	s.run(b, "schema_by_id_under_contexts", "GET", "/contexts/.staging/schemas/ids/1", "")
}

// The console lists and shows qualified subjects, with their context's level and links to
// the subjects their references name in that context.
func TestContextPages(t *testing.T) {
	ts := startServer(t)
	ts.mustCall(t, "POST", "/subjects/:.staging:common/versions", body(avroRecord("Common", 1)))
	ts.mustCall(t, "POST", "/subjects/:.staging:orders-value/versions", `{"schema":"{\"type\":\"record\",\"name\":\"Order\",\"fields\":[{\"name\":\"c\",\"type\":\"Common\"}]}",
		"references":[{"name":"Common","subject":"common","version":1}]}`)
	ts.mustCall(t, "PUT", "/config/:.staging:", `{"compatibility":"NONE"}`)
	if _, names := listedSubjects(ts.page(t, "/schemas", 200)); !reflect.DeepEqual(names, []string{":.staging:common", ":.staging:orders-value"}) {
		t.Errorf("listed %q", names)
	}
	html := ts.page(t, "/schemas/"+url.PathEscape(":.staging:orders-value"), 200)
	for _, want := range []string{
		`data-testid="subject-name">:.staging:orders-value</h1>`,
		`data-testid="level">NONE<`,
		`<a href="/schemas/:.staging:common?version=1">:.staging:common v1</a>`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("the subject page lacks %q", want)
		}
	}
	if html := ts.page(t, "/schemas/:.:nothing", 404); !strings.Contains(html, "nothing") {
		t.Errorf("the default context named: %.300s", html)
	}
	if html := ts.page(t, "/schemas/%3A.staging%3Acommon", 200); !strings.Contains(html, `<a href="/schemas/:.staging:orders-value?version=1">:.staging:orders-value v1</a>`) {
		t.Errorf("the referenced subject's page does not show who references it")
	}
}
