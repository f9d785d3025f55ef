package alerts

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eventlens/eventlens/storage"
	"github.com/eventlens/eventlens/storage/storagetest"
	"github.com/eventlens/eventlens/tracing"
)

// healthNow is consumer health as the test sets it: the report tracing would give.
type healthNow struct {
	mu  sync.Mutex
	rep tracing.HealthReport
}

func (h *healthNow) Health(context.Context) (tracing.HealthReport, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.rep, nil
}

func (h *healthNow) set(cs ...tracing.ConsumerHealth) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.rep = tracing.HealthReport{Consumers: cs}
}

// receiver is a real HTTP webhook receiver that keeps what it was sent, by path, and answers
// with the status its path is set to (200 by default).
type receiver struct {
	mu     sync.Mutex
	bodies map[string][]string
	status map[string]int
	srv    *http.Server
	ln     net.Listener
	addr   string
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &receiver{bodies: map[string][]string{}, status: map[string]int{}, addr: ln.Addr().String()}
	r.serve(ln)
	t.Cleanup(r.stop)
	return r
}

func (r *receiver) serve(ln net.Listener) {
	r.ln = ln
	r.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if req.Header.Get("Content-Type") != "application/json" {
			w.WriteHeader(http.StatusUnsupportedMediaType)
			return
		}
		r.bodies[req.URL.Path] = append(r.bodies[req.URL.Path], string(body))
		if s := r.status[req.URL.Path]; s != 0 {
			w.WriteHeader(s)
			io.WriteString(w, "receiver says no")
		}
	})}
	go r.srv.Serve(ln)
}

func (r *receiver) stop() { r.srv.Close() }

// restart listens again on the same address, as a receiver that was down and comes back.
func (r *receiver) restart(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", r.addr)
	if err != nil {
		t.Fatal(err)
	}
	r.serve(ln)
}

func (r *receiver) url(path string) string { return "http://" + r.addr + path }

func (r *receiver) got(path string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.bodies[path]...)
}

func (r *receiver) answer(path string, status int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status[path] = status
}

func parse(t *testing.T, text string) Config {
	t.Helper()
	c, err := Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var t0 = time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)

func failing(service string) tracing.ConsumerHealth {
	return tracing.ConsumerHealth{Service: service, ConsumerGroup: service, Channel: tracing.Channel{System: "kafka", Destination: "orders"},
		ChannelKey: "kafka/orders", Status: tracing.StatusFailing, Reasons: []string{"error rate 40% ≥ 25%"}}
}

