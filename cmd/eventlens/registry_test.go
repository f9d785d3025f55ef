package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestRegistryImport runs `eventlens registry import` between two `eventlens serve`s: a copy,
// then a second run that finds everything there, then a source that answers one version with
// another schema's id, which is refused (exit code 1, in the JSON report).
func TestRegistryImport(t *testing.T) {
	src := startServe(t, filepath.Join(t.TempDir(), "src.db"))
	dst := startServe(t, filepath.Join(t.TempDir(), "dst.db"))
	send := func(method, url, body string) {
		t.Helper()
		req, _ := http.NewRequest(method, url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/vnd.schemaregistry.v1+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s %s: %d", method, url, resp.StatusCode)
		}
	}
	send("POST", src.URL+"/subjects/customer/versions", `{"schema":"{\"type\":\"record\",\"name\":\"Customer\",\"fields\":[]}"}`)
	send("POST", src.URL+"/subjects/orders-value/versions", `{"schema":"{\"type\":\"record\",\"name\":\"Order\",\"fields\":[{\"name\":\"c\",\"type\":\"Customer\"}]}","references":[{"name":"Customer","subject":"customer","version":1}]}`)
	send("POST", src.URL+"/subjects/orders-value/versions", `{"schema":"{\"type\":\"record\",\"name\":\"Order\",\"fields\":[{\"name\":\"c\",\"type\":\"Customer\"},{\"name\":\"n\",\"type\":\"int\",\"default\":0}]}","references":[{"name":"Customer","subject":"customer","version":1}]}`)
	send("DELETE", src.URL+"/subjects/orders-value/versions/1", "")
	send("PUT", src.URL+"/config/orders-value", `{"compatibility":"FULL"}`)

	run := func(args ...string) (int, string, string) {
		cmd := exec.Command(binary, append([]string{"registry", "import"}, args...)...)
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return exitCode(err), stdout.String(), stderr.String()
	}
	code, out, progress := run("--from", src.URL, "--to", dst.URL)
	if code != 0 || !strings.Contains(out, "2 subjects: 3 versions copied (1 of them soft-deleted, as in the source), 0 already there; 2 configs and 1 modes set; 0 refused") {
		t.Fatalf("exit %d:\n%s\n%s", code, out, progress)
	}
	if !strings.Contains(progress, "copying: 2 of 2 subjects, 3 of 3 versions (3 copied, 0 refused)") || strings.Contains(progress, "\r") {
		t.Errorf("progress, not on a terminal: %q", progress)
	}
	for _, path := range []string{"/subjects?deleted=true", "/subjects/orders-value/versions", "/subjects/orders-value/versions/2", "/config/orders-value", "/schemas/ids/3"} {
		_, want := get(t, src.URL+path)
		_, got := get(t, dst.URL+path)
		if withoutTS(got) != withoutTS(want) {
			t.Errorf("GET %s: source %s, target %s", path, want, got)
		}
	}
	if code, out, _ := run("--from", src.URL, "--to", dst.URL); code != 0 || !strings.Contains(out, "0 versions copied (0 of them soft-deleted, as in the source), 3 already there") {
		t.Errorf("second run: exit %d:\n%s", code, out)
	}

	liar := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.RequestURI() {
		case "/subjects?deleted=true&subjectPrefix=li":
			fmt.Fprint(w, `["liar"]`)
		case "/subjects/liar/versions?deleted=true", "/subjects/liar/versions":
			fmt.Fprint(w, `[1]`)
		case "/subjects/liar/versions/1?deleted=true":
			fmt.Fprint(w, `{"subject":"liar","version":1,"id":1,"schema":"\"int\""}`)
		case "/schemas/ids/1":
			fmt.Fprint(w, `{"schema":"\"string\""}`)
		default:
			http.Error(w, `{"error_code":40401,"message":"none"}`, 404)
		}
	}))
	defer liar.Close()
	code, out, _ = run("--from", liar.URL, "--to", dst.URL, "--subject-prefix", "li", "--format", "json")
	var rep struct {
		Copied  int
		Refused []struct{ Item, Reason string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != exitFail || len(rep.Refused) != 1 || !strings.Contains(rep.Refused[0].Reason, "id 1 is another schema") {
		t.Errorf("an inconsistent source: exit %d, %v:\n%s", code, err, out)
	}
}

// withoutTS drops the registration time, which an import cannot keep.
func withoutTS(body string) string {
	var v map[string]any
	if json.Unmarshal([]byte(body), &v) != nil {
		return body
	}
	delete(v, "ts")
	b, _ := json.Marshal(v)
	return string(b)
}
