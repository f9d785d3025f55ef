package tracing

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SpanKeep says which raw spans ingest stores. Every messaging span counts in the flow
// aggregates whatever it says; it only decides which spans the trace view can show later.
type SpanKeep struct {
	// All stores every span. Otherwise (the default) a trace's spans are stored when the trace
	// has a messaging span or an error, or when its id falls in the Sample; the rest are
	// dropped.
	All bool
	// Sample is the fraction of the other traces stored whole (0: DefaultSpanSample; negative:
	// none), chosen by a hash of the trace id, so every replica keeps the same ones.
	Sample float64
	// Wait is how long a span of a trace not (yet) kept is held in memory in case a messaging or
	// error span of its trace arrives (30s); HeldSpans bounds how many are held (100,000), the
	// oldest going first.
	Wait      time.Duration
	HeldSpans int
}

// DefaultSpanSample is the fraction of plain traces kept by default.
const DefaultSpanSample = 0.01

// ParseSpanKeep reads the --span-keep setting: "all", or "flows" with an optional sample
// fraction ("flows", "flows:0.05").
func ParseSpanKeep(s string) (SpanKeep, error) {
	mode, frac, hasFrac := strings.Cut(s, ":")
	switch {
	case mode == "all" && !hasFrac:
		return SpanKeep{All: true}, nil
	case mode == "flows" && !hasFrac:
		return SpanKeep{Sample: DefaultSpanSample}, nil
	case mode == "flows":
		f, err := strconv.ParseFloat(frac, 64)
		if err != nil || !(f >= 0 && f <= 1) {
			return SpanKeep{}, fmt.Errorf("span keep %q: the sample is a fraction from 0 to 1, like flows:0.01", s)
		}
		if f == 0 {
			f = -1 // none: 0 is the default
		}
		return SpanKeep{Sample: f}, nil
	}
	return SpanKeep{}, fmt.Errorf("span keep %q: want all, flows or flows:<fraction>", s)
}

func (k *SpanKeep) setDefaults() {
	if k.Sample == 0 {
		k.Sample = DefaultSpanSample
	}
	if k.Wait <= 0 {
		k.Wait = 30 * time.Second
	}
	if k.HeldSpans <= 0 {
		k.HeldSpans = 100_000
	}
}

// sampled reports whether the trace is in the sample, the same on every replica and restart. The
// id is hashed rather than read as random: not every tracer fills its last 7 bytes at random as
// W3C Trace Context level 2 asks (sequential ids would all fall in the sample).
func (k *SpanKeep) sampled(t TraceID) bool {
	return float64(mix64(binary.BigEndian.Uint64(t[:8]), binary.BigEndian.Uint64(t[8:]))>>8) < k.Sample*(1<<56)
}

// keeper chooses the spans of each batch to store (see SpanKeep). It remembers the traces it
// keeps, so their later spans are kept too, and holds the spans of other traces for a while, so
// a trace's HTTP root span that arrives before its first messaging span is stored with it.
type keeper struct {
	cfg  SpanKeep
	kept *traceSet // traces with a messaging or error span, or sampled
	held map[TraceID][]Span
	// order is the held traces by arrival of their first held span, for expiry.
	order     []heldTrace
	heldSpans int
}

type heldTrace struct {
	id TraceID
	at time.Time
}

func newKeeper(cfg SpanKeep) *keeper {
	return &keeper{cfg: cfg, kept: newTraceSet(200_000), held: map[TraceID][]Span{}}
}

// selection is what a batch stores: its spans to store, whether each one's trace is to be
// indexed, and the held traces released into it.
type selection struct {
	spans    []*Span
	index    []bool
	released []TraceID
}

// choose picks the spans of batch to store at now; commit or abandon follows.
func (k *keeper) choose(batch []*request, now time.Time) selection {
	var sel selection
	// A trace is kept from the batch in which its first messaging or error span arrives.
	for _, r := range batch {
		for i := range r.spans {
			s := &r.spans[i]
			if (s.Messaging != nil || s.StatusCode == StatusError) && !k.kept.has(s.TraceID) {
				k.kept.add(s.TraceID)
				if _, ok := k.held[s.TraceID]; ok {
					sel.released = append(sel.released, s.TraceID)
				}
			}
		}
	}
	for _, t := range sel.released {
		for i := range k.held[t] {
			sel.add(&k.held[t][i], true)
		}
	}
	for _, r := range batch {
		for i := range r.spans {
			s := &r.spans[i]
			switch {
			case k.kept.has(s.TraceID):
				sel.add(s, true)
			case k.cfg.All:
				sel.add(s, false)
			case k.cfg.sampled(s.TraceID):
				k.kept.add(s.TraceID)
				sel.add(s, true)
			default:
				k.hold(s, now)
			}
		}
	}
	return sel
}

func (s *selection) add(sp *Span, index bool) {
	s.spans = append(s.spans, sp)
	s.index = append(s.index, index)
}

// hold keeps a span of a trace not kept in memory for up to Wait.
func (k *keeper) hold(s *Span, now time.Time) {
	if _, ok := k.held[s.TraceID]; !ok {
		k.order = append(k.order, heldTrace{id: s.TraceID, at: now})
	}
	k.held[s.TraceID] = append(k.held[s.TraceID], *s)
	k.heldSpans++
}

// commit forgets the released spans once stored, and drops what was held for longer than Wait
// or beyond HeldSpans.
func (k *keeper) commit(sel selection, now time.Time) {
	k.kept.commit()
	for _, t := range sel.released {
		k.heldSpans -= len(k.held[t])
		delete(k.held, t)
	}
	k.expire(now)
}

// abandon forgets what a failed commit chose: its spans come again when the clients retry, and
// the released ones stay held.
func (k *keeper) abandon() { k.kept.discard() }

func (k *keeper) expire(now time.Time) {
	i := 0
	for ; i < len(k.order); i++ {
		h := k.order[i]
		if spans, ok := k.held[h.id]; ok {
			if k.heldSpans <= k.cfg.HeldSpans && now.Sub(h.at) < k.cfg.Wait {
				break
			}
			k.heldSpans -= len(spans)
			delete(k.held, h.id)
		}
	}
	k.order = k.order[:copy(k.order, k.order[i:])]
}

// mix64 hashes two words with MurmurHash3's finaliser, which spreads every input bit over every
// output bit.
func mix64(a, b uint64) uint64 {
	x := a ^ (b * 0x9e3779b97f4a7c15)
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	return x ^ x>>33
}
