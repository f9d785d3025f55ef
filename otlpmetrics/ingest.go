package otlpmetrics

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eventlens/eventlens/storage"
)

// ErrBusy means more points wait to be stored than Config.QueuePoints allows; the exporter
// should retry later (the server answers 429 with Retry-After).
var ErrBusy = errors.New("too many metric points waiting to be stored")

// Config tunes the store. Zero values take the defaults noted on each field.
type Config struct {
	// MaxSeriesPerSource is the most series one source may hold (10,000): a Kafka cluster as
	// the kafkametrics receiver names it (kafka.cluster.alias), a RabbitMQ node, or a service
	// sending client metrics. New series of a full source are dropped and counted.
	MaxSeriesPerSource int
	// MaxSeries is the most series all sources together may hold (100,000).
	MaxSeries int
	// Expiry is how long a series is kept after its last point (15m).
	Expiry time.Duration
	// StaleAfter is how old a series' last point may be for it to count in rates (3m, three
	// of the SDKs' default export intervals); its last value is still shown.
	StaleAfter time.Duration
	// QueuePoints is how many points may wait for their transaction before Ingest answers
	// ErrBusy (200,000).
	QueuePoints int
	// CacheFor is how long Snapshot reuses what it read (5s).
	CacheFor time.Duration
	Now      func() time.Time // the clock; tests fix it
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
	def(&c.MaxSeriesPerSource, 10_000)
	def(&c.MaxSeries, 100_000)
	def(&c.QueuePoints, 200_000)
	defDur(&c.Expiry, 15*time.Minute)
	defDur(&c.StaleAfter, 3*time.Minute)
	defDur(&c.CacheFor, 5*time.Second)
	if c.Now == nil {
		c.Now = time.Now
	}
}

// refreshEvery is how often, at most, a replica rereads which series the table holds, when an
// export brings series it does not know (other replicas may have added or expired some).
const refreshEvery = 10 * time.Second

// maxCappedSources bounds how many sources Stats tells the drops of one by one.
const maxCappedSources = 1000

// Store takes decoded OTLP metrics exports and keeps their series in the shared table; it is
// safe for concurrent use. Several replicas may share one PostgreSQL database: each stores
// what it receives, and every one's Snapshot reads all of it.
type Store struct {
	cfg    Config
	table  table
	queued atomic.Int64 // points in Ingest calls not yet committed

	mu          sync.Mutex // guards the admission state below
	known       map[SeriesID]string
	perSource   map[string]int
	loadedAt    time.Time // when known was read from the table; zero: read it at the next new series
	lastExpired time.Time

	counters  counters
	dropMu    sync.Mutex
	capped    map[string]*CappedSource
	cappedOut int64 // drops from sources beyond maxCappedSources

	snapMu  sync.Mutex
	snap    Snapshot
	snapAt  time.Time
	hasSnap bool
}

type counters struct {
	requests, points, stored, ignored, rejected, dropped atomic.Int64
}

// New opens the store on db.
func New(db *storage.DB, cfg Config) *Store {
	cfg.setDefaults()
	return &Store{cfg: cfg, table: newTable(db), capped: map[string]*CappedSource{}}
}

// Result is what Ingest did with one export.
type Result struct {
	Stored  int    // series written (a point not newer than the stored one changes nothing)
	Dropped int    // points of new series refused by the series cap
	Message string // why, for the partial-success answer; "" when nothing was dropped
}

// Ingest stores one decoded export in one transaction and returns once it is committed. New
// series beyond a source's cap, or the total cap, are dropped and counted. It answers ErrBusy
// at once when too many points wait, and an error wrapping pgdb.ErrUnavailable when the
// database cannot be reached.
func (s *Store) Ingest(ctx context.Context, d Decoded) (Result, error) {
	s.counters.requests.Add(1)
	s.counters.points.Add(int64(d.Points))
	s.counters.ignored.Add(int64(d.Ignored))
	s.counters.rejected.Add(int64(d.Rejected))
	if len(d.Series) == 0 {
		return Result{}, nil
	}
	n := int64(len(d.Series))
	for {
		q := s.queued.Load()
		// A request larger than the whole queue is still taken when nothing waits.
		if q > 0 && q+n > int64(s.cfg.QueuePoints) {
			return Result{}, ErrBusy
		}
		if s.queued.CompareAndSwap(q, q+n) {
			break
		}
	}
	defer s.queued.Add(-n)

	now := s.cfg.Now()
	keep, drops, expire, err := s.admit(ctx, d.Series, now)
	if err != nil {
		return Result{}, err
	}
	res := Result{Stored: len(keep), Dropped: len(d.Series) - len(keep)}
	if res.Dropped > 0 {
		res.Message = dropMessage(drops, s.cfg)
		s.counters.dropped.Add(int64(res.Dropped))
		s.countDrops(drops, now)
	}
	if len(keep) == 0 {
		return res, nil
	}
	var expireBefore int64
	if expire {
		expireBefore = now.Add(-s.cfg.Expiry).UnixNano()
	}
	if err := s.table.write(ctx, sortedByID(keep), now.UnixNano(), expireBefore); err != nil {
		s.mu.Lock()
		s.loadedAt = time.Time{} // the new series it admitted may not be stored: read the table again
		s.mu.Unlock()
		return Result{}, err
	}
	s.counters.stored.Add(int64(len(keep)))
	return res, nil
}

