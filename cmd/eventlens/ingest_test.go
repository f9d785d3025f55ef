package main

import (
	"bytes"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// spansJSON is an OTLP/JSON request with n producer spans of one trace, sent now.
func spansJSON(trace string, n int) []byte { return spansJSONAt(trace, n, time.Now()) }

// spansJSONAt is spansJSON with spans that start at at.
func spansJSONAt(trace string, n int, at time.Time) []byte {
	now := at.UnixNano()
	var spans []string
	for i := range n {
		spans = append(spans, fmt.Sprintf(`{"traceId":%q,"spanId":"%016x","name":"send","kind":4,"startTimeUnixNano":"%d","endTimeUnixNano":"%d",
			"attributes":[{"key":"messaging.system","value":{"stringValue":"kafka"}},{"key":"messaging.destination.name","value":{"stringValue":"orders"}}]}`,
			trace, i+1, now, now+1000))
	}
	return []byte(`{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"orders"}}]},
		"scopeSpans":[{"spans":[` + strings.Join(spans, ",") + `]}]}]}`)
}

// TestKillDuringIngestKeepsAcknowledgedSpans kills eventlens with SIGKILL while clients send
// spans, restarts it, and finds every span whose request was answered 200.
func TestKillDuringIngestKeepsAcknowledgedSpans(t *testing.T) {
	db := filepath.Join(t.TempDir(), "eventlens.db")
	p := startServe(t, db)
	const perRequest = 50
	var (
		mu    sync.Mutex
		acked []string
		wg    sync.WaitGroup
		stop  = make(chan struct{})
	)
	client := &http.Client{Timeout: 5 * time.Second}
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				trace := fmt.Sprintf("%08x%024x", w+1, i+1)
				resp, err := client.Post(p.URL+"/v1/traces", "application/json", bytes.NewReader(spansJSON(trace, perRequest)))
				if err != nil {
					return // the server is gone
				}
				resp.Body.Close()
				if resp.StatusCode == 200 {
					mu.Lock()
					acked = append(acked, trace)
					mu.Unlock()
				}
			}
		}()
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 100 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
	close(stop)
	wg.Wait()
	if len(acked) < 100 {
		t.Fatalf("only %d requests acknowledged before the kill", len(acked))
	}

	// Restart on the same file: recovery from the WAL, migrations, ingest start.
	p = startServe(t, db)
	if status, body := get(t, p.URL+"/api/flows?since=1h"); status != 200 || !strings.Contains(body, `"kafka/orders"`) {
		t.Fatalf("flows after restart: %d %s", status, body)
	}
	sqldb, err := sql.Open("sqlite", "file:"+db+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer sqldb.Close()
	stored := map[string]int{}
	rows, err := sqldb.Query("SELECT trace_id, count(*) FROM span GROUP BY trace_id")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id []byte
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		stored[hex.EncodeToString(id)] = n
	}
	rows.Close()
	for _, trace := range acked {
		if stored[trace] != perRequest {
			t.Errorf("acknowledged trace %s: %d of %d spans stored", trace, stored[trace], perRequest)
		}
	}
	t.Logf("%d requests (%d spans) acknowledged before SIGKILL, all found; %d traces stored", len(acked), len(acked)*perRequest, len(stored))
}

// TestDemoShowsFlowsAndHealth runs `eventlens demo` and waits for the shop's flows and health,
// and for serve's polls of the demo's Kafka cluster to add every consumer group's lag to it.
// kotel, the shop's instrumentation, names no cluster on its spans, so the channels have none.
func TestDemoShowsFlowsAndHealth(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the demo for several seconds")
	}
	p := startCommand(t, "demo", "--addr", "127.0.0.1:0", "--otlp-grpc-addr", "", "--orders-per-second", "20", "--log-format", "json")
	want := []string{
		`"service":"orders","channel":{"system":"kafka","cluster":"","destination":"orders.placed"}`,
		`"service":"inventory","channel":{"system":"kafka","cluster":"","destination":"orders.placed"}`,
		`"service":"inventory","channel":{"system":"kafka","cluster":"","destination":"inventory.reserved"}`,
		`"service":"shipping","channel":{"system":"kafka","cluster":"","destination":"payments.completed"}`,
		`"service":"payments","channel":{"system":"kafka","cluster":"","destination":"orders.placed.DLT"}`,
		`"service":"notifications","channel":{"system":"rabbitmq","cluster":"","destination":"emails"}`,
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, flows := get(t, p.URL+"/api/flows?since=10m")
		_, health := get(t, p.URL+"/api/health")
		var report struct {
			Consumers []struct{ Service, Status string }
		}
		_ = json.Unmarshal([]byte(health), &report)
		status := map[string]string{}
		for _, c := range report.Consumers {
			status[c.Service] = c.Status
		}
		missing := []string{}
		for _, w := range want {
			if !strings.Contains(flows, w) {
				missing = append(missing, w)
			}
		}
		if len(missing) == 0 && status["payments"] == "failing" && status["shipping"] == "degraded" && status["inventory"] == "healthy" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("demo flows lack %v; health %v\n%s", missing, status, flows)
		}
		time.Sleep(500 * time.Millisecond)
	}

	// serve polls the demo's cluster every 5s: every group is read, and shipping's lag joins its health.
	deadline = time.Now().Add(15 * time.Second)
	for {
		_, body := get(t, p.URL+"/api/health")
		var report struct {
			Consumers []struct {
				Service       string
				ConsumerGroup string `json:"consumer_group"`
				Sources       []string
				Lag           *int64
			}
		}
		_ = json.Unmarshal([]byte(body), &report)
		var polled []string
		shippingLag := int64(0)
		for _, c := range report.Consumers {
			if slices.Contains(c.Sources, "kafka") && c.Lag != nil {
				polled = append(polled, c.ConsumerGroup)
				if c.Service == "shipping" {
					shippingLag = *c.Lag
				}
			}
		}
		slices.Sort(polled)
		polled = slices.Compact(polled)
		if slices.Equal(polled, []string{"fraud-check", "inventory", "notifications", "payments", "shipping"}) && shippingLag > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the polls of the demo's cluster gave groups %q, shipping %d behind; want every group, shipping behind\n%s", polled, shippingLag, body)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
