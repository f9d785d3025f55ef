package schemacheck

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestClientRetriesOverloadAndSendsCredentials(t *testing.T) {
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

	c, err := NewClient(srv.URL, ClientOptions{BasicAuth: "ci:s3cret", Timeout: 5 * time.Second, Retries: 3})
	if err != nil {
		t.Fatal(err)
	}
	c.Backoff = time.Millisecond
	known, ok, messages, err := c.Compatibility(context.Background(), File{Subject: "a/b", SchemaType: "AVRO", Text: `"string"`})
	if err != nil || !known || ok || len(messages) != 2 || calls.Load() != 3 {
		t.Fatalf("known=%v ok=%v messages=%v err=%v after %d calls", known, ok, messages, err, calls.Load())
	}
	f := findingsFromMessages(File{Subject: "a/b", SchemaType: "AVRO", Text: `{"fields":[{"name":"x","type":"int"}]}`}, messages, nil)
	if len(f) != 1 || f[0].Kind != "TYPE_MISMATCH" || f[0].Path != "/fields/0/type" || f[0].Line != 1 || !strings.HasPrefix(f[0].Message, "The type") {
		t.Fatalf("findings: %+v", f)
	}
}

func TestClientErrors(t *testing.T) {
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
	c, _ := NewClient(srv.URL, ClientOptions{Timeout: time.Second, Retries: 1})
	c.Backoff = time.Millisecond
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

	for _, bad := range []string{"", "localhost:8080", "ftp://x", "http://"} {
		if _, err := NewClient(bad, ClientOptions{}); err == nil {
			t.Errorf("NewClient(%q) accepted", bad)
		}
	}
	if _, err := NewClient(srv.URL, ClientOptions{BasicAuth: "no-colon"}); err == nil {
		t.Error("basic auth without a colon accepted")
	}
	unreachable, _ := NewClient("http://127.0.0.1:1", ClientOptions{Timeout: time.Second})
	if _, err := unreachable.Versions(ctx, "a"); err == nil || !strings.Contains(err.Error(), "unreachable") {
		t.Errorf("unreachable registry: %v", err)
	}
}

func TestClientTrustsACustomCA(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`[1]`))
	}))
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(ca, pemBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	untrusting, err := NewClient(srv.URL, ClientOptions{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := untrusting.Versions(ctx, "a"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("without the CA: %v, want a certificate error", err)
	}
	trusting, err := NewClient(srv.URL, ClientOptions{CAFile: ca, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	// The answer [1] lists version 1, which this server then fails to serve as JSON: the
	// point is that the TLS handshake succeeded.
	if _, err := trusting.Versions(ctx, "a"); err != nil && strings.Contains(err.Error(), "certificate") {
		t.Fatalf("with the CA: %v", err)
	}
	if _, err := NewClient(srv.URL, ClientOptions{CAFile: filepath.Join(t.TempDir(), "missing.pem")}); err == nil {
		t.Fatal("a missing CA file was accepted")
	}
	notPEM := filepath.Join(t.TempDir(), "bad.pem")
	os.WriteFile(notPEM, []byte("not a certificate"), 0o644)
	if _, err := NewClient(srv.URL, ClientOptions{CAFile: notPEM}); err == nil || !strings.Contains(err.Error(), "no PEM") {
		t.Fatalf("a CA file without certificates: %v", err)
	}
}
