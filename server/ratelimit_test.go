package server

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eventlens/eventlens/apikeys"
)

func TestWriteLimiterBuckets(t *testing.T) {
	l := newWriteLimiter(1, 2)
	l.maxWait = 0 // refuse at once, so the fixed clock decides everything
	now := time.Unix(1000, 0)
	l.now = func() time.Time { return now }
	ctx := context.Background()
	for i, want := range []bool{true, true, false} {
		if ok, _ := l.allow(ctx, "a", false); ok != want {
			t.Fatalf("write %d of a: allowed=%v, want %v", i+1, ok, want)
		}
	}
	if ok, wait := l.allow(ctx, "a", false); ok || wait <= 0 || wait > time.Second {
		t.Fatalf("over the burst: allowed=%v wait=%v", ok, wait)
	}
	if ok, _ := l.allow(ctx, "b", false); !ok {
		t.Fatal("another client shares a's bucket")
	}
	now = now.Add(time.Second)
	if ok, _ := l.allow(ctx, "a", false); !ok {
		t.Fatal("a's bucket did not refill")
	}
	// A client address has addressFactor times a key's burst.
	for i := range 2 * addressFactor {
		if ok, _ := l.allow(ctx, "addr", true); !ok {
			t.Fatalf("write %d of an address, within its burst of %d: refused", i+1, 2*addressFactor)
		}
	}
	if ok, _ := l.allow(ctx, "addr", true); ok {
		t.Fatal("an address over its burst was allowed")
	}
}

// TestWriteLimiterPaces: a client that waits for each answer is slowed to the rate, not refused;
// one whose writes would wait longer than maxWait is refused, and so is one that gives up.
func TestWriteLimiterPaces(t *testing.T) {
	l := newWriteLimiter(2000, 1)
	ctx := context.Background()
	for i := range 100 {
		if ok, wait := l.allow(ctx, "a", false); !ok {
			t.Fatalf("write %d, one at a time over the burst: refused (wait %v)", i+1, wait)
		}
	}
	slow := newWriteLimiter(0.01, 1)
	if ok, _ := slow.allow(ctx, "a", false); !ok {
		t.Fatal("the first write was refused")
	}
	if ok, wait := slow.allow(ctx, "a", false); ok || wait <= slow.maxWait {
		t.Fatalf("a write 100 s away: allowed=%v wait=%v, want refused", ok, wait)
	}
	slow.maxWait = time.Hour
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if ok, _ := slow.allow(cancelled, "a", false); ok {
		t.Fatal("a write whose request ended was allowed")
	}
}

func TestWritesAreRateLimitedPerKey(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.WriteRate, c.WriteBurst = 0.01, 3 })
	ctx := context.Background()
	one, secretOne, _ := ts.srv.svc.Keys.Create(ctx, "one", apikeys.RoleWrite)
	two, secretTwo, _ := ts.srv.svc.Keys.Create(ctx, "two", apikeys.RoleWrite)
	send := func(id, secret, method, path string) *http.Response {
		req, _ := http.NewRequest(method, ts.URL+path, strings.NewReader(`{"schema":"\"string\""}`))
		req.Header.Set("Content-Type", "application/vnd.schemaregistry.v1+json")
		req.SetBasicAuth(id, secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for i := range 3 {
		if resp := send(one.ID, secretOne, "POST", "/subjects/s/versions"); resp.StatusCode != 200 {
			t.Fatalf("write %d within the burst: %d", i+1, resp.StatusCode)
		}
	}
	resp := send(one.ID, secretOne, "POST", "/subjects/s/versions")
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("write over the burst: %d, want 429", resp.StatusCode)
	}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s < 1 {
		t.Fatalf("Retry-After %q", resp.Header.Get("Retry-After"))
	}
	// Reads are never limited, and another key has its own budget.
	if resp := send(one.ID, secretOne, "GET", "/subjects"); resp.StatusCode != 200 {
		t.Fatalf("read after the limit: %d", resp.StatusCode)
	}
	if resp := send(two.ID, secretTwo, "POST", "/subjects/s/versions"); resp.StatusCode != 200 {
		t.Fatalf("another key's write: %d", resp.StatusCode)
	}
}
