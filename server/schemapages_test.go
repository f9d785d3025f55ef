package server

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/eventlens/eventlens/schemaregistry"
)

// xssName is a name that must show as text on every page.
const xssName = "<script>alert(1)</script>"

// fillSchemas registers, over the registry API, subjects in all three formats: Avro with a
// breaking third version, JSON Schema and Protobuf with compatible second versions, an Avro
// reference, a soft-deleted version, a subject with a slash and one named like a script.
func fillSchemas(t *testing.T, ts *testServer) {
	t.Helper()
	register := func(subject, schema string, extra ...string) {
		t.Helper()
		ts.mustCall(t, "POST", "/subjects/"+url.PathEscape(subject)+"/versions", body(schema, extra...))
	}
	// Avro: v2 adds a field with a default (compatible), v3 one without (breaks BACKWARD, so
	// it goes in while the subject's level is NONE).
	register("orders-value", `{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":"string"}]}`)
	register("orders-value", `{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":"string"},{"name":"total","type":"double","default":0}]}`)
	ts.mustCall(t, "PUT", "/config/orders-value", `{"compatibility":"NONE"}`)
	register("orders-value", `{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":"string"},{"name":"total","type":"double","default":0},{"name":"currency","type":"string"}]}`)
	ts.mustCall(t, "PUT", "/config/orders-value", `{"compatibility":"BACKWARD"}`)
	time.Sleep(3 * time.Millisecond) // registration times order the subjects in ?sort=changed

	// JSON Schema: a closed content model gains an optional property and a new description.
	register("customers-value", `{"type":"object","description":"A customer","properties":{"id":{"type":"string"}},"additionalProperties":false}`, `,"schemaType":"JSON"`)
	register("customers-value", `{"type":"object","description":"A customer of the shop","properties":{"id":{"type":"string"},"email":{"type":"string"}},"additionalProperties":false}`, `,"schemaType":"JSON"`)

	// Protobuf: a field added.
	register("payments-value", `syntax = "proto3"; package shop; message Payment { string id = 1; int64 amount = 2; }`, `,"schemaType":"PROTOBUF"`)
	register("payments-value", `syntax = "proto3"; package shop; message Payment { string id = 1; int64 amount = 2; string currency = 3; }`, `,"schemaType":"PROTOBUF"`)

	// A reference: invoices-value uses common-money's Money.
	register("common-money", `{"type":"record","name":"Money","namespace":"shop","fields":[{"name":"cents","type":"long"}]}`)
	register("invoices-value", `{"type":"record","name":"Invoice","namespace":"shop","fields":[{"name":"amount","type":"shop.Money"}]}`,
		`,"references":[{"name":"shop.Money","subject":"common-money","version":1}]`)

	// A soft-deleted version, and a subject with a slash.
	register("legacy-value", `{"type":"record","name":"Legacy","fields":[{"name":"a","type":"int"}]}`)
	register("legacy-value", `{"type":"record","name":"Legacy","fields":[{"name":"a","type":"int"},{"name":"b","type":"int","default":1}]}`)
	ts.mustCall(t, "DELETE", "/subjects/legacy-value/versions/1", "")
	register("team/orders-value", `"string"`)

	// A subject, a property and a description that look like HTML.
	time.Sleep(3 * time.Millisecond)
	register(xssName, `{"type":"object","description":"`+xssName+`","properties":{"`+xssName+`":{"type":"string"}}}`, `,"schemaType":"JSON"`)
	register(xssName, `{"type":"object","description":"`+xssName+`","properties":{"`+xssName+`":{"type":["string","null"]}}}`, `,"schemaType":"JSON"`)
}

