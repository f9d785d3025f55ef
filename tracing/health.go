package tracing

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// HealthThresholds decide a consumer's status; docs/ingest.md documents them and their flags.
type HealthThresholds struct {
	Window                time.Duration // throughput, error rate and latencies are measured over the last Window (5m)
	SilentAfter           time.Duration // silent: no message processed for this long while the channel is active (5m)
	Lookback              time.Duration // consumers seen within Lookback are reported (24h)
	DegradedErrorRate     float64       // degraded at or above this error rate (0.05)
	FailingErrorRate      float64       // failing at or above this error rate (0.25)
	DegradedProcessingP95 time.Duration // degraded when p95 processing time reaches this (1s)
	DegradedDelayP95      time.Duration // degraded when p95 end-to-end delay reaches this (1m)
}

func (h *HealthThresholds) setDefaults() {
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur(&h.Window, 5*time.Minute)
	defDur(&h.SilentAfter, 5*time.Minute)
	defDur(&h.Lookback, 24*time.Hour)
	defDur(&h.DegradedProcessingP95, time.Second)
	defDur(&h.DegradedDelayP95, time.Minute)
	if h.DegradedErrorRate <= 0 {
		h.DegradedErrorRate = 0.05
	}
	if h.FailingErrorRate <= 0 {
		h.FailingErrorRate = 0.25
	}
}

// Consumer statuses, from best to worst.
const (
	StatusHealthy  = "healthy"
	StatusDegraded = "degraded"
	StatusFailing  = "failing"
	StatusSilent   = "silent"
)

// ConsumerHealth is how one consumer (service and group) of one channel is doing.
type ConsumerHealth struct {
	Service             string      `json:"service"`
	ConsumerGroup       string      `json:"consumer_group,omitempty"`
	Channel             Channel     `json:"channel"`
	ChannelKey          string      `json:"channel_key"`
	Status              string      `json:"status"`
	Reasons             []string    `json:"reasons,omitempty"`
	Messages            int64       `json:"messages"` // in the window
	ThroughputPerSecond float64     `json:"throughput_per_second"`
	ErrorRate           float64     `json:"error_rate"`
	ProcessingMs        Percentiles `json:"processing_ms"`
	DelayP95Ms          *float64    `json:"delay_p95_ms,omitempty"`
	LastSeen            time.Time   `json:"last_seen"`
	SchemaID            string      `json:"schema_id,omitempty"`
	SchemaVersion       string      `json:"schema_version,omitempty"`
	Estimated           bool        `json:"estimated,omitempty"` // see Flow.Estimated

	// What says so: "spans", and the brokers' sources (BrokerSignal.Source).
	Sources         []string      `json:"sources"`
	Lag             *int64        `json:"lag,omitempty"` // messages behind, from the broker
	TimeLagSeconds  *float64      `json:"time_lag_seconds,omitempty"`
	QueueDepth      *int64        `json:"queue_depth,omitempty"`
	BrokerConsumers *int          `json:"broker_consumers,omitempty"` // consumers attached, as the broker sees them
	DeadLetters     []DeadLetters `json:"dead_letters,omitempty"`
}

// HealthReport is the health of every consumer seen within the lookback.
type HealthReport struct {
	At         time.Time        `json:"at"`
	Window     string           `json:"window"`
	Thresholds HealthThresholds `json:"-"`
	Consumers  []ConsumerHealth `json:"consumers"`
	// BrokerError says why the brokers' signals are missing from this report, if they are.
	BrokerError string `json:"broker_error,omitempty"`
}

// Health reports each consumer's status at the current time.
func (in *Ingester) Health(ctx context.Context) (HealthReport, error) {
	return health(ctx, in, in.cfg.Health, in.cfg.Now(), in.brokers)
}

// Health is Ingester.Health at time at, read from the tables, with spans as the only source
// (no broker is polled) and th's thresholds (the defaults where zero): for commands that only
// read the store. What a running server has not flushed yet (its last seconds) is missing.
func (r FlowReader) Health(ctx context.Context, th HealthThresholds, at time.Time) (HealthReport, error) {
	th.setDefaults()
	return health(ctx, r, th, at, nil)
}

// healthSource is what health reads: the Ingester's live windows or the tables.
type healthSource interface {
	flowRows(ctx context.Context, seenSinceNs int64) (map[int64]flowRow, error)
	windowSums(ctx context.Context, since, until time.Time, last time.Duration) (map[int64]*aggregate, error)
}