// admit returns the series the caps let through (all that are already stored, and new ones
// while their source and the total have room), the points dropped per source, and whether
// this write should expire old series. It rereads the table's series when new ones come and
// its view is older than refreshEvery, or expiry has run since.
func (s *Store) admit(ctx context.Context, series []Series, now time.Time) (keep []Series, drops map[string]int, expire bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.Sub(s.lastExpired) >= s.cfg.Expiry/10 {
		// Deleting in this write's transaction; the view is read again at the next new series.
		expire, s.lastExpired, s.loadedAt = true, now, time.Time{}
	}
	unknown := false
	for i := range series {
		if _, ok := s.known[series[i].ID]; !ok {
			unknown = true
			break
		}
	}
	if unknown && now.Sub(s.loadedAt) >= refreshEvery {
		known, perSource := map[SeriesID]string{}, map[string]int{}
		err := s.table.sources(ctx, now.Add(-s.cfg.Expiry).UnixNano(), func(id SeriesID, source string) {
			known[id] = source
			perSource[source]++
		})
		if err != nil {
			return nil, nil, false, err
		}
		s.known, s.perSource, s.loadedAt = known, perSource, now
	}
	if !unknown {
		return series, nil, expire, nil
	}
	keep = series[:0:0]
	for _, sr := range series {
		if _, ok := s.known[sr.ID]; ok {
			keep = append(keep, sr)
			continue
		}
		if s.perSource[sr.Source] >= s.cfg.MaxSeriesPerSource || len(s.known) >= s.cfg.MaxSeries {
			if drops == nil {
				drops = map[string]int{}
			}
			drops[sr.Source]++
			continue
		}
		s.known[sr.ID] = sr.Source
		s.perSource[sr.Source]++
		keep = append(keep, sr)
	}
	return keep, drops, expire, nil
}

// sortedByID returns series ordered by id, the order every write takes its rows in, so that
// concurrent writes of the same series lock them in one order. It sorts the ids alone, close
// together in memory.
func sortedByID(series []Series) []*Series {
	type key struct {
		id SeriesID
		i  int32
	}
	keys := make([]key, len(series))
	for i := range series {
		keys[i] = key{series[i].ID, int32(i)}
	}
	slices.SortFunc(keys, func(a, b key) int { return bytes.Compare(a.id[:], b.id[:]) })
	out := make([]*Series, len(series))
	for i, k := range keys {
		out[i] = &series[k.i]
	}
	return out
}

// dropMessage says which sources' caps dropped points, for the exporter.
func dropMessage(drops map[string]int, cfg Config) string {
	sources := make([]string, 0, len(drops))
	total := 0
	for src, n := range drops {
		sources = append(sources, src)
		total += n
	}
	sort.Strings(sources)
	if len(sources) > maxReasons {
		sources = append(sources[:maxReasons], "…")
	}
	return fmt.Sprintf("%d data point(s) of new series dropped: the series cap (%d per source, %d in all) is reached for %s",
		total, cfg.MaxSeriesPerSource, cfg.MaxSeries, strings.Join(sources, ", "))
}

func (s *Store) countDrops(drops map[string]int, now time.Time) {
	s.dropMu.Lock()
	defer s.dropMu.Unlock()
	for src, n := range drops {
		c, ok := s.capped[src]
		if !ok {
			if len(s.capped) >= maxCappedSources {
				s.cappedOut += int64(n)
				continue
			}
			c = &CappedSource{Source: src}
			s.capped[src] = c
		}
		c.DroppedPoints += int64(n)
		c.LastDropped = now
	}
}

// Stats are what this replica's Store received since it started.
type Stats struct {
	Requests int64 // exports
	Points   int64 // data points in them
	Stored   int64 // points written (of series eventlens reads)
	Ignored  int64 // points of metrics eventlens does not read
	Rejected int64 // points of metrics it reads that were malformed (refused in the OTLP answer)
	Dropped  int64 // points of new series the series cap refused (refused in the OTLP answer)
	Series   int   // series stored, as this replica's cap counts them (0 until its first export)
	// Capped are the sources whose cap dropped points, by source (at most 1,000; drops of
	// other sources count in CappedElsewhere).
	Capped          []CappedSource
	CappedElsewhere int64
}

// CappedSource is a source that reached its series cap (or found the total cap reached).
type CappedSource struct {
	Source        string
	DroppedPoints int64
	LastDropped   time.Time
}

// Stats returns the counters.
func (s *Store) Stats() Stats {
	st := Stats{
		Requests: s.counters.requests.Load(), Points: s.counters.points.Load(), Stored: s.counters.stored.Load(),
		Ignored: s.counters.ignored.Load(), Rejected: s.counters.rejected.Load(), Dropped: s.counters.dropped.Load(),
	}
	s.mu.Lock()
	st.Series = len(s.known)
	s.mu.Unlock()
	s.dropMu.Lock()
	for _, c := range s.capped {
		st.Capped = append(st.Capped, *c)
	}
	st.CappedElsewhere = s.cappedOut
	s.dropMu.Unlock()
	slices.SortFunc(st.Capped, func(a, b CappedSource) int { return strings.Compare(a.Source, b.Source) })
	return st
}
