package tracing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eventlens/eventlens/storage"
)

// Errors Ingest answers with; the server turns them into OTLP's retryable statuses.
var (
	ErrQueueFull = errors.New("ingest queue is full")
	ErrClosed    = errors.New("ingest is shutting down")
)

// DefaultWindows are the console's time windows, which Flows answers from running sums.
var DefaultWindows = []time.Duration{15 * time.Minute, time.Hour, 24 * time.Hour, 7 * 24 * time.Hour}

// Config tunes ingest. Zero values take the defaults noted on each field.
type Config struct {
	QueueSpans     int           // spans accepted but not yet committed before Ingest answers ErrQueueFull (50,000)
	BatchSpans     int           // most spans committed in one transaction (10,000)
	SpanRetention  time.Duration // how long raw spans are kept (24h)
	FlowRetention  time.Duration // how long flow aggregates are kept (30 days)
	RetentionEvery time.Duration // how often retention runs (1s); each run deletes in small transactions
	PairWindow     time.Duration // how long a producer or consumer waits for its partner (10m)
	PairMaxPending int           // most spans remembered for pairing (200,000)
	FlowSeries     int           // most flows Stats keeps totals for, for /metrics (DefaultFlowSeries)
	// Windows are the windows ending now that Flows keeps running sums for (FlowQuery.Last),
	// DefaultWindows unless set. The health window is always added; windows not shorter than
	// FlowRetention are left out, as retention deletes their oldest minutes.
	Windows []time.Duration
	Keep    SpanKeep // which raw spans are stored: by default those of traces with messaging or errors, and a 1% sample
	// MaxStoreBytes caps the raw spans' tables and indexes (0: no cap): retention removes the
	// oldest spans first, whatever their age; aggregates stay.
	MaxStoreBytes int64
	Health        HealthThresholds
	Now           func() time.Time // the clock; tests fix it
	Logger        *slog.Logger
}

func (c *Config) setDefaults() {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.QueueSpans, 50_000)
	def(&c.BatchSpans, 10_000)
	def(&c.PairMaxPending, 200_000)
	def(&c.FlowSeries, DefaultFlowSeries)
	defDur(&c.SpanRetention, 24*time.Hour)
	defDur(&c.FlowRetention, 30*24*time.Hour)
	defDur(&c.RetentionEvery, time.Second)
	defDur(&c.PairWindow, 10*time.Minute)
	c.Health.setDefaults()
	c.Keep.setDefaults()
	if c.Windows == nil {
		c.Windows = DefaultWindows
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Ingester accepts decoded spans and stores them. One writer goroutine owns every write: it
// takes queued requests in batches, commits each batch (spans, flow aggregates, trace index) in
// one transaction, and only then answers the requests in it. Several Ingesters (replicas) may
// share one PostgreSQL database: each writes its own spans, and their flows, aggregates, live
// windows and recent failures are the same on every one within seconds.
type Ingester struct {
	cfg    Config
	store  store
	queue  chan *request
	queued atomic.Int64 // spans in the queue or in the batch being written

	mu     sync.RWMutex // guards closed against sends on the closed queue
	closed bool

	stop     chan struct{} // closed by Close: ends the context watcher
	stopOnce sync.Once
	done     chan struct{} // closed when the writer has drained the queue and exited
	w        *writer
	stats    *ingestStats
	brokers  BrokerSource // nil: health from spans only
}

type request struct {
	spans []Span
	done  chan error
}

// CappedBytes is what Config.MaxStoreBytes counts in db: on SQLite the database's pages in
// use, on PostgreSQL the span and trace_index partitions with their indexes and TOAST.
func CappedBytes(ctx context.Context, db *storage.DB) (int64, error) {
	if db.Postgres != nil {
		return spanStoreBytes(ctx, db.Postgres.Pool)
	}
	return sqlitePagesInUse(ctx, db.SQLite.Write)
}

// Start opens ingest on db and starts its writer; it stops when ctx ends or Close is called.
func Start(ctx context.Context, db *storage.DB, cfg Config) (*Ingester, error) {
	cfg.setDefaults()
	st := openStore(db)
	in := &Ingester{
		cfg:   cfg,
		store: st,
		queue: make(chan *request, cfg.QueueSpans+1),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	var err error
	// The writer's settings are the Ingester's own copy.
	in.stats = newIngestStats(in.cfg.FlowSeries)
	if in.w, err = newWriter(ctx, st, &in.cfg, in.stats); err != nil {
		return nil, err
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		in.w.run(in.queue, &in.queued)
	}()
	go func() {
		defer wg.Done()
		select {
		case <-ctx.Done():
			in.closeQueue()
		case <-in.stop:
		}
	}()
	go func() { wg.Wait(); close(in.done) }()
	return in, nil
}

// Ingest queues spans for the writer and waits until they are committed. It answers ErrQueueFull
// at once when the queue holds too many spans, ErrClosed after Close, and an error wrapping
// pgdb.ErrUnavailable when the database cannot be reached.
func (in *Ingester) Ingest(ctx context.Context, spans []Span) error {
	if len(spans) == 0 {
		return nil
	}
	n := int64(len(spans))
	for {
		q := in.queued.Load()
		// A request larger than the whole queue is still taken when the queue is empty, so it
		// can always get through eventually.
		if q > 0 && q+n > int64(in.cfg.QueueSpans) {
			return ErrQueueFull
		}
		if in.queued.CompareAndSwap(q, q+n) {
			break
		}
	}
	req := &request{spans: spans, done: make(chan error, 1)}
	in.mu.RLock()
	if in.closed {
		in.mu.RUnlock()
		in.queued.Add(-n)
		return ErrClosed
	}
	in.queue <- req // never blocks: the channel holds more requests than the queue holds spans
	in.mu.RUnlock()
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("waiting for commit: %w", ctx.Err())
	}
}

// QueuedSpans is how many spans wait for the writer.
func (in *Ingester) QueuedSpans() int64 { return in.queued.Load() }

// QueueCapacity is how many spans may wait before Ingest answers ErrQueueFull.
func (in *Ingester) QueueCapacity() int { return in.cfg.QueueSpans }

func (in *Ingester) closeQueue() {
	in.mu.Lock()
	defer in.mu.Unlock()
	if !in.closed {
		in.closed = true
		close(in.queue)
	}
}

// Close stops accepting spans, lets the writer commit everything already queued and flush the
// aggregates, and waits for it until ctx ends.
func (in *Ingester) Close(ctx context.Context) error {
	in.closeQueue()
	in.stopOnce.Do(func() { close(in.stop) })
	select {
	case <-in.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("close ingest: %w", ctx.Err())
	}
}
