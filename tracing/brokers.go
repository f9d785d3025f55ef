package tracing

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"time"
)

// BrokerSignal is what a broker, or a Collector scraping one, says about one consumer of one
// channel: how far behind it is and, where the source can tell, a verdict. Consumer health
// joins it with what spans say about the same consumer.
type BrokerSignal struct {
	Source  string  // where it comes from: "kafka", "rabbitmq", "otlp-metrics"
	Channel Channel // an empty Cluster matches the channel on any cluster
	Group   string  // the consumer group (Kafka) or queue (RabbitMQ)
	Service string  // the consuming service, when the source knows it

	Lag        *int64         // messages behind
	TimeLag    *time.Duration // how old the oldest unconsumed message is
	QueueDepth *int64         // messages in the queue, ready and unacknowledged
	Consumers  *int           // consumers the broker sees attached

	Status  string // "" (no verdict), StatusDegraded or StatusFailing
	Reasons []string

	DeadLetters []DeadLetters // the broker's dead-letter queues of this consumer
}

// DeadLetters is one dead-letter or retry channel of a consumer's channel and what reached it.
type DeadLetters struct {
	ChannelKey       string   `json:"channel_key"`
	Kind             string   `json:"kind"`            // SatelliteDeadLetter or SatelliteRetry
	Messages         int64    `json:"messages"`        // sent to it within the health window (spans)
	PerMinute        float64  `json:"per_minute"`      // sent to it per minute (spans, or the broker's inflow)
	Depth            *int64   `json:"depth,omitempty"` // messages waiting in it, when the broker tells
	OldestAgeSeconds *float64 `json:"oldest_age_seconds,omitempty"`
	Source           string   `json:"source"` // "spans" or the broker's source name
}

// BrokerSource gives consumer health the brokers' signals; see SetBrokers.
type BrokerSource interface {
	BrokerSignals(ctx context.Context) ([]BrokerSignal, error)
}

// SetBrokers makes Health join src's signals with what spans say; call it before serving.
func (in *Ingester) SetBrokers(src BrokerSource) { in.brokers = src }

// statusRank orders statuses from best to worst.
var statusRank = map[string]int{StatusHealthy: 0, StatusDegraded: 1, StatusFailing: 2, StatusSilent: 3}

func worse(a, b string) string {
	if statusRank[b] > statusRank[a] {
		return b
	}
	return a
}

// joinBrokers folds the signals into the report's consumers: a consumer spans show gets the
// broker's figures and the worse of both verdicts; one no span shows yet is added under its
// group's name, so a consumer that is alive on the broker but never traced is not missing.
func joinBrokers(report *HealthReport, signals []BrokerSignal) {
	// Consumers by system, destination and group; a signal then picks the one whose cluster fits.
	type key struct{ system, destination, group string }
	byKey := map[key][]int{}
	for i, c := range report.Consumers {
		k := key{c.Channel.System, c.Channel.Destination, c.ConsumerGroup}
		byKey[k] = append(byKey[k], i)
	}
	for _, sig := range signals {
		k := key{sig.Channel.System, sig.Channel.Destination, sig.Group}
		i := -1
		for _, j := range byKey[k] {
			if sig.matches(report.Consumers[j]) {
				i = j
				break
			}
		}
		if i < 0 {
			report.Consumers = append(report.Consumers, ConsumerHealth{
				Service: cmp.Or(sig.Service, sig.Group), ConsumerGroup: sig.Group,
				Channel: sig.Channel, ChannelKey: sig.Channel.Key(), Status: StatusHealthy,
			})
			i = len(report.Consumers) - 1
			byKey[k] = append(byKey[k], i)
		}
		c := &report.Consumers[i]
		c.Sources = append(c.Sources, sig.Source)
		c.Lag, c.QueueDepth, c.BrokerConsumers = cmp.Or(sig.Lag, c.Lag), cmp.Or(sig.QueueDepth, c.QueueDepth), cmp.Or(sig.Consumers, c.BrokerConsumers)
		if sig.TimeLag != nil {
			s := sig.TimeLag.Seconds()
			c.TimeLagSeconds = &s
		}
		for _, d := range sig.DeadLetters {
			c.addDeadLetters(d)
		}
		if sig.Status != "" && sig.Status != StatusHealthy {
			c.Status = worse(c.Status, sig.Status)
			for _, r := range sig.Reasons {
				c.Reasons = append(c.Reasons, sig.Source+": "+r)
			}
		}
	}
}

