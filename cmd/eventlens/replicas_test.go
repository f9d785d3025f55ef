package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eventlens/eventlens/pgdb/pgtest"
)

// Several eventlens processes on one PostgreSQL, as docs/operations.md ("Running several
// replicas") deploys them.

// writers runs the crash tests' mix of writes (registrations, OTLP requests, AsyncAPI imports)
// against every base URL at once until stop is called. A write that fails is tried again with
// new content after a short pause: under a kill or an outage the answers fail for a while.
type writers struct {
	load     *crashLoad
	statuses *statusRecorder
	stop     func()
	wg       sync.WaitGroup
}

func startWriters(load *crashLoad, bases ...string) *writers {
	ctx, stop := context.WithCancel(context.Background())
	w := &writers{load: load, statuses: &statusRecorder{}, stop: stop}
	client := &http.Client{Timeout: 5 * time.Second, Transport: w.statuses}
	for _, base := range bases {
		for _, work := range []func(context.Context, *http.Client, string, *crashLoad) bool{registerOne, ingestOne, ingestOne, importOne} {
			w.wg.Add(1)
			go func() {
				defer w.wg.Done()
				for ctx.Err() == nil {
					if !work(ctx, client, base, load) {
						time.Sleep(50 * time.Millisecond)
					}
				}
			}()
		}
	}
	return w
}

// halt stops the writers and waits for their last answers.
func (w *writers) halt() {
	w.stop()
	w.wg.Wait()
}

// statusRecorder counts the answers of the writers' requests by status, and the refusals (429,
// 503) that did not say when to retry.
type statusRecorder struct {
	mu           sync.Mutex
	byStatus     map[int]int
	noRetryAfter []string
}

func (r *statusRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byStatus == nil {
		r.byStatus = map[int]int{}
	}
	r.byStatus[resp.StatusCode]++
	if (resp.StatusCode == 429 || resp.StatusCode == 503) && resp.Header.Get("Retry-After") == "" {
		r.noRetryAfter = append(r.noRetryAfter, fmt.Sprintf("%s %s: %d", req.Method, req.URL.Path, resp.StatusCode))
	}
	return resp, nil
}

func (r *statusRecorder) counts() (map[int]int, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[int]int{}
	for k, v := range r.byStatus {
		out[k] = v
	}
	return out, append([]string(nil), r.noRetryAfter...)
}

// setGlobalCompatibilityNone lets the writers register any schema under a subject.
func setGlobalCompatibilityNone(t *testing.T, base string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, base+"/config", strings.NewReader(`{"compatibility":"NONE"}`))
	req.Header.Set("Content-Type", "application/vnd.schemaregistry.v1+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("set global compatibility: %v %v", resp, err)
	}
	resp.Body.Close()
}

// sameRegistryAnswers checks that two replicas give the same schema for every acknowledged id
// and the same version list for every subject.
func sameRegistryAnswers(t *testing.T, a, b *process, load *crashLoad) {
	t.Helper()
	load.mu.Lock()
	defer load.mu.Unlock()
	subjects := map[string]bool{}
	for _, s := range append(load.schemas[:len(load.schemas):len(load.schemas)], payloads(load.documents)...) {
		subjects[s.subject] = true
		path := fmt.Sprintf("/schemas/ids/%d", s.id)
		if sa, ba := answer(t, a, path), answer(t, b, path); sa != ba {
			t.Fatalf("GET %s: %s on one replica, %s on the other", path, sa, ba)
		}
	}
	for s := range subjects {
		path := "/subjects/" + s + "/versions"
		if sa, ba := answer(t, a, path), answer(t, b, path); sa != ba {
			t.Fatalf("GET %s: %s on one replica, %s on the other", path, sa, ba)
		}
	}
}

func answer(t *testing.T, p *process, path string) string {
	t.Helper()
	status, body := get(t, p.URL+path)
	return fmt.Sprintf("%d %s", status, body)
}

