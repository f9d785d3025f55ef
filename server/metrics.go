package server

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/eventlens/eventlens/brokers"
	"github.com/eventlens/eventlens/otlpmetrics"
	"github.com/eventlens/eventlens/pgdb"
	"github.com/eventlens/eventlens/storage"
)

// metrics are the process's own Prometheus metrics, in a registry of their own so tests can
// build several servers in one process. What the server sees itself (HTTP requests, OTLP
// exports) it counts here; what the domain packages do they count in plain Go values, read at
// each scrape by the collectors in metrics_*.go (docs/development.md, "Metrics").
type metrics struct {
	registry   *prometheus.Registry
	collectors []prometheus.Collector // all registered, for the test that holds docs/ to what they describe
	log        *slog.Logger
	requests   *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	seriesMu   sync.RWMutex
	series     map[seriesKey]httpSeries // requests' and latency's series, found once
	receiver   receiverMetrics
}

func newMetrics(svc Services, maxSeries int, log *slog.Logger) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		log:      log,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eventlens_http_requests_total",
			Help: "HTTP requests answered, by method, route template and status.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "eventlens_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by method, route template and status.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"method", "route", "status"}),
		series:   map[seriesKey]httpSeries{},
		receiver: newReceiverMetrics(),
	}
	m.collectors = append([]prometheus.Collector{
		m.requests, m.latency,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		sourceCollector{svc.Brokers},
		storeCollector{svc.DB},
	}, m.receiver.collectors()...)
	if svc.Ingest != nil {
		m.collectors = append(m.collectors, ingestCollector{svc.Ingest}, healthCollector{ingest: svc.Ingest, catalog: svc.Catalog, maxSeries: maxSeries})
	}
	if svc.Registry != nil {
		m.collectors = append(m.collectors, registryCollector{svc.Registry})
	}
	if svc.Catalog != nil {
		m.collectors = append(m.collectors, catalogCollector{svc.Catalog})
	}
	if svc.Metrics != nil {
		m.collectors = append(m.collectors, otlpMetricsCollectors(svc.Metrics)...)
	}
	if svc.DB.Postgres != nil {
		m.collectors = append(m.collectors, poolCollectors(svc.DB.Postgres)...)
	} else {
		m.collectors = append(m.collectors,
			collectors.NewDBStatsCollector(svc.DB.SQLite.Write, "write"),
			collectors.NewDBStatsCollector(svc.DB.SQLite.Read, "read"),
		)
	}
	m.registry.MustRegister(m.collectors...)
	return m
}

// scrapeTimeout bounds what one scrape may spend reading the store (health, drift, sizes).
const scrapeTimeout = 10 * time.Second

// sourceCollector reports each broker's state and this process's polls of it at each scrape.
type sourceCollector struct{ sources brokers.Sources }

var (
	sourceUp = prometheus.NewDesc("eventlens_source_up",
		"1 when the last poll of a broker (Kafka cluster, RabbitMQ management API) worked, else 0.", []string{"kind", "name"}, nil)
	sourceLastSuccess = prometheus.NewDesc("eventlens_source_last_success_timestamp_seconds",
		"When a broker was last polled successfully (0: never).", []string{"kind", "name"}, nil)
	sourcePolls = prometheus.NewDesc("eventlens_broker_poll_duration_seconds",
		"Time this process spent polling a broker (Kafka lag, RabbitMQ management API), and how many polls.", []string{"kind", "name"}, nil)
	sourcePollErrors = prometheus.NewDesc("eventlens_broker_poll_errors_total",
		"Polls of a broker by this process that failed.", []string{"kind", "name"}, nil)
)

func (sourceCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- sourceUp
	ch <- sourceLastSuccess
	ch <- sourcePolls
	ch <- sourcePollErrors
}

func (c sourceCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	for _, s := range c.sources.States(ctx) {
		up, last := 0.0, 0.0
		if s.State == "ok" {
			up = 1
		}
		if !s.LastSuccess.IsZero() {
			last = float64(s.LastSuccess.UnixNano()) / 1e9
		}
		ch <- prometheus.MustNewConstMetric(sourceUp, prometheus.GaugeValue, up, s.Kind, s.Name)
		ch <- prometheus.MustNewConstMetric(sourceLastSuccess, prometheus.GaugeValue, last, s.Kind, s.Name)
		if s.Kind == "otlp-metrics" { // pushed, not polled
			continue
		}
		ch <- prometheus.MustNewConstSummary(sourcePolls, uint64(s.Polls), s.PollSeconds, nil, s.Kind, s.Name)
		ch <- prometheus.MustNewConstMetric(sourcePollErrors, prometheus.CounterValue, float64(s.PollErrors), s.Kind, s.Name)
	}
}

// storeCollector reports the store's size on disk at each scrape.
type storeCollector struct{ db *storage.DB }

var storeSize = prometheus.NewDesc("eventlens_store_size_bytes",
	"What the store takes on disk: the SQLite file and its WAL, or eventlens' PostgreSQL tables and indexes.", []string{"backend"}, nil)

