package server

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eventlens/eventlens/catalog"
	"github.com/eventlens/eventlens/tracing"
)

// healthCollector reports consumer health as /api/health tells it, and the catalog's drift, at
// each scrape. These are the whole store's view (every replica reports the same on PostgreSQL),
// gauges of now rather than counts of this process; alert on them with max by (…).
type healthCollector struct {
	ingest    *tracing.Ingester
	catalog   *catalog.Catalog // nil: no drift series
	maxSeries int              // most consumers reported; the rest are counted in consumerDropped
}

var (
	consumerLabels = []string{"service", "consumer_group", "channel"}
	consumerStatus = prometheus.NewDesc("eventlens_consumer_status",
		"A consumer's health: 1 for its status (healthy, degraded, failing, silent), 0 for the others.", append(consumerLabels, "status"), nil)
	consumerLastSeen = prometheus.NewDesc("eventlens_consumer_last_seen_timestamp_seconds",
		"When a consumer's last span ended.", consumerLabels, nil)
	consumerLag = prometheus.NewDesc("eventlens_consumer_lag_messages",
		"Messages a consumer group is behind, as its broker (or a Collector's metrics) reports.", consumerLabels, nil)
	consumerTimeLag = prometheus.NewDesc("eventlens_consumer_time_lag_seconds",
		"How long ago the oldest message a consumer group has not read was written.", consumerLabels, nil)
	consumerQueueDepth = prometheus.NewDesc("eventlens_consumer_queue_depth_messages",
		"Messages waiting in a consumer's queue (RabbitMQ: ready and unacknowledged).", consumerLabels, nil)
	deadLetterLabels = append(consumerLabels, "dead_letter_channel", "kind")
	deadLetterDepth  = prometheus.NewDesc("eventlens_dead_letter_depth_messages",
		"Messages waiting in a consumer's dead-letter (kind dead-letter) or retry channel, when its broker tells.", deadLetterLabels, nil)
	deadLetterInflow = prometheus.NewDesc("eventlens_dead_letter_inflow_messages_per_second",
		"Messages sent to a consumer's dead-letter or retry channel per second, over the health window.", deadLetterLabels, nil)
	consumerDropped = prometheus.NewDesc("eventlens_consumer_series_dropped",
		"Consumers left out of this scrape's eventlens_consumer_* series by the cap (--metrics-max-series).", nil, nil)
	driftFindings = prometheus.NewDesc("eventlens_catalog_drift_findings",
		"Where the catalog and the traces disagree, by kind (as GET /api/catalog/drift finds with its defaults).", []string{"kind"}, nil)
)

// consumerStatuses are every status a consumer may have, each a series of eventlens_consumer_status.
var consumerStatuses = []string{tracing.StatusHealthy, tracing.StatusDegraded, tracing.StatusFailing, tracing.StatusSilent}

func (healthCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{consumerStatus, consumerLastSeen, consumerLag, consumerTimeLag, consumerQueueDepth,
		deadLetterDepth, deadLetterInflow, consumerDropped, driftFindings} {
		ch <- d
	}
}

func (c healthCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	c.collectHealth(ctx, ch)
	if c.catalog != nil {
		c.collectDrift(ctx, ch)
	}
}

func (c healthCollector) collectHealth(ctx context.Context, ch chan<- prometheus.Metric) {
	report, err := c.ingest.Health(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(consumerStatus, err)
		return
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	consumers := report.Consumers // sorted, so the same ones stay under the cap from scrape to scrape
	dropped := max(len(consumers)-c.maxSeries, 0)
	consumers = consumers[:len(consumers)-dropped]
	gauge(consumerDropped, float64(dropped))
	for _, h := range consumers {
		labels := []string{h.Service, h.ConsumerGroup, h.ChannelKey}
		for _, s := range consumerStatuses {
			v := 0.0
			if h.Status == s {
				v = 1
			}
			gauge(consumerStatus, v, append(labels, s)...)
		}
		gauge(consumerLastSeen, float64(h.LastSeen.UnixNano())/1e9, labels...)
		if h.Lag != nil {
			gauge(consumerLag, float64(*h.Lag), labels...)
		}
		if h.TimeLagSeconds != nil {
			gauge(consumerTimeLag, *h.TimeLagSeconds, labels...)
		}
		if h.QueueDepth != nil {
			gauge(consumerQueueDepth, float64(*h.QueueDepth), labels...)
		}
		seen := map[[2]string]bool{} // a satellite told by spans and by its broker is reported once, as health merged it
		for _, d := range h.DeadLetters {
			if seen[[2]string{d.ChannelKey, d.Kind}] {
				continue
			}
			seen[[2]string{d.ChannelKey, d.Kind}] = true
			dl := append(labels[:len(labels):len(labels)], d.ChannelKey, d.Kind)
			if d.Depth != nil {
				gauge(deadLetterDepth, float64(*d.Depth), dl...)
			}
			gauge(deadLetterInflow, d.PerMinute/60, dl...)
		}
	}
}

func (c healthCollector) collectDrift(ctx context.Context, ch chan<- prometheus.Metric) {
	findings, err := c.catalog.Drift(ctx, catalog.DriftQuery{})
	if err != nil {
		ch <- prometheus.NewInvalidMetric(driftFindings, err)
		return
	}
	byKind := map[string]int{}
	for _, f := range findings {
		byKind[f.Kind]++
	}
	for _, k := range catalog.DriftKinds {
		ch <- prometheus.MustNewConstMetric(driftFindings, prometheus.GaugeValue, float64(byKind[k]), k)
	}
}
