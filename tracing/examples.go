package tracing

import (
	"cmp"
	"slices"
	"sync"
	"time"
)

// ErrorExample is one recent failed messaging span: the example a failing flow links to.
type ErrorExample struct {
	TraceID    TraceID
	SpanID     SpanID
	Service    string
	Name       string
	ChannelKey string
	Start      time.Time
	Duration   time.Duration
	Message    string // the span's status message, if any
}

// examplesPerFlow is how many recent failures are kept for each service and channel.
const examplesPerFlow = 5

// ExampleQuery selects recent failed messaging spans. Service and Channel (a channel key)
// narrow them when set; PerFlow caps the examples per service and channel (3, at most 5).
type ExampleQuery struct {
	Service, Channel string
	PerFlow          int
	Limit            int // most examples in all (20)
}

// recentErrors keeps the newest failed messaging spans of each service and channel, so a page
// shows every flow's recent failures, however busy the store, without scanning spans. The writer
// adds the failures each transaction committed, its own and other replicas'; readers copy under
// the lock.
type recentErrors struct {
	mu    sync.RWMutex
	flows map[[2]string][]ErrorExample // by service and channel key, by start time
}

func newRecentErrors() *recentErrors {
	return &recentErrors{flows: map[[2]string][]ErrorExample{}}
}

// reset replaces the examples with those read from the store, so they survive a
// restart.
func (r *recentErrors) reset(examples []ErrorExample) {
	r.mu.Lock()
	clear(r.flows)
	r.mu.Unlock()
	r.add(examples)
}

// exampleOf is a failed messaging span as an example.
func exampleOf(s *Span) ErrorExample {
	return ErrorExample{TraceID: s.TraceID, SpanID: s.SpanID, Service: s.Service, Name: s.Name, ChannelKey: s.Messaging.Channel.Key(),
		Start: time.Unix(0, s.StartNanos).UTC(), Duration: time.Duration(s.EndNanos - s.StartNanos), Message: s.StatusMessage}
}

// add keeps the newest examplesPerFlow of each flow's failures by start time, whatever order
// they come in: replicas take in each other's failures later than their own and must still keep
// the same ones.
func (r *recentErrors) add(examples []ErrorExample) {
	if len(examples) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range examples {
		k := [2]string{e.Service, e.ChannelKey}
		list := r.flows[k]
		at, _ := slices.BinarySearchFunc(list, e.Start, func(x ErrorExample, t time.Time) int {
			return cmp.Or(x.Start.Compare(t), -1) // after those that started at the same time
		})
		list = slices.Insert(list, at, e)
		r.flows[k] = list[max(len(list)-examplesPerFlow, 0):]
	}
}

// expire forgets the flows whose newest failure started before oldest: their traces are gone.
func (r *recentErrors) expire(oldest time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, list := range r.flows {
		if list[len(list)-1].Start.Before(oldest) {
			delete(r.flows, k)
		}
	}
}

// ErrorExamples returns recent failed messaging spans, newest first, whose traces are still
// stored.
func (in *Ingester) ErrorExamples(q ExampleQuery) []ErrorExample {
	if q.PerFlow <= 0 {
		q.PerFlow = 3
	}
	if q.Limit <= 0 {
		q.Limit = 20
	}
	oldest := in.cfg.Now().Add(-in.cfg.SpanRetention)
	r := in.w.failures
	r.mu.RLock()
	var out []ErrorExample
	for k, list := range r.flows {
		if (q.Service != "" && k[0] != q.Service) || (q.Channel != "" && k[1] != q.Channel) {
			continue
		}
		for i := len(list) - 1; i >= max(len(list)-q.PerFlow, 0); i-- {
			if !list[i].Start.Before(oldest) {
				out = append(out, list[i])
			}
		}
	}
	r.mu.RUnlock()
	slices.SortFunc(out, func(a, b ErrorExample) int {
		return cmp.Or(b.Start.Compare(a.Start), cmp.Compare(a.Service, b.Service), cmp.Compare(a.ChannelKey, b.ChannelKey))
	})
	return out[:min(len(out), q.Limit)]
}