// page GETs a console page as a browser does and fails unless it answers want.
func (ts *testServer) page(t *testing.T, path string, want int) string {
	t.Helper()
	resp, body := ts.do(t, "GET", path, "text/html,application/xhtml+xml", nil)
	if resp.StatusCode != want {
		t.Fatalf("GET %s: HTTP %d, want %d\n%s", path, resp.StatusCode, want, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("GET %s: Content-Type %q, want HTML", path, ct)
	}
	return body
}

var subjectRow = regexp.MustCompile(`data-testid="subject-row"><td class="sr-subject"><a href="([^"]*)">([^<]*)</a>`)

// listedSubjects returns the subjects of a /schemas page in order, as their links and names.
func listedSubjects(html string) (links, names []string) {
	for _, m := range subjectRow.FindAllStringSubmatch(html, -1) {
		links = append(links, m[1])
		names = append(names, m[2])
	}
	return links, names
}

func TestSchemaListPage(t *testing.T) {
	ts := startServer(t)
	fillSchemas(t, ts)

	html := ts.page(t, "/schemas", 200)
	links, names := listedSubjects(html)
	wantNames := []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "common-money", "customers-value", "invoices-value", "legacy-value", "orders-value", "payments-value", "team/orders-value"}
	if strings.Join(names, " ") != strings.Join(wantNames, " ") {
		t.Errorf("subjects listed %q, want %q", names, wantNames)
	}
	if links[len(links)-1] != "/schemas/team%2Forders-value" {
		t.Errorf("link to a subject with a slash: %q", links[len(links)-1])
	}
	for _, want := range []string{
		`8 subjects`, `global compatibility <span class="sr-level">BACKWARD</span>`,
		`<span class="sr-type sr-type-PROTOBUF">PROTOBUF</span>`, `<span class="sr-type sr-type-JSON">JSON</span>`,
		`<span class="sr-level">BACKWARD</span> <span class="sr-origin">subject</span>`, // orders-value has its own
		`+1 deleted`, `1–8 of 8`, `Page 1 of 1`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("/schemas lacks %q", want)
		}
	}

	// The same URL without text/html is the registry API, as registry clients expect.
	resp, apiBody := ts.do(t, "GET", "/schemas", "application/json", nil)
	if resp.StatusCode != 200 || !strings.HasPrefix(apiBody, "[{") || !strings.Contains(apiBody, `"subject":"orders-value"`) {
		t.Errorf("GET /schemas as JSON: %d %.200s", resp.StatusCode, apiBody)
	}

	// Sorting and filtering on the server, in the URL.
	for _, c := range []struct{ query, first string }{
		{"?sort=version&order=desc", "orders-value"},
		{"?sort=name&order=desc", "team/orders-value"},
		{"?sort=type", "common-money"}, // AVRO first, then by name
		{"?sort=type&order=desc", "payments-value"},
		{"?sort=changed&order=desc", "&lt;script&gt;alert(1)&lt;/script&gt;"},
		{"?sort=changed", "orders-value"},
		{"?q=orders", "orders-value"},
		{"?sort=bogus", "&lt;script&gt;alert(1)&lt;/script&gt;"},
	} {
		_, names := listedSubjects(ts.page(t, "/schemas"+c.query, 200))
		if len(names) == 0 || names[0] != c.first {
			t.Errorf("/schemas%s lists %q first, want %q", c.query, names, c.first)
		}
	}
	if _, names := listedSubjects(ts.page(t, "/schemas?q=orders", 200)); len(names) != 1 {
		t.Errorf("?q=orders lists %q, want only orders-value", names)
	}
	if html := ts.page(t, "/schemas?q=nothing", 200); !strings.Contains(html, `data-testid="schemas-none"`) {
		t.Errorf("a filter that matches nothing does not say so")
	}
	// A sorted column links to its reverse; the others to themselves ascending.
	html = ts.page(t, "/schemas?sort=version", 200)
	for _, want := range []string{`href="/schemas?order=desc&amp;sort=version"`, `aria-sort="ascending"`, `href="/schemas?sort=changed"`} {
		if !strings.Contains(html, want) {
			t.Errorf("/schemas?sort=version lacks %q", want)
		}
	}
}