func TestFiringAndResolvedReachEveryFormatOnce(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		recv := newReceiver(t)
		cfg := parse(t, `
external_url: https://eventlens.example.com/
receivers:
  - {name: generic, url: "`+recv.url("/json")+`"}
  - {name: slack, format: slack, url: "`+recv.url("/slack")+`"}
  - {name: am, format: alertmanager, url: "`+recv.url("/am")+`", headers: {Authorization: Bearer t0ken}}
rules:
  - name: consumer-failing
    kind: consumer_failing
    severity: critical
    for: 2m
    receivers: [generic, slack, am]
`)
		health := &healthNow{}
		health.set(failing("<billing>"))
		al := New(db, cfg, Inputs{Health: health}, nil)
		defer al.Close()
		step := func(at time.Time) {
			t.Helper()
			if err := al.Evaluate(ctx, at); err != nil {
				t.Fatal(err)
			}
			if err := al.Deliver(ctx, at); err != nil {
				t.Fatal(err)
			}
		}
		step(t0)
		if got := recv.got("/json"); len(got) != 0 {
			t.Fatalf("sent while pending: %v", got)
		}
		if p, _ := al.List(ctx, Query{State: StatePending}); p.Total != 1 {
			t.Fatalf("%d pending, want 1", p.Total)
		}
		step(t0.Add(2 * time.Minute))
		step(t0.Add(3 * time.Minute))
		for _, path := range []string{"/json", "/slack", "/am"} {
			if got := recv.got(path); len(got) != 1 {
				t.Fatalf("%s got %d notifications while firing, want 1: %v", path, len(got), got)
			}
		}

		// A restart: a new process on the same store sends nothing again.
		al.Close()
		al = New(db, cfg, Inputs{Health: health}, nil)
		step(t0.Add(4 * time.Minute))
		if got := recv.got("/json"); len(got) != 1 {
			t.Fatalf("after a restart /json got %d notifications, want still 1", len(got))
		}

		health.set()
		step(t0.Add(5 * time.Minute))
		step(t0.Add(6 * time.Minute))
		for _, path := range []string{"/json", "/slack", "/am"} {
			if got := recv.got(path); len(got) != 2 {
				t.Fatalf("%s got %d notifications, want firing then resolved", path, len(got))
			}
		}

		var generic [2]JSONMessage
		for i, body := range recv.got("/json") {
			if err := json.Unmarshal([]byte(body), &generic[i]); err != nil {
				t.Fatal(err)
			}
		}
		if g := generic[0]; g.Status != StateFiring || g.Alert.Rule != "consumer-failing" || g.Alert.Labels["service"] != "<billing>" ||
			!g.Alert.FiredAt.Equal(t0.Add(2*time.Minute)) || g.Alert.ResolvedAt != nil || g.Alert.URL != "https://eventlens.example.com/alerts?state=firing" {
			t.Errorf("generic firing: %+v", g)
		}
		if g := generic[1]; g.Status != StateResolved || g.Alert.ResolvedAt == nil || !g.Alert.ResolvedAt.Equal(t0.Add(5*time.Minute)) || g.Alert.ID != generic[0].Alert.ID {
			t.Errorf("generic resolved: %+v", g)
		}

		var am [2]AlertmanagerMessage
		for i, body := range recv.got("/am") {
			if err := json.Unmarshal([]byte(body), &am[i]); err != nil {
				t.Fatal(err)
			}
		}
		if m := am[0]; m.Version != "4" || m.Status != "firing" || m.Receiver != "am" || len(m.Alerts) != 1 || m.Alerts[0].Labels["alertname"] != "consumer-failing" ||
			m.Alerts[0].Labels["severity"] != "critical" || !m.Alerts[0].EndsAt.IsZero() || m.GroupKey != `{}:{alertname="consumer-failing"}` ||
			!strings.Contains(m.Alerts[0].Annotations["summary"], "error rate 40%") {
			t.Errorf("alertmanager firing: %+v", m)
		}
		if m := am[1]; m.Status != "resolved" || m.Alerts[0].Status != "resolved" || !m.Alerts[0].EndsAt.Equal(t0.Add(5*time.Minute)) {
			t.Errorf("alertmanager resolved: %+v", m)
		}
		if !strings.Contains(recv.got("/am")[0], `"endsAt":"0001-01-01T00:00:00Z"`) {
			t.Errorf("a firing alert's endsAt is not Alertmanager's zero time: %s", recv.got("/am")[0])
		}

		var slack SlackMessage
		if err := json.Unmarshal([]byte(recv.got("/slack")[0]), &slack); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(slack.Text, "[FIRING] consumer-failing (critical)") || !strings.Contains(slack.Text, "&lt;billing&gt;") ||
			strings.Contains(slack.Text, "<billing>") || len(slack.Blocks) != 2 {
			t.Errorf("slack: %+v", slack)
		}

		p, err := al.List(ctx, Query{})
		if err != nil {
			t.Fatal(err)
		}
		if p.Total != 1 || p.Alerts[0].State != StateResolved || len(p.Alerts[0].Deliveries) != 3 || p.Alerts[0].Deliveries[0].Sent != StateResolved {
			t.Errorf("history: %+v", p)
		}
	})
}

