package kafkalag

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/eventlens/eventlens/pgdb"
	"github.com/eventlens/eventlens/pgdb/pgtest"
	"github.com/eventlens/eventlens/storage"
)

// Two replicas on one PostgreSQL: one polls the brokers, the other reads what it stored and
// shows the same; when the poller goes, the other takes over.
func TestReplicasShareOnePoller(t *testing.T) {
	url := pgtest.URL(t)
	open := func() *storage.DB {
		db := pgtest.OpenURL(t, url)
		return &storage.DB{Postgres: db}
	}
	k := newKafka(t, []string{"orders"})
	producer := newClient(t, k)
	billing := newConsumer(t, k, "billing", "orders")
	produce(t, producer, "orders", 10)
	billing.consume(4)

	clk := newClock()
	cfg := Config{Clusters: []Cluster{kafkaCluster("shop", k)}, Window: 3, Now: clk.Now}
	a, b := newMonitor(t, open(), cfg), newMonitor(t, open(), cfg)
	clk.poll(t, a)
	pollOnce(t, b)
	if !clusterState(t, a, "shop").PolledHere || clusterState(t, b, "shop").PolledHere {
		t.Fatalf("a: %+v; b: %+v; want a to poll and b to read", a.Clusters(), b.Clusters())
	}
	for range 2 {
		produce(t, producer, "orders", 5)
		clk.poll(t, a)
		pollOnce(t, b)
	}
	if ga, gb := a.Groups(), b.Groups(); !reflect.DeepEqual(ga, gb) || len(ga) != 1 || ga[0].Lag != 16 || ga[0].Status != StatusErr {
		t.Errorf("the poller sees %+v\nthe reader sees %+v\nwant the same: billing, 16 behind, STALL", ga, gb)
	}
	sa, sb := clusterState(t, a, "shop"), clusterState(t, b, "shop")
	// Only the poller polled, and its poll counts are its own; the rest is shared.
	if sa.Polls != 3 || sa.PollErrors != 0 || sb.Polls != 0 {
		t.Errorf("polls: %d (%d failed) on the poller, %d on the reader; want 3, 0, 0", sa.Polls, sa.PollErrors, sb.Polls)
	}
	sa.PolledHere, sa.Polls, sa.PollSeconds = false, 0, 0
	if !reflect.DeepEqual(sa, sb) {
		t.Errorf("cluster state on the poller %+v, on the reader %+v", sa, sb)
	}

	// The poller goes away: its session ends and the reader takes over on its next round,
	// its window intact.
	a.Close()
	billing.consume(16)
	clk.poll(t, b)
	if !clusterState(t, b, "shop").PolledHere {
		t.Fatalf("b did not take over: %+v", b.Clusters())
	}
	if g := mustGroup(t, b, "shop", "billing"); g.Lag != 0 || g.Status != StatusOK || g.Complete != 1 {
		t.Errorf("after the take-over: %+v", g)
	}
}

// The poller's session ends under it (a network cut, an administrator): another replica takes
// the lock, and the old poller, finding its session gone, becomes a reader instead of polling
// beside it.
func TestPollerWhoseSessionDiesGivesWay(t *testing.T) {
	url := pgtest.URL(t)
	dbs := make([]*pgdb.DB, 2)
	for i := range dbs {
		db := pgtest.OpenURL(t, url)
		dbs[i] = db
	}
	k := newKafka(t, []string{"orders"})
	clk := newClock()
	cfg := Config{Clusters: []Cluster{kafkaCluster("shop", k)}, Now: clk.Now}
	a, b := newMonitor(t, &storage.DB{Postgres: dbs[0]}, cfg), newMonitor(t, &storage.DB{Postgres: dbs[1]}, cfg)
	clk.poll(t, a)
	pollOnce(t, b)

	const holder = `SELECT pid FROM pg_locks
		WHERE locktype = 'advisory' AND classid = $1 AND objid = hashtext(current_schema())::oid AND objsubid = 2 AND granted`
	var killed bool
	if err := dbs[1].Pool.QueryRow(context.Background(), `SELECT pg_terminate_backend(pid) FROM (`+holder+`) h`, pollerLock).Scan(&killed); err != nil || !killed {
		t.Fatalf("end the poller's session: %v, %v", killed, err)
	}
	// The server lets go of the lock as the session's process exits, a moment later.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var pid int32
		if err := dbs[1].Pool.QueryRow(context.Background(), holder, pollerLock).Scan(&pid); errors.Is(err, pgx.ErrNoRows) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the lock outlived its session by 5s")
		}
	}
	clk.poll(t, b)
	clk.poll(t, a)
	if !clusterState(t, b, "shop").PolledHere || clusterState(t, a, "shop").PolledHere {
		t.Errorf("a: %+v; b: %+v; want b to poll now and a to read", a.Clusters(), b.Clusters())
	}
	if sa, sb := clusterState(t, a, "shop"), clusterState(t, b, "shop"); !sa.LastAttempt.Equal(sb.LastAttempt) || sb.State != StateOK {
		t.Errorf("a read up to %s, b polled at %s", sa.LastAttempt, sb.LastAttempt)
	}
}