func (sig BrokerSignal) matches(c ConsumerHealth) bool {
	return c.Channel.System == sig.Channel.System && c.Channel.Destination == sig.Channel.Destination &&
		(sig.Channel.Cluster == "" || c.Channel.Cluster == "" || c.Channel.Cluster == sig.Channel.Cluster) &&
		c.ConsumerGroup == sig.Group
}

// addDeadLetters adds what one source says about a dead-letter channel: spans count what was
// sent to it, brokers its depth; both about one channel make one entry.
func (c *ConsumerHealth) addDeadLetters(d DeadLetters) {
	for i := range c.DeadLetters {
		e := &c.DeadLetters[i]
		if e.ChannelKey == d.ChannelKey {
			e.Depth, e.OldestAgeSeconds = cmp.Or(d.Depth, e.Depth), cmp.Or(d.OldestAgeSeconds, e.OldestAgeSeconds)
			if e.Messages == 0 && d.PerMinute > 0 {
				e.PerMinute, e.Source = d.PerMinute, d.Source
			}
			return
		}
	}
	c.DeadLetters = append(c.DeadLetters, d)
}

// spanDeadLetters finds, for each consumer, the dead-letter and retry channels of its channel
// that spans show messages sent to within the window: those the consumer's own service sent,
// or, when no consumer of the channel sent them, every consumer's. Dead letters degrade it.
func spanDeadLetters(report *HealthReport, meta map[int64]flowRow, sums map[int64]*aggregate, window time.Duration) {
	type target struct{ system, cluster, source string }
	sent := map[target]map[string]map[Channel]int64{} // source channel → sending service → satellite → messages
	for id, m := range meta {
		agg := sums[id]
		if m.key.Role != RoleProducer || agg == nil || agg.messages == 0 {
			continue
		}
		source, _, ok := SatelliteOf(m.key.Channel.Destination)
		if !ok {
			continue
		}
		t := target{m.key.Channel.System, m.key.Channel.Cluster, source}
		if sent[t] == nil {
			sent[t] = map[string]map[Channel]int64{}
		}
		if sent[t][m.key.Service] == nil {
			sent[t][m.key.Service] = map[Channel]int64{}
		}
		sent[t][m.key.Service][m.key.Channel] += agg.messages
	}
	if len(sent) == 0 {
		return
	}
	// The channels some consumer of which sent dead letters itself: only those consumers get them.
	sentByAConsumer := map[string]bool{}
	for _, c := range report.Consumers {
		if sent[target{c.Channel.System, c.Channel.Cluster, c.Channel.Destination}][c.Service] != nil {
			sentByAConsumer[c.ChannelKey] = true
		}
	}
	for i := range report.Consumers {
		c := &report.Consumers[i]
		bySender := sent[target{c.Channel.System, c.Channel.Cluster, c.Channel.Destination}]
		if len(bySender) == 0 {
			continue
		}
		satellites := bySender[c.Service]
		if satellites == nil {
			if sentByAConsumer[c.ChannelKey] {
				continue
			}
			satellites = map[Channel]int64{}
			for _, s := range bySender {
				for ch, n := range s {
					satellites[ch] += n
				}
			}
		}
		for _, ch := range slices.SortedFunc(maps.Keys(satellites), func(a, b Channel) int { return cmp.Compare(a.Key(), b.Key()) }) {
			_, kind, _ := SatelliteOf(ch.Destination)
			n := satellites[ch]
			c.addDeadLetters(DeadLetters{ChannelKey: ch.Key(), Kind: kind, Messages: n, PerMinute: float64(n) / window.Minutes(), Source: "spans"})
			if kind == SatelliteDeadLetter {
				c.Status = worse(c.Status, StatusDegraded)
				c.Reasons = append(c.Reasons, fmt.Sprintf("%d messages dead-lettered to %s in %s", n, ch.Destination, window))
			}
		}
	}
}