func TestAReceiverThatIsDownGetsItWhenItComesBack(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		recv, other := newReceiver(t), newReceiver(t)
		cfg := parse(t, `
retry_initial: 10s
retry_max: 40s
receivers:
  - {name: down, url: "`+recv.url("/down")+`"}
  - {name: refusing, url: "`+other.url("/refusing")+`"}
rules:
  - {name: failing, kind: consumer_failing, severity: critical, receivers: [down, refusing]}
`)
		health := &healthNow{}
		health.set(failing("billing"))
		al := New(db, cfg, Inputs{Health: health}, nil)
		defer al.Close()
		recv.stop() // down: nothing listens
		other.answer("/refusing", http.StatusServiceUnavailable)
		if err := al.Evaluate(ctx, t0); err != nil {
			t.Fatal(err)
		}
		deliveries := func() []Delivery {
			t.Helper()
			p, err := al.List(ctx, Query{State: StateFiring})
			if err != nil || len(p.Alerts) != 1 {
				t.Fatalf("%+v, %v: want one firing alert", p, err)
			}
			return p.Alerts[0].Deliveries
		}
		for i, at := range []time.Duration{0, 10 * time.Second, 30 * time.Second} {
			if err := al.Deliver(ctx, t0.Add(at)); err != nil {
				t.Fatal(err)
			}
			d := deliveries()
			if d[0].Attempts != i+1 || d[0].Sent != "" || !d[0].NextAttempt.Equal(t0.Add(at+10*time.Second<<i)) {
				t.Errorf("attempt %d: %+v; want the next one %s later", i+1, d[0], 10*time.Second<<i)
			}
			if !strings.Contains(d[0].LastError, "connection refused") || strings.Contains(d[0].LastError, "/down") {
				t.Errorf("last error %q: want the refused connection, without the URL's path", d[0].LastError)
			}
		}
		if d := deliveries(); !strings.Contains(d[1].LastError, "HTTP 503 receiver says no") {
			t.Errorf("refusing receiver's error %q", d[1].LastError)
		}
		// Before the next retry nothing is attempted, even once the receiver is back.
		recv.restart(t)
		if err := al.Deliver(ctx, t0.Add(69*time.Second)); err != nil {
			t.Fatal(err)
		}
		if got := recv.got("/down"); len(got) != 0 {
			t.Fatalf("sent before the retry was due: %v", got)
		}
		if err := al.Deliver(ctx, t0.Add(70*time.Second)); err != nil {
			t.Fatal(err)
		}
		if got := recv.got("/down"); len(got) != 1 {
			t.Fatalf("%d notifications once back, want 1", len(got))
		}
		if d := deliveries(); d[0].Sent != StateFiring || d[0].Attempts != 0 || d[0].LastError != "" {
			t.Errorf("after delivering: %+v", d[0])
		}
		// The backoff stops at retry_max: 10, 20, 40, 40.
		if d := deliveries(); d[1].Attempts != 4 || !d[1].NextAttempt.Equal(t0.Add(110*time.Second)) {
			t.Errorf("refusing receiver after 4 attempts: %+v", d[1])
		}
		other.answer("/refusing", 0)
		if err := al.Deliver(ctx, t0.Add(110*time.Second)); err != nil {
			t.Fatal(err)
		}
		if got := other.got("/refusing"); len(got) != 5 {
			t.Errorf("refusing receiver got %d attempts, want 5", len(got))
		}
		if err := al.Deliver(ctx, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if len(recv.got("/down")) != 1 || len(other.got("/refusing")) != 5 {
			t.Errorf("sent again while firing")
		}
	})
}

// A receiver that accepts the connection and never answers costs send_timeout, and delays no
// other receiver; its attempt counts as failed.
func TestAHangingReceiverDelaysNoOther(t *testing.T) {
	db := storagetest.Default(t)
	ctx := context.Background()
	recv := newReceiver(t)
	hang := make(chan struct{})
	hanging := httptestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-hang }))
	defer close(hang)
	cfg := parse(t, `
send_timeout: 200ms
receivers:
  - {name: hanging, url: "`+hanging+`"}
  - {name: ok, url: "`+recv.url("/ok")+`"}
rules:
  - {name: failing, kind: consumer_failing, severity: critical, receivers: [hanging, ok]}
`)
	health := &healthNow{}
	health.set(failing("billing"))
	al := New(db, cfg, Inputs{Health: health}, nil)
	defer al.Close()
	if err := al.Evaluate(ctx, t0); err != nil {
		t.Fatal(err)
	}
	if err := al.Deliver(ctx, t0); err != nil {
		t.Fatal(err)
	}
	if got := recv.got("/ok"); len(got) != 1 {
		t.Errorf("the other receiver got %d notifications, want 1", len(got))
	}
	p, err := al.List(ctx, Query{State: StateFiring})
	if err != nil || len(p.Alerts) != 1 {
		t.Fatalf("%+v %v", p, err)
	}
	if d := p.Alerts[0].Deliveries[0]; d.Receiver != "hanging" || d.Attempts != 1 || !strings.Contains(d.LastError, "Timeout") {
		t.Errorf("hanging receiver's delivery: %+v", d)
	}
}

func httptestServer(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}
