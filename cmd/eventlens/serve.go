package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/labstack/gommon/bytes"
	"go.opentelemetry.io/otel/trace"

	"github.com/eventlens/eventlens/alerts"
	"github.com/eventlens/eventlens/apikeys"
	"github.com/eventlens/eventlens/brokers"
	"github.com/eventlens/eventlens/catalog"
	"github.com/eventlens/eventlens/demo"
	"github.com/eventlens/eventlens/otlpmetrics"
	"github.com/eventlens/eventlens/pgdb"
	"github.com/eventlens/eventlens/schemaregistry"
	"github.com/eventlens/eventlens/server"
	"github.com/eventlens/eventlens/storage"
	"github.com/eventlens/eventlens/tracing"
)

type serveCmd struct {
	DB      string `name:"db" help:"The store: a SQLite file, created if missing, or a PostgreSQL URL (postgres://user:password@host:5432/eventlens?sslmode=verify-full) shared by several replicas." default:"./eventlens.db" env:"EVENTLENS_DB"`
	Demo    bool   `help:"Also run the demo shop, which imports its AsyncAPI documents into this server's catalog and sends it live spans. On a server with API keys it needs a write key in --demo-key (EVENTLENS_DEMO_KEY)." env:"EVENTLENS_DEMO"`
	DemoKey string `name:"demo-key" help:"API key (id:secret, role write) the demo shop sends; needed when the server has API keys. Prefer the environment variable to the flag." env:"EVENTLENS_DEMO_KEY"`

	serverFlags `embed:""`
}

func (s serveCmd) Run(e env) error {
	var shop *demo.Options
	if s.Demo {
		shop = &demo.Options{APIKey: s.DemoKey}
	}
	return s.serverFlags.run(e, s.DB, shop)
}

type demoCmd struct {
	DB              string  `name:"db" help:"The store: a SQLite file or a PostgreSQL URL; by default a temporary SQLite file, removed on exit." env:"EVENTLENS_DB"`
	OrdersPerSecond float64 `help:"How many orders the demo shop places per second." default:"5" env:"EVENTLENS_DEMO_ORDERS_PER_SECOND"`
	DemoKey         string  `name:"demo-key" help:"API key (id:secret, role write) the demo shop sends; needed when --db holds API keys. Prefer the environment variable to the flag." env:"EVENTLENS_DEMO_KEY"`

	serverFlags `embed:""`
}

func (d demoCmd) Run(e env) error {
	db := d.DB
	if db == "" {
		dir, err := os.MkdirTemp("", "eventlens-demo")
		if err != nil {
			return fmt.Errorf("demo database: %w", err)
		}
		defer os.RemoveAll(dir)
		db = filepath.Join(dir, "eventlens.db")
	}
	return d.serverFlags.run(e, db, &demo.Options{OrdersPerSecond: d.OrdersPerSecond, APIKey: d.DemoKey})
}

