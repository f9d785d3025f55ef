package tracing

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/eventlens/eventlens/pgdb"
	"github.com/eventlens/eventlens/pgdb/pgtest"
	"github.com/eventlens/eventlens/storage"
)

// TestIngestRefusesWhileTheDatabaseIsAway takes the database away under ingest: requests are
// refused with pgdb.ErrUnavailable (which the server answers 503 with Retry-After), and once it is
// back ingest recovers on its own, with every acknowledged span stored.
func TestIngestRefusesWhileTheDatabaseIsAway(t *testing.T) {
	ctx := context.Background()
	direct := pgtest.URL(t)
	p, through := pgtest.NewProxy(t, direct)
	db := pgtest.OpenURL(t, through)
	in := startIngest(t, &storage.DB{Postgres: db}, Config{Now: newClock(t0).now})

	acked := 0
	send := func() error {
		acked++
		err := in.Ingest(ctx, decode(t, producer("orders", "orders", uint64(acked), 1, t0)))
		if err != nil {
			acked--
		}
		return err
	}
	if err := send(); err != nil {
		t.Fatal(err)
	}
	p.Stop()
	for range 3 {
		if err := send(); !errors.Is(err, pgdb.ErrUnavailable) {
			t.Fatalf("ingest while the database is away: %v, want pgdb.ErrUnavailable", err)
		}
	}
	p.Start()
	deadline := time.Now().Add(15 * time.Second)
	for send() != nil {
		if time.Now().After(deadline) {
			t.Fatal("ingest did not recover within 15s of the database coming back")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := send(); err != nil {
		t.Fatal(err)
	}

	check, err := pgdb.Open(ctx, direct)
	if err != nil {
		t.Fatal(err)
	}
	defer check.Close()
	if n := count(t, &storage.DB{Postgres: check}, "span"); n != acked {
		t.Errorf("%d spans stored, %d acknowledged", n, acked)
	}
	f, err := in.Flows(ctx, FlowQuery{Since: t0.Add(-time.Hour), Until: t0.Add(time.Hour)})
	if err != nil || len(f) != 1 || f[0].Messages != int64(acked) {
		t.Errorf("flows after the outage: %+v, %v; want %d messages", f, err, acked)
	}
}
