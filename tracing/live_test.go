package tracing

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// TestLiveWindowsEqualStoredAggregates ingests spans at scattered times, late ones and producers
// that arrive after their consumers included, while the clock moves across minutes and hours, and
// checks after every step that each live window holds exactly what summing the aggregate rows of
// that window gives.
func TestLiveWindowsEqualStoredAggregates(t *testing.T) {
	clk := newClock(t0)
	in, db := startIngest(t, Config{Now: clk.now, RetentionEvery: 5 * time.Millisecond})
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	lengths := liveLengths(&in.cfg)
	if len(lengths) != 5 {
		t.Fatalf("live windows %v, want the health window and four page windows", lengths)
	}
	var next uint64
	var waiting []spanSpec // producers whose consumers were sent in an earlier batch
	for step := range 40 {
		var specs []spanSpec
		specs, waiting = append(specs, waiting...), nil
		for range 30 {
			next++
			at := clk.now().Add(-time.Duration(rng.Int64N(int64(90 * time.Minute))))
			if rng.IntN(10) == 0 {
				at = clk.now().Add(-time.Duration(rng.Int64N(int64(8 * 24 * time.Hour)))) // late
			}
			topic := fmt.Sprintf("topic-%d", rng.IntN(3))
			p := producer(fmt.Sprintf("svc-%d", rng.IntN(3)), topic, next, 1, at)
			c := consumer(fmt.Sprintf("con-%d", rng.IntN(3)), "g", topic, next, 2, ref(next, 1), at.Add(time.Duration(rng.IntN(5000))*time.Millisecond), time.Duration(rng.IntN(3000))*time.Millisecond)
			c.statusError = rng.IntN(5) == 0
			if rng.IntN(4) == 0 {
				c.attrs["messaging.message.schema.version"] = fmt.Sprint(1 + rng.IntN(3))
			}
			specs = append(specs, c)
			if rng.IntN(3) == 0 {
				waiting = append(waiting, p)
			} else {
				specs = append(specs, p)
			}
		}
		ingest(t, in, decode(t, specs...))

		clk.add([]time.Duration{0, 20 * time.Second, time.Minute, 7 * time.Minute, 61 * time.Minute}[step%5])
		now := clk.now()
		waitFor(t, func() bool { _, ok := in.w.live.sums(lengths[0], now); return ok })
		liveFlows, _ := in.w.live.flowRows(0)
		storedFlows, err := readFlowRows(ctx, db.Read, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(liveFlows, storedFlows) {
			t.Fatalf("step %d: live flows differ from the flow table:\nlive   %+v\nstored %+v", step, liveFlows, storedFlows)
		}
		for _, d := range lengths {
			waitFor(t, func() bool { _, ok := in.w.live.sums(d, now); return ok })
			live, _ := in.w.live.sums(d, now)
			stored, err := sumAggregates(ctx, db.Read, windowStart(now, d), farFuture)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(live, stored) {
				t.Fatalf("step %d, window %s: live sums differ from stored aggregates:\nlive   %s\nstored %s", step, d, describe(live), describe(stored))
			}
		}
	}
}

// TestLiveFlowsFollowRetention checks the live copy of the flow table forgets flows retention
// deleted.
func TestLiveFlowsFollowRetention(t *testing.T) {
	clk := newClock(t0)
	in, db := startIngest(t, Config{Now: clk.now, FlowRetention: 48 * time.Hour, RetentionEvery: 5 * time.Millisecond})
	ingest(t, in, decode(t, producer("old", "orders", 1, 1, t0)))
	clk.add(49 * time.Hour)
	ingest(t, in, decode(t, producer("new", "orders", 2, 1, clk.now())))
	waitFor(t, func() bool { return count(t, db.Read, "flow") == 1 })
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
