package tracing

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/eventlens/eventlens/sqlitedb"
	"github.com/eventlens/eventlens/storage"
	"github.com/eventlens/eventlens/storage/storagetest"
)

// spanMaker makes batches of random messaging spans around a clock: late ones, failures, schema
// versions, and producers held back to a later batch than their consumers.
type spanMaker struct {
	rng     *rand.Rand
	clk     *clock
	next    uint64
	waiting []spanSpec // producers whose consumers were sent in an earlier batch
}

func newSpanMaker(clk *clock) *spanMaker {
	return &spanMaker{rng: rand.New(rand.NewPCG(1, 2)), clk: clk}
}

func (m *spanMaker) batch(t *testing.T) []Span {
	specs := m.waiting
	m.waiting = nil
	rng := m.rng
	for range 30 {
		m.next++
		at := m.clk.now().Add(-time.Duration(rng.Int64N(int64(90 * time.Minute))))
		if rng.IntN(10) == 0 {
			at = m.clk.now().Add(-time.Duration(rng.Int64N(int64(8 * 24 * time.Hour)))) // late
		}
		topic := fmt.Sprintf("topic-%d", rng.IntN(3))
		p := producer(fmt.Sprintf("svc-%d", rng.IntN(3)), topic, m.next, 1, at)
		c := consumer(fmt.Sprintf("con-%d", rng.IntN(3)), "g", topic, m.next, 2, ref(m.next, 1), at.Add(time.Duration(rng.IntN(5000))*time.Millisecond), time.Duration(rng.IntN(3000))*time.Millisecond)
		c.statusError = rng.IntN(5) == 0
		if rng.IntN(4) == 0 {
			c.attrs["messaging.message.schema.version"] = fmt.Sprint(1 + rng.IntN(3))
		}
		specs = append(specs, c)
		if rng.IntN(3) == 0 {
			m.waiting = append(m.waiting, p)
		} else {
			specs = append(specs, p)
		}
	}
	return decode(t, specs...)
}

// checkLive waits for the live windows to be current at now and checks the flows and every
// window equal what the tables hold. With pairs shared between replicas a commit of pairs may
// follow the last answered batch, and other replicas' commits arrive with the next snapshot, so
// the windows have 5 seconds to agree.
func checkLive(t *testing.T, in *Ingester, now time.Time, step string) {
	t.Helper()
	lengths := liveLengths(&in.cfg)
	for _, d := range lengths {
		waitFor(t, func() bool { _, ok := in.w.live.sums(d, now); return ok })
	}
	var diff string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if diff = liveDiff(t, in, lengths, now); diff == "" {
			return
		}
	}
	t.Fatalf("%s: %s", step, diff)
}