func health(ctx context.Context, src healthSource, th HealthThresholds, now time.Time, brokers BrokerSource) (HealthReport, error) {
	meta, err := src.flowRows(ctx, now.Add(-th.Lookback).UnixNano())
	if err != nil {
		return HealthReport{}, err
	}
	sums, err := src.windowSums(ctx, now.Add(-th.Window), now, th.Window)
	if err != nil {
		return HealthReport{}, fmt.Errorf("health: %w", err)
	}
	// A channel is active when any other flow on it (a producer, another consumer) was seen lately.
	lastOnChannel := map[Channel][]int64{}
	for id, m := range meta {
		lastOnChannel[m.key.Channel] = append(lastOnChannel[m.key.Channel], id)
	}
	report := HealthReport{At: now.UTC(), Window: th.Window.String(), Thresholds: th, Consumers: []ConsumerHealth{}}
	silentSince := now.Add(-th.SilentAfter).UnixNano()
	for id, m := range meta {
		if m.key.Role != RoleConsumer {
			continue
		}
		agg := sums[id]
		if agg == nil {
			agg = &aggregate{}
		}
		f := toFlow(m, agg, now.Add(-th.Window), th.Window.Seconds())
		c := ConsumerHealth{
			Service: f.Service, ConsumerGroup: f.ConsumerGroup, Channel: f.Channel, ChannelKey: f.ChannelKey,
			Messages: f.Messages, ThroughputPerSecond: f.RatePerSecond, ErrorRate: f.ErrorRate,
			ProcessingMs: f.ProcessingMs, DelayP95Ms: f.DelayP95Ms, LastSeen: time.Unix(0, m.lastSeenNs).UTC(),
			SchemaID: m.schemaID, SchemaVersion: m.schemaVersion, Estimated: f.Estimated, Sources: []string{"spans"},
		}
		channelActive := false
		for _, other := range lastOnChannel[m.key.Channel] {
			if other != id && meta[other].lastSeenNs >= silentSince {
				channelActive = true
			}
		}
		c.Status, c.Reasons = th.status(agg, m.lastSeenNs < silentSince, channelActive)
		report.Consumers = append(report.Consumers, c)
	}
	spanDeadLetters(&report, meta, sums, th.Window)
	if brokers != nil {
		signals, err := brokers.BrokerSignals(ctx)
		if err != nil {
			report.BrokerError = err.Error()
		}
		joinBrokers(&report, signals)
	}
	sortHealth(report.Consumers)
	return report, nil
}

// status applies the thresholds: silent beats failing beats degraded beats healthy.
func (th HealthThresholds) status(agg *aggregate, quiet, channelActive bool) (string, []string) {
	if quiet && channelActive {
		return StatusSilent, []string{fmt.Sprintf("no message processed for %s while the channel is active", th.SilentAfter)}
	}
	if agg.messages == 0 {
		return StatusHealthy, nil
	}
	rate := float64(agg.errors) / float64(agg.messages)
	if rate >= th.FailingErrorRate {
		return StatusFailing, []string{fmt.Sprintf("error rate %.1f%% ≥ %.1f%%", 100*rate, 100*th.FailingErrorRate)}
	}
	var reasons []string
	if rate >= th.DegradedErrorRate {
		reasons = append(reasons, fmt.Sprintf("error rate %.1f%% ≥ %.1f%%", 100*rate, 100*th.DegradedErrorRate))
	}
	if p95 := agg.processing.quantile(0.95); p95 >= th.DegradedProcessingP95 {
		reasons = append(reasons, fmt.Sprintf("p95 processing %s ≥ %s", p95.Round(time.Millisecond), th.DegradedProcessingP95))
	}
	if agg.delays > 0 {
		if p95 := agg.delay.quantile(0.95); p95 >= th.DegradedDelayP95 {
			reasons = append(reasons, fmt.Sprintf("p95 end-to-end delay %s ≥ %s", p95.Round(time.Millisecond), th.DegradedDelayP95))
		}
	}
	if len(reasons) > 0 {
		return StatusDegraded, reasons
	}
	return StatusHealthy, nil
}

func sortHealth(cs []ConsumerHealth) {
	slices.SortFunc(cs, func(a, b ConsumerHealth) int {
		return cmp.Or(strings.Compare(a.Service, b.Service), strings.Compare(a.ConsumerGroup, b.ConsumerGroup), strings.Compare(a.ChannelKey, b.ChannelKey))
	})
}
