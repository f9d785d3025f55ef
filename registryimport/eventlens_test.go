package registryimport

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace/noop"

	"github.com/eventlens/eventlens/apikeys"
	"github.com/eventlens/eventlens/brokers"
	"github.com/eventlens/eventlens/catalog"
	"github.com/eventlens/eventlens/otlpmetrics"
	"github.com/eventlens/eventlens/schemaregistry"
	"github.com/eventlens/eventlens/server"
	"github.com/eventlens/eventlens/storage/storagetest"
	"github.com/eventlens/eventlens/tracing"
)

// startEventlens serves a real eventlens on a fresh store (storagetest.Default) on a loopback
// port, until the test ends, with no write limit (the defaults are cmd's).
func startEventlens(t *testing.T) string {
	t.Helper()
	store := storagetest.Default(t)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	ingest, err := tracing.Start(context.Background(), store, tracing.Config{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	registry := schemaregistry.New(store, schemaregistry.Formats())
	cat := catalog.New(store, registry)
	metrics := otlpmetrics.New(store, otlpmetrics.Config{})
	srv, err := server.New(server.Config{MaxBody: "16M", Logger: quiet, TracerProvider: noop.NewTracerProvider()},
		server.Services{DB: store, Keys: apikeys.New(store), Catalog: cat, Registry: registry, Ingest: ingest, Metrics: metrics, Brokers: brokers.Sources{Metrics: metrics}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

// call sends one request with a JSON body (none when body is "") and returns status and body.
func call(t *testing.T, base, method, path, body string) (int, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, base+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/vnd.schemaregistry.v1+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// must is call that fails the test unless the answer is 200.
func must(t *testing.T, base, method, path, body string) string {
	t.Helper()
	status, b := call(t, base, method, path, body)
	if status != http.StatusOK {
		t.Fatalf("%s %s %s: %d %s", method, path, body, status, b)
	}
	return b
}

// withoutTimestamps drops the "ts" members of a JSON answer: a registration's time is the
// target's, not the source's (the registry API cannot set it).
func withoutTimestamps(body string) string {
	var v any
	if json.Unmarshal([]byte(body), &v) != nil {
		return body
	}
	var drop func(v any)
	drop = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			delete(x, "ts")
			for _, e := range x {
				drop(e)
			}
		case []any:
			for _, e := range x {
				drop(e)
			}
		}
	}
	drop(v)
	b, _ := json.Marshal(v)
	return string(b)
}
