// Package brokers turns what the brokers tell (Kafka consumer-group lag, RabbitMQ queues and
// their dead letters) into consumer health's terms, and says how each broker is doing as a
// source. It holds no state: it reads the monitors' last polls.
package brokers

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/eventlens/eventlens/kafkalag"
	"github.com/eventlens/eventlens/otlpmetrics"
	"github.com/eventlens/eventlens/rabbitmq"
	"github.com/eventlens/eventlens/tracing"
)

// Sources are the brokers eventlens polls, and the broker metrics a Collector exports to it;
// any may be nil.
type Sources struct {
	Kafka    *kafkalag.Monitor
	RabbitMQ *rabbitmq.Monitor
	Metrics  *otlpmetrics.Store
	Now      func() time.Time // the clock; nil is time.Now
}

// BrokerSignals is tracing.BrokerSource: one signal per consumer group and topic, and per
// RabbitMQ queue and the exchange that feeds it. Where a poll and a Collector's metrics both
// tell of one group or queue, the poll wins: it measures time lag and reads the topology.
func (s Sources) BrokerSignals(ctx context.Context) ([]tracing.BrokerSignal, error) {
	signals := kafkaSignals(s.Kafka.Groups())
	if s.RabbitMQ != nil {
		now := time.Now
		if s.Now != nil {
			now = s.Now
		}
		for _, b := range s.RabbitMQ.Snapshot().Brokers {
			signals = append(signals, rabbitSignals(b, now())...)
		}
	}
	if s.Metrics == nil {
		return signals, nil
	}
	snap, err := s.Metrics.Snapshot(ctx)
	if err != nil {
		return signals, fmt.Errorf("broker metrics: %w", err)
	}
	return append(signals, metricSignals(snap, signals)...), nil
}

// metricSignals are the Collector's kafkametrics and rabbitmq receivers' figures for groups and
// queues no poll reports. A queue's channel is its own name (the default exchange's): metrics
// name no exchange.
func metricSignals(snap otlpmetrics.Snapshot, polled []tracing.BrokerSignal) []tracing.BrokerSignal {
	type key struct{ system, destination, group string }
	seen := map[key]bool{}
	for _, p := range polled {
		seen[key{p.Channel.System, p.Channel.Destination, p.Group}] = true
	}
	var out []tracing.BrokerSignal
	for _, g := range snap.Kafka {
		if seen[key{"kafka", g.Channel.Destination, g.Group}] {
			continue
		}
		sig := tracing.BrokerSignal{Source: "otlp-metrics", Channel: tracing.Channel{System: "kafka", Destination: g.Channel.Destination},
			Group: g.Group, Lag: ptr(g.Lag)}
		if g.HasTimeLag {
			sig.TimeLag = ptr(g.TimeLag)
		}
		if g.Members >= 0 {
			sig.Consumers = ptr(int(g.Members))
		}
		out = append(out, sig)
	}
	for _, q := range snap.RabbitMQ {
		if seen[key{"rabbitmq", q.Queue, q.Queue}] || slices.ContainsFunc(polled, func(p tracing.BrokerSignal) bool {
			return p.Source == "rabbitmq" && p.Group == q.Queue
		}) {
			continue
		}
		out = append(out, tracing.BrokerSignal{Source: "otlp-metrics", Channel: tracing.Channel{System: "rabbitmq", Destination: q.Queue},
			Group: q.Queue, QueueDepth: ptr(q.Ready + q.Unacknowledged), Consumers: ptr(int(q.Consumers))})
	}
	return out
}

// kafkaSignals reads Burrow's verdicts: WARN (lag grows over the whole window) degrades a
// consumer; ERR, STOP, STALL and REWIND fail it.
func kafkaSignals(groups []kafkalag.GroupStatus) []tracing.BrokerSignal {
	var out []tracing.BrokerSignal
	for _, g := range groups {
		members := g.Members
		for _, t := range g.Topics {
			sig := tracing.BrokerSignal{
				Source: "kafka", Channel: tracing.Channel{System: "kafka", Destination: t.Topic}, Group: g.Group,
				Lag: ptr(t.Lag), Consumers: &members,
			}
			if t.TimeLag > 0 {
				sig.TimeLag = ptr(t.TimeLag)
			}
			worst := kafkalag.StatusOK
			for _, p := range g.Partitions {
				if p.Topic == t.Topic && burrowRank(p.Status) > burrowRank(worst) {
					worst = p.Status
					sig.Reasons = []string{p.Reason}
				}
			}
			switch worst {
			case kafkalag.StatusOK:
				sig.Reasons = nil
			case kafkalag.StatusWarn:
				sig.Status = tracing.StatusDegraded
			default:
				sig.Status = tracing.StatusFailing
			}
			out = append(out, sig)
		}
	}
	return out
}

func burrowRank(s kafkalag.Status) int {
	switch s {
	case kafkalag.StatusOK:
		return 0
	case kafkalag.StatusWarn:
		return 1
	default:
		return 2
	}
}

