package rabbitmq

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeAnswers serves management API answers from a map of path to body; a path missing from it
// gets what missing says.
func fakeAPI(t *testing.T, answers map[string]string, missing http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if user, pass, _ := r.BasicAuth(); user != "monitor" || pass != "s3cret-pw" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"not_authorized","reason":"Login failed"}`)
			return
		}
		if !strings.Contains(r.URL.RawQuery, "columns=") {
			t.Errorf("%s asked for every column", r.URL.Path)
		}
		if body, ok := answers[r.URL.Path]; ok {
			fmt.Fprint(w, body)
			return
		}
		missing(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

var healthyAnswers = map[string]string{
	"/api/overview":  `{"cluster_name":"rabbit@test","rabbitmq_version":"3.10.8"}`,
	"/api/exchanges": `[{"vhost":"/","name":"","type":"direct"},{"vhost":"/","name":"dlx","type":"direct","arguments":[]}]`,
	"/api/queues": `[{"vhost":"/","name":"work","messages_ready":3,"arguments":{"x-dead-letter-exchange":"dlx"},"effective_policy_definition":[]},
		{"vhost":"/","name":"work.dlq","messages_ready":1}]`,
	"/api/bindings": `[{"vhost":"/","source":"dlx","destination":"work.dlq","destination_type":"queue","routing_key":"work"}]`,
}

func authURL(srv *httptest.Server, password string) string {
	return strings.Replace(srv.URL, "http://", "http://monitor:"+password+"@", 1)
}

// newTestMonitor returns a Monitor on urls and the buffer its log goes to.
func newTestMonitor(t *testing.T, cfg Config) (*Monitor, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m, logs
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestPollFailures(t *testing.T) {
	huge := `[{"vhost":"/","name":"` + strings.Repeat("q", 4096) + `"}]`
	deep := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
	for _, c := range []struct {
		name     string
		password string
		queues   string // the answer to /api/queues
		status   int
		maxBytes int64 // 1024 when 0
		state    State
		errText  string
	}{
		{"wrong password", "wrong-pw", "[]", 200, 0, StateUnauthorized, `HTTP 401 for user "monitor" (not_authorized: Login failed)`},
		{"larger than the cap", "s3cret-pw", huge, 200, 0, StateError, "answer larger than 1024 bytes"},
		{"an HTML page", "s3cret-pw", "<html>login</html>", 200, 0, StateError, "malformed answer"},
		{"nesting past the JSON decoder's limit", "s3cret-pw", deep, 200, 1 << 20, StateError, "exceeded max depth"},
		{"the wrong shape", "s3cret-pw", `{"queues":"all of them"}`, 200, 0, StateError, "malformed answer"},
		{"a string where a count goes", "s3cret-pw", `[{"name":"q","messages_ready":"lots"}]`, 200, 0, StateError, "malformed answer"},
		{"a server error with a hostile body", "s3cret-pw", "\x1b[31mboom\x00" + strings.Repeat("x", 1000), 500, 0, StateError, "HTTP 500 ( [31mboom xxx"},
	} {
		t.Run(c.name, func(t *testing.T) {
			answers := map[string]string{}
			for k, v := range healthyAnswers {
				answers[k] = v
			}
			delete(answers, "/api/queues")
			srv := fakeAPI(t, answers, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(c.status)
				fmt.Fprint(w, c.queues)
			})
			m, logs := newTestMonitor(t, Config{URLs: []string{authURL(srv, c.password)}, MaxResponseBytes: cmp.Or(c.maxBytes, 1024)})
			m.poll(t.Context(), m.brokers[0])
			b := m.Snapshot().Brokers[0]
			if b.State != c.state || !strings.Contains(b.LastError, c.errText) {
				t.Errorf("state %s, error %q; want %s with %q", b.State, b.LastError, c.state, c.errText)
			}
			if len(b.LastError) > 300 || strings.ContainsAny(b.LastError, "\x1b\x00") {
				t.Errorf("error not made safe to show: %q", b.LastError)
			}
			for _, text := range []string{b.LastError, b.URL, logs.String()} {
				if strings.Contains(text, c.password) {
					t.Errorf("the password shows: %s", text)
				}
			}
		})
	}
}

// A failing broker is logged once per change of state, not once per poll, keeps its last good
// topology while it fails, and has every poll counted.
func TestStateChangesLoggedOnce(t *testing.T) {
	var mu sync.Mutex
	failing := false
	srv := fakeAPI(t, map[string]string{}, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if failing && r.URL.Path == "/api/queues" {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, healthyAnswers[r.URL.Path])
	})
	m, logs := newTestMonitor(t, Config{URLs: []string{authURL(srv, "s3cret-pw")}})
	if got := m.Snapshot().Brokers[0].State; got != StatePending {
		t.Fatalf("before the first poll: %s", got)
	}
	poll := func(fail bool) Broker {
		mu.Lock()
		failing = fail
		mu.Unlock()
		m.poll(t.Context(), m.brokers[0])
		return m.Snapshot().Brokers[0]
	}
	for _, fail := range []bool{false, false, true, true, true, false, false} {
		b := poll(fail)
		if want := map[bool]State{false: StateOK, true: StateError}[fail]; b.State != want {
			t.Fatalf("state %s, want %s", b.State, want)
		}
		if q, ok := b.Queue("/", "work"); !ok || q.Ready != 3 || len(q.DeadLetterQueues) != 1 {
			t.Fatalf("topology lost while failing: %+v", b.Queues)
		}
	}
	// The polls are counted across successes and failures: 7 in all, 3 failed.
	if b := m.Snapshot().Brokers[0]; b.Polls != 7 || b.PollErrors != 3 || b.PollSeconds <= 0 {
		t.Errorf("polls %d, failed %d, %v s; want 7, 3 and some time", b.Polls, b.PollErrors, b.PollSeconds)
	}
	if got := strings.Count(logs.String(), "RabbitMQ broker polled"); got != 2 {
		t.Errorf("%d ok lines, want 2 (first success, recovery):\n%s", got, logs)
	}
	if got := strings.Count(logs.String(), "RabbitMQ broker poll failed"); got != 1 {
		t.Errorf("%d failure lines, want 1:\n%s", got, logs)
	}
	if !strings.Contains(logs.String(), "HTTP 503") {
		t.Errorf("the failure's reason is not logged:\n%s", logs)
	}
	if strings.Contains(logs.String(), "s3cret-pw") {
		t.Errorf("the password is logged:\n%s", logs)
	}
}

// A broker that accepts connections and never answers, and one that refuses them, are
// unreachable after the timeout; a healthy broker polled alongside is not held up by them.
func TestUnreachableBrokersBlockNothing(t *testing.T) {
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() { // accept and hold connections, saying nothing
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	refused, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusedAddr := refused.Addr().String()
	refused.Close()
	healthy := fakeAPI(t, healthyAnswers, http.NotFound)

	timeout := 2 * time.Second
	m, logs := newTestMonitor(t, Config{
		URLs:         []string{"http://monitor:s3cret-pw@" + silent.Addr().String(), "http://monitor:s3cret-pw@" + refusedAddr, authURL(healthy, "s3cret-pw")},
		PollInterval: time.Hour, Timeout: timeout,
	})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	start := time.Now()
	go func() { m.Run(ctx); close(done) }()

	waitFor(t, timeout/2, func() bool { return m.Snapshot().Brokers[2].State == StateOK })
	if s := m.Snapshot().Brokers[0].State; s != StatePending {
		t.Errorf("the silent broker is %s before its timeout", s)
	}
	waitFor(t, 2*timeout, func() bool { return m.Snapshot().Brokers[0].State != StatePending })
	if took := time.Since(start); took < timeout || took > timeout+time.Second {
		t.Errorf("the silent broker failed after %s, want about %s", took, timeout)
	}
	silentB, refusedB := m.Snapshot().Brokers[0], m.Snapshot().Brokers[1]
	if silentB.State != StateUnreachable || !strings.Contains(silentB.LastError, "no answer within 2s") {
		t.Errorf("silent broker: %s %q", silentB.State, silentB.LastError)
	}
	if refusedB.State != StateUnreachable || !strings.Contains(refusedB.LastError, "connection refused") {
		t.Errorf("refusing broker: %s %q", refusedB.State, refusedB.LastError)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("Run did not stop with its context")
	}
	if strings.Contains(logs.String(), "s3cret-pw") {
		t.Errorf("the password is logged:\n%s", logs)
	}
}

func waitFor(t *testing.T, limit time.Duration, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(limit); !ok(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not so after %s", limit)
		}
	}
}

func TestNewRejects(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no URL", Config{}, "no management URL"},
		{"not http", Config{URLs: []string{"amqp://guest:hidden-pw@localhost:5672"}}, "want http:// or https://"},
		{"no user", Config{URLs: []string{"http://localhost:15672"}}, "no user"},
		{"no host", Config{URLs: []string{"http://guest:hidden-pw@/api"}}, "no host"},
		{"a query", Config{URLs: []string{"http://guest:hidden-pw@localhost:15672/?vhost=x"}}, "no query"},
		{"unparsable, the password still hidden", Config{URLs: []string{"http://guest:hidden-pw@local host:15672"}}, "invalid character"},
		{"twice", Config{URLs: []string{"http://a:hidden-pw@h:15672", "http://b:hidden-pw@h:15672/"}}, "given twice"},
		{"too short an interval", Config{URLs: []string{"http://guest:hidden-pw@h"}, PollInterval: time.Millisecond}, "at least 1s"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(c.cfg)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
			if strings.Contains(err.Error(), "hidden-pw") {
				t.Errorf("the password shows: %v", err)
			}
		})
	}
}

// Rates come from the counters of two polls; a counter that goes down (a reset) gives no rates.
func TestRates(t *testing.T) {
	at := time.Unix(1000, 0)
	read := func(ready, publish, ack int64) reading {
		q := apiQueue{VHost: "/", Name: "q", MessagesReady: ready}
		q.MessageStats.Publish, q.MessageStats.Ack = publish, ack
		return reading{exchanges: exchanges("/"), queues: []apiQueue{q}}
	}
	b, prev := read(0, 100, 100).topology(at, nil)
	if q, _ := b.Queue("/", "q"); q.Rates != (QueueRates{}) {
		t.Errorf("rates from one poll: %+v", q.Rates)
	}
	b, prev = read(10, 400, 390).topology(at.Add(30*time.Second), prev)
	want := QueueRates{Window: 30 * time.Second, Publish: 10, Ack: 9.666666666666666, Inflow: 10}
	if q, _ := b.Queue("/", "q"); q.Rates != want {
		t.Errorf("rates %+v, want %+v", q.Rates, want)
	}
	b, _ = read(0, 5, 5).topology(at.Add(60*time.Second), prev)
	if q, _ := b.Queue("/", "q"); q.Rates != (QueueRates{}) {
		t.Errorf("rates across a counter reset: %+v", q.Rates)
	}
}