// serverFlags are the flags of every command that runs the server.
type serverFlags struct {
	Addr            string        `help:"Address to listen on for the console, the registry API and OTLP/HTTP." default:"127.0.0.1:8080" env:"EVENTLENS_ADDR"`
	MaxBody         string        `help:"Largest request body accepted (e.g. 512K, 16M); larger ones get 413." default:"16M" env:"EVENTLENS_MAX_BODY"`
	WriteRate       float64       `help:"Writes per second each API key may make (a client address, without keys, 10 times as many); a write over it waits up to 1s for its turn, and gets 429 with Retry-After only when it would wait longer. 0 turns the limit off." default:"500" env:"EVENTLENS_WRITE_RATE"`
	WriteBurst      int           `help:"Writes an API key may make at once before --write-rate applies (a client address 10 times as many)." default:"1000" env:"EVENTLENS_WRITE_BURST"`
	ShutdownTimeout time.Duration `help:"How long to let in-flight requests finish on SIGINT/SIGTERM." default:"15s" env:"EVENTLENS_SHUTDOWN_TIMEOUT"`
	InsecureNoAuth  bool          `help:"Allow listening on a non-loopback address with no API keys, so that anyone who can reach it may change schemas. Create keys instead: eventlens keys create." env:"EVENTLENS_INSECURE_NO_AUTH"`

	OTLPGRPCAddr    string        `name:"otlp-grpc-addr" help:"Address for OTLP/gRPC ingest of traces and metrics; empty disables it." default:"127.0.0.1:4317" env:"EVENTLENS_OTLP_GRPC_ADDR"`
	OTLPMaxBody     string        `name:"otlp-max-body" help:"Largest OTLP request, before and after gzip; larger ones get 413." default:"16M" env:"EVENTLENS_OTLP_MAX_BODY"`
	OTLPMaxInflight int           `name:"otlp-max-inflight" help:"OTLP/HTTP bodies decoded at once; more wait, then get 503." default:"32" env:"EVENTLENS_OTLP_MAX_INFLIGHT"`
	OTLPMaxSpans    int           `name:"otlp-max-spans" help:"Most spans in one OTLP request; larger requests get 413 (gRPC: INVALID_ARGUMENT)." default:"20000" env:"EVENTLENS_OTLP_MAX_SPANS"`
	OTLPMaxAttrs    string        `name:"otlp-max-span-attributes" help:"Largest attributes of one span, as JSON (e.g. 16KiB); such spans are rejected (OTLP partial success)." default:"64KiB" env:"EVENTLENS_OTLP_MAX_SPAN_ATTRIBUTES"`
	OTLPMaxPoints   int           `name:"otlp-max-points" help:"Most data points in one OTLP metrics request; larger requests get 413 (gRPC: INVALID_ARGUMENT)." default:"100000" env:"EVENTLENS_OTLP_MAX_POINTS"`
	IngestQueue     int           `help:"Spans accepted but not yet stored before OTLP answers 429 (retry later)." default:"50000" env:"EVENTLENS_INGEST_QUEUE"`
	IngestBatch     int           `help:"Most spans stored in one transaction." default:"10000" env:"EVENTLENS_INGEST_BATCH"`
	SpanRetention   time.Duration `help:"How long raw spans are kept." default:"24h" env:"EVENTLENS_SPAN_RETENTION"`
	FlowRetention   time.Duration `help:"How long per-minute and per-hour flow aggregates are kept (720h = 30 days)." default:"720h" env:"EVENTLENS_FLOW_RETENTION"`
	SpanKeep        string        `help:"Which raw spans are stored: all, or flows (every span of a trace with a messaging span or an error, and a sample of the other traces: flows:0.05 keeps 5%; flows alone 1%)." default:"flows" env:"EVENTLENS_SPAN_KEEP"`
	StoreMaxBytes   string        `help:"Most bytes the stored raw spans may take (e.g. 20GiB); retention removes the oldest spans first, aggregates stay. 0: no cap." default:"0" env:"EVENTLENS_STORE_MAX_BYTES"`

	MetricsMaxSeries          int           `name:"otlp-metrics-max-series" help:"Most OTLP metric series kept in all; new series beyond it are dropped (and counted)." default:"100000" env:"EVENTLENS_OTLP_METRICS_MAX_SERIES"`
	MetricsMaxSeriesPerSource int           `name:"otlp-metrics-max-series-per-source" help:"Most OTLP metric series one source keeps: a Kafka cluster (kafka.cluster.alias), a RabbitMQ node, a service." default:"10000" env:"EVENTLENS_OTLP_METRICS_MAX_SERIES_PER_SOURCE"`
	MetricsExpiry             time.Duration `name:"otlp-metrics-expiry" help:"How long an OTLP metric series is kept after its last point." default:"15m" env:"EVENTLENS_OTLP_METRICS_EXPIRY"`
	MetricsQueue              int           `name:"otlp-metrics-queue" help:"Metric data points accepted but not yet stored before OTLP answers 429 (retry later)." default:"200000" env:"EVENTLENS_OTLP_METRICS_QUEUE"`

	AsyncAPIMaxBytes        string `name:"asyncapi-max-bytes" help:"Largest AsyncAPI document accepted by POST /api/catalog/asyncapi (e.g. 2MiB); larger ones get 413." default:"8MiB" env:"EVENTLENS_ASYNCAPI_MAX_BYTES"`
	SchemaMaxReferences     int    `name:"schema-max-references" help:"Most schemas one schema may reach through its references, directly or not." default:"1000" env:"EVENTLENS_SCHEMA_MAX_REFERENCES"`
	SchemaMaxReferenceDepth int    `name:"schema-max-reference-depth" help:"How deep schema references may nest." default:"32" env:"EVENTLENS_SCHEMA_MAX_REFERENCE_DEPTH"`
	SchemaMaxBytes          string `name:"schema-max-bytes" help:"Longest schema text the registry accepts (e.g. 1MiB); longer ones get 42209." default:"8MiB" env:"EVENTLENS_SCHEMA_MAX_BYTES"`
	SchemaMaxNesting        int    `name:"schema-max-nesting" help:"How deep brackets may nest in a schema text; deeper ones get 42201." default:"256" env:"EVENTLENS_SCHEMA_MAX_NESTING"`

	AlertsFile string `name:"alerts-file" help:"A YAML file of alert rules and the webhooks they notify (see docs/operations.md, \"Alerts\"); none: no alerts." type:"path" env:"EVENTLENS_ALERTS_FILE"`

	HealthWindow          time.Duration `help:"Consumer health measures throughput, errors and latency over this window." default:"5m" env:"EVENTLENS_HEALTH_WINDOW"`
	HealthSilentAfter     time.Duration `help:"A consumer is silent when it processed nothing for this long while its channel is active." default:"5m" env:"EVENTLENS_HEALTH_SILENT_AFTER"`
	HealthDegradedErrors  float64       `help:"A consumer is degraded at or above this error rate (0-1)." default:"0.05" env:"EVENTLENS_HEALTH_DEGRADED_ERRORS"`
	HealthFailingErrors   float64       `help:"A consumer is failing at or above this error rate (0-1)." default:"0.25" env:"EVENTLENS_HEALTH_FAILING_ERRORS"`
	HealthDegradedLatency time.Duration `help:"A consumer is degraded when its p95 processing time reaches this." default:"1s" env:"EVENTLENS_HEALTH_DEGRADED_LATENCY"`
	HealthDegradedDelay   time.Duration `help:"A consumer is degraded when its p95 end-to-end delay reaches this." default:"1m" env:"EVENTLENS_HEALTH_DEGRADED_DELAY"`

	SelfTraceEndpoint    string  `name:"self-trace-endpoint" help:"OTLP/HTTP URL (http://collector:4318) where eventlens sends its own spans, one per HTTP request; headers from OTEL_EXPORTER_OTLP_HEADERS. Empty: nowhere." env:"EVENTLENS_SELF_TRACE_ENDPOINT"`
	SelfTraceSampleRatio float64 `name:"self-trace-sample-ratio" help:"Share (0-1] of the traces eventlens starts itself that --self-trace-endpoint receives; a caller's sampling decision is kept." default:"1" env:"EVENTLENS_SELF_TRACE_SAMPLE_RATIO"`
	PromMaxSeries        int     `name:"metrics-max-series" help:"Most flows, and most consumers, /metrics reports series for; the messages of flows beyond it are counted in eventlens_flow_series_dropped_messages_total." default:"1000" env:"EVENTLENS_METRICS_MAX_SERIES"`

	rabbitmqFlags `embed:""`
	kafkaFlags    `embed:""`
	oidcFlags     `embed:""`
}