// rabbitSignals gives a signal for each queue a consumer reads (dead-letter queues are the
// satellites of their sources, not consumers), under each exchange bound to it, or under the
// default exchange's channel (the queue's name) when none is.
func rabbitSignals(b rabbitmq.Broker, now time.Time) []tracing.BrokerSignal {
	var out []tracing.BrokerSignal
	for _, q := range b.Queues {
		if len(q.DeadLetterOf) > 0 {
			continue
		}
		base := tracing.BrokerSignal{Source: "rabbitmq", Group: q.Name, QueueDepth: ptr(q.Depth()), Consumers: ptr(q.Consumers)}
		if !q.OldestMessageAt.IsZero() {
			base.TimeLag = ptr(now.Sub(q.OldestMessageAt))
		}
		if q.Consumers == 0 && q.Depth() > 0 {
			base.Status = tracing.StatusDegraded
			base.Reasons = append(base.Reasons, fmt.Sprintf("no consumer attached to queue %s while %d messages wait", q.Name, q.Depth()))
		}
		for _, dlq := range b.DeadLetterQueuesOf(q.VHost, q.Name) {
			d := tracing.DeadLetters{ChannelKey: "rabbitmq/" + dlq.Name, Kind: tracing.SatelliteDeadLetter, Depth: ptr(dlq.Depth()),
				PerMinute: 60 * dlq.Rates.Inflow, Source: "rabbitmq"}
			if !dlq.OldestMessageAt.IsZero() {
				d.OldestAgeSeconds = ptr(now.Sub(dlq.OldestMessageAt).Seconds())
			}
			base.DeadLetters = append(base.DeadLetters, d)
			if dlq.Rates.Inflow > 0 {
				base.Status = cmp.Or(base.Status, tracing.StatusDegraded)
				base.Reasons = append(base.Reasons, fmt.Sprintf("dead letters reach %s at %.1f/min (%d waiting)", dlq.Name, d.PerMinute, dlq.Depth()))
			}
		}
		exchanges := boundExchanges(b, q)
		if len(exchanges) == 0 {
			exchanges = []string{q.Name} // the default exchange's channel is the queue's name
		}
		for _, x := range exchanges {
			sig := base
			sig.Channel = tracing.Channel{System: "rabbitmq", Destination: x}
			out = append(out, sig)
		}
	}
	return out
}

// boundExchanges are the exchanges (not the default one) with a binding to the queue, sorted.
func boundExchanges(b rabbitmq.Broker, q rabbitmq.Queue) []string {
	var out []string
	for _, bd := range b.Bindings {
		if bd.VHost == q.VHost && bd.DestinationType == "queue" && bd.Destination == q.Name && bd.Source != "" && !slices.Contains(out, bd.Source) {
			out = append(out, bd.Source)
		}
	}
	slices.Sort(out)
	return out
}

// State is how one broker is doing as a source: what /readyz's detail, /metrics and the sources
// page show.
type State struct {
	Kind        string    `json:"kind"` // "kafka", "rabbitmq", or "otlp-metrics" for a Collector's exports
	Name        string    `json:"name"` // the cluster's name, or the management URL without its password
	State       string    `json:"state"`
	LastError   string    `json:"last_error,omitempty"`
	LastSuccess time.Time `json:"last_success"`
	// This process's polls since it started (none for OTLP metrics, which are pushed): how
	// many, how many failed, and the seconds they took in all.
	Polls       int64   `json:"polls"`
	PollErrors  int64   `json:"poll_errors"`
	PollSeconds float64 `json:"poll_seconds"`
}

// metricsSilentAfter is how long an exporter of broker metrics may stay quiet before its state
// says so: Collectors scrape every 10–60 s.
const metricsSilentAfter = 5 * time.Minute

// States lists every configured broker's state, Kafka clusters first, then RabbitMQ brokers,
// then the sources of broker metrics Collectors export (silent after five quiet minutes).
func (s Sources) States(ctx context.Context) []State {
	var out []State
	for _, c := range s.Kafka.Clusters() {
		out = append(out, State{Kind: "kafka", Name: c.Name, State: string(c.State), LastError: c.LastError, LastSuccess: c.LastSuccess,
			Polls: c.Polls, PollErrors: c.PollErrors, PollSeconds: c.PollSeconds})
	}
	if s.RabbitMQ != nil {
		for _, b := range s.RabbitMQ.Snapshot().Brokers {
			out = append(out, State{Kind: "rabbitmq", Name: b.URL, State: string(b.State), LastError: b.LastError, LastSuccess: b.LastSuccess,
				Polls: b.Polls, PollErrors: b.PollErrors, PollSeconds: b.PollSeconds})
		}
	}
	if s.Metrics == nil {
		return out
	}
	snap, err := s.Metrics.Snapshot(ctx)
	if err != nil {
		return append(out, State{Kind: "otlp-metrics", Name: "store", State: "error", LastError: err.Error()})
	}
	for _, src := range snap.Sources {
		st := State{Kind: "otlp-metrics", Name: src.Name, State: "ok", LastSuccess: src.LastSeen}
		if snap.At.Sub(src.LastSeen) > metricsSilentAfter {
			st.State, st.LastError = "silent", fmt.Sprintf("no export for %s", snap.At.Sub(src.LastSeen).Round(time.Second))
		}
		out = append(out, st)
	}
	return out
}

func ptr[T any](v T) *T { return &v }
