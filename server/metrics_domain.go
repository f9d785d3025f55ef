package server

import (
	"context"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eventlens/eventlens/catalog"
	"github.com/eventlens/eventlens/schemaregistry"
	"github.com/eventlens/eventlens/tracing"
)

// The collectors of the domain packages' own counts (Stats), read at each scrape.

// ingestCollector reports the ingest writer: what it stored, its queue, its batches, and the
// flows it committed.
type ingestCollector struct{ in *tracing.Ingester }

var (
	ingestStored = prometheus.NewDesc("eventlens_ingest_stored_spans_total",
		"Spans this process committed to the store.", nil, nil)
	ingestFailed = prometheus.NewDesc("eventlens_ingest_failed_spans_total",
		"Spans of batches whose commit failed (their exports were refused, to be retried).", nil, nil)
	ingestQueue = prometheus.NewDesc("eventlens_ingest_queue_spans",
		"Spans accepted and waiting to be committed.", nil, nil)
	ingestQueueCapacity = prometheus.NewDesc("eventlens_ingest_queue_capacity_spans",
		"Most spans the ingest queue holds before exports are refused with 429 (--ingest-queue).", nil, nil)
	ingestPairing = prometheus.NewDesc("eventlens_ingest_pairing_backlog_spans",
		"Producer and consumer spans remembered in memory to pair consumers with their producers.", nil, nil)
	ingestBatch = prometheus.NewDesc("eventlens_ingest_batch_spans",
		"Spans per committed ingest transaction.", nil, nil)
	ingestCommit = prometheus.NewDesc("eventlens_ingest_commit_duration_seconds",
		"Time to commit one ingest transaction (spans, flow aggregates, trace index).", nil, nil)

	flowLabels        = []string{"direction", "service", "channel", "consumer_group"}
	flowMessagesTotal = prometheus.NewDesc("eventlens_flow_messages_total",
		"Messages this process saw on a flow (a service producing to a channel, or consuming from it), counted as /api/flows counts them.", flowLabels, nil)
	flowErrorsTotal = prometheus.NewDesc("eventlens_flow_errors_total",
		"Messages of a flow whose span ended in error.", flowLabels, nil)
	flowProcessing = prometheus.NewDesc("eventlens_flow_processing_duration_seconds",
		"Duration of a flow's messaging spans (sending, or processing a message).", flowLabels, nil)
	flowDelay = prometheus.NewDesc("eventlens_flow_delay_seconds",
		"End-to-end delay of a consumer flow: from the producer span's start to the consumer span's start.", flowLabels, nil)
	flowDropped = prometheus.NewDesc("eventlens_flow_series_dropped_messages_total",
		"Messages of flows left out of the eventlens_flow_* series because the flow cap (--metrics-max-series) was reached.", nil, nil)
)

func (ingestCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{ingestStored, ingestFailed, ingestQueue, ingestQueueCapacity, ingestPairing, ingestBatch, ingestCommit,
		flowMessagesTotal, flowErrorsTotal, flowProcessing, flowDelay, flowDropped} {
		ch <- d
	}
}

func (c ingestCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	st, err := c.in.Stats(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(flowMessagesTotal, err)
	}
	counter := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v int64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v))
	}
	counter(ingestStored, st.StoredSpans)
	counter(ingestFailed, st.FailedSpans)
	gauge(ingestQueue, st.QueuedSpans)
	gauge(ingestQueueCapacity, int64(c.in.QueueCapacity()))
	gauge(ingestPairing, st.PairingBacklog)
	ch <- constHistogram(ingestBatch, st.BatchSpans)
	ch <- constHistogram(ingestCommit, st.CommitSeconds)
	counter(flowDropped, st.FlowMessagesDropped)
	for _, f := range st.Flows {
		labels := []string{f.Direction, f.Service, f.ChannelKey, f.ConsumerGroup}
		counter(flowMessagesTotal, f.Messages, labels...)
		counter(flowErrorsTotal, f.Errors, labels...)
		ch <- constHistogram(flowProcessing, f.Processing.Only(flowBuckets), labels...)
		if f.Direction == tracing.RoleConsumer.String() {
			ch <- constHistogram(flowDelay, f.Delay.Only(flowBuckets), labels...)
		}
	}
}

// flowBuckets are the bounds of the flow histograms on /metrics, in seconds: ten of tracing's
// seventeen, so that a flow costs 28 samples rather than 42 (docs/benchmarks.md).
var flowBuckets = []float64{0.001, 0.005, 0.025, 0.1, 0.5, 1, 2.5, 10, 60, 300}

// constHistogram is h as a Prometheus histogram, whose buckets count cumulatively.
func constHistogram(d *prometheus.Desc, h tracing.Histogram, labels ...string) prometheus.Metric {
	buckets := make(map[float64]uint64, len(h.Bounds))
	var cum uint64
	for i, c := range h.Counts {
		cum += c
		if i < len(h.Bounds) {
			buckets[h.Bounds[i]] = cum
		}
	}
	return prometheus.MustNewConstHistogram(d, cum, h.Sum, buckets, labels...)
}

// registryCollector reports the schema registry's registrations and checks.
type registryCollector struct{ reg *schemaregistry.Registry }

var (
	registryRegistrations = prometheus.NewDesc("eventlens_registry_registrations_total",
		"Schemas registered under a subject (or found registered already) by this process.", nil, nil)
	registryRefusals = prometheus.NewDesc("eventlens_registry_refusals_total",
		"Registrations refused, by Confluent error code (409: incompatible, 42201: invalid schema, …).", []string{"code"}, nil)
	registryChecks = prometheus.NewDesc("eventlens_registry_compatibility_checks_total",
		"Compatibility checks, by verdict: compatible, incompatible, or error (the check could not be made).", []string{"verdict"}, nil)
)

func (registryCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- registryRegistrations
	ch <- registryRefusals
	ch <- registryChecks
}

func (c registryCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.reg.Stats()
	ch <- prometheus.MustNewConstMetric(registryRegistrations, prometheus.CounterValue, float64(st.Registrations))
	for code, n := range st.Refusals {
		ch <- prometheus.MustNewConstMetric(registryRefusals, prometheus.CounterValue, float64(n), strconv.Itoa(code))
	}
	// Both verdicts always, so an alert on rate(…{verdict="incompatible"}) has a series from the start.
	for _, v := range []string{"compatible", "incompatible", "error"} {
		ch <- prometheus.MustNewConstMetric(registryChecks, prometheus.CounterValue, float64(st.Checks[v]), v)
	}
}

// catalogCollector reports the catalog's imports.
type catalogCollector struct{ cat *catalog.Catalog }

var (
	catalogImports = prometheus.NewDesc("eventlens_catalog_imports_total",
		"AsyncAPI document imports by this process, by result: changed, unchanged (imported before), failed.", []string{"result"}, nil)
	catalogConflicts = prometheus.NewDesc("eventlens_catalog_import_conflicts_total",
		"Fields that an imported document and another document set differently (the catalog keeps one; see docs/catalog.md).", nil, nil)
)

func (catalogCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- catalogImports
	ch <- catalogConflicts
}

func (c catalogCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.cat.Stats()
	for _, r := range []string{"changed", "unchanged", "failed"} {
		ch <- prometheus.MustNewConstMetric(catalogImports, prometheus.CounterValue, float64(st.Imports[r]), r)
	}
	ch <- prometheus.MustNewConstMetric(catalogConflicts, prometheus.CounterValue, float64(st.Conflicts))
}