// run serves until the context ends, with the demo shop sending to it when shop is not nil.
func (s serverFlags) run(e env, dbPath string, shop *demo.Options) (err error) {
	rabbit, err := s.rabbitmqFlags.monitor(e.log)
	if err != nil {
		return err
	}
	var alertRules alerts.Config
	if s.AlertsFile != "" {
		if alertRules, err = alerts.LoadFile(s.AlertsFile); err != nil {
			return err
		}
	}
	store, err := storage.Open(e.ctx, dbPath)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, store.Close()) }()

	keys := apikeys.New(store)
	sso, err := s.oidcFlags.start(e.ctx, store)
	if err != nil {
		return err
	}
	for _, addr := range []string{s.Addr, s.OTLPGRPCAddr} {
		if err := s.checkExposure(e.ctx, keys, sso != nil, addr, store.Where()); err != nil {
			return err
		}
	}
	// The demo shop's Kafka cluster starts first, so that it is polled like the others.
	var demoBrokers []string
	if shop != nil {
		cluster, err := demo.NewCluster()
		if err != nil {
			return err
		}
		defer cluster.Close() // after the shop and the polls have stopped
		shop.Cluster, demoBrokers = cluster, cluster.Brokers()
	}
	lag, err := s.kafkaFlags.start(e, store, demoBrokers)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, lag.stop()) }()

	var tp trace.TracerProvider // nil: eventlens makes no spans of its own
	if s.SelfTraceEndpoint != "" {
		self, err := tracing.NewSelfTracerProvider(e.ctx, tracing.SelfTraceConfig{Endpoint: s.SelfTraceEndpoint, SampleRatio: s.SelfTraceSampleRatio})
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, self.Shutdown(context.WithoutCancel(e.ctx))) }()
		tp = self
	}

	keep, err := tracing.ParseSpanKeep(s.SpanKeep)
	if err != nil {
		return err
	}
	maxStore, err := bytes.Parse(s.StoreMaxBytes)
	if err != nil || maxStore < 0 {
		return fmt.Errorf("store size cap %q: want a size such as 20GiB, or 0 for none", s.StoreMaxBytes)
	}
	// Ingest outlives the signal: the server's Shutdown closes it after the last request.
	ingest, err := tracing.Start(context.WithoutCancel(e.ctx), store, tracing.Config{
		QueueSpans: s.IngestQueue, BatchSpans: s.IngestBatch,
		SpanRetention: s.SpanRetention, FlowRetention: s.FlowRetention, Keep: keep, MaxStoreBytes: maxStore,
		FlowSeries: s.PromMaxSeries,
		Health: tracing.HealthThresholds{
			Window: s.HealthWindow, SilentAfter: s.HealthSilentAfter,
			DegradedErrorRate: s.HealthDegradedErrors, FailingErrorRate: s.HealthFailingErrors,
			DegradedProcessingP95: s.HealthDegradedLatency, DegradedDelayP95: s.HealthDegradedDelay,
		},
		Logger: e.log,
	})
	if err != nil {
		return err
	}
	registry := schemaregistry.New(store, schemaregistry.Formats())
	schemaMaxBytes, err := bytes.Parse(s.SchemaMaxBytes)
	if err != nil || schemaMaxBytes <= 0 || schemaMaxBytes > 1<<30 {
		return errors.Join(fmt.Errorf("schema size limit %q: want a size such as 512KiB or 8MiB", s.SchemaMaxBytes), ingest.Close(context.WithoutCancel(e.ctx)))
	}
	registry.SetLimits(schemaregistry.Limits{MaxReferences: s.SchemaMaxReferences, MaxReferenceDepth: s.SchemaMaxReferenceDepth,
		MaxSchemaBytes: int(schemaMaxBytes), MaxNesting: s.SchemaMaxNesting})
	maxAttrs, err := bytes.Parse(s.OTLPMaxAttrs)
	if err != nil || maxAttrs <= 0 || maxAttrs > 1<<30 {
		return errors.Join(fmt.Errorf("span attribute limit %q: want a size such as 16K or 64K", s.OTLPMaxAttrs), ingest.Close(context.WithoutCancel(e.ctx)))
	}
	metrics := otlpmetrics.New(store, otlpmetrics.Config{MaxSeries: s.MetricsMaxSeries, MaxSeriesPerSource: s.MetricsMaxSeriesPerSource,
		Expiry: s.MetricsExpiry, QueuePoints: s.MetricsQueue})
	sources := brokers.Sources{Kafka: lag.Monitor, RabbitMQ: rabbit, Metrics: metrics}
	ingest.SetBrokers(sources)
	cat := catalog.New(store, registry)
	cat.SetFlows(ingest)
	alerting := alerts.New(store, alertRules, alerts.Inputs{Health: ingest, Catalog: cat, Registry: registry}, e.log)
	defer func() { err = errors.Join(err, alerting.Close()) }() // after the background work stopped
	srv, err := server.New(
		server.Config{MaxBody: s.MaxBody, WriteRate: s.WriteRate, WriteBurst: s.WriteBurst, Logger: e.log, TracerProvider: tp,
			AsyncAPIMaxBytes: s.AsyncAPIMaxBytes, MaxSeries: s.PromMaxSeries,
			OTLP: server.OTLPConfig{MaxBody: s.OTLPMaxBody, MaxInflight: s.OTLPMaxInflight,
				Limits:       tracing.DecodeLimits{MaxSpans: s.OTLPMaxSpans, MaxAttributeBytes: int(maxAttrs)},
				MetricLimits: otlpmetrics.DecodeLimits{MaxPoints: s.OTLPMaxPoints}}},
		server.Services{DB: store, Keys: keys, Catalog: cat, Registry: registry, Ingest: ingest, Brokers: sources, Metrics: metrics, Alerts: alerting, OIDC: sso},
	)
	if err != nil {
		return errors.Join(err, ingest.Close(context.WithoutCancel(e.ctx)))
	}
	// From here on, srv.Shutdown closes ingest.
	shutdown := func() error {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(e.ctx), s.ShutdownTimeout)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			return fmt.Errorf("shutdown: %w", err)
		}
		return nil
	}
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return errors.Join(fmt.Errorf("listen on %s: %w", s.Addr, err), shutdown())
	}
	var grpcLn net.Listener
	if s.OTLPGRPCAddr != "" {
		if grpcLn, err = net.Listen("tcp", s.OTLPGRPCAddr); err != nil {
			ln.Close()
			return errors.Join(fmt.Errorf("listen for OTLP/gRPC on %s: %w", s.OTLPGRPCAddr, err), shutdown())
		}
	}
	url := "http://" + ln.Addr().String()
	attrs := []any{"url", url, "db", store.Where()}
	if grpcLn != nil {
		attrs = append(attrs, "otlp_grpc", grpcLn.Addr().String())
	}
	e.log.Info("eventlens listening", attrs...)

	served, servers := make(chan error, 2), 1
	go func() { served <- srv.Serve(ln) }()
	if grpcLn != nil {
		servers++
		go func() { served <- srv.ServeOTLPGRPC(grpcLn) }()
	}
	var demoDone, background sync.WaitGroup
	demoCtx, stopDemo := context.WithCancel(e.ctx)
	defer stopDemo()
	backgroundCtx, stopBackground := context.WithCancel(e.ctx)
	defer func() { stopBackground(); background.Wait() }()
	background.Add(1)
	go func() {
		defer background.Done()
		cat.KeepSearchFresh(backgroundCtx, func(err error) { e.log.Warn("search index", "error", err) })
	}()
	if rabbit != nil {
		background.Go(func() { rabbit.Run(backgroundCtx) })
	}
	background.Go(func() { alerting.Run(backgroundCtx) })
	if store.Postgres != nil {
		// One connection hears every package's notifications: what other replicas wrote.
		background.Add(1)
		go func() {
			defer background.Done()
			store.Postgres.Listen(backgroundCtx, pgdb.Merge(keys.ReplicaHandlers(), registry.ReplicaHandlers(), cat.ReplicaHandlers()),
				func(err error) { e.log.Warn("listening for other replicas' writes", "error", err) })
		}()
	}
	if shop != nil {
		shop.Endpoint, shop.Logger = url, e.log
		demoDone.Add(1)
		go func() {
			defer demoDone.Done()
			if err := demo.Run(demoCtx, *shop); err != nil {
				e.log.Warn("demo shop", "error", err)
			}
		}()
	}
	var serveErr error
	select {
	case serveErr = <-served: // a server failed
		servers--
	case <-e.ctx.Done():
	}
	// The demo flushes its last spans while the server still listens.
	stopDemo()
	demoDone.Wait()
	e.log.Info("shutting down", "timeout", s.ShutdownTimeout)
	err = errors.Join(serveErr, shutdown())
	for ; servers > 0; servers-- {
		err = errors.Join(err, <-served)
	}
	return err
}

// checkExposure refuses to serve a non-loopback address without API keys or single sign-on:
// without them anyone who reaches the port could change the contracts CI relies on.
func (s serverFlags) checkExposure(ctx context.Context, keys *apikeys.Keys, sso bool, addr, dbPath string) error {
	if addr == "" {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("address %q: %w", addr, err)
	}
	ip := net.ParseIP(host)
	if host == "localhost" || (ip != nil && ip.IsLoopback()) || s.InsecureNoAuth || sso {
		return nil
	}
	anyKeys, err := keys.Any(ctx)
	if err != nil {
		return err
	}
	if !anyKeys {
		return fmt.Errorf("refusing to listen on %s without API keys: create one with 'eventlens keys create --db %s --role admin --name admin', or pass --insecure-no-auth", addr, dbPath)
	}
	return nil
}
