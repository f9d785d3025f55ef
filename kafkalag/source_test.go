package kafkalag

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/eventlens/eventlens/storage/storagetest"
)

// clusterState returns the state of the named cluster.
func clusterState(t testing.TB, m *Monitor, name string) ClusterState {
	t.Helper()
	for _, s := range m.Clusters() {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no cluster %q in %+v", name, m.Clusters())
	return ClusterState{}
}

// syncBuffer is a log destination tests read while the Monitor writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestClusterDownGivesAClearStateAndBlocksNothing(t *testing.T) {
	k := newKafka(t, []string{"orders"})
	produce(t, newClient(t, k), "orders", 3)
	newConsumer(t, k, "billing", "orders").consume(3)
	var logs syncBuffer
	clk := newClock()
	m := newMonitor(t, storagetest.Default(t), Config{
		Clusters: []Cluster{
			kafkaCluster("up", k),
			{Name: "down", Brokers: []string{closedPort(t)}},
			{Name: "hangs", Brokers: []string{blackHole(t)}},
		},
		PollInterval: 5 * time.Second, PollTimeout: 2 * time.Second,
		Logger: slog.New(slog.NewTextHandler(&logs, nil)), Now: clk.Now,
	})

	if s := clusterState(t, m, "down"); s.State != StatePending || !s.LastAttempt.IsZero() {
		t.Errorf("before the first poll: %+v, want pending", s)
	}
	start := time.Now()
	done := make(chan error)
	go func() { done <- m.PollOnce(context.Background()) }()
	// The working cluster's groups are there long before the others time out, and reading
	// them does not wait for the round.
	for clusterState(t, m, "up").LastSuccess.IsZero() {
		if time.Since(start) > time.Second {
			t.Fatalf("the working cluster was not polled within 1s: %+v", m.Clusters())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, ok := m.Group("up", "billing"); !ok {
		t.Errorf("no group billing while the other clusters are still being polled: %+v", m.Groups())
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("the round took %s with a 2s poll timeout", took)
	}

	up, down, hangs := clusterState(t, m, "up"), clusterState(t, m, "down"), clusterState(t, m, "hangs")
	t.Logf("down: %s; hangs: %s", down.LastError, hangs.LastError)
	if up.State != StateOK || up.LastError != "" || up.Groups != 1 || up.ClusterID == "" || !up.PolledHere {
		t.Errorf("up = %+v", up)
	}
	if down.State != StateUnreachable || !strings.HasPrefix(down.LastError, "cannot connect: 127.0.0.1:") || !strings.Contains(down.LastError, "connection refused") ||
		!down.LastSuccess.IsZero() || !down.LastAttempt.Equal(clk.Now()) {
		t.Errorf("down = %+v, want an error saying the connection was refused", down)
	}
	if hangs.State != StateUnreachable || !strings.HasPrefix(hangs.LastError, "no answer within 2s") {
		t.Errorf("hangs = %+v, want a timeout", hangs)
	}

	// Logged once per change of state, not once per poll.
	clk.advance(5 * time.Second)
	pollOnce(t, m)
	if n := strings.Count(logs.String(), `msg="kafka cluster poll failed" cluster=down`); n != 1 {
		t.Errorf("the failure of cluster down was logged %d times in two polls:\n%s", n, logs.String())
	}
	if n := strings.Count(logs.String(), `msg="kafka cluster polled" cluster=up`); n != 1 {
		t.Errorf("the success of cluster up was logged %d times in two polls:\n%s", n, logs.String())
	}
}

func TestClusterReachableAgain(t *testing.T) {
	k := newKafka(t, []string{"orders"})
	var logs syncBuffer
	clk := newClock()
	cl := kafkaCluster("shop", k)
	m := newMonitor(t, storagetest.Default(t), Config{Clusters: []Cluster{cl}, PollInterval: 2 * time.Second, PollTimeout: time.Second,
		Logger: slog.New(slog.NewTextHandler(&logs, nil)), Now: clk.Now})
	clk.poll(t, m)
	first := clusterState(t, m, "shop")
	// The broker drops every connection that lists groups for a while, then answers again.
	var down atomic.Bool
	k.ControlKey(int16(kmsg.ListGroups), func(kmsg.Request) (kmsg.Response, error, bool) {
		if !down.Load() {
			return nil, nil, false
		}
		k.KeepControl()
		return nil, errors.New("down"), true
	})
	down.Store(true)
	clk.poll(t, m)
	failed := clusterState(t, m, "shop")
	down.Store(false)
	clk.poll(t, m)
	again := clusterState(t, m, "shop")
	if first.State != StateOK || failed.State == StateOK || failed.LastError == "" || !failed.LastSuccess.Equal(first.LastAttempt) || again.State != StateOK || again.LastError != "" {
		t.Errorf("states: %+v, then %+v, then %+v", first, failed, again)
	}
	if !strings.Contains(logs.String(), `msg="kafka cluster reachable again" cluster=shop`) {
		t.Errorf("no log of the recovery:\n%s", logs.String())
	}
}

func TestSASL(t *testing.T) {
	for _, mech := range SASLMechanisms {
		t.Run(mech, func(t *testing.T) {
			k := newKafka(t, []string{"orders"}, kfake.EnableSASL(), kfake.Superuser(mech, "eventlens", "right"))
			right := Cluster{Name: "right", Brokers: k.ListenAddrs(), SASL: SASL{Mechanism: mech, User: "eventlens", Password: "right"}}
			wrong := Cluster{Name: "wrong", Brokers: k.ListenAddrs(), SASL: SASL{Mechanism: mech, User: "eventlens", Password: "wrong"}}
			none := Cluster{Name: "none", Brokers: k.ListenAddrs()}
			m := newMonitor(t, storagetest.Default(t), Config{Clusters: []Cluster{right, wrong, none}, PollInterval: 3 * time.Second, PollTimeout: 2 * time.Second})
			pollOnce(t, m)
			if s := clusterState(t, m, "right"); s.State != StateOK {
				t.Errorf("right password: %+v", s)
			}
			if s := clusterState(t, m, "wrong"); s.State != StateUnauthorized || !strings.Contains(s.LastError, "SASL "+mech+" login") {
				t.Errorf("wrong password: %+v, want an error naming SASL", s)
			}
			t.Logf("wrong: %s; none: %s", clusterState(t, m, "wrong").LastError, clusterState(t, m, "none").LastError)
			if s := clusterState(t, m, "none"); s.State == StateOK || s.LastError == "" {
				t.Errorf("no credentials: %+v, want an error", s)
			}
		})
	}
}

func TestTLS(t *testing.T) {
	ca, cert, key := writeTestCA(t, t.TempDir())
	k := newKafka(t, []string{"orders"}, kfake.TLS(serverTLS(t, cert, key)))
	tlsWith := func(f TLSFiles) Cluster {
		cfg, err := f.Config()
		if err != nil {
			t.Fatal(err)
		}
		return Cluster{Brokers: k.ListenAddrs(), TLS: cfg}
	}
	verified, skipped, unknown := tlsWith(TLSFiles{CAFile: ca}), tlsWith(TLSFiles{InsecureSkipVerify: true}), tlsWith(TLSFiles{})
	verified.Name, skipped.Name, unknown.Name = "verified", "skipped", "unknown"
	plaintext := Cluster{Name: "plaintext", Brokers: k.ListenAddrs()}
	m := newMonitor(t, storagetest.Default(t), Config{Clusters: []Cluster{verified, skipped, unknown, plaintext}, PollInterval: 3 * time.Second, PollTimeout: 2 * time.Second})
	pollOnce(t, m)
	for name, ok := range map[string]bool{"verified": true, "skipped": true, "unknown": false, "plaintext": false} {
		s := clusterState(t, m, name)
		if (s.State == StateOK) != ok {
			t.Errorf("%s: %+v, want OK %v", name, s, ok)
		}
	}
	t.Logf("unknown: %s; plaintext: %s", clusterState(t, m, "unknown").LastError, clusterState(t, m, "plaintext").LastError)
	if s := clusterState(t, m, "unknown"); s.State != StateUnreachable || !strings.Contains(s.LastError, "certificate signed by unknown authority") {
		t.Errorf("a broker certificate from an unknown CA: %q, want the reason", s.LastError)
	}
}
