package tracing

import (
	"context"
	"database/sql"
	"log/slog"
	"sync"
	"time"
)

// liveWindows keeps a copy of the flow table and every flow's aggregates summed over fixed
// windows that end now (the console's windows and the health window), so a page reads a window's
// totals instead of summing thousands of aggregate rows per view. Only the writer goroutine
// changes them: it adds what each transaction committed and, as the clock moves, subtracts the
// minutes that slid out of a window, read back from the aggregate tables. So each window always
// equals the stored aggregates from its first minute on. Readers copy under the lock.
type liveWindows struct {
	mu      sync.RWMutex
	ready   bool // false until the writer has loaded the flows and sums
	flows   map[int64]flowRow
	windows map[time.Duration]*liveWindow
}

type liveWindow struct {
	length time.Duration
	start  int64                // first minute counted (unix seconds / 60)
	sums   map[int64]*aggregate // by flow id
}

// farFuture is a minute beyond any span's, the open end of a live window.
const farFuture = int64(1) << 40

func newLiveWindows(lengths []time.Duration) *liveWindows {
	l := &liveWindows{windows: map[time.Duration]*liveWindow{}}
	for _, d := range lengths {
		l.windows[d] = &liveWindow{length: d}
	}
	return l
}

// windowStart is the first minute of the window of length d ending at now, as sumAggregates
// counts it.
func windowStart(now time.Time, d time.Duration) int64 {
	return floorDiv(now.Add(-d).Unix(), 60)
}

// update loads the windows, or moves each one's start to now. On an error it drops them, so
// readers sum aggregate rows, and the next update loads them again.
func (l *liveWindows) update(ctx context.Context, db *sql.DB, now time.Time, log *slog.Logger) {
	var err error
	if l.ready {
		err = l.advance(ctx, db, now)
	} else {
		start := time.Now()
		if err = l.load(ctx, db, now); err == nil {
			log.Info("live flow windows loaded", "flows", len(l.flows), "took", time.Since(start).Round(time.Millisecond))
		}
	}
	if err != nil {
		log.Error("live flow windows; pages sum aggregate rows meanwhile", "error", err)
		l.mu.Lock()
		l.ready = false
		l.mu.Unlock()
	}
}

// load reads the flow table and sums each window from the aggregate tables.
func (l *liveWindows) load(ctx context.Context, db *sql.DB, now time.Time) error {
	flows, err := readFlowRows(ctx, db, 0)
	if err != nil {
		return err
	}
	loaded := map[time.Duration]map[int64]*aggregate{}
	for d := range l.windows {
		sums, err := sumAggregates(ctx, db, windowStart(now, d), farFuture)
		if err != nil {
			return err
		}
		loaded[d] = sums
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for d, w := range l.windows {
		w.start, w.sums = windowStart(now, d), loaded[d]
	}
	l.flows, l.ready = flows, true
	return nil
}

// drop forgets everything, after retention deleted flows; the next update loads it again.
func (l *liveWindows) drop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ready, l.flows = false, nil
	for _, w := range l.windows {
		w.sums = nil
	}
}

// advance moves each window's start to now, subtracting the stored minutes it leaves behind.
func (l *liveWindows) advance(ctx context.Context, db *sql.DB, now time.Time) error {
	for _, w := range l.windows {
		start := windowStart(now, w.length)
		if start <= w.start {
			continue
		}
		gone, err := sumAggregates(ctx, db, w.start, start)
		if err != nil {
			return err
		}
		l.mu.Lock()
		for id, agg := range gone {
			if s := w.sums[id]; s != nil {
				s.subtract(agg)
				if s.messages == 0 && s.delays == 0 {
					delete(w.sums, id)
				}
			}
		}
		w.start = start
		l.mu.Unlock()
	}
	return nil
}

// add applies a committed transaction: its flows' last sighting and schema, as the flow table's
// update does, and its deltas to every window that holds their minute.
func (l *liveWindows) add(ids map[flowKey]int64, flows map[flowKey]*flowState, deltas map[bucketKey]*aggregate) {
	if !l.ready {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for k, fs := range flows {
		id := ids[k]
		r, ok := l.flows[id]
		if !ok {
			r.key, r.firstSeenNs = k, fs.lastSeenNs // as the writer inserts a new flow
		}
		r.lastSeenNs = max(r.lastSeenNs, fs.lastSeenNs)
		if fs.schemaID != "" || fs.schemaVersion != "" {
			r.schemaID, r.schemaVersion = fs.schemaID, fs.schemaVersion
		}
		l.flows[id] = r
	}
	for k, agg := range deltas {
		id := ids[k.flow]
		for _, w := range l.windows {
			if k.minute < w.start {
				continue
			}
			s := w.sums[id]
			if s == nil {
				s = &aggregate{}
				w.sums[id] = s
			}
			s.add(agg)
		}
	}
}

// flowRows copies the flows last seen at or after seenSinceNs, if they are loaded.
func (l *liveWindows) flowRows(seenSinceNs int64) (map[int64]flowRow, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if !l.ready {
		return nil, false
	}
	out := make(map[int64]flowRow, len(l.flows))
	for id, r := range l.flows {
		if r.lastSeenNs >= seenSinceNs {
			out[id] = r
		}
	}
	return out, true
}

// sums copies the sums of the window of length d ending at now, if it is kept, loaded and
// current: for up to a second after a minute starts, until the writer advances the windows,
// readers sum aggregate rows instead.
func (l *liveWindows) sums(d time.Duration, now time.Time) (map[int64]*aggregate, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	w, ok := l.windows[d]
	if !l.ready || !ok || w.start != windowStart(now, d) {
		return nil, false
	}
	out := make(map[int64]*aggregate, len(w.sums))
	for id, s := range w.sums {
		c := *s
		out[id] = &c
	}
	return out, true
}

func (agg *aggregate) add(o *aggregate) {
	agg.messages += o.messages
	agg.errors += o.errors
	agg.processingSumNs += o.processingSumNs
	agg.delays += o.delays
	agg.lastSeenNs = max(agg.lastSeenNs, o.lastSeenNs)
	for i := range agg.processing {
		agg.processing[i] += o.processing[i]
		agg.delay[i] += o.delay[i]
	}
}

// subtract takes out minutes that left the window. lastSeenNs stays: a flow's latest sighting
// is still its latest.
func (agg *aggregate) subtract(o *aggregate) {
	agg.messages -= o.messages
	agg.errors -= o.errors
	agg.processingSumNs -= o.processingSumNs
	agg.delays -= o.delays
	for i := range agg.processing {
		agg.processing[i] -= o.processing[i]
		agg.delay[i] -= o.delay[i]
	}
}
