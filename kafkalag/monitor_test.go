package kafkalag

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eventlens/eventlens/storage/storagetest"
)

// poll advances the clock by one interval and polls.
func (clk *clock) poll(t testing.TB, m *Monitor) {
	t.Helper()
	clk.advance(30 * time.Second)
	pollOnce(t, m)
}

func TestLagGrowsWhileTheConsumerPausesAndShrinksWhenItResumes(t *testing.T) {
	k := newKafka(t, []string{"orders"})
	producer := newClient(t, k)
	billing := newConsumer(t, k, "billing", "orders")
	clk := newClock()
	m := newMonitor(t, storagetest.Default(t), Config{Clusters: []Cluster{kafkaCluster("shop", k)}, Now: clk.Now})

	produce(t, producer, "orders", 10)
	billing.consume(10)
	clk.poll(t, m)
	g := mustGroup(t, m, "shop", "billing")
	if g.Lag != 0 || g.Status != StatusOK || g.State != "Stable" || g.Members != 1 {
		t.Fatalf("caught up: %+v", g)
	}
	if p := g.Partitions[0]; p.Topic != "orders" || p.Committed != 10 || p.End != 10 || !p.Assigned || !p.TimeLagKnown || p.TimeLag != 0 {
		t.Fatalf("caught up partition: %+v", p)
	}

	// The consumer pauses: lag grows, in messages and in time.
	var lags []int64
	var timeLags []time.Duration
	for range 3 {
		produce(t, producer, "orders", 20)
		clk.poll(t, m)
		g = mustGroup(t, m, "shop", "billing")
		lags, timeLags = append(lags, g.Lag), append(timeLags, g.TimeLag)
	}
	if want := []int64{20, 40, 60}; !slices.Equal(lags, want) {
		t.Errorf("lag while paused = %v, want %v", lags, want)
	}
	// The first message not consumed was produced between the first two polls; each poll puts
	// it 30 s further behind.
	if want := []time.Duration{30 * time.Second, 60 * time.Second, 90 * time.Second}; !slices.Equal(timeLags, want) {
		t.Errorf("time lag while paused = %v, want %v", timeLags, want)
	}
	if len(g.Topics) != 1 || g.Topics[0] != (TopicLag{Topic: "orders", Partitions: 1, Lag: 60, TimeLag: 90 * time.Second}) {
		t.Errorf("topics = %+v", g.Topics)
	}

	// It resumes and works half of its backlog, then all of it.
	billing.consume(30)
	clk.poll(t, m)
	if g = mustGroup(t, m, "shop", "billing"); g.Lag != 30 || g.TimeLag >= 90*time.Second {
		t.Errorf("half way: lag %d, time lag %s; want 30 and less than 1m30s", g.Lag, g.TimeLag)
	}
	billing.consume(30)
	clk.poll(t, m)
	if g = mustGroup(t, m, "shop", "billing"); g.Lag != 0 || g.TimeLag != 0 || g.Status != StatusOK {
		t.Errorf("resumed: %+v", g)
	}
}

// TestBurrowStatuses drives real consumers into each of Burrow's states and polls them.
func TestBurrowStatuses(t *testing.T) {
	const window = 3
	for _, c := range []struct {
		name   string
		status Status // the group's
		part   Status // the partition's
		reason string
		// start runs before the first poll, step before each poll after it.
		start, step func(t *testing.T, env *burrowEnv)
	}{
		{
			name: "OK: keeps up", status: StatusOK, part: StatusOK, reason: "caught up",
			start: func(t *testing.T, e *burrowEnv) { e.produce(10); e.consumer().consume(10) },
			step:  func(t *testing.T, e *burrowEnv) { e.produce(5); e.consumer().consume(5) },
		},
		{
			name: "WARN: consumes slower than produced", status: StatusWarn, part: StatusWarn, reason: "WARN on lagging[0]: the lag never fell in 3 polls (1m0s): 5 then 15 behind",
			start: func(t *testing.T, e *burrowEnv) { e.produce(10); e.consumer().consume(5) },
			step:  func(t *testing.T, e *burrowEnv) { e.produce(10); e.consumer().consume(5) },
		},
		{
			name: "STALL: a member that stopped working", status: StatusErr, part: StatusStall, reason: "STALL on lagging[0]: a member owns it, but the committed offset stayed at 5",
			start: func(t *testing.T, e *burrowEnv) { e.produce(10); e.consumer().consume(5) },
			step:  func(t *testing.T, e *burrowEnv) { e.produce(10) },
		},
		{
			name: "STOP: the consumer is gone", status: StatusErr, part: StatusStop, reason: "STOP on lagging[0]: no member consumes it, and the committed offset stayed at 5",
			start: func(t *testing.T, e *burrowEnv) { e.produce(10); e.consumer().consume(5); e.consumer().cl.Close() },
			step:  func(t *testing.T, e *burrowEnv) { e.produce(10) },
		},
		{
			name: "REWIND: offsets reset to an earlier point", status: StatusErr, part: StatusRewind, reason: "REWIND on lagging[0]: the committed offset went back from 20 to 5",
			start: func(t *testing.T, e *burrowEnv) { e.produce(30); e.consumer().consume(20); e.consumer().cl.Close() },
			step: func(t *testing.T, e *burrowEnv) {
				// What kafka-consumer-groups --reset-offsets does: an admin commit to an empty group.
				offsets := kadm.Offsets{}
				offsets.AddOffset("lagging", 0, 5, -1)
				if err := kadm.NewClient(newClient(t, e.k)).CommitAllOffsets(context.Background(), "lagger", offsets); err != nil {
					t.Fatal(err)
				}
			},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := &burrowEnv{t: t, k: newKafka(t, []string{"lagging"})}
			e.producer = newClient(t, e.k)
			clk := newClock()
			m := newMonitor(t, storagetest.Default(t), Config{Clusters: []Cluster{kafkaCluster("c", e.k)}, Window: window, Now: clk.Now})
			c.start(t, e)
			clk.poll(t, m)
			for range window - 1 {
				c.step(t, e)
				clk.poll(t, m)
			}
			g := mustGroup(t, m, "c", "lagger")
			if g.Status != c.status || g.Partitions[0].Status != c.part || !strings.Contains(g.Reason, c.reason) {
				t.Errorf("group %s, partition %s, %q; want %s, %s, %q", g.Status, g.Partitions[0].Status, g.Reason, c.status, c.part, c.reason)
			}
			if g.Complete != 1 {
				t.Errorf("complete = %v, want 1", g.Complete)
			}
		})
	}
}

type burrowEnv struct {
	t        *testing.T
	k        *kfake.Cluster
	producer *kgo.Client
	member   *consumer
}

func (e *burrowEnv) produce(n int) { produce(e.t, e.producer, "lagging", n) }

func (e *burrowEnv) consumer() *consumer {
	if e.member == nil {
		e.member = newConsumer(e.t, e.k, "lagger", "lagging")
	}
	return e.member
}
