package tracing

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"
)

// writer is the one goroutine that writes a replica's tracing tables. It owns the flow
// aggregates in memory, the pairing state and the store's writing side, so none of them needs a
// lock.
type writer struct {
	cfg      *Config
	sw       storeWriter
	log      *slog.Logger
	flows    *aggregator
	live     *liveWindows
	failures *recentErrors
	traces   *traceSet // traces in trace_index
	keep     *keeper
	claims   pairClaims // what the last commit stored for pairing with other replicas' spans
	stats    *ingestStats
}

func newWriter(ctx context.Context, st store, cfg *Config, stats *ingestStats) (*writer, error) {
	sw, err := st.openWriter(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("start ingest: %w", err)
	}
	w := &writer{cfg: cfg, sw: sw, log: cfg.Logger, flows: newAggregator(cfg, sw.sharedPairs()),
		live: newLiveWindows(liveLengths(cfg)), failures: newRecentErrors(), traces: newTraceSet(100_000), keep: newKeeper(cfg.Keep), stats: stats}
	// The first snapshot loads the recent failures before Start returns, so they survive a
	// restart, and starts loading the live windows in the background.
	if err := w.refresh(cfg.Now()); err != nil {
		sw.close()
		return nil, fmt.Errorf("start ingest: %w", err)
	}
	return w, nil
}

// liveLengths are the windows to keep running sums for: Config.Windows and the health window,
// each shorter than the flow retention.
func liveLengths(cfg *Config) []time.Duration {
	var out []time.Duration
	for _, d := range append([]time.Duration{cfg.Health.Window}, cfg.Windows...) {
		if d > 0 && d < cfg.FlowRetention {
			out = append(out, d)
		}
	}
	return out
}

// run takes requests off the queue until it is closed and drained: each turn commits every
// request waiting (up to BatchSpans) in one transaction and then answers them. Between batches
// it runs retention in small transactions.
func (w *writer) run(queue <-chan *request, queued *atomic.Int64) {
	defer w.sw.close()
	defer w.live.stopLoad()
	defer w.commitClaims()
	tick := time.NewTicker(w.cfg.RetentionEvery)
	defer tick.Stop()
	// Readers sum aggregate rows while a live window lags the clock, so windows move as soon as
	// a minute starts rather than at the next retention tick.
	minute := time.NewTimer(untilNextMinute(time.Now()))
	defer minute.Stop()
	w.housekeeping()
	batch := make([]*request, 0, 64)
	for {
		select {
		case req, ok := <-queue:
			if !ok {
				return
			}
			batch = append(batch[:0], req)
			n, open := len(req.spans), true
		fill:
			for n < w.cfg.BatchSpans {
				select {
				case r, ok := <-queue:
					if !ok {
						open = false
						break fill
					}
					batch = append(batch, r)
					n += len(r.spans)
				default:
					break fill
				}
			}
			err := w.commit(batch)
			if err != nil {
				w.log.Error("ingest batch failed", "spans", n, "error", err)
			}
			for _, r := range batch {
				queued.Add(-int64(len(r.spans)))
				r.done <- err
			}
			if !open {
				return
			}
			// What the commit stored for pairing is paired at the next; when none waits, now.
			if err == nil && len(queue) == 0 {
				w.commitClaims()
			}
		case <-tick.C:
			w.housekeeping()
		case <-minute.C:
			w.logRefresh(w.cfg.Now())
			minute.Reset(untilNextMinute(time.Now()))
		}
	}
}

// commit stores a batch of requests in one transaction: the spans chosen to keep, new traces and
// the flow aggregates (and, with shared pairs, the pairs of the previous commit).
func (w *writer) commit(batch []*request) error {
	now := w.cfg.Now()
	sel := w.keep.choose(batch, now)
	b := &batchWrite{spans: sel.spans, arrivedNs: now.UnixNano(), claims: w.claims}
	for _, r := range batch {
		for j := range r.spans {
			s := &r.spans[j]
			if s.Messaging != nil {
				w.flows.observe(s)
				if s.StatusCode == StatusError {
					b.failures = append(b.failures, exampleOf(s))
				}
			}
		}
	}
	// A trace is indexed at its first stored span, which may come before its first messaging
	// span (an HTTP root span held until then, or earlier in the batch).
	for i, s := range sel.spans {
		if sel.index[i] && w.traces.firstSeen(s.TraceID) {
			b.traces = append(b.traces, newTrace{id: s.TraceID, index: i, startNs: s.StartNanos})
		}
	}
	b.flows, b.deltas = w.flows.flows, w.flows.deltas
	b.producers, b.waiters = w.flows.producers, w.flows.waiters
	started := time.Now()
	c, err := w.sw.commit(context.Background(), b)
	if err != nil {
		w.stats.commitFailed(len(b.spans), time.Since(started))
		w.flows.reset()
		w.traces.discard()
		w.keep.abandon()
		return err
	}
	w.stats.committed(len(b.spans), time.Since(started), c, w.flows.pairs.backlog())
	w.claims = w.flows.claims(b.arrivedNs)
	w.flows.reset()
	w.traces.commit()
	w.keep.commit(sel, now)
	w.failures.add(b.failures)
	w.live.add(c)
	w.trim()
	return nil
}

