package tracing

import (
	"context"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/eventlens/eventlens/storage"
)

// The storage ingest and the flow queries need, declared here and implemented once per backend:
// store_sqlite.go (one process on one file) and store_postgres.go (several replicas sharing one
// database). The domain logic (decoding, flows, pairing, live windows, health) stays in this
// package's other files and is written once.

// aggregateReader reads flows and their aggregates: the store as it is now, or a snapshot of it.
type aggregateReader interface {
	// flowRows reads the flow table: flows last seen at or after seenSinceNs.
	flowRows(ctx context.Context, seenSinceNs int64) (map[int64]flowRow, error)
	// sumAggregates adds up each flow's aggregates over the minutes [m1, m2): the whole hours
	// inside from flow_hour, the minutes at either end from flow_minute.
	sumAggregates(ctx context.Context, m1, m2 int64) (map[int64]*aggregate, error)
}

// store is what readers need; any goroutine may call it.
type store interface {
	aggregateReader
	// series sums messages and errors of the flows ids per bucket of the query's window.
	series(ctx context.Context, q seriesQuery) ([]seriesRow, error)
	counts(ctx context.Context) (Counts, error)
	// trace reads the stored spans of one trace, in no particular order, or ErrTraceNotFound.
	trace(ctx context.Context, id TraceID) ([]StoredSpan, error)
	// openWriter prepares what the ingest writer needs; only the writer goroutine uses it.
	openWriter(ctx context.Context, cfg *Config) (storeWriter, error)
}

// storeWriter is the writing side, owned by the writer goroutine.
type storeWriter interface {
	// commit stores a batch in one transaction and says what it changed.
	commit(ctx context.Context, b *batchWrite) (change, error)
	// snapshot starts reading one consistent state of the store, with what other replicas
	// committed since the previous snapshot. The caller closes it.
	snapshot(ctx context.Context) (snapshot, error)
	// expire does one bounded step of retention and says whether more is left to do.
	expire(ctx context.Context, r retention) (expired, error)
	// trim removes the oldest raw spans (one bounded step) when the store takes more than
	// maxBytes, and says whether it removed any.
	trim(ctx context.Context, maxBytes int64, now time.Time) (bool, error)
	// sharedPairs says whether pending pairs are stored for other replicas (batchWrite's
	// producers, waiters and claims); else they live in the writer's memory only.
	sharedPairs() bool
	close()
}

// snapshot is one consistent state of the store.
type snapshot interface {
	aggregateReader
	// reset says what was kept from earlier snapshots must be read again — at the first
	// snapshot, and after a replica fell so far behind that changes were lost — and then gives
	// the failed messaging spans among the newest spans, oldest first.
	reset() (failures []ErrorExample, ok bool)
	// changes are the transactions other replicas committed since the previous snapshot.
	changes() []change
	close()
}

// openStore picks the backend db holds.
func openStore(db *storage.DB) store {
	if db.Postgres != nil {
		return &pgStore{db: db.Postgres, texts: newTextCache()}
	}
	return sqliteStore{db: db.SQLite, texts: newTextCache()}
}

// batchWrite is one transaction of ingest: the spans to store (SpanKeep chose them from the
// requests) and what the writer derived from the requests.
type batchWrite struct {
	spans     []*Span
	arrivedNs int64 // the writer's clock when it commits the batch
	traces    []newTrace
	flows     map[flowKey]*flowState
	deltas    map[bucketKey]*aggregate
	failures  []ErrorExample // failed messaging spans, oldest first
	// When pairs are shared: the producers and unpaired consumers of this batch, stored for
	// other replicas, and those of the previous commit, paired now that it is visible to all.
	producers []pendingProducer
	waiters   []pendingWaiter
	claims    pairClaims
}

// newTrace is a trace first seen in a batch: index is its first stored span's position in the
// batch's spans.
type newTrace struct {
	id      TraceID
	index   int
	startNs int64
}

// pendingProducer is a producer span other replicas' consumers may pair with.
type pendingProducer struct {
	key     int64 // refKey of the span
	startNs int64
}

// pendingWaiter is a consumer span whose producer has not been seen: refs are the refKeys of its
// links and parent, consumer the refKey of the span itself.
type pendingWaiter struct {
	consumer int64
	refs     []int64
	bucket   bucketKey
	startNs  int64
}

// pairClaims are the producers and waiters of the last commit, to be paired with what other
// replicas stored. Looking once after the commit that stored them is enough: of a producer and
// its consumer committed on two replicas, whichever commits second is seen by the other's look.
type pairClaims struct {
	producers []pendingProducer
	consumers []int64
	arrivedNs int64 // when that commit stored them
}

func (c pairClaims) empty() bool { return len(c.producers) == 0 && len(c.consumers) == 0 }

// pairMatch is a waiting consumer paired with its producer: the flow and minute of the
// consumer, and its end-to-end delay.
type pairMatch struct {
	Flow, Minute, DelayNs int64
}

// addPairs adds the end-to-end delays of pairs found in the store to deltas, copying an
// aggregate before changing it: the batch's own stay as they were for a transaction tried again.
func addPairs(deltas map[minuteFlow]*aggregate, pairs []pairMatch) {
	for _, p := range pairs {
		k := minuteFlow{flow: p.Flow, minute: p.Minute}
		agg := &aggregate{}
		if d := deltas[k]; d != nil {
			*agg = *d
		}
		agg.addDelay(p.DelayNs)
		deltas[k] = agg
	}
}

// refKey is a span's 64-bit fingerprint, which the shared pairing tables index instead of the
// 24-byte id: two spans of one pairing window sharing a key is as likely as a 2⁻⁶⁴ draw.
func refKey(r SpanRef) int64 {
	h := fnv.New64a()
	h.Write(r.TraceID[:])
	h.Write(r.SpanID[:])
	return int64(h.Sum64())
}

// minuteFlow is one flow (by id) in one minute.
type minuteFlow struct {
	flow   int64
	minute int64
}

// change is what one transaction did to the flows: the live windows and the recent failures of
// every replica take it in.
type change struct {
	rows         map[int64]flowRow // the flows it touched, as stored after it
	deltas       map[minuteFlow]*aggregate
	failures     []ErrorExample
	flowsDeleted bool // retention deleted flows: cached flows must be read again
}

// retention says what is old enough to go.
type retention struct {
	now                      time.Time
	spansBefore, flowsBefore time.Time // spans committed and aggregates of minutes before these go
}

// expired is the outcome of one retention step.
type expired struct {
	more         bool // there may be more to delete now
	flowsDeleted bool
}

// seriesQuery asks for per-bucket sums of some flows: units are minutes, or hours when hourly.
type seriesQuery struct {
	ids      []int64
	hourly   bool
	from, to int64 // [from, to) in units
	buckets  int64
}

// seriesRow is one flow's sums in one bucket.
type seriesRow struct {
	flow, bucket     int64
	messages, errors int64
}

// errTraceNotFound says a trace was not found, in the words Trace answers with.
func errTraceNotFound(id TraceID) error { return fmt.Errorf("trace %s: %w", id, ErrTraceNotFound) }