func TestSchemaListPaging(t *testing.T) {
	ts := startServer(t)
	reg := ts.srv.svc.Registry
	for i := range 120 {
		if _, err := reg.Register(context.Background(), fmt.Sprintf("s%03d", i), schemaregistry.NewSchema{Schema: avroRecord(fmt.Sprintf("R%d", i), 1)}, schemaregistry.RegisterOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		query       string
		first, last string
		count       int
		shows       []string
	}{
		{"", "s000", "s049", 50, []string{"1–50 of 120", "Page 1 of 3", `href="/schemas?page=2" rel="next"`}},
		{"?page=2", "s050", "s099", 50, []string{"51–100 of 120", `href="/schemas" rel="prev"`, `href="/schemas?page=3" rel="next"`}},
		{"?page=3", "s100", "s119", 20, []string{"101–120 of 120", "Page 3 of 3"}},
		{"?page=3&order=desc", "s019", "s000", 20, []string{`href="/schemas?order=desc&amp;page=2" rel="prev"`}},
		{"?q=s1&page=2", "", "", 0, []string{"Page 2 is past the last page, 1.", `href="/schemas?q=s1">Go to page 1`}},
	} {
		html := ts.page(t, "/schemas"+c.query, 200)
		_, names := listedSubjects(html)
		if len(names) != c.count || (c.count > 0 && (names[0] != c.first || names[len(names)-1] != c.last)) {
			t.Errorf("/schemas%s lists %d subjects %v…, want %d from %s to %s", c.query, len(names), names[:min(3, len(names))], c.count, c.first, c.last)
		}
		for _, want := range c.shows {
			if !strings.Contains(html, want) {
				t.Errorf("/schemas%s lacks %q", c.query, want)
			}
		}
	}
}

func TestSchemaListEmpty(t *testing.T) {
	ts := startServer(t)
	html := ts.page(t, "/schemas", 200)
	for _, want := range []string{`data-testid="schemas-empty"`, "curl -X POST " + ts.URL + "/subjects/orders-value/versions", "schema.registry.url=" + ts.URL, "basic.auth.user.info="} {
		if !strings.Contains(html, want) {
			t.Errorf("empty /schemas lacks %q", want)
		}
	}
}

func TestSubjectPage(t *testing.T) {
	ts := startServer(t)
	fillSchemas(t, ts)

	html := ts.page(t, "/schemas/orders-value", 200)
	for _, want := range []string{
		`data-testid="subject-name">orders-value</h1>`,
		`Version 3`, `>v1</span>`, `>v2</span>`, `>v3</span>`,
		`<span class="tok-key">&#34;name&#34;</span>`, `<span class="tok-str">&#34;currency&#34;</span>`,
		`<span class="tok-punct">{</span>`,
		`data-testid="schema-guid">`,
		`<option value="2" selected>`, // the form proposes the version before the selected one
		`action="/schemas/orders-value/diff"`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("/schemas/orders-value lacks %q", want)
		}
	}
	// ?version= selects; numbers and numbers' absence are errors with pages, not JSON.
	if html := ts.page(t, "/schemas/orders-value?version=1", 200); !strings.Contains(html, "Version 1") || strings.Contains(html, "currency") {
		t.Errorf("?version=1 does not show version 1")
	}
	ts.page(t, "/schemas/orders-value?version=9", 404)
	ts.page(t, "/schemas/orders-value?version=x", 422)
	ts.page(t, "/schemas/no-such-subject", 404)

	// Protobuf is highlighted as .proto text.
	html = ts.page(t, "/schemas/payments-value", 200)
	for _, want := range []string{`<span class="tok-kw">message</span>`, `<span class="tok-kw">string</span> <span class="tok-key">currency</span>`, `<span class="tok-num">3</span>`} {
		if !strings.Contains(html, want) {
			t.Errorf("/schemas/payments-value lacks %q", want)
		}
	}
	// Soft-deleted versions are listed and marked.
	html = ts.page(t, "/schemas/legacy-value", 200)
	if !strings.Contains(html, `class="deleted"`) || !strings.Contains(html, "1 live of 2 versions") {
		t.Errorf("/schemas/legacy-value does not mark its soft-deleted version")
	}
	if html := ts.page(t, "/schemas/legacy-value?version=1", 200); !strings.Contains(html, "soft-deleted") {
		t.Errorf("a soft-deleted version is not marked when shown")
	}

	// References both ways.
	html = ts.page(t, "/schemas/invoices-value", 200)
	if !strings.Contains(html, `<code>shop.Money</code> → <a href="/schemas/common-money?version=1">common-money v1</a>`) {
		t.Errorf("/schemas/invoices-value does not show what it references")
	}
	html = ts.page(t, "/schemas/common-money", 200)
	if !strings.Contains(html, `<a href="/schemas/invoices-value?version=1">invoices-value v1</a>`) {
		t.Errorf("/schemas/common-money does not show who references it")
	}

	// A subject with a slash, percent-encoded.
	if html := ts.page(t, "/schemas/team%2Forders-value", 200); !strings.Contains(html, `data-testid="subject-name">team/orders-value<`) {
		t.Errorf("subject with a slash not found")
	}
}

