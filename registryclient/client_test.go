package registryclient

import (
	"context"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestDoRetriesOverloadAndSendsCredentials(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if user, pass, ok := r.BasicAuth(); !ok || user != "ci" || pass != "s3cret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if r.Header.Get("Content-Type") != contentType || r.Header.Get("Accept") != contentType {
			t.Errorf("headers %v", r.Header)
		}
		if r.URL.EscapedPath() != "/subjects/a%2Fb/versions" {
			t.Errorf("unexpected request %s", r.URL)
		}
		switch calls.Add(1) {
		case 1:
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
		case 2:
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			w.Write([]byte(`{"id":7}`))
		}
	}))
	defer srv.Close()

	c, err := New(srv.URL+"/", Options{BasicAuth: "ci:s3cret", Timeout: 5 * time.Second, Retries: 3})
	if err != nil {
		t.Fatal(err)
	}
	c.Backoff = time.Millisecond
	var out struct{ ID int }
	if err := c.Do(context.Background(), http.MethodPost, SubjectPath("/subjects", "a/b", "/versions"), map[string]string{"schema": `"string"`}, &out); err != nil || out.ID != 7 || calls.Load() != 3 {
		t.Fatalf("id %d, err %v after %d calls", out.ID, err, calls.Load())
	}

	bearer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	defer bearer.Close()
	bc, _ := New(bearer.URL, Options{Token: "tok"})
	if err := bc.Do(context.Background(), http.MethodGet, "/subjects", nil, nil); err != nil {
		t.Fatalf("bearer: %v", err)
	}
}

func TestDoErrors(t *testing.T) {
	var busy atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/gone":
			w.WriteHeader(404)
			w.Write([]byte(`{"error_code":40401,"message":"Subject 'gone' not found."}`))
		case "/busy":
			busy.Add(1)
			w.WriteHeader(503)
			w.Write([]byte(`<html>overloaded</html>`))
		case "/long":
			w.Write([]byte(`["` + strings.Repeat("x", 2000) + `"]`))
		case "/html":
			w.Write([]byte(`<html>login</html>`))
		default:
			w.WriteHeader(401)
			w.Write([]byte(`{"error_code":401,"message":"Unauthorized"}`))
		}
	}))
	defer srv.Close()
	c, _ := New(srv.URL, Options{Timeout: time.Second, Retries: 1, MaxAnswer: 1000})
	c.Backoff = time.Millisecond
	ctx := context.Background()
	var out []string

	tests := []struct {
		path  string
		check func(error) bool
	}{
		{"/gone", func(err error) bool {
			return IsCode(err, 40401) && Status(err) == 404 && strings.Contains(err.Error(), "GET /gone")
		}},
		{"/busy", func(err error) bool {
			return Status(err) == 503 && strings.Contains(err.Error(), "overloaded") && busy.Load() == 2
		}},
		{"/long", func(err error) bool { return errors.Is(err, ErrOversized) }},
		{"/html", func(err error) bool { var m MalformedError; return errors.As(err, &m) }},
		{"/other", func(err error) bool { return IsCode(err, 401) && strings.Contains(err.Error(), "Unauthorized") }},
	}
	for _, tt := range tests {
		if err := c.Do(ctx, http.MethodGet, tt.path, nil, &out); err == nil || !tt.check(err) {
			t.Errorf("GET %s: %v", tt.path, err)
		}
	}

	for _, bad := range []string{"", "localhost:8080", "ftp://x", "http://", "http://%zz"} {
		if _, err := New(bad, Options{}); err == nil {
			t.Errorf("New(%q) accepted", bad)
		}
	}
	if _, err := New(srv.URL, Options{BasicAuth: "no-colon"}); err == nil {
		t.Error("basic auth without a colon accepted")
	}
	unreachable, _ := New("http://127.0.0.1:1", Options{Timeout: time.Second, Retries: 1})
	unreachable.Backoff = time.Millisecond
	if err := unreachable.Do(ctx, http.MethodGet, "/subjects", nil, nil); err == nil || !strings.Contains(err.Error(), "unreachable") {
		t.Errorf("unreachable registry: %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := c.Do(cancelled, http.MethodGet, "/busy", nil, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestTrustsACustomCA(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`[1]`))
	}))
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	untrusting, err := New(srv.URL, Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := untrusting.Do(ctx, http.MethodGet, "/", nil, nil); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("without the CA: %v, want a certificate error", err)
	}
	trusting, err := New(srv.URL, Options{CAFile: ca, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	if err := trusting.Do(ctx, http.MethodGet, "/", nil, &got); err != nil || len(got) != 1 {
		t.Fatalf("with the CA: %v %v", got, err)
	}
	if _, err := New(srv.URL, Options{CAFile: filepath.Join(t.TempDir(), "missing.pem")}); err == nil {
		t.Fatal("a missing CA file was accepted")
	}
	notPEM := filepath.Join(t.TempDir(), "bad.pem")
	os.WriteFile(notPEM, []byte("not a certificate"), 0o644)
	if _, err := New(srv.URL, Options{CAFile: notPEM}); err == nil || !strings.Contains(err.Error(), "no PEM") {
		t.Fatalf("a CA file without certificates: %v", err)
	}
}