// liveDiff says how the live flows and windows differ from the tables, or "" when they do not.
func liveDiff(t *testing.T, in *Ingester, lengths []time.Duration, now time.Time) string {
	ctx := context.Background()
	liveFlows, _ := in.w.live.flowRows(0)
	storedFlows, err := in.store.flowRows(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(liveFlows, storedFlows) {
		return fmt.Sprintf("live flows differ from the flow table:\nlive   %+v\nstored %+v", liveFlows, storedFlows)
	}
	for _, d := range lengths {
		live, ok := in.w.live.sums(d, now)
		if !ok {
			return fmt.Sprintf("window %s is not current", d)
		}
		stored, err := in.store.sumAggregates(ctx, windowStart(now, d), farFuture)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(live, stored) {
			return fmt.Sprintf("window %s: live sums differ from stored aggregates:\nlive   %s\nstored %s", d, describe(live), describe(stored))
		}
	}
	return ""
}

// TestLiveWindowsEqualStoredAggregates ingests spans at scattered times, late ones and producers
// that arrive after their consumers included, while the clock moves across minutes and hours, and
// checks after every step that each live window holds exactly what summing the aggregate rows of
// that window gives.
func TestLiveWindowsEqualStoredAggregates(t *testing.T) {
	storagetest.Each(t, testLiveWindowsEqualStoredAggregates)
}

func testLiveWindowsEqualStoredAggregates(t *testing.T, db *storage.DB) {
	clk := newClock(t0)
	in := startIngest(t, db, Config{Now: clk.now, RetentionEvery: 5 * time.Millisecond})
	if lengths := liveLengths(&in.cfg); len(lengths) != 5 {
		t.Fatalf("live windows %v, want the health window and four page windows", lengths)
	}
	spans := newSpanMaker(clk)
	for step := range 40 {
		ingest(t, in, spans.batch(t))
		clk.add([]time.Duration{0, 20 * time.Second, time.Minute, 7 * time.Minute, 61 * time.Minute}[step%5])
		checkLive(t, in, clk.now(), fmt.Sprintf("step %d", step))
	}
}

// TestLiveWindowsLoadBesideIngest holds the load of the live windows of a filled store while more
// spans are committed, and checks that once loaded they hold both: what the load's snapshot saw
// and what was committed after it.
func TestLiveWindowsLoadBesideIngest(t *testing.T) {
	storagetest.Each(t, testLiveWindowsLoadBesideIngest)
}

func testLiveWindowsLoadBesideIngest(t *testing.T, db *storage.DB) {
	clk := newClock(t0)
	cfg := Config{Now: clk.now, RetentionEvery: 5 * time.Millisecond}
	spans := newSpanMaker(clk)
	first, err := Start(context.Background(), db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		ingest(t, first, spans.batch(t))
	}
	if err := first.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	started, release := make(chan struct{}), make(chan struct{})
	testHookLoading = func() { close(started); <-release }
	t.Cleanup(func() { testHookLoading = nil })
	in, err := Start(context.Background(), db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close(context.Background())
	<-started
	for range 5 {
		ingest(t, in, spans.batch(t)) // committed while the load waits on its snapshot
	}
	if _, ok := in.w.live.sums(time.Hour, clk.now()); ok {
		t.Fatal("live windows answered before their load finished")
	}
	close(release)
	checkLive(t, in, clk.now(), "after the load")
	ingest(t, in, spans.batch(t))
	clk.add(3 * time.Minute)
	checkLive(t, in, clk.now(), "after one more batch")
}

// TestLiveFlowsFollowRetention checks the live copy of the flow table forgets flows retention
// deleted.
func TestLiveFlowsFollowRetention(t *testing.T) {
	storagetest.Each(t, testLiveFlowsFollowRetention)
}

func testLiveFlowsFollowRetention(t *testing.T, db *storage.DB) {
	clk := newClock(t0)
	in := startIngest(t, db, Config{Now: clk.now, FlowRetention: 48 * time.Hour, RetentionEvery: 5 * time.Millisecond})
	ingest(t, in, decode(t, producer("old", "orders", 1, 1, t0)))
	clk.add(49 * time.Hour)
	ingest(t, in, decode(t, producer("new", "orders", 2, 1, clk.now())))
	waitFor(t, func() bool { return count(t, db, "flow") == 1 })
	waitFor(t, func() bool {
		flows, ok := in.w.live.flowRows(0)
		return ok && len(flows) == 1
	})
	flows, _ := in.w.live.flowRows(0)
	for _, f := range flows {
		if f.key.Service != "new" {
			t.Errorf("live flows hold %+v, want only the new producer", f)
		}
	}
}

func describe(sums map[int64]*aggregate) string {
	out := ""
	for id, a := range sums {
		out += fmt.Sprintf("%d:%+v ", id, *a)
	}
	return out
}

func TestLiveWindowsNotShorterThanRetentionAreLeftOut(t *testing.T) {
	cfg := Config{FlowRetention: 48 * time.Hour}
	cfg.setDefaults()
	got := liveLengths(&cfg)
	want := []time.Duration{5 * time.Minute, 15 * time.Minute, time.Hour, 24 * time.Hour}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("live windows %v, want %v", got, want)
	}
}

// BenchmarkLiveLoad measures loading the live windows at start, which the writer does before it
// takes its first batch, on aggregates as busy as BenchmarkPages' store: 3,000 flows, each with a
// row in every minute of the last 25 hours and every hour of the last 8 days.
//
//	go test ./tracing -run '^$' -bench LiveLoad -benchtime 5x
func BenchmarkLiveLoad(b *testing.B) {
	const flows = 3000
	st := storagetest.SQLite(b)
	in, db := startIngest(b, st, Config{}), st.SQLite
	ctx := context.Background()
	now := time.Now()
	m2 := floorDiv(now.Unix(), 60) + 1
	h2 := floorDiv(m2, 60) + 1
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`WITH RECURSIVE f(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM f WHERE id < ?)
			INSERT INTO flow (id, direction, service, system, cluster, destination, consumer_group, first_seen_ns, last_seen_ns)
			SELECT id, 'produce', 'svc-' || id, 'kafka', '', 'topic-' || id, '', ?, ? FROM f`, []any{flows, now.UnixNano(), now.UnixNano()}},
		{`WITH RECURSIVE m(x) AS (SELECT ? UNION ALL SELECT x + 1 FROM m WHERE x + 1 < ?),
			f(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM f WHERE id < ?)
			INSERT INTO flow_minute (minute, flow_id, messages, errors, last_seen_ns, p5, d3) SELECT x, id, 3, id % 2, x * 60000000000, 3, 2 FROM m, f`,
			[]any{m2 - 25*60, m2, flows}},
		{`WITH RECURSIVE h(x) AS (SELECT ? UNION ALL SELECT x + 1 FROM h WHERE x + 1 < ?),
			f(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM f WHERE id < ?)
			INSERT INTO flow_hour (hour, flow_id, messages, errors, last_seen_ns, p5, d3) SELECT x, id, 180, id % 2, x * 3600000000000, 180, 120 FROM h, f`,
			[]any{h2 - 8*24, h2, flows}},
	} {
		if _, err := db.Write.ExecContext(ctx, q.sql, q.args...); err != nil {
			b.Fatal(err)
		}
	}
	l := newLiveWindows(liveLengths(&in.cfg))
	b.ResetTimer()
	for b.Loop() {
		loaded, sums, err := l.read(ctx, sqliteStore{db: db}, now)
		if err != nil {
			b.Fatal(err)
		}
		if len(loaded) != flows || len(sums[time.Hour]) != flows {
			b.Fatalf("loaded %d flows, %d in the hour window", len(loaded), len(sums[time.Hour]))
		}
	}
}

// TestCloseCancelsLiveLoad closes ingest while the live windows' load waits: the load is
// cancelled, so its read transaction and connection are released at once, not when it ends.
// SQLite only: database/sql rolls a transaction back when its context ends, while a pgx
// transaction ends when the load, cancelled, returns from its next query.
func TestCloseCancelsLiveLoad(t *testing.T) {
	db, err := sqlitedb.Open(context.Background(), filepath.Join(t.TempDir(), "eventlens.db"))
	if err != nil {
		t.Fatal(err)
	}
	started, release := make(chan struct{}), make(chan struct{})
	testHookLoading = func() { close(started); <-release }
	t.Cleanup(func() { testHookLoading = nil })
	in, err := Start(context.Background(), &storage.DB{SQLite: db}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	<-started
	if err := in.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(time.Minute); db.Read.Stats().InUse > 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) { // a hang guard, not a timing: the load holds it until released
			t.Fatal("the load still holds a read connection after Close")
		}
	}
	close(release) // the load goes on with a cancelled context, reads nothing and ends
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}
