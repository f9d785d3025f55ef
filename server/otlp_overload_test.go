package server

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eventlens/eventlens/tracing"
)

// TestOTLPOverload sends far more than ingest can take: 32 clients without pause, each request
// holding 200 spans, against a queue of 1,000 spans. Ingest must refuse the excess with 429 and
// Retry-After, keep its memory bounded, and store every span it acknowledged.
func TestOTLPOverload(t *testing.T) {
	ts := startServerWith(t, tracing.Config{QueueSpans: 1000, BatchSpans: 500, Keep: tracing.SpanKeep{All: true}})
	const clients, spansPerRequest = 32, 200
	bodies := make([][]byte, clients)
	for i := range bodies {
		bodies[i] = benchRequest(t, uint64(i+1), spansPerRequest)
	}

	var acked, refused, full, withoutRetryAfter, other atomic.Int64
	var peakHeap atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() { // sample the heap while the load runs
		defer close(sampled)
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peakHeap.Load() {
				peakHeap.Store(m.HeapInuse)
			}
		}
	}()

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	deadline := time.Now().Add(3 * time.Second)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < 2000 && time.Now().Before(deadline); n++ {
				resp, err := client.Post(ts.URL+"/v1/traces", "application/x-protobuf", bytes.NewReader(bodies[i]))
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				switch resp.StatusCode {
				case http.StatusOK:
					acked.Add(spansPerRequest)
				case http.StatusTooManyRequests, http.StatusServiceUnavailable:
					refused.Add(1)
					if resp.StatusCode == http.StatusTooManyRequests {
						full.Add(1)
					}
					if resp.Header.Get("Retry-After") == "" {
						withoutRetryAfter.Add(1)
					}
				default:
					other.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-sampled

	t.Logf("acknowledged %d spans, refused %d requests, peak heap %d MiB", acked.Load(), refused.Load(), peakHeap.Load()>>20)
	if refused.Load() == 0 {
		t.Fatal("no request was refused: the load did not exceed what ingest takes")
	}
	if withoutRetryAfter.Load() > 0 || other.Load() > 0 {
		t.Fatalf("%d refusals without Retry-After, %d other statuses", withoutRetryAfter.Load(), other.Load())
	}
	if acked.Load() == 0 {
		t.Fatal("nothing was acknowledged under load")
	}
	// Bounded: the queue holds 1,000 spans and 32 bodies are decoded at once; the heap must not
	// grow with the number of requests sent.
	if peakHeap.Load() > 256<<20 {
		t.Fatalf("peak heap %d MiB under overload", peakHeap.Load()>>20)
	}
	c, err := ts.Ingest.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c.Spans != acked.Load() {
		t.Fatalf("%d spans stored, %d acknowledged", c.Spans, acked.Load())
	}
	// /metrics tells the same: every span acknowledged, and the refusals by reason.
	m := ts.scrapeMetrics(t, "")
	m.check(t, []seriesCase{
		series("eventlens_receiver_accepted_spans_total", float64(acked.Load()), "transport=http"),
		series("eventlens_ingest_stored_spans_total", float64(acked.Load())),
		series("eventlens_receiver_refused_spans_total", float64(full.Load()*spansPerRequest), "transport=http", "reason=queue_full"),
		series("eventlens_receiver_refused_requests_total", float64(full.Load()), "transport=http", "signal=traces", "reason=throttled"),
	})
	if unavailable := refused.Load() - full.Load(); unavailable > 0 {
		m.check(t, []seriesCase{series("eventlens_receiver_refused_requests_total", float64(unavailable), "transport=http", "signal=traces", "reason=unavailable")})
	}
}