// trim keeps the store within MaxStoreBytes after each commit, before the next batch, so it never
// holds more than the cap and one batch: it removes the oldest raw spans until the store fits.
func (w *writer) trim() {
	if w.cfg.MaxStoreBytes <= 0 {
		return
	}
	for {
		more, err := w.sw.trim(context.Background(), w.cfg.MaxStoreBytes, w.cfg.Now())
		if err != nil {
			w.log.Error("keep the store within its size cap", "error", err)
			return
		}
		if !more {
			return
		}
	}
}

// commitClaims pairs what the last commit stored, in a transaction of its own.
func (w *writer) commitClaims() {
	if w.claims.empty() {
		return
	}
	if err := w.commit(nil); err != nil {
		w.log.Error("pair spans across replicas", "error", err)
	}
}

// refresh takes a snapshot of the store: it applies what other replicas committed since the
// previous one, and moves the live windows to now (or loads them) from it.
func (w *writer) refresh(now time.Time) error {
	// The snapshot's own context: a live-window load that takes it over cancels it when dropped.
	ctx, cancel := context.WithCancel(context.Background())
	snap, err := w.sw.snapshot(ctx)
	if err != nil {
		cancel()
		w.live.drop()
		return err
	}
	if failures, ok := snap.reset(); ok {
		w.failures.reset(failures)
		w.live.drop()
	}
	for _, c := range snap.changes() {
		w.failures.add(c.failures)
		if c.flowsDeleted {
			w.live.drop()
		} else {
			w.live.add(c)
		}
	}
	if !w.live.update(snap, cancel, now, w.log) {
		snap.close()
		cancel()
	}
	return nil
}

func (w *writer) logRefresh(now time.Time) {
	if err := w.refresh(now); err != nil {
		w.log.Error("live flow windows; pages sum aggregate rows meanwhile", "error", err)
	}
}

func linksJSON(links []SpanRef) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, l := range links {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"trace_id":"%s","span_id":"%s"}`, l.TraceID, l.SpanID)
	}
	b.WriteByte(']')
	return b.String()
}

// traceSet remembers trace ids in two generations of up to max/2 each. Traces added in the open
// transaction wait in pending until it commits.
type traceSet struct {
	max     int
	gen     [2]map[TraceID]struct{}
	pending map[TraceID]struct{}
}

func newTraceSet(max int) *traceSet {
	return &traceSet{max: max, gen: [2]map[TraceID]struct{}{{}, {}}, pending: map[TraceID]struct{}{}}
}

func (r *traceSet) has(t TraceID) bool {
	_, a := r.gen[0][t]
	_, b := r.gen[1][t]
	_, c := r.pending[t]
	return a || b || c
}

// add remembers t as pending.
func (r *traceSet) add(t TraceID) { r.pending[t] = struct{}{} }

// firstSeen reports whether t is new, and if so adds it.
func (r *traceSet) firstSeen(t TraceID) bool {
	if r.has(t) {
		return false
	}
	r.add(t)
	return true
}

func (r *traceSet) commit() {
	for t := range r.pending {
		if len(r.gen[0]) >= r.max/2 {
			r.gen[1], r.gen[0] = r.gen[0], map[TraceID]struct{}{}
		}
		r.gen[0][t] = struct{}{}
	}
	clear(r.pending)
}

func (r *traceSet) discard() { clear(r.pending) }

// untilNextMinute is how long from t until just after the next minute starts.
func untilNextMinute(t time.Time) time.Duration {
	return t.Truncate(time.Minute).Add(time.Minute).Sub(t) + time.Millisecond
}
