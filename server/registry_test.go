package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/eventlens/eventlens/storage/storagetest"
)

// avroRecord is an Avro record with n int fields, each after the first with a default.
func avroRecord(name string, n int) string {
	fields := make([]string, n)
	for i := range fields {
		fields[i] = fmt.Sprintf(`{"name":"f%d","type":"int","default":0}`, i)
	}
	fields[0] = `{"name":"f0","type":"int"}`
	return fmt.Sprintf(`{"type":"record","name":%q,"fields":[%s]}`, name, strings.Join(fields, ","))
}

// body wraps a schema text in a register request.
func body(schema string, extra ...string) string {
	b, _ := json.Marshal(schema)
	return `{"schema":` + string(b) + strings.Join(extra, "") + `}`
}

// call sends a registry request with the registry content type and returns status and body.
func (ts *testServer) call(t *testing.T, method, path, reqBody string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(reqBody))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentTypeV1)
	req.Header.Set("Accept", contentTypeV1)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sb strings.Builder
	_, _ = fmt.Fprint(&sb, readAll(resp))
	return resp.StatusCode, sb.String()
}

func readAll(resp *http.Response) string {
	var b strings.Builder
	buf := make([]byte, 32*1024)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String()
		}
	}
}

func (ts *testServer) mustCall(t *testing.T, method, path, reqBody string) string {
	t.Helper()
	status, out := ts.call(t, method, path, reqBody)
	if status != 200 {
		t.Fatalf("%s %s: %d %s", method, path, status, out)
	}
	return out
}

func TestRegistryErrorCodesOverHTTP(t *testing.T) {
	ts := startServer(t)
	ts.mustCall(t, "POST", "/subjects/s/versions", body(avroRecord("R", 1)))
	ts.mustCall(t, "POST", "/subjects/ref/versions", body(`{"type":"record","name":"Ref","fields":[{"name":"a","type":"int"}]}`))
	ts.mustCall(t, "POST", "/subjects/user/versions", `{"schema":"{\"type\":\"record\",\"name\":\"U\",\"fields\":[{\"name\":\"r\",\"type\":\"Ref\"}]}","references":[{"name":"Ref","subject":"ref","version":1}]}`)
	ts.mustCall(t, "POST", "/subjects/soft/versions", body(avroRecord("Soft", 1)))
	ts.mustCall(t, "DELETE", "/subjects/soft", "")
	ts.mustCall(t, "POST", "/subjects/ro/versions", body(avroRecord("RO", 1)))
	ts.mustCall(t, "PUT", "/mode/ro", `{"mode":"READONLY"}`)
	ts.mustCall(t, "PUT", "/mode/imp", `{"mode":"IMPORT"}`)
	ts.mustCall(t, "POST", "/subjects/imp/versions", body(avroRecord("Imp", 1), `,"id":500`))

	tests := []struct {
		code         int
		method, path string
		body         string
	}{
		{40401, "GET", "/subjects/nope/versions", ""},
		{40402, "GET", "/subjects/s/versions/9", ""},
		{40403, "GET", "/schemas/ids/999", ""},
		{40404, "DELETE", "/subjects/soft", ""},
		{40405, "DELETE", "/subjects/s?permanent=true", ""},
		{40406, "DELETE", "/subjects/soft/versions/1", ""},
		{40407, "DELETE", "/subjects/s/versions/1?permanent=true", ""},
		{40408, "GET", "/config/s", ""},
		{40409, "GET", "/mode/s", ""},
		{409, "POST", "/subjects/s/versions", body(`{"type":"record","name":"R","fields":[{"name":"f0","type":"string"}]}`)},
		{42201, "POST", "/subjects/s/versions", body(`{"type":"record","name":"R"}`)},
		{42201, "POST", "/subjects/s/versions", body(`{}`, `,"schemaType":"XML"`)},
		{42201, "POST", "/subjects/x/versions", `{"schema":"{\"type\":\"record\",\"name\":\"X\",\"fields\":[{\"name\":\"r\",\"type\":\"Ref\"}]}","references":[{"name":"Ref","subject":"missing","version":1}]}`},
		{42202, "GET", "/subjects/s/versions/2147483648", ""},
		{42202, "GET", "/subjects/s/versions/0", ""},
		{42203, "PUT", "/config/s", `{"compatibility":"SIDEWAYS"}`},
		{42204, "PUT", "/mode/s", `{"mode":"SIDEWAYS"}`},
		{42205, "POST", "/subjects/ro/versions", body(avroRecord("RO", 2))},
		{42206, "DELETE", "/subjects/ref/versions/1", ""},
		{42207, "POST", "/subjects/imp/versions", body(avroRecord("Other", 1), `,"id":500`)},
		{42208, "PUT", "/config/__GLOBAL", `{"compatibility":"NONE"}`},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.code, " ", tt.method, " ", tt.path), func(t *testing.T) {
			status, out := ts.call(t, tt.method, tt.path, tt.body)
			var e apiError
			if err := json.Unmarshal([]byte(out), &e); err != nil || e.ErrorCode != tt.code || e.Message == "" {
				t.Fatalf("%d %s, want error_code %d", status, out, tt.code)
			}
			wantStatus := tt.code
			if tt.code > 1000 {
				wantStatus = tt.code / 100
			}
			if status != wantStatus {
				t.Fatalf("status %d, want %d: %s", status, wantStatus, out)
			}
		})
	}
	t.Run("50001 store failure", func(t *testing.T) {
		storagetest.Exec(t, ts.DB, "ALTER TABLE sr_versions RENAME TO sr_versions_broken")
		status, out := ts.call(t, "POST", "/subjects/new/versions", body(avroRecord("New", 1)))
		if status != 500 || !strings.Contains(out, `"error_code":50001`) {
			t.Fatalf("%d %s", status, out)
		}
	})
}

