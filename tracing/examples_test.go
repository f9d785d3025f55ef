package tracing

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/eventlens/eventlens/storage"
	"github.com/eventlens/eventlens/storage/storagetest"
)

func TestErrorExamples(t *testing.T) {
	storagetest.Each(t, testErrorExamples)
}

func testErrorExamples(t *testing.T, db *storage.DB) {
	clk := newClock(t0)
	cfg := Config{Now: clk.now, SpanRetention: time.Hour}
	in, err := Start(context.Background(), db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	// billing fails 8 times on orders, fraud once on orders and once on payments; shipping
	// never; a failed span that is not a messaging span is no example.
	var specs []spanSpec
	for i := range 8 {
		c := consumer("billing", "billing", "orders", uint64(100+i), 1, ref(1, 1), t0.Add(-time.Duration(10-i)*time.Minute), time.Millisecond)
		c.statusError = true
		specs = append(specs, c)
	}
	for i, dest := range []string{"orders", "payments"} {
		c := consumer("fraud", "fraud", dest, uint64(200+i), 1, ref(1, 1), t0.Add(-time.Duration(30+i)*time.Minute), time.Millisecond)
		c.statusError = true
		specs = append(specs, c)
	}
	specs = append(specs, consumer("shipping", "shipping", "orders", 300, 1, ref(1, 1), t0, time.Millisecond),
		spanSpec{service: "web", kind: 2, trace: 400, span: 1, start: t0, duration: time.Millisecond, statusError: true})
	ingest(t, in, decode(t, specs...))

	names := func(ex []ErrorExample) []string {
		var out []string
		for _, e := range ex {
			out = append(out, fmt.Sprintf("%s %s %s", e.Service, e.ChannelKey, e.Start.Sub(t0)))
		}
		return out
	}
	check := func(in *Ingester) {
		t.Helper()
		for _, tt := range []struct {
			q    ExampleQuery
			want []string
		}{
			{ExampleQuery{}, []string{"billing kafka/orders -3m0s", "billing kafka/orders -4m0s", "billing kafka/orders -5m0s",
				"fraud kafka/orders -30m0s", "fraud kafka/payments -31m0s"}},
			{ExampleQuery{Service: "billing", PerFlow: 9}, []string{"billing kafka/orders -3m0s", "billing kafka/orders -4m0s",
				"billing kafka/orders -5m0s", "billing kafka/orders -6m0s", "billing kafka/orders -7m0s"}}, // 5 kept per flow
			{ExampleQuery{Channel: "kafka/payments"}, []string{"fraud kafka/payments -31m0s"}},
			{ExampleQuery{Limit: 2}, []string{"billing kafka/orders -3m0s", "billing kafka/orders -4m0s"}},
			{ExampleQuery{Service: "shipping"}, nil},
		} {
			if got := names(in.ErrorExamples(tt.q)); !slices.Equal(got, tt.want) {
				t.Errorf("%+v: %q, want %q", tt.q, got, tt.want)
			}
		}
	}
	check(in)

	// A restart finds the same examples in the stored spans.
	if err := in.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	in, err = Start(context.Background(), db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close(context.Background())
	check(in)

	// Examples whose spans retention has dropped are not offered.
	clk.add(35 * time.Minute)
	if got := names(in.ErrorExamples(ExampleQuery{Service: "fraud"})); len(got) != 0 {
		t.Errorf("fraud's failures are over an hour old, yet offered: %q", got)
	}
}
