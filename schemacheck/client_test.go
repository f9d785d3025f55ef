package schemacheck

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eventlens/eventlens/registryclient"
)

func TestRegistryRetriesOverloadAndSendsCredentials(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if user, pass, ok := r.BasicAuth(); !ok || user != "ci" || pass != "s3cret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if r.URL.EscapedPath() != "/compatibility/subjects/a%2Fb/versions" || r.URL.Query().Get("verbose") != "true" {
			t.Errorf("unexpected request %s", r.URL)
		}
		if calls.Add(1) < 3 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"is_compatible": false, "messages": []string{"{errorType:'TYPE_MISMATCH', description:'The type (path '/fields/0/type') of a field in the new schema does not match with the old schema', additionalInfo:'x'}", "{oldSchemaVersion: 1}"}})
	}))
	defer srv.Close()

	c := registry(t, srv.URL, registryclient.Options{BasicAuth: "ci:s3cret", Timeout: 5 * time.Second, Retries: 3})
	known, ok, messages, err := c.Compatibility(context.Background(), File{Subject: "a/b", SchemaType: "AVRO", Text: `"string"`})
	if err != nil || !known || ok || len(messages) != 2 || calls.Load() != 3 {
		t.Fatalf("known=%v ok=%v messages=%v err=%v after %d calls", known, ok, messages, err, calls.Load())
	}
	f := findingsFromMessages(File{Subject: "a/b", SchemaType: "AVRO", Text: `{"fields":[{"name":"x","type":"int"}]}`}, messages, nil)
	if len(f) != 1 || f[0].Kind != "TYPE_MISMATCH" || f[0].Path != "/fields/0/type" || f[0].Line != 1 || !strings.HasPrefix(f[0].Message, "The type") {
		t.Fatalf("findings: %+v", f)
	}
}

func TestRegistryErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/subjects/gone/versions":
			w.WriteHeader(404)
			w.Write([]byte(`{"error_code":40401,"message":"Subject 'gone' not found."}`))
		case "/subjects/busy/versions":
			w.WriteHeader(503)
			w.Write([]byte(`<html>overloaded</html>`))
		default:
			w.WriteHeader(401)
			w.Write([]byte(`{"error_code":401,"message":"Unauthorized"}`))
		}
	}))
	defer srv.Close()
	c := registry(t, srv.URL, registryclient.Options{Timeout: time.Second, Retries: 1})
	ctx := context.Background()

	if v, err := c.Versions(ctx, "gone"); err != nil || v != nil {
		t.Errorf("unknown subject: %v %v, want no versions and no error", v, err)
	}
	if _, err := c.Versions(ctx, "busy"); err == nil || !strings.Contains(err.Error(), "503") || !strings.Contains(err.Error(), "overloaded") {
		t.Errorf("overloaded registry: %v", err)
	}
	if _, err := c.Register(ctx, File{Subject: "x"}); err == nil || !strings.Contains(err.Error(), "Unauthorized") {
		t.Errorf("unauthorized: %v", err)
	}

}

// registry is a Registry on url that waits only a millisecond between retries.
func registry(t *testing.T, url string, o registryclient.Options) Registry {
	t.Helper()
	c, err := registryclient.New(url, o)
	if err != nil {
		t.Fatal(err)
	}
	c.Backoff = time.Millisecond
	return Registry{c}
}
