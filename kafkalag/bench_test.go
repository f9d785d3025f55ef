package kafkalag

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eventlens/eventlens/storage"
	"github.com/eventlens/eventlens/storage/storagetest"
)

// BenchmarkPoll measures one lag poll of 1,000 groups × 100 partitions against kfake: 20 topics
// of 100 partitions, each group committed on every partition of one of them. A poll reads the
// brokers, judges every partition, and stores the poll. The target is under 2 s.
//
//	go test -run '^$' -bench BenchmarkPoll -benchtime 10x ./kafkalag
func BenchmarkPoll(b *testing.B) {
	const groups, topics, partitions = 1000, 20, 100
	k := kafkaForBenchmark(b, groups, topics, partitions)
	for _, backend := range []struct {
		name string
		open func(testing.TB) *storage.DB
	}{{"sqlite", storagetest.SQLite}, {"postgres", storagetest.Postgres}} {
		b.Run(backend.name, func(b *testing.B) {
			clk := newClock()
			m := newMonitor(b, backend.open(b), Config{Clusters: []Cluster{kafkaCluster("bench", k)}, PollTimeout: 10 * time.Second, Now: clk.Now})
			for b.Loop() {
				clk.advance(30 * time.Second)
				pollOnce(b, m)
			}
			if s := clusterState(b, m, "bench"); s.State != StateOK || s.Groups != groups {
				b.Fatalf("cluster state %+v", s)
			}
			n := 0
			for _, g := range m.Groups() {
				n += len(g.Partitions)
			}
			if n != groups*partitions {
				b.Fatalf("%d group partitions judged, want %d", n, groups*partitions)
			}
			b.ReportMetric(float64(n), "partitions/poll")
		})
	}
	// On PostgreSQL the replicas that do not poll read each poll from the store instead.
	b.Run("postgres-reader", func(b *testing.B) {
		clk := newClock()
		db := storagetest.Postgres(b)
		cfg := Config{Clusters: []Cluster{kafkaCluster("bench", k)}, PollTimeout: 10 * time.Second, Now: clk.Now}
		poller, reader := newMonitor(b, db, cfg), newMonitor(b, db, cfg)
		for b.Loop() {
			b.StopTimer()
			clk.advance(30 * time.Second)
			pollOnce(b, poller)
			b.StartTimer()
			pollOnce(b, reader)
		}
		if s := clusterState(b, reader, "bench"); s.PolledHere || s.Groups != groups || !s.LastAttempt.Equal(clk.Now()) {
			b.Fatalf("reader's cluster state %+v", s)
		}
	})
}

func kafkaForBenchmark(b *testing.B, groups, topics, partitions int) *kfake.Cluster {
	b.Helper()
	names := make([]string, topics)
	for i := range names {
		names[i] = fmt.Sprintf("topic-%02d", i)
	}
	k, err := kfake.NewCluster(kfake.NumBrokers(3), kfake.SeedTopics(int32(partitions), names...))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(k.Close)
	ctx := context.Background()
	cl := newClient(b, k, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	var recs []*kgo.Record
	for _, topic := range names {
		for p := range partitions {
			for range 10 {
				recs = append(recs, &kgo.Record{Topic: topic, Partition: int32(p), Value: []byte("x")})
			}
		}
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		b.Fatal(err)
	}
	adm := kadm.NewClient(cl)
	for g := range groups {
		offsets := kadm.Offsets{}
		for p := range partitions {
			offsets.AddOffset(names[g%topics], int32(p), int64(g%10), -1)
		}
		if err := adm.CommitAllOffsets(ctx, fmt.Sprintf("group-%04d", g), offsets); err != nil {
			b.Fatal(err)
		}
	}
	return k
}
