package kafkalag

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/eventlens/eventlens/storage"
	"github.com/eventlens/eventlens/storage/storagetest"
)

// The store's behaviour, the same on both backends.

func samplePoll(cluster string, at time.Time) poll {
	return poll{
		cluster: cluster, at: at, clusterID: "kfake-1", state: StateOK,
		topics: []topicEnds{
			{topic: "orders", partitions: []partitionEnds{{0, 0, 120}, {1, -1, 7}}},
			{topic: "paiements-été", partitions: []partitionEnds{{0, 3, 3}}},
		},
		groups: []groupCommits{
			{group: "billing", state: "Stable", members: 2, partitions: []partitionCommit{
				{"orders", 0, 100, true}, {"orders", 1, -1, true}, {"paiements-été", 0, 3, false}}},
			{group: "broken", state: "Dead", err: "COORDINATOR_NOT_AVAILABLE"},
			{group: "empty", state: "Empty"},
		},
	}
}

func TestStore(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		s := newStore(db)
		defer s.close()
		t0 := time.Date(2026, 5, 1, 12, 0, 0, 123456789, time.UTC)
		polls := []poll{
			samplePoll("shop", t0),
			{cluster: "shop", at: t0.Add(30 * time.Second), state: StateUnreachable, err: "cannot connect: 127.0.0.1:9092: connection refused"},
			samplePoll("shop", t0.Add(time.Minute)),
			samplePoll("other", t0.Add(time.Minute)), // another cluster, same time
		}
		for _, p := range polls {
			if err := s.save(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.save(ctx, polls[0]); err == nil {
			t.Error("saving a poll of the same cluster and time twice worked")
		}

		got, err := s.pollsAfter(ctx, "shop", t0.Add(-time.Second))
		if err != nil {
			t.Fatal(err)
		}
		assertPolls(t, got, polls[:3])
		if got, err = s.pollsAfter(ctx, "shop", t0); err != nil {
			t.Fatal(err)
		}
		assertPolls(t, got, polls[1:3]) // strictly after
		if got, err = s.pollsAfter(ctx, "nobody", t0.Add(-time.Second)); err != nil || len(got) != 0 {
			t.Errorf("polls of an unknown cluster = %v, %v", got, err)
		}

		// Trim the commits of the first poll, and the polls before the second.
		if err := s.trim(ctx, "shop", t0.Add(time.Second), t0.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		if got, err = s.pollsAfter(ctx, "shop", t0.Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		assertPolls(t, got, polls[1:3])
		// Commits go before their polls: end offsets stay while the window has moved on.
		if err := s.trim(ctx, "shop", t0.Add(2*time.Minute), t0); err != nil {
			t.Fatal(err)
		}
		if got, err = s.pollsAfter(ctx, "shop", t0.Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		noCommits := polls[2]
		noCommits.groups = nil
		assertPolls(t, got, []poll{polls[1], noCommits})
		if got, err = s.pollsAfter(ctx, "other", t0); err != nil {
			t.Fatal(err)
		}
		assertPolls(t, got, polls[3:]) // another cluster's trim leaves it alone

		if lead, err := s.lead(ctx); err != nil || !lead {
			t.Errorf("a single store does not lead: %v, %v", lead, err)
		}
	})
}

func assertPolls(t *testing.T, got, want []poll) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("polls =\n%+v\nwant\n%+v", got, want)
	}
}

func TestStoreRejectsBadRows(t *testing.T) {
	for _, text := range []string{"", "{", `[[1,2]]`, `[[-1,0,5]]`, `[[4294967296,0,5]]`, `{"a":1}`} {
		if _, err := decodeEnds(text); err == nil {
			t.Errorf("decodeEnds(%q) worked", text)
		}
	}
	for _, text := range []string{"", "[", `{"a":[[0,1]]}`, `{"a":[[-2,1,0]]}`, `{"a":{"b":1}}`} {
		if _, err := decodeCommits(text); err == nil {
			t.Errorf("decodeCommits(%q) worked", text)
		}
	}
}

// A restart reads the history back: the window goes on, and so does the time lag.
func TestRestartKeepsTheWindow(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		k := newKafka(t, []string{"orders"})
		producer := newClient(t, k)
		stuck := newConsumer(t, k, "stuck", "orders")
		clk := newClock()
		cfg := Config{Clusters: []Cluster{kafkaCluster("shop", k)}, Window: 4, Now: clk.Now}
		first := newMonitor(t, db, cfg)
		produce(t, producer, "orders", 10)
		stuck.consume(5)
		for range 3 {
			clk.poll(t, first)
			produce(t, producer, "orders", 10)
		}
		before := mustGroup(t, first, "shop", "stuck")
		first.Close()

		second := newMonitor(t, db, cfg)
		clk.poll(t, second)
		g := mustGroup(t, second, "shop", "stuck")
		if before.Status != StatusOK || g.Status != StatusErr || !strings.HasPrefix(g.Reason, "STALL on orders[0]") {
			t.Errorf("before the restart %s %q, after it %s %q; want OK then STALL on the fourth poll", before.Status, before.Reason, g.Status, g.Reason)
		}
		// Offset 5 is older than the first poll: at 10 messages per 30 s it was the end 15 s
		// before it, 1m45s before the fourth.
		if g.TimeLag != 105*time.Second {
			t.Errorf("time lag after the restart = %s, want 1m45s", g.TimeLag)
		}
	})
}