func TestSchemaDiffPage(t *testing.T) {
	ts := startServer(t)
	fillSchemas(t, ts)

	for _, c := range []struct {
		path    string
		verdict string
		shows   []string
	}{
		{"/schemas/orders-value/diff?from=2&to=3", "incompatible", []string{
			"READER_FIELD_MISSING_DEFAULT_VALUE", "/fields/2", // the verdict names the incompatibility
			`data-field="Order.currency" data-type="FIELD_ADDED" data-verdict="breaking"`, "Field added: string, no default",
			"new can&#39;t read old", "At BACKWARD",
			`data-testid="new-changed"`, // the added line is marked
			`<option value="2" selected>`,
		}},
		{"/schemas/orders-value/diff?from=1&to=2", "compatible", []string{
			`data-field="Order.total" data-type="FIELD_ADDED" data-verdict="compatible"`, "Field added: double, default 0",
			`data-testid="new-changed"`,
		}},
		{"/schemas/customers-value/diff?from=1&to=2", "compatible", []string{
			"OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", "#/properties/email", `data-field="email"`, "DESCRIPTION_CHANGED",
			`<span class="badge badge-ok">compatible</span>`, "Changes",
		}},
		{"/schemas/customers-value/diff?from=2&to=1", "incompatible", []string{"PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", "breaking"}},
		{"/schemas/payments-value/diff?from=1&to=2", "compatible", []string{"FIELD_ADDED", "#/Payment/3", "Field added at #/Payment/3", `data-field="Payment.currency (3)"`}},
		{"/schemas/payments-value/diff?from=2&to=1", "compatible", []string{"FIELD_REMOVED"}},
		{"/schemas/legacy-value/diff?from=1&to=2", "compatible", []string{"deleted"}},
		{"/schemas/team%2Forders-value/diff?from=1&to=1", "compatible", []string{"No difference."}},
		{"/schemas/orders-value/diff", "incompatible", []string{"v2 → v3"}}, // defaults: latest and the one before
	} {
		html := ts.page(t, c.path, 200)
		if !strings.Contains(html, `data-verdict="`+c.verdict+`"`) {
			t.Errorf("%s: verdict is not %s", c.path, c.verdict)
		}
		for _, want := range c.shows {
			if !strings.Contains(html, want) {
				t.Errorf("%s lacks %q", c.path, want)
			}
		}
	}
	ts.page(t, "/schemas/orders-value/diff?from=1&to=7", 404)
	ts.page(t, "/schemas/nothing/diff?from=1&to=2", 404)
}

