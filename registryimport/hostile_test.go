package registryimport

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// hostileSource is a registry answering from a table of paths (path with query → status and
// body); anything else is 404. It fails the test on any request but a GET.
func hostileSource(t *testing.T, answers map[string]string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			t.Errorf("the import sent %s %s to the source", r.Method, r.URL)
		}
		body, ok := answers[r.URL.RequestURI()]
		switch {
		case !ok:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"error_code":40401,"message":"not found"}`)
		case body == "HUGE": // 2 MiB, sent without a length
			w.Header().Set("Content-Type", "application/vnd.schemaregistry.v1+json")
			fmt.Fprint(w, `{"subject":"huge","version":1,"id":7,"schema":"`)
			for range 2048 {
				fmt.Fprint(w, strings.Repeat("x", 1024))
				w.(http.Flusher).Flush()
			}
			fmt.Fprint(w, `"}`)
		default:
			w.Header().Set("Content-Type", "application/vnd.schemaregistry.v1+json")
			fmt.Fprint(w, body)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// versions answers a subject's two version listings.
func versions(answers map[string]string, subject, list string) {
	answers["/subjects/"+subject+"/versions?deleted=true"] = list
	answers["/subjects/"+subject+"/versions"] = list
}

func TestImportRefusesHostileAnswers(t *testing.T) {
	good := `{"type":"record","name":"Good","fields":[]}`
	answers := map[string]string{
		"/subjects?deleted=true":        `["good","garbage-versions","liar","huge","wrong-version","bad-id","bad-type","truncated","dangling-ref","invalid-schema","bad\u0001name","duplicate-versions","live-not-listed"]`,
		"/schemas/ids/1":                fmt.Sprintf(`{"schema":%q}`, good),
		"/schemas/ids/2":                `{"schema":"{\"type\":\"nope\"}"}`,
		"/schemas/ids/3":                `{"schema":"\"string\""}`,
		"/schemas/ids/7":                `{"schema":"\"string\""}`,
		"/config?defaultToGlobal=false": `{"compatibilityLevel":"FULL"}`,
		"/mode":                         `{"mode":"READWRITE"}`,
	}
	versions(answers, "good", `[1]`)
	answers["/subjects/good/versions/1?deleted=true"] = fmt.Sprintf(`{"subject":"good","version":1,"id":1,"schema":%q}`, good)
	versions(answers, "garbage-versions", `<html>oops</html>`)
	versions(answers, "liar", `[1]`) // its version says id 1, but id 1 is good's schema
	answers["/subjects/liar/versions/1?deleted=true"] = `{"subject":"liar","version":1,"id":1,"schema":"\"string\""}`
	versions(answers, "huge", `[1]`)
	answers["/subjects/huge/versions/1?deleted=true"] = "HUGE"
	versions(answers, "wrong-version", `[1]`)
	answers["/subjects/wrong-version/versions/1?deleted=true"] = `{"subject":"wrong-version","version":2,"id":3,"schema":"\"string\""}`
	versions(answers, "bad-id", `[1]`)
	answers["/subjects/bad-id/versions/1?deleted=true"] = `{"subject":"bad-id","version":1,"id":-3,"schema":"\"string\""}`
	versions(answers, "bad-type", `[1]`)
	answers["/subjects/bad-type/versions/1?deleted=true"] = `{"subject":"bad-type","version":1,"id":3,"schemaType":"XML","schema":"\"string\""}`
	versions(answers, "truncated", `[1]`)
	answers["/subjects/truncated/versions/1?deleted=true"] = `{"subject":"truncated","version":1,"id":`
	versions(answers, "dangling-ref", `[1]`)
	answers["/subjects/dangling-ref/versions/1?deleted=true"] = `{"subject":"dangling-ref","version":1,"id":3,"schema":"\"string\"","references":[{"name":"x","subject":"nowhere","version":4}]}`
	answers["/schemas/ids/3"] = `{"schema":"\"string\"","references":[{"name":"x","subject":"nowhere","version":4}]}`
	versions(answers, "invalid-schema", `[1]`)
	answers["/subjects/invalid-schema/versions/1?deleted=true"] = `{"subject":"invalid-schema","version":1,"id":2,"schema":"{\"type\":\"nope\"}"}`
	versions(answers, "duplicate-versions", `[1,1]`)
	answers["/subjects/live-not-listed/versions?deleted=true"] = `[1]`
	answers["/subjects/live-not-listed/versions"] = `[1,2]`

	dst := startEventlens(t)
	rep, err := Import(context.Background(), copyOptions(t, hostileSource(t, answers), dst, 1<<20))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Copied != 1 {
		t.Errorf("copied %d versions, want good's only", rep.Copied)
	}
	want := map[string]string{
		`subject "garbage-versions"`:         "malformed answer",
		`subject "liar" version 1`:           "id 1 is another schema there",
		`subject "huge" version 1`:           "answer too large",
		`subject "wrong-version" version 1`:  "answered it with subject \"wrong-version\" version 2",
		`subject "bad-id" version 1`:         "schema id -3",
		`subject "bad-type" version 1`:       `schema type "XML"`,
		`subject "truncated" version 1`:      "malformed answer",
		`subject "dangling-ref" version 1`:   `its reference "x" (subject "nowhere" version 4) was not copied`,
		`subject "nowhere"`:                  "answered 404",
		`subject "nowhere" version 4`:        "its subject was refused",
		`subject "invalid-schema" version 1`: "the target refused it",
		"subject \"bad\\x01name\"":           "control characters",
		`subject "duplicate-versions"`:       "listed twice",
		`subject "live-not-listed"`:          "not among all its versions",
	}
	got := map[string]string{}
	for _, r := range rep.Refused {
		got[r.Item] = r.Reason
	}
	for item, reason := range want {
		if !strings.Contains(got[item], reason) {
			t.Errorf("%s: refused with %q, want a reason with %q", item, got[item], reason)
		}
	}
	if len(got) != len(want) {
		t.Errorf("refused %d items, want %d: %v", len(got), len(want), rep.Refused)
	}
	if subjects := must(t, dst, "GET", "/subjects", ""); subjects != `["good"]` {
		t.Errorf("target's subjects: %s, want only good", subjects)
	}
	if cfg := must(t, dst, "GET", "/config", ""); cfg != `{"compatibilityLevel":"FULL"}` {
		t.Errorf("target's global config: %s", cfg)
	}
}

// TestImportStopsOnBrokenSource: without a subject list, or with a source failing, nothing can
// be copied: the import says so instead of reporting an empty success.
func TestImportStopsOnBrokenSource(t *testing.T) {
	dst := startEventlens(t)
	cases := []struct {
		name    string
		answers map[string]string
		want    string
	}{
		{"subject list not JSON", map[string]string{"/subjects?deleted=true": `{"subjects":`}, "malformed answer"},
		{"subject list of the wrong shape", map[string]string{"/subjects?deleted=true": `{"a":1}`}, "malformed answer"},
		{"subject list too large", map[string]string{"/subjects?deleted=true": "HUGE"}, "answer too large"},
		{"no registry there", map[string]string{}, "404"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Import(context.Background(), copyOptions(t, hostileSource(t, c.answers), dst, 1<<20))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("import: %v, want an error with %q", err, c.want)
			}
		})
	}
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/subjects" {
			fmt.Fprint(w, `["a"]`)
			return
		}
		http.Error(w, "down", http.StatusBadGateway)
	}))
	defer failing.Close()
	if _, err := Import(context.Background(), copyOptions(t, failing.URL, dst, 0)); err == nil || !strings.Contains(err.Error(), "502") {
		t.Fatalf("a source answering 502: %v, want the import to stop", err)
	}
}
