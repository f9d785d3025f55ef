package tracing

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// liveWindows keeps a copy of the flow table and every flow's aggregates summed over fixed
// windows that end now (the console's windows and the health window), so a page reads a window's
// totals instead of summing thousands of aggregate rows per view. Only the writer goroutine
// changes them: it adds what each transaction committed (its own, and other replicas' as each
// snapshot brings them) and, as the clock moves, subtracts the minutes that slid out of a window,
// read back from the aggregate tables in the same snapshot. So each window always equals the
// stored aggregates from its first minute on. Readers copy under the lock.
//
// Loading them reads every window's rows, seconds on a large store, so it runs beside the writer
// on a snapshot the writer takes between two commits; the writer keeps what is committed
// meanwhile and applies it on top once the load is done.
type liveWindows struct {
	mu      sync.RWMutex
	ready   bool // false until the flows and sums are loaded
	flows   map[int64]flowRow
	windows map[time.Duration]*liveWindow
	loading *liveLoad // the load running in the background, if any; only the writer touches it
}

// liveLoad is a load of the live windows from one snapshot of the store.
type liveLoad struct {
	now     time.Time
	started time.Time
	done    chan error // receives the load's outcome once
	cancel  context.CancelFunc
	flows   map[int64]flowRow
	sums    map[time.Duration]map[int64]*aggregate
	pending []change // what was committed after the snapshot
}

// testHookLoading, when set, runs in the load's goroutine before it reads, so a test can commit
// spans while a load is under way.
var testHookLoading func()

// liveWindow is one window's sums; its length is its key in liveWindows.windows.
type liveWindow struct {
	start int64                // first minute counted (unix seconds / 60)
	sums  map[int64]*aggregate // by flow id
}

// farFuture is a minute beyond any span's, the open end of a live window.
const farFuture = int64(1) << 40

func newLiveWindows(lengths []time.Duration) *liveWindows {
	l := &liveWindows{windows: map[time.Duration]*liveWindow{}}
	for _, d := range lengths {
		l.windows[d] = &liveWindow{}
	}
	return l
}

// windowStart is the first minute of the window of length d ending at now, as sumAggregates
// counts it.
func windowStart(now time.Time, d time.Duration) int64 {
	return floorDiv(now.Add(-d).Unix(), 60)
}

// update moves each window's start to now, or starts a load in the background from snap, or
// finishes the load that ended. It reports whether a load took snap over (with cancel, which
// ends it); else the caller closes it. On an error it drops the windows, so readers sum
// aggregate rows, and a later update loads them again.
func (l *liveWindows) update(snap snapshot, cancel context.CancelFunc, now time.Time, log *slog.Logger) bool {
	ctx := context.Background()
	var err error
	switch {
	case l.ready:
		err = l.advance(ctx, snap, now)
	case l.loading == nil:
		l.startLoad(snap, cancel, now)
		return true
	default:
		select {
		case err = <-l.loading.done:
			ld := l.loading
			l.loading = nil
			if err == nil {
				l.finish(ld)
				log.Info("live flow windows loaded", "flows", len(ld.flows), "took", time.Since(ld.started).Round(time.Millisecond))
				err = l.advance(ctx, snap, now)
			}
		default:
		}
	}
	if err != nil {
		log.Error("live flow windows; pages sum aggregate rows meanwhile", "error", err)
		l.drop()
	}
	return false
}

// startLoad reads the windows from snap, taken between two of the writer's commits, in the
// background.
func (l *liveWindows) startLoad(snap snapshot, cancel context.CancelFunc, now time.Time) {
	ld := &liveLoad{now: now, started: time.Now(), done: make(chan error, 1), cancel: cancel}
	l.loading = ld
	go func() {
		defer cancel()
		defer snap.close()
		if testHookLoading != nil {
			testHookLoading()
		}
		var err error
		ld.flows, ld.sums, err = l.read(context.Background(), snap, now)
		ld.done <- err
	}()
}

// read reads the flow table and sums each window ending at now from the aggregate tables.
func (l *liveWindows) read(ctx context.Context, r aggregateReader, now time.Time) (map[int64]flowRow, map[time.Duration]map[int64]*aggregate, error) {
	flows, err := r.flowRows(ctx, 0)
	if err != nil {
		return nil, nil, err
	}
	sums := map[time.Duration]map[int64]*aggregate{}
	for d := range l.windows {
		if sums[d], err = r.sumAggregates(ctx, windowStart(now, d), farFuture); err != nil {
			return nil, nil, err
		}
	}
	return flows, sums, nil
}

// finish installs a load's flows and sums and applies what was committed after its snapshot.
func (l *liveWindows) finish(ld *liveLoad) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for d, w := range l.windows {
		w.start, w.sums = windowStart(ld.now, d), ld.sums[d]
	}
	l.flows, l.ready = ld.flows, true
	for _, c := range ld.pending {
		l.apply(c)
	}
}

// drop forgets everything, and any load under way, after retention deleted flows, an error or
// lost changes; the next update loads it again.
func (l *liveWindows) drop() {
	l.stopLoad() // what it reads would be stale
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ready, l.flows = false, nil
	for _, w := range l.windows {
		w.sums = nil
	}
}

// advance moves each window's start to now, subtracting the stored minutes it leaves behind.
func (l *liveWindows) advance(ctx context.Context, r aggregateReader, now time.Time) error {
	for d, w := range l.windows {
		start := windowStart(now, d)
		if start <= w.start {
			continue
		}
		gone, err := r.sumAggregates(ctx, w.start, start)
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

// stopLoad cancels the load under way, if any.
func (l *liveWindows) stopLoad() {
	if l.loading != nil {
		l.loading.cancel()
		l.loading = nil
	}
}

// add applies a committed transaction, or keeps it for the load under way.
func (l *liveWindows) add(c change) {
	if l.loading != nil {
		l.loading.pending = append(l.loading.pending, c)
		return
	}
	if !l.ready {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.apply(c)
}

// apply adds a committed transaction, under the lock: its flows as stored after it, and its
// deltas to every window that holds their minute.
func (l *liveWindows) apply(c change) {
	for id, r := range c.rows {
		l.flows[id] = r
	}
	for k, agg := range c.deltas {
		for _, w := range l.windows {
			if k.minute < w.start {
				continue
			}
			s := w.sums[k.flow]
			if s == nil {
				s = &aggregate{}
				w.sums[k.flow] = s
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