func TestRegistryHostileInput(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.MaxBody = "1M" })
	huge := body(`{"type":"record","name":"Big","doc":"` + strings.Repeat("x", 10<<20) + `","fields":[]}`)
	deep := strings.Repeat(`{"type":"array","items":`, 5000) + `"int"` + strings.Repeat("}", 5000)
	tests := []struct {
		name, method, path, body string
		status                   int
	}{
		{"invalid JSON", "POST", "/subjects/s/versions", `{"schema":`, 400},
		{"not JSON at all", "POST", "/subjects/s/versions", `<script>alert(1)</script>`, 400},
		{"wrong type", "POST", "/subjects/s/versions", `{"schema":42}`, 422},
		{"empty body", "POST", "/subjects/s/versions", ``, 422},
		{"10 MB schema", "POST", "/subjects/s/versions", huge, 413},
		{"deeply nested JSON", "POST", "/subjects/s/versions", `{"schema":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`, 400},
		{"deeply nested schema", "POST", "/subjects/s/versions", body(deep), 422},
		{"unknown schema type", "POST", "/subjects/s/versions", body(`"int"`, `,"schemaType":"COBOL"`), 422},
		{"version 2^31", "GET", "/subjects/s/versions/2147483648", "", 422},
		{"negative version", "GET", "/subjects/s/versions/-2", "", 422},
		{"negative id", "GET", "/schemas/ids/-1", "", 404},
		{"id beyond int32", "GET", "/schemas/ids/99999999999", "", 404},
		{"config body of the wrong shape", "PUT", "/config", `{"compatibility":["FULL"]}`, 422},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out := ts.call(t, tt.method, tt.path, tt.body)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %.300s", status, tt.status, out)
			}
			var e apiError
			if err := json.Unmarshal([]byte(out), &e); err != nil || e.ErrorCode == 0 {
				t.Fatalf("not a Confluent error body: %.300s", out)
			}
		})
	}
	// Nothing half-written: no subject appeared.
	if out := ts.mustCall(t, "GET", "/subjects", ""); out != "[]" {
		t.Fatalf("subjects after hostile input: %s", out)
	}
}

func TestRegistrySubjectNames(t *testing.T) {
	ts := startServer(t)
	for i, name := range []string{"a/b", "team/orders-value", "100%", "ünïcødé-主题", "<script>alert(1)</script>", "a b", "dots.and-dashes_"} {
		t.Run(name, func(t *testing.T) {
			esc := url.PathEscape(name)
			out := ts.mustCall(t, "POST", "/subjects/"+esc+"/versions", body(avroRecord(fmt.Sprintf("N%d", i), 1)))
			var reg struct{ ID int }
			if err := json.Unmarshal([]byte(out), &reg); err != nil || reg.ID == 0 {
				t.Fatalf("register: %s", out)
			}
			out = ts.mustCall(t, "GET", "/subjects/"+esc+"/versions/latest", "")
			var s struct{ Subject string }
			if err := json.Unmarshal([]byte(out), &s); err != nil || s.Subject != name {
				t.Fatalf("subject came back as %q: %s", s.Subject, out)
			}
			ts.mustCall(t, "PUT", "/config/"+esc, `{"compatibility":"NONE"}`)
			if out := ts.mustCall(t, "GET", "/config/"+esc+"/", ""); !strings.Contains(out, "NONE") {
				t.Fatalf("config with trailing slash: %s", out)
			}
		})
	}
	out := ts.mustCall(t, "GET", "/subjects", "")
	if !strings.Contains(out, `"a/b"`) || !strings.Contains(out, `"\u003cscript\u003ealert(1)\u003c/script\u003e"`) {
		t.Fatalf("subjects: %s", out)
	}
}

