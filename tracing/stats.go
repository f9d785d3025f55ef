package tracing

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// What the ingest writer has done since the process started, for the server's /metrics: the
// writer counts as it commits and Stats copies the counts under a lock, so no metrics library
// reaches this package (docs/development.md, "Metrics").

// DefaultFlowSeries is how many flows the process keeps totals for unless Config.FlowSeries says.
const DefaultFlowSeries = 1000

// batchSizeBounds are the upper bounds of the batch-size buckets, in spans.
var batchSizeBounds = []float64{1, 10, 100, 500, 1000, 2500, 5000, 10_000, 25_000, 50_000}

// Histogram is a snapshot of counts in fixed buckets: Counts[i] counts the values at most
// Bounds[i] (and above Bounds[i-1]); the last count, one more than the bounds, the rest.
type Histogram struct {
	Bounds []float64 // upper bounds, in the histogram's unit (seconds, spans)
	Counts []uint64
	Sum    float64
}

// Only is h with the buckets whose bounds are in bounds only, each counting what the buckets
// it replaces counted; a bound of bounds that h does not have is left out.
func (h Histogram) Only(bounds []float64) Histogram {
	out := Histogram{Sum: h.Sum}
	var pending uint64
	for i, c := range h.Counts {
		pending += c
		if i < len(h.Bounds) && !slices.Contains(bounds, h.Bounds[i]) {
			continue
		}
		if i < len(h.Bounds) {
			out.Bounds = append(out.Bounds, h.Bounds[i])
		}
		out.Counts = append(out.Counts, pending)
		pending = 0
	}
	return out
}

// IngestStats are the writer's counts since the process started.
type IngestStats struct {
	StoredSpans    int64 // spans committed by this process
	FailedSpans    int64 // spans of batches whose commit failed (their requests were answered with the error)
	QueuedSpans    int64 // spans accepted and waiting for a commit, now
	PairingBacklog int64 // producer and consumer spans remembered in memory for pairing, after the last commit
	BatchSpans     Histogram
	CommitSeconds  Histogram
	// Flows holds a total per flow, for at most Config.FlowSeries flows (the first seen); the
	// messages of flows over that cap are counted in FlowMessagesDropped instead.
	Flows               []FlowTotal
	FlowMessagesDropped int64
}

// FlowTotal is what this process committed for one flow since it started.
type FlowTotal struct {
	Direction     string // as Flow.Direction
	Service       string
	ChannelKey    string
	ConsumerGroup string
	Messages      int64
	Errors        int64
	Processing    Histogram // seconds, one count per span
	Delay         Histogram // seconds, one count per consumer span paired with its producer
}

// ingestStats is what the writer counts; mu guards it against Stats.
type ingestStats struct {
	mu             sync.Mutex
	maxFlows       int
	stored, failed int64
	pairing        int64
	batchSpans     counts
	commitSeconds  counts
	flows          map[int64]*flowCounts
	dropped        int64
}

// counts is a histogram being filled.
type counts struct {
	bounds []float64
	counts []uint64
	sum    float64
}

func newCounts(bounds []float64) counts {
	return counts{bounds: bounds, counts: make([]uint64, len(bounds)+1)}
}

func (c *counts) observe(v float64) {
	i := 0
	for i < len(c.bounds) && v > c.bounds[i] {
		i++
	}
	c.counts[i]++
	c.sum += v
}

func (c *counts) snapshot() Histogram {
	return Histogram{Bounds: c.bounds, Counts: append([]uint64(nil), c.counts...), Sum: c.sum}
}

// flowCounts are one flow's totals: its aggregates added up, with the sums of its delays.
type flowCounts struct {
	aggregate
	delaySumNs int64
}

// durationBounds are histogramBounds in seconds, the flow histograms' bounds.
var durationBounds = func() []float64 {
	out := make([]float64, len(histogramBounds))
	for i, b := range histogramBounds {
		out[i] = b.Seconds()
	}
	return out
}()

func newIngestStats(maxFlows int) *ingestStats {
	return &ingestStats{maxFlows: maxFlows, batchSpans: newCounts(batchSizeBounds), commitSeconds: newCounts(durationBounds),
		flows: map[int64]*flowCounts{}}
}

// committed counts one commit of spans that took took; c is what it stored, pairing the spans
// the writer remembers for pairing after it.
func (s *ingestStats) committed(spans int, took time.Duration, c change, pairing int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stored += int64(spans)
	s.pairing = int64(pairing)
	if spans > 0 { // a commit of pairs alone stores no span
		s.batchSpans.observe(float64(spans))
	}
	s.commitSeconds.observe(took.Seconds())
	for k, agg := range c.deltas {
		f := s.flows[k.flow]
		if f == nil {
			if len(s.flows) >= s.maxFlows {
				s.dropped += agg.messages
				continue
			}
			f = &flowCounts{}
			s.flows[k.flow] = f
		}
		f.add(agg)
		f.delaySumNs += agg.delaySumNs
	}
}

func (s *ingestStats) commitFailed(spans int, took time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failed += int64(spans)
	s.commitSeconds.observe(took.Seconds())
}

// Stats returns the writer's counts; the flows are named as the flow table names them.
func (in *Ingester) Stats(ctx context.Context) (IngestStats, error) {
	s := in.stats
	s.mu.Lock()
	out := IngestStats{StoredSpans: s.stored, FailedSpans: s.failed, QueuedSpans: in.QueuedSpans(), PairingBacklog: s.pairing,
		BatchSpans: s.batchSpans.snapshot(), CommitSeconds: s.commitSeconds.snapshot(), FlowMessagesDropped: s.dropped}
	flows := make(map[int64]flowCounts, len(s.flows))
	for id, f := range s.flows {
		flows[id] = *f
	}
	s.mu.Unlock()
	if len(flows) == 0 {
		return out, nil
	}
	meta, err := in.flowRows(ctx, 0)
	if err != nil {
		return out, fmt.Errorf("ingest stats: %w", err)
	}
	for id, f := range flows {
		m, ok := meta[id]
		if !ok { // retention deleted the flow since
			continue
		}
		out.Flows = append(out.Flows, FlowTotal{
			Direction: m.key.Role.String(), Service: m.key.Service, ChannelKey: m.key.Channel.Key(), ConsumerGroup: m.key.Group,
			Messages: f.messages, Errors: f.errors,
			Processing: durationHistogram(&f.processing, f.processingSumNs),
			Delay:      durationHistogram(&f.delay, f.delaySumNs),
		})
	}
	return out, nil
}

func durationHistogram(h *histogram, sumNs int64) Histogram {
	out := Histogram{Bounds: durationBounds, Counts: make([]uint64, len(h)), Sum: float64(sumNs) / 1e9}
	for i, c := range h {
		out.Counts[i] = uint64(c)
	}
	return out
}

// backlog is how many spans the pairing remembers.
func (p *pairing) backlog() int {
	n := 0
	for i := range p.producers {
		n += len(p.producers[i]) + len(p.waiting[i])
	}
	return n
}
