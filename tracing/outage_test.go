package tracing

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/eventlens/eventlens/pgdb"
	"github.com/eventlens/eventlens/pgdb/pgtest"
	"github.com/eventlens/eventlens/storage"
)

// proxy forwards TCP connections to a PostgreSQL server, so a test can take the database away
// (as a stopped server or a cut network would) without stopping the server other tests use.
type proxy struct {
	t      *testing.T
	target string
	addr   string
	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
}

func startProxy(t *testing.T, target string) *proxy {
	p := &proxy{t: t, target: target, addr: "127.0.0.1:0"}
	p.start()
	t.Cleanup(p.stop)
	return p
}

// start listens (again) on the proxy's address.
func (p *proxy) start() {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatal(err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			go func() { io.Copy(s, c); s.Close() }()
			go func() { io.Copy(c, s); c.Close() }()
		}
	}()
}

// stop refuses new connections and breaks the open ones.
func (p *proxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ln.Close()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestIngestRefusesWhileTheDatabaseIsAway takes the database away under ingest: requests are
// refused with pgdb.ErrUnavailable (which the server answers 503 with Retry-After), and once it is
// back ingest recovers on its own, with every acknowledged span stored.
func TestIngestRefusesWhileTheDatabaseIsAway(t *testing.T) {
	ctx := context.Background()
	direct := pgtest.URL(t)
	u, err := url.Parse(direct)
	if err != nil {
		t.Fatal(err)
	}
	p := startProxy(t, u.Host)
	u.Host = p.addr
	db, err := pgdb.Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
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
	p.stop()
	for range 3 {
		if err := send(); !errors.Is(err, pgdb.ErrUnavailable) {
			t.Fatalf("ingest while the database is away: %v, want pgdb.ErrUnavailable", err)
		}
	}
	p.start()
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
