package tracing

import "time"

// pairing connects consumers to their producers to measure end-to-end delay, whichever side
// arrives first. It remembers recent producer start times and consumers still waiting for their
// producer, in two generations: entries live between window/2 and window, and a generation is
// also dropped early when it grows past half of maxEntries, so memory stays bounded.
type pairing struct {
	window     time.Duration
	maxEntries int
	producers  [2]map[SpanRef]int64 // producer span → start (unix ns); [0] is the current generation
	waiting    [2]map[SpanRef][]*waiter
	rotatedAt  time.Time
}

// waiter is a consumer span whose producer has not arrived yet. One consumer may wait on several
// refs (its links and its parent); done makes sure it is counted once.
type waiter struct {
	bucket bucketKey
	start  int64
	done   bool
}

func newPairing(window time.Duration, maxEntries int, now time.Time) *pairing {
	p := &pairing{window: window, maxEntries: maxEntries, rotatedAt: now}
	for i := range p.producers {
		p.producers[i] = map[SpanRef]int64{}
		p.waiting[i] = map[SpanRef][]*waiter{}
	}
	return p
}

func (p *pairing) producerStart(ref SpanRef) (int64, bool) {
	for _, gen := range p.producers {
		if start, ok := gen[ref]; ok {
			return start, true
		}
	}
	return 0, false
}

// addProducer remembers a producer span and returns the consumers that were waiting for it.
func (p *pairing) addProducer(ref SpanRef, start int64) []*waiter {
	if len(p.producers[0]) >= p.maxEntries/2 {
		p.rotate(p.rotatedAt)
	}
	p.producers[0][ref] = start
	var found []*waiter
	for _, gen := range p.waiting {
		if ws, ok := gen[ref]; ok {
			found = append(found, ws...)
			delete(gen, ref)
		}
	}
	return found
}

// wait parks a consumer until one of refs arrives as a producer.
func (p *pairing) wait(refs []SpanRef, w *waiter) {
	if len(p.waiting[0]) >= p.maxEntries/2 {
		p.rotate(p.rotatedAt)
	}
	for _, r := range refs {
		p.waiting[0][r] = append(p.waiting[0][r], w)
	}
}

// expire drops the older generation once half a window has passed.
func (p *pairing) expire(now time.Time) {
	if now.Sub(p.rotatedAt) >= p.window/2 {
		p.rotate(now)
	}
}

func (p *pairing) rotate(now time.Time) {
	p.producers[1], p.producers[0] = p.producers[0], map[SpanRef]int64{}
	p.waiting[1], p.waiting[0] = p.waiting[0], map[SpanRef][]*waiter{}
	p.rotatedAt = now
}