// TestRefusedRegistrationsShow: a schema the registry refuses (409) is listed, with why, on its
// subject's page and on /drift; names in it stay text.
func TestRefusedRegistrationsShow(t *testing.T) {
	ts := startServer(t)
	fillSchemas(t, ts)
	if html := ts.page(t, "/schemas/orders-value", 200); !strings.Contains(html, "refused no registration of this subject") {
		t.Errorf("a subject with no refusal does not say so")
	}
	if html := ts.page(t, "/drift", 200); !strings.Contains(html, `data-testid="refusals"`) || strings.Contains(html, `data-testid="refusal"`) {
		t.Errorf("/drift does not show an empty list of refusals")
	}
	for _, c := range []struct{ subject, schemaType, schema string }{
		{"orders-value", "AVRO", `{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":"string"},{"name":"total","type":"double","default":0},{"name":"currency","type":"string"},{"name":"coupon","type":"string"}]}`},
		{xssName, "JSON", `{"type":"object","description":"x","properties":{"` + xssName + `":{"type":"integer"}}}`},
	} {
		if status, out := ts.call(t, "POST", "/subjects/"+url.PathEscape(c.subject)+"/versions", body(c.schema, `,"schemaType":"`+c.schemaType+`"`)); status != 409 {
			t.Fatalf("register %s: %d %s, want 409", c.subject, status, out)
		}
	}
	html := ts.page(t, "/schemas/orders-value", 200)
	for _, want := range []string{`data-testid="refusal"`, "READER_FIELD_MISSING_DEFAULT_VALUE", "/fields/3", "coupon", `href="/schemas/orders-value?version=3">v3</a>`, ">BACKWARD</span>"} {
		if !strings.Contains(html, want) {
			t.Errorf("/schemas/orders-value lacks %q", want)
		}
	}
	html = ts.page(t, "/drift", 200)
	if n := strings.Count(html, `data-testid="refusal"`); n != 2 {
		t.Errorf("/drift lists %d refusals, want 2", n)
	}
	for _, want := range []string{`href="/schemas/orders-value"`, "&lt;script&gt;alert(1)&lt;/script&gt;"} {
		if !strings.Contains(html, want) {
			t.Errorf("/drift lacks %q", want)
		}
	}
	if strings.Contains(html, "<script>alert") {
		t.Error("/drift carries a refused subject's name as markup")
	}
}

// TestSchemaPagesEscapeNames checks that a subject, property and description named like a
// script tag show as text on every schema page.
func TestSchemaPagesEscapeNames(t *testing.T) {
	ts := startServer(t)
	fillSchemas(t, ts)
	escaped := url.PathEscape(xssName)
	for _, path := range []string{
		"/schemas", "/schemas?q=" + url.QueryEscape(xssName), "/schemas/" + escaped,
		"/schemas/" + escaped + "?version=1", "/schemas/" + escaped + "/diff?from=1&to=2", "/",
	} {
		html := ts.page(t, path, 200)
		if strings.Contains(html, "<script>alert") {
			t.Errorf("%s carries the name as markup", path)
		}
		if path != "/" && !strings.Contains(html, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%s does not show the name as text", path)
		}
	}
	// The error page for an unknown version of it escapes it too.
	if html := ts.page(t, "/schemas/"+escaped+"?version=5", 404); strings.Contains(html, "<script>alert") {
		t.Errorf("the 404 page carries the name as markup")
	}
}

func TestHomeCountsSchemas(t *testing.T) {
	ts := startServer(t)
	fillSchemas(t, ts)
	html := ts.page(t, "/", 200)
	for _, want := range []string{
		`href="/schemas" data-testid="count-subjects"><div class="n">8</div>`,
		`href="/schemas" data-testid="count-versions"><div class="n">13</div>`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("home page lacks %q", want)
		}
	}
}
