package tracing

import (
	"fmt"
	"time"
)

// flowKey names one edge of the flow graph: a service producing to a channel, or a channel
// consumed by a service in a consumer group.
type flowKey struct {
	Role    Role
	Service string
	Channel Channel
	Group   string
}

// bucketKey is one flow in one minute.
type bucketKey struct {
	flow   flowKey
	minute int64 // unix seconds / 60
}

// aggregate is what a flow did in one minute (or, in the database, one hour).
type aggregate struct {
	messages, errors int64
	processingSumNs  int64
	delays           int64
	processing       histogram
	delay            histogram
	lastSeenNs       int64
	// delaySumNs adds up the delays of a batch's own deltas, for the process's metrics
	// (stats.go); the tables do not store it, so neither add nor the columns carry it.
	delaySumNs int64
}

// flowState is the newest per-flow metadata seen in a batch.
type flowState struct {
	lastSeenNs              int64
	lastSampledNs           int64 // of a span kept by probability sampling; 0 for none
	schemaID, schemaVersion string
}

// aggregator turns messaging spans into per-minute flow aggregates in memory; the store writes
// them in the transaction that stores the spans, so aggregates and spans commit together.
type aggregator struct {
	deltas map[bucketKey]*aggregate
	flows  map[flowKey]*flowState
	pairs  *pairing
	// shared: pending pairs are stored for other replicas, so a consumer whose producer is not
	// in memory becomes a waiter in the store instead of one in memory.
	shared    bool
	producers []pendingProducer
	waiters   []pendingWaiter
}

func newAggregator(cfg *Config, shared bool) *aggregator {
	return &aggregator{
		deltas: map[bucketKey]*aggregate{},
		flows:  map[flowKey]*flowState{},
		pairs:  newPairing(cfg.PairWindow, cfg.PairMaxPending, cfg.Now()),
		shared: shared,
	}
}

func roleOf(direction string) Role {
	if direction == "produce" {
		return RoleProducer
	}
	return RoleConsumer
}

func (a *aggregator) bucket(k bucketKey) *aggregate {
	agg := a.deltas[k]
	if agg == nil {
		agg = &aggregate{}
		a.deltas[k] = agg
	}
	return agg
}

// observe adds one messaging span to its flow's minute, and pairs consumers with producers.
func (a *aggregator) observe(s *Span) {
	m := s.Messaging
	key := bucketKey{flow: flowKey{Role: m.Role, Service: s.Service, Channel: m.Channel, Group: m.ConsumerGroup}, minute: floorDiv(s.StartNanos, int64(time.Minute))}
	agg := a.bucket(key)
	agg.messages += int64(m.Messages)
	if m.Error {
		agg.errors += int64(m.Messages)
	}
	d := s.EndNanos - s.StartNanos
	agg.processingSumNs += d
	agg.processing.observe(time.Duration(d))
	agg.lastSeenNs = max(agg.lastSeenNs, s.EndNanos)

	st := a.flows[key.flow]
	if st == nil {
		st = &flowState{}
		a.flows[key.flow] = st
	}
	st.lastSeenNs = max(st.lastSeenNs, s.EndNanos)
	if m.Sampled {
		st.lastSampledNs = max(st.lastSampledNs, s.EndNanos)
	}
	if m.SchemaID != "" || m.SchemaVersion != "" {
		st.schemaID, st.schemaVersion = m.SchemaID, m.SchemaVersion
	}

	switch m.Role {
	case RoleProducer:
		if a.shared {
			a.producers = append(a.producers, pendingProducer{key: refKey(s.Ref()), startNs: s.StartNanos})
		}
		for _, w := range a.pairs.addProducer(s.Ref(), s.StartNanos) {
			if !w.done {
				w.done = true
				a.addDelay(w.bucket, w.start-s.StartNanos)
			}
		}
	case RoleConsumer:
		refs := s.Links
		if !s.ParentSpanID.IsZero() {
			refs = append(refs[:len(refs):len(refs)], SpanRef{TraceID: s.TraceID, SpanID: s.ParentSpanID})
		}
		for _, r := range refs {
			if start, ok := a.pairs.producerStart(r); ok {
				a.addDelay(key, s.StartNanos-start)
				return
			}
		}
		switch {
		case len(refs) == 0:
		case a.shared:
			keys := make([]int64, len(refs))
			for i, r := range refs {
				keys[i] = refKey(r)
			}
			a.waiters = append(a.waiters, pendingWaiter{consumer: refKey(s.Ref()), refs: keys, bucket: key, startNs: s.StartNanos})
		default:
			a.pairs.wait(refs, &waiter{bucket: key, start: s.StartNanos})
		}
	}
}

func (a *aggregator) addDelay(k bucketKey, ns int64) { a.bucket(k).addDelay(ns) }

func (agg *aggregate) addDelay(ns int64) {
	agg.delays++
	agg.delaySumNs += max(ns, 0)
	agg.delay.observe(time.Duration(max(ns, 0)))
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// claims are what the last commit, at arrivedNs, stored for pairing across replicas, taken
// over by the caller; the aggregator starts the next batch with none.
func (a *aggregator) claims(arrivedNs int64) pairClaims {
	c := pairClaims{producers: a.producers, arrivedNs: arrivedNs}
	for _, w := range a.waiters {
		c.consumers = append(c.consumers, w.consumer)
	}
	a.producers, a.waiters = nil, nil
	return c
}

// reset forgets the deltas of the batch just committed, or of one that failed (its spans were
// not stored either).
func (a *aggregator) reset() {
	clear(a.deltas)
	clear(a.flows)
	a.producers, a.waiters = a.producers[:0], a.waiters[:0]
}

// fields are pointers to the aggregate's columns, in aggregateColumns' order.
func (agg *aggregate) fields() []any {
	dst := []any{&agg.messages, &agg.errors, &agg.processingSumNs, &agg.delays, &agg.lastSeenNs}
	for i := range agg.processing {
		dst = append(dst, &agg.processing[i])
	}
	for i := range agg.delay {
		dst = append(dst, &agg.delay[i])
	}
	return dst
}

// aggregateColumns are the names of the aggregate tables' value columns.
func aggregateColumns() []string {
	return append([]string{"messages", "errors", "processing_sum_ns", "delays", "last_seen_ns"}, histogramColumns()...)
}

// values are the aggregate's columns, in aggregateColumns' order.
func (agg *aggregate) values() []int64 {
	v := append(make([]int64, 0, 5+2*histogramBuckets), agg.messages, agg.errors, agg.processingSumNs, agg.delays, agg.lastSeenNs)
	v = append(v, agg.processing[:]...)
	return append(v, agg.delay[:]...)
}

// aggregateOf is the aggregate whose columns, in aggregateColumns' order, are v.
func aggregateOf(v []int64) *aggregate {
	agg := &aggregate{messages: v[0], errors: v[1], processingSumNs: v[2], delays: v[3], lastSeenNs: v[4]}
	copy(agg.processing[:], v[5:])
	copy(agg.delay[:], v[5+histogramBuckets:])
	return agg
}

// histogramColumns names the histogram's columns in the aggregate tables: "p0, …, p17, d0, …, d17".
func histogramColumns() []string {
	cols := make([]string, 0, 2*histogramBuckets)
	for _, p := range []string{"p", "d"} {
		for i := range histogramBuckets {
			cols = append(cols, fmt.Sprintf("%s%d", p, i))
		}
	}
	return cols
}
