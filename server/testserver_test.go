package server

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace/noop"

	"github.com/eventlens/eventlens/alerts"
	"github.com/eventlens/eventlens/apikeys"
	"github.com/eventlens/eventlens/brokers"
	"github.com/eventlens/eventlens/catalog"
	"github.com/eventlens/eventlens/otlpmetrics"
	"github.com/eventlens/eventlens/pgdb"
	"github.com/eventlens/eventlens/schemaregistry"
	"github.com/eventlens/eventlens/storage"
	"github.com/eventlens/eventlens/storage/storagetest"
	"github.com/eventlens/eventlens/tracing"
)

// testServer is eventlens on a random loopback port with a fresh store, as in production: a
// SQLite file, or a PostgreSQL database with EVENTLENS_TEST_STORE=postgres (storagetest.Default).
type testServer struct {
	URL      string
	GRPCAddr string // OTLP/gRPC
	DB       *storage.DB
	Ingest   *tracing.Ingester
	Metrics  *otlpmetrics.Store
	Alerts   *alerts.Alerts
	srv      *Server
}

// startServer starts a server for one test and stops it when the test ends. Options may adjust
// the configuration before the server is built.
func startServer(t testing.TB, opts ...func(*Config)) *testServer {
	t.Helper()
	// Server tests count the spans they send as stored, plain HTTP spans too.
	return startServerWith(t, tracing.Config{Keep: tracing.SpanKeep{All: true}}, opts...)
}

// startServerWith is startServer with ingest configured by ic.
func startServerWith(t testing.TB, ic tracing.Config, opts ...func(*Config)) *testServer {
	t.Helper()
	return startServerOn(t, nil, ic, opts...)
}

// startServerOn is startServerWith on the given store rather than on storagetest.Default's.
func startServerOn(t testing.TB, store *storage.DB, ic tracing.Config, opts ...func(*Config)) *testServer {
	t.Helper()
	return startServerMetrics(t, store, ic, otlpmetrics.Config{}, opts...)
}

// startServerMetrics is startServerOn with OTLP metrics configured by mc.
func startServerMetrics(t testing.TB, store *storage.DB, ic tracing.Config, mc otlpmetrics.Config, opts ...func(*Config)) *testServer {
	t.Helper()
	return startServerAlerts(t, store, ic, mc, alerts.Config{}, opts...)
}

// startServerAlerts is startServerMetrics with the alert rules of ac (evaluated by the test,
// through testServer.Alerts).
func startServerAlerts(t testing.TB, store *storage.DB, ic tracing.Config, mc otlpmetrics.Config, ac alerts.Config, opts ...func(*Config)) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return startServerListening(t, ln, store, ic, mc, ac, nil, opts...)
}

// startServerListening is startServerAlerts on ln (whose address a test may need to know
// first), with services adjusted by svc when it is not nil.
func startServerListening(t testing.TB, ln net.Listener, store *storage.DB, ic tracing.Config, mc otlpmetrics.Config, ac alerts.Config, svc func(*Services), opts ...func(*Config)) *testServer {
	t.Helper()
	if store == nil {
		store = storagetest.Default(t)
	}
	if ic.Logger == nil {
		ic.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ingest, err := tracing.Start(context.Background(), store, ic)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		MaxBody:        "1M",
		Logger:         slog.New(slog.NewTextHandler(io.Discard, nil)),
		TracerProvider: noop.NewTracerProvider(),
	}
	for _, o := range opts {
		o(&cfg)
	}
	registry := schemaregistry.New(store, schemaregistry.Formats())
	cat := catalog.New(store, registry)
	cat.SetFlows(ingest)
	keys := apikeys.New(store)
	metrics := otlpmetrics.New(store, mc)
	sources := brokers.Sources{Metrics: metrics} // as serve joins them, with no broker polled
	ingest.SetBrokers(sources)
	al := alerts.New(store, ac, alerts.Inputs{Health: ingest, Catalog: cat, Registry: registry}, nil)
	t.Cleanup(func() { al.Close() })
	services := Services{DB: store, Keys: keys, Catalog: cat, Registry: registry, Ingest: ingest, Metrics: metrics, Brokers: sources, Alerts: al}
	if svc != nil {
		svc(&services)
	}
	srv, err := New(cfg, services)
	if err != nil {
		t.Fatal(err)
	}
	background, stopBackground := context.WithCancel(context.Background())
	var backgroundDone sync.WaitGroup
	if store.Postgres != nil { // as cmd/eventlens listens
		backgroundDone.Add(1)
		go func() {
			defer backgroundDone.Done()
			store.Postgres.Listen(background, pgdb.Merge(keys.ReplicaHandlers(), registry.ReplicaHandlers(), cat.ReplicaHandlers()), func(error) {})
		}()
	}
	grpcLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	grpcDone := make(chan error, 1)
	go func() { grpcDone <- srv.ServeOTLPGRPC(grpcLn) }()
	t.Cleanup(func() {
		// As long as production's default --shutdown-timeout: on a loaded machine a test that
		// just ran the demo once took more than 5 s to drain (seen once in about 15 runs).
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		if err := <-grpcDone; err != nil {
			t.Errorf("serve OTLP/gRPC: %v", err)
		}
		stopBackground()
		backgroundDone.Wait()
	})
	return &testServer{URL: "http://" + ln.Addr().String(), GRPCAddr: grpcLn.Addr().String(), DB: store, Ingest: ingest, Metrics: metrics, Alerts: al, srv: srv}
}

// do sends a request with an optional Accept header and returns the response with its body read.
func (ts *testServer) do(t testing.TB, method, path, accept string, body io.Reader) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}