func (storeCollector) Describe(ch chan<- *prometheus.Desc) { ch <- storeSize }

func (c storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	n, err := c.db.SizeBytes(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(storeSize, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(storeSize, prometheus.GaugeValue, float64(n), c.db.Backend())
}

// poolCollectors describe the PostgreSQL connection pool, read from pgx's statistics at each
// scrape.
func poolCollectors(db *pgdb.DB) []prometheus.Collector {
	stat := db.Pool.Stat
	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "eventlens_postgres_pool_" + name, Help: help}, f)
	}
	counter := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "eventlens_postgres_pool_" + name, Help: help}, f)
	}
	return []prometheus.Collector{
		gauge("max_connections", "Most connections the pool opens.", func() float64 { return float64(stat().MaxConns()) }),
		gauge("connections", "Open connections.", func() float64 { return float64(stat().TotalConns()) }),
		gauge("acquired_connections", "Connections in use.", func() float64 { return float64(stat().AcquiredConns()) }),
		gauge("idle_connections", "Open connections not in use.", func() float64 { return float64(stat().IdleConns()) }),
		counter("acquires_total", "Connections handed out.", func() float64 { return float64(stat().AcquireCount()) }),
		counter("empty_acquires_total", "Acquires that had to wait for a connection.", func() float64 { return float64(stat().EmptyAcquireCount()) }),
		counter("acquire_wait_seconds_total", "Time spent waiting for a connection.", func() float64 { return stat().AcquireDuration().Seconds() }),
		counter("new_connections_total", "Connections opened.", func() float64 { return float64(stat().NewConnsCount()) }),
	}
}

// otlpMetricsCollectors tell what OTLP metrics ingest did with the points it received, read
// from the store's counters at each scrape: what the series cap dropped shows here.
func otlpMetricsCollectors(om *otlpmetrics.Store) []prometheus.Collector {
	points := func(outcome, help string, f func(otlpmetrics.Stats) int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "eventlens_otlp_metric_points_total", Help: help,
			ConstLabels: prometheus.Labels{"outcome": outcome}}, func() float64 { return float64(f(om.Stats())) })
	}
	return []prometheus.Collector{
		points("stored", "OTLP metric data points received, by what became of them.", func(s otlpmetrics.Stats) int64 { return s.Stored }),
		points("ignored", "OTLP metric data points received, by what became of them.", func(s otlpmetrics.Stats) int64 { return s.Ignored }),
		points("rejected", "OTLP metric data points received, by what became of them.", func(s otlpmetrics.Stats) int64 { return s.Rejected }),
		points("dropped_by_cap", "OTLP metric data points received, by what became of them.", func(s otlpmetrics.Stats) int64 { return s.Dropped }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "eventlens_otlp_metric_series", Help: "Metric series stored, as this replica last read them."},
			func() float64 { return float64(om.Stats().Series) }),
	}
}

func (m *metrics) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		route := c.Path() // the route template, so label values stay few
		if route == "" {
			route = "unmatched"
		}
		status := c.Response().Status
		s := m.seriesFor(methodLabel(c.Request().Method), route, status)
		s.requests.Inc()
		s.latency.Observe(time.Since(start).Seconds())
		if signal, ok := otlpSignals[route]; ok && status != 200 {
			m.receiver.refusedRequest("http", signal, status)
		}
		return err
	}
}

// methodLabel is the method as a label value: the standard ones, and "_OTHER" for whatever
// else a client sends (as OpenTelemetry's http.request.method does), so clients cannot make
// series without bound.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return method
	}
	return "_OTHER"
}

type seriesKey struct {
	method, route string
	status        int
}

type httpSeries struct {
	requests prometheus.Counter
	latency  prometheus.Observer
}

// seriesFor is the request counter and latency histogram of a method, route and status, kept
// so that a request finds both in one map lookup rather than by hashing its label values in each
// vector. Past maxRequestSeries (routes × statuses × methods can still be many) the vectors are
// asked directly (they hold every series anyway).
func (m *metrics) seriesFor(method, route string, status int) httpSeries {
	key := seriesKey{method, route, status}
	m.seriesMu.RLock()
	s, ok := m.series[key]
	m.seriesMu.RUnlock()
	if ok {
		return s
	}
	code := strconv.Itoa(status)
	// Label values in the order the vectors declare them (method, route, status).
	s = httpSeries{requests: m.requests.WithLabelValues(method, route, code), latency: m.latency.WithLabelValues(method, route, code)}
	m.seriesMu.Lock()
	defer m.seriesMu.Unlock()
	if len(m.series) < maxRequestSeries {
		m.series[key] = s
	}
	return s
}

const maxRequestSeries = 1024

func (m *metrics) handler() echo.HandlerFunc {
	return echo.WrapHandler(promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{
		// A collector that cannot read the store (PostgreSQL down) leaves its series out and
		// logs why; the others still answer.
		ErrorHandling: promhttp.ContinueOnError,
		ErrorLog:      slog.NewLogLogger(m.log.Handler(), slog.LevelWarn),
	}))
}