// Two replicas take writes at once; one of them is killed with SIGKILL at a random moment while
// the other goes on. Every acknowledged write is in the database and served by the survivor;
// schema ids stay unique across both; once the killed one is back, both answer alike. Each
// cycle kills the other replica.
//
// EVENTLENS_REPLICA_CYCLES sets the number of kills (default 4).
func TestReplicasSurviveKill9(t *testing.T) {
	store := pgtest.URL(t)
	cycles := envInt(t, "EVENTLENS_REPLICA_CYCLES", 4)
	load := &crashLoad{}
	procs := [2]*process{startServe(t, store, "--write-rate", "0"), startServe(t, store, "--write-rate", "0")}
	setGlobalCompatibilityNone(t, procs[0].URL)
	started := time.Now()
	for cycle := range cycles {
		victim, survivor := cycle%2, 1-cycle%2
		w := startWriters(load, procs[0].URL, procs[1].URL)
		time.Sleep(300*time.Millisecond + rand.N(700*time.Millisecond))
		if err := procs[victim].cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		<-procs[victim].done
		time.Sleep(300 * time.Millisecond) // the survivor goes on alone
		w.halt()

		verifyAcknowledged(t, cycle, procs[survivor], store, load)
		procs[victim] = startServe(t, store, "--write-rate", "0")
		verifyAcknowledged(t, cycle, procs[victim], store, load)
		sameRegistryAnswers(t, procs[0], procs[1], load)
	}
	acked := len(load.schemas) + len(load.traces) + len(load.documents)
	t.Logf("%d kills of one of two replicas in %s: %d writes sent to both, %d acknowledged and found on both afterwards: %d schema registrations, %d OTLP requests (%d spans), %d AsyncAPI imports",
		cycles, time.Since(started).Round(time.Millisecond), load.seq, acked, len(load.schemas), len(load.traces), len(load.traces)*crashSpansPerRequest, len(load.documents))
	if len(load.schemas) == 0 || len(load.traces) == 0 || len(load.documents) == 0 {
		t.Errorf("a kind of write was never acknowledged, so the test proved nothing about it")
	}
}

// PostgreSQL stops for a while (EVENTLENS_OUTAGE, 30s by default) under load on two replicas.
// While it is away they refuse writes with 503 or 429 and Retry-After and /readyz says why;
// when it is back they take writes again on their own, every write they acknowledged, before,
// during or after, is there, and each replica serves what the other wrote after the outage
// (their listeners are back: the caches are not stale).
func TestReplicasRideOutAPostgreSQLOutage(t *testing.T) {
	outage := 30 * time.Second
	if v := envDuration(t, "EVENTLENS_OUTAGE"); v > 0 {
		outage = v
	}
	pg := pgtest.StartServer(t)
	load := &crashLoad{}
	a, b := startServe(t, pg.URL, "--write-rate", "0"), startServe(t, pg.URL, "--write-rate", "0")
	setGlobalCompatibilityNone(t, a.URL)
	w := startWriters(load, a.URL, b.URL)
	time.Sleep(time.Second)

	pg.Stop(t)
	stopped := time.Now()
	before, _ := w.statuses.counts()
	for _, p := range []*process{a, b} {
		within(t, 10*time.Second, "/readyz says the database is away", func() bool {
			status, body := get(t, p.URL+"/readyz")
			return status == 503 && strings.Contains(body, "reason")
		})
	}
	_, body := get(t, a.URL+"/readyz")
	t.Logf("/readyz while PostgreSQL is stopped: %s", body)
	time.Sleep(outage - time.Since(stopped))
	during, _ := w.statuses.counts()

	pg.Start(t)
	back := time.Now()
	for _, p := range []*process{a, b} {
		within(t, 30*time.Second, "/readyz is ready again", func() bool {
			status, _ := get(t, p.URL+"/readyz")
			return status == 200
		})
	}
	ackedBefore := len(load.schemas)
	within(t, 30*time.Second, "registrations are acknowledged again", func() bool {
		load.mu.Lock()
		defer load.mu.Unlock()
		return len(load.schemas) > ackedBefore+10
	})
	t.Logf("writes acknowledged again %s after PostgreSQL was back", time.Since(back).Round(time.Millisecond))
	time.Sleep(2*time.Second - time.Since(back)) // writes on both after the outage, seen by both
	w.halt()
	time.Sleep(time.Second) // a write is seen by the other replica within a second
	after, noRetryAfter := w.statuses.counts()

	refused := during[503] + during[429] - before[503] - before[429]
	t.Logf("answers before/during/after the %s outage: %v / %v / %v", outage, before, during, after)
	if refused == 0 {
		t.Errorf("no write was refused with 503 or 429 while PostgreSQL was stopped")
	}
	if during[500] > before[500] {
		t.Errorf("%d answers were 500 during the outage; want 503 or 429", during[500]-before[500])
	}
	if len(noRetryAfter) > 0 {
		t.Errorf("%d refusals without Retry-After, e.g. %s", len(noRetryAfter), noRetryAfter[0])
	}
	verifyAcknowledged(t, 0, a, pg.URL, load)
	verifyAcknowledged(t, 1, b, pg.URL, load)
	sameRegistryAnswers(t, a, b, load)
}

// within polls check until it holds, failing the test after d.
func within(t *testing.T, d time.Duration, what string, check func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); !check(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, d)
		}
	}
}

func envDuration(t *testing.T, name string) time.Duration {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		t.Fatalf("%s=%q: want a duration such as 10s", name, v)
	}
	return d
}
