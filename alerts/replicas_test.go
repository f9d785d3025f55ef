package alerts

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/eventlens/eventlens/pgdb/pgtest"
	"github.com/eventlens/eventlens/storage"
)

// Two replicas on one PostgreSQL: one evaluates and sends, the other does nothing but show the
// same alerts; when the first goes, the other takes over without telling the receiver again.
func TestReplicasShareOneEvaluator(t *testing.T) {
	url := pgtest.URL(t)
	open := func() *storage.DB {
		db := pgtest.OpenURL(t, url)
		return &storage.DB{Postgres: db}
	}
	ctx := context.Background()
	recv := newReceiver(t)
	cfg := parse(t, `
receivers:
  - {name: hook, url: "`+recv.url("/hook")+`"}
rules:
  - {name: failing, kind: consumer_failing, severity: critical, receivers: [hook]}
`)
	health := &healthNow{}
	health.set(failing("billing"), failing("shipping"))
	a, b := New(open(), cfg, Inputs{Health: health}, nil), New(open(), cfg, Inputs{Health: health}, nil)
	defer b.Close()
	step := func(al *Alerts, at time.Time) {
		t.Helper()
		if err := al.Evaluate(ctx, at); err != nil {
			t.Fatal(err)
		}
		if err := al.Deliver(ctx, at); err != nil {
			t.Fatal(err)
		}
	}
	step(a, t0)
	health.set(failing("billing"))
	step(b, t0.Add(time.Minute)) // b does not lead: shipping stays firing
	if got := recv.got("/hook"); len(got) != 2 {
		t.Fatalf("%d notifications, want the two firing ones from a", len(got))
	}
	pa, err := a.List(ctx, Query{State: StateFiring})
	if err != nil {
		t.Fatal(err)
	}
	pb, err := b.List(ctx, Query{State: StateFiring})
	if err != nil {
		t.Fatal(err)
	}
	if pa.Total != 2 || pb.Total != 2 {
		t.Errorf("a shows %d firing, b %d; want both to show 2", pa.Total, pb.Total)
	}

	a.Close()
	step(b, t0.Add(2*time.Minute))
	got := recv.got("/hook")
	if len(got) != 3 || !strings.Contains(got[2], `"status":"resolved"`) || !strings.Contains(got[2], "shipping") {
		t.Fatalf("after the evaluator left: %v; want b to resolve shipping and send only that", got)
	}
}