func TestRegistryContentTypes(t *testing.T) {
	ts := startServer(t)
	for _, accept := range []string{contentTypeV1, contentTypeDefault, contentTypeJSON, "*/*", ""} {
		for _, ct := range []string{contentTypeV1, contentTypeDefault, contentTypeJSON} {
			req, _ := http.NewRequest("POST", ts.URL+"/subjects/ct/versions", strings.NewReader(body(avroRecord("CT", 1))))
			req.Header.Set("Content-Type", ct)
			if accept != "" {
				req.Header.Set("Accept", accept)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			want := accept
			if accept == "*/*" || accept == "" {
				want = contentTypeV1
			}
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != want {
				t.Errorf("Content-Type %s Accept %q: %d %q, want %q", ct, accept, resp.StatusCode, resp.Header.Get("Content-Type"), want)
			}
		}
	}
	// GET /schemas is the console page for browsers and the registry list for programs.
	resp, page := ts.do(t, "GET", "/schemas", "text/html,application/xhtml+xml", nil)
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(page, "<html") {
		t.Errorf("GET /schemas from a browser: %q", resp.Header.Get("Content-Type"))
	}
	resp, list := ts.do(t, "GET", "/schemas", contentTypeV1, nil)
	if resp.Header.Get("Content-Type") != contentTypeV1 || !strings.HasPrefix(list, `[{"subject":"ct"`) {
		t.Errorf("GET /schemas from a program: %q %s", resp.Header.Get("Content-Type"), list)
	}
}

func TestRegistryEndpoints(t *testing.T) {
	ts := startServer(t)
	ts.mustCall(t, "POST", "/subjects/a/versions", body(avroRecord("A", 1)))
	ts.mustCall(t, "POST", "/subjects/a/versions", body(avroRecord("A", 2)))
	ts.mustCall(t, "POST", "/subjects/b/versions", body(avroRecord("A", 1)))
	tests := []struct{ method, path, body, want string }{
		{"GET", "/", "", `{}`},
		{"GET", "/schemas/types", "", `["AVRO","JSON","PROTOBUF"]`},
		{"GET", "/schemas/ids/1", "", `{"schema":"{\"type\":\"record\",\"name\":\"A\",\"fields\":[{\"name\":\"f0\",\"type\":\"int\"}]}"}`},
		{"GET", "/schemas/ids/1?fetchMaxId=true&subject=a", "", `"maxId":2`},
		{"GET", "/schemas/ids/1/schema", "", `{"type":"record","name":"A","fields":[{"name":"f0","type":"int"}]}`},
		{"GET", "/schemas/ids/1/subjects", "", `["a","b"]`},
		{"GET", "/schemas/ids/1/versions", "", `[{"subject":"a","version":1},{"subject":"b","version":1}]`},
		{"GET", "/subjects", "", `["a","b"]`},
		{"GET", "/subjects?subjectPrefix=b", "", `["b"]`},
		{"GET", "/subjects/a/versions", "", `[1,2]`},
		{"GET", "/subjects/a/versions/-1", "", `"version":2`},
		{"GET", "/subjects/a/versions/latest/schema", "", `"name":"f1"`},
		{"GET", "/subjects/a/versions/1/referencedby", "", `[]`},
		{"POST", "/subjects/b", body(avroRecord("A", 1)), `"version":1`},
		{"POST", "/compatibility/subjects/a/versions/latest", body(avroRecord("A", 3)), `{"is_compatible":true}`},
		{"POST", "/compatibility/subjects/a/versions/", body(avroRecord("A", 3)), `{"is_compatible":true}`},
		{"POST", "/compatibility/subjects/a/versions?verbose=true", body(`{"type":"record","name":"A","fields":[{"name":"f0","type":"string"}]}`), `"is_compatible":false,"messages":["{errorType:'TYPE_MISMATCH'`},
		{"POST", "/compatibility/subjects/new/versions/latest", body(avroRecord("A", 3)), `{"is_compatible":true}`},
		{"GET", "/config", "", `{"compatibilityLevel":"BACKWARD"}`},
		{"GET", "/config/", "", `{"compatibilityLevel":"BACKWARD"}`},
		{"PUT", "/config", `{"compatibility":"FULL"}`, `{"compatibility":"FULL"}`},
		{"GET", "/config/a?defaultToGlobal=true", "", `{"compatibilityLevel":"FULL"}`},
		{"DELETE", "/config", "", `{"compatibilityLevel":"FULL"}`},
		{"GET", "/mode", "", `{"mode":"READWRITE"}`},
		{"PUT", "/mode/a", `{"mode":"READONLY"}`, `{"mode":"READONLY"}`},
		{"DELETE", "/mode/a", "", `{"mode":"READONLY"}`},
		{"DELETE", "/subjects/a/versions/1", "", `1`},
		{"DELETE", "/subjects/a/versions/1?permanent=true", "", `1`},
		{"GET", "/subjects/a/versions?deleted=true", "", `[2]`},
		{"DELETE", "/subjects/b", "", `[1]`},
		{"GET", "/subjects?deleted=true", "", `["a","b"]`},
		{"GET", "/subjects?deletedOnly=true", "", `["b"]`},
		{"DELETE", "/subjects/b?permanent=true", "", `[1]`},
		{"GET", "/schemas?latestOnly=true", "", `[{"subject":"a","version":2,"id":2`},
	}
	for _, tt := range tests {
		status, out := ts.call(t, tt.method, tt.path, tt.body)
		if status != 200 || !strings.Contains(out, tt.want) {
			t.Errorf("%s %s: %d %s, want %s", tt.method, tt.path, status, out, tt.want)
		}
	}
	// The GUID of a schema finds it.
	var s struct{ GUID string }
	json.Unmarshal([]byte(ts.mustCall(t, "GET", "/subjects/a/versions/2", "")), &s)
	if out := ts.mustCall(t, "GET", "/schemas/guids/"+s.GUID, ""); !strings.Contains(out, `"name":\"f1\"`) && !strings.Contains(out, `f1`) {
		t.Errorf("by guid: %s", out)
	}
}

// TestRegistryMetadataEndpoints covers the endpoints clients use to find a schema by its
// metadata (data contracts), by GUID across contexts, and to learn what server they talk to.
func TestRegistryMetadataEndpoints(t *testing.T) {
	ts := startServer(t)
	for v, major := range []string{"1", "2", "2"} {
		ts.mustCall(t, "POST", "/subjects/dc/versions",
			body(avroRecord("D", v+1), `,"metadata":{"properties":{"major":"`+major+`","owner":"team-a"}}`))
	}
	var s struct{ GUID string }
	if err := json.Unmarshal([]byte(ts.mustCall(t, "GET", "/subjects/dc/versions/1", "")), &s); err != nil || s.GUID == "" {
		t.Fatalf("no guid: %v", err)
	}
	tests := []struct {
		path   string
		status int
		want   string
	}{
		{"/subjects/dc/metadata?key=major&value=1", 200, `"version":1`},
		{"/subjects/dc/metadata?key=major&value=2", 200, `"version":3`},
		{"/subjects/dc/metadata?key=major&value=2&key=owner&value=team-a", 200, `"version":3`},
		{"/subjects/dc/metadata?key=major&value=2&key=owner&value=team-b", 404, `"error_code":40403`},
		{"/subjects/dc/metadata?key=major&value=3", 404, `"error_code":40403`},
		{"/subjects/dc/metadata?key=major", 400, `one value per key`},
		{"/subjects/nobody/metadata?key=a&value=b", 404, `"error_code":40401`},
		{"/subjects/dc/metadata", 200, `"version":3`}, // no condition: the latest
		{"/schemas/guids/" + s.GUID + "/ids", 200, `[{"context":".","id":1}]`},
		{"/schemas/guids/0000/ids", 404, `"error_code":40403`},
		{"/contexts", 200, `["."]`},
		{"/contexts?contextPrefix=.", 200, `["."]`},
		{"/contexts?contextPrefix=.other", 200, `[]`},
		{"/contexts?offset=1", 200, `[]`},
		{"/v1/metadata/id", 200, `{"scope":{"clusters":{"kafka-cluster":"","schema-registry-cluster":"eventlens"},"path":[]}}`},
		{"/v1/metadata/version", 200, `"commitId":`},
		{"/v1/metadata/deployment", 200, `{"attributes":["opensource"]}`},
	}
	for _, tt := range tests {
		status, out := ts.call(t, "GET", tt.path, "")
		if status != tt.status || !strings.Contains(out, tt.want) {
			t.Errorf("GET %s: %d %s, want %d with %s", tt.path, status, out, tt.status, tt.want)
		}
	}
}
