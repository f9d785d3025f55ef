package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql's "pgx" driver, for openStoreSQL

	"github.com/eventlens/eventlens/pgdb"
	"github.com/eventlens/eventlens/sqlitedb"
)

// crashLoad is what the clients of one crash test had acknowledged (answered 200) so far.
type crashLoad struct {
	mu        sync.Mutex
	schemas   []ackedSchema
	traces    []string // trace ids of OTLP requests answered 200, crashSpansPerRequest spans each
	documents []ackedDocument
	seq       int      // makes every write unique across cycles
	wrong     []string // acknowledged answers that say something impossible
}

type ackedSchema struct {
	subject     string
	version, id int
}

type ackedDocument struct {
	key     string
	version int
	payload ackedSchema // the message payload the import registered
}

func (l *crashLoad) next() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	return l.seq
}

const crashSpansPerRequest = 10

// TestCrashSafety runs eventlens as a subprocess under mixed load — schema registrations, OTLP
// ingest and AsyncAPI imports over HTTP — and kills it with SIGKILL at a random moment, over and
// over, on the same database file. After every restart each write that was acknowledged before
// any kill must be there: the registered subject versions with their ids, every span of every
// acknowledged OTLP request (counted in SQLite and in /api/flows), every imported document
// version with its payload schema. At the end the file must pass PRAGMA integrity_check.
//
// EVENTLENS_CRASH_CYCLES sets the number of kills (default 50); EVENTLENS_CRASH_MAX_DELAY the
// longest a cycle runs before its kill (default 300ms).
func TestCrashSafety(t *testing.T) {
	cycles := envInt(t, "EVENTLENS_CRASH_CYCLES", 50)
	maxDelay := 300 * time.Millisecond
	if d := envDuration(t, "EVENTLENS_CRASH_MAX_DELAY"); d > 0 {
		maxDelay = d
	}
	if testing.Short() {
		cycles = min(cycles, 5)
	}
	db := filepath.Join(t.TempDir(), "eventlens.db")
	load := &crashLoad{}
	started := time.Now()
	var configAcked bool
	for cycle := range cycles {
		p := startServe(t, db, "--write-rate", "0")
		if configAcked {
			// The global compatibility written in the first cycle is an acknowledged write too.
			if status, body := get(t, p.URL+"/config"); status != 200 || !strings.Contains(body, `"NONE"`) {
				t.Fatalf("cycle %d: global config after restart: %d %s", cycle, status, body)
			}
		} else {
			req, _ := http.NewRequest(http.MethodPut, p.URL+"/config", strings.NewReader(`{"compatibility":"NONE"}`))
			req.Header.Set("Content-Type", "application/vnd.schemaregistry.v1+json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("set global compatibility: %v %v", resp, err)
			}
			resp.Body.Close()
			configAcked = true
		}
		verifyAcknowledged(t, cycle, p, db, load)

		ctx, stop := context.WithCancel(context.Background())
		client := &http.Client{Timeout: 5 * time.Second}
		var wg sync.WaitGroup
		for _, work := range []func(context.Context, *http.Client, string, *crashLoad) bool{registerOne, ingestOne, ingestOne, importOne} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil && work(ctx, client, p.URL, load) {
				}
			}()
		}
		time.Sleep(rand.N(maxDelay + 1))
		if err := p.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		<-p.done
		stop()
		wg.Wait()
		client.CloseIdleConnections()
	}

	// One more start to check the last cycle's writes, then a last kill and the integrity check.
	p := startServe(t, db, "--write-rate", "0")
	verifyAcknowledged(t, cycles, p, db, load)
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-p.done
	ctx := context.Background()
	sdb, err := sqlitedb.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	if err := sdb.IntegrityCheck(ctx); err != nil {
		t.Fatalf("after %d kills: %v", cycles, err)
	}
	acked := len(load.schemas) + len(load.traces) + len(load.documents)
	t.Logf("%d SIGKILL cycles in %s (kill within 0-%s of listening): %d writes sent, %d acknowledged and found after every restart: %d schema registrations, %d OTLP requests (%d spans), %d AsyncAPI imports; %d cut off by a kill (in flight, unanswered); PRAGMA integrity_check ok",
		cycles, time.Since(started).Round(time.Millisecond), maxDelay, load.seq, acked, len(load.schemas), len(load.traces), len(load.traces)*crashSpansPerRequest, len(load.documents), load.seq-acked)
	if len(load.schemas) == 0 || len(load.traces) == 0 || len(load.documents) == 0 {
		t.Errorf("a kind of write was never acknowledged, so the test proved nothing about it")
	}
}

func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}

// post sends body and decodes a 200 answer into out; false when the server did not acknowledge.
func post(ctx context.Context, client *http.Client, url, contentType string, body []byte, out any) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		return false
	}
	return out == nil || json.Unmarshal(b, out) == nil
}

// registerOne registers a new schema version under one of 8 subjects.
func registerOne(ctx context.Context, client *http.Client, base string, load *crashLoad) bool {
	n := load.next()
	subject := fmt.Sprintf("crash-%d", n%8)
	body, _ := json.Marshal(map[string]string{"schema": fmt.Sprintf(`{"type":"record","name":"R","fields":[{"name":"f%d","type":"int"}]}`, n)})
	var out struct{ ID, Version int }
	if !post(ctx, client, base+"/subjects/"+subject+"/versions", "application/vnd.schemaregistry.v1+json", body, &out) {
		return false
	}
	load.mu.Lock()
	load.schemas = append(load.schemas, ackedSchema{subject, out.Version, out.ID})
	load.mu.Unlock()
	return true
}

// ingestOne sends one OTLP/JSON request of crashSpansPerRequest producer spans in a new trace.
func ingestOne(ctx context.Context, client *http.Client, base string, load *crashLoad) bool {
	trace := fmt.Sprintf("c0ffee00%024x", load.next())
	if !post(ctx, client, base+"/v1/traces", "application/json", spansJSON(trace, crashSpansPerRequest), nil) {
		return false
	}
	load.mu.Lock()
	load.traces = append(load.traces, trace)
	load.mu.Unlock()
	return true
}

// importOne imports a new version of one of 5 AsyncAPI documents, each with one Avro payload.
func importOne(ctx context.Context, client *http.Client, base string, load *crashLoad) bool {
	n := load.next()
	key := fmt.Sprintf("crash-doc-%d", n%5)
	doc := fmt.Sprintf(`{"asyncapi": "3.0.0", "id": %q, "info": {"title": "Crash %d", "version": "1.0.%d"},
		"channels": {"crash%d": {"address": "crash%d", "messages": {"Happened": {"payload": {
			"schemaFormat": "application/vnd.apache.avro;version=1.9.0",
			"schema": {"type": "record", "name": "Happened%d", "fields": [{"name": "id", "type": "string"}]}}}}}}}`,
		key, n%5, n, n%5, n%5, n%5)
	var out struct {
		Document string
		Version  int
		Schemas  []struct {
			Subject, Status string
			Version, ID     int
		}
	}
	if !post(ctx, client, base+"/api/catalog/asyncapi", "application/json", []byte(doc), &out) {
		return false
	}
	load.mu.Lock()
	defer load.mu.Unlock()
	if len(out.Schemas) != 1 || out.Schemas[0].ID == 0 {
		load.wrong = append(load.wrong, fmt.Sprintf("import of %s answered 200 without its payload registered: %+v", key, out))
		return false
	}
	load.documents = append(load.documents, ackedDocument{out.Document, out.Version, ackedSchema{out.Schemas[0].Subject, out.Schemas[0].Version, out.Schemas[0].ID}})
	return true
}

// verifyAcknowledged checks that everything load holds is in the store (read directly, and
// through the API of the restarted server p).
func verifyAcknowledged(t *testing.T, cycle int, p *process, store string, load *crashLoad) {
	t.Helper()
	load.mu.Lock()
	defer load.mu.Unlock()
	if len(load.wrong) > 0 {
		t.Fatalf("cycle %d: %s", cycle, strings.Join(load.wrong, "\n"))
	}
	sqldb := openStoreSQL(t, store)
	defer sqldb.Close()
	query := func(q string, scan func(*sql.Rows) error) {
		t.Helper()
		rows, err := sqldb.Query(q)
		if err != nil {
			t.Fatalf("cycle %d: %s: %v", cycle, q, err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				t.Fatal(err)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}

	versions := map[[2]any]int{} // subject, version → schema id
	query("SELECT subject, version, schema_id FROM sr_versions WHERE NOT deleted", func(r *sql.Rows) error {
		var s string
		var v, id int
		err := r.Scan(&s, &v, &id)
		versions[[2]any{s, v}] = id
		return err
	})
	lost := 0
	owner := map[int]string{} // schema id → the acknowledged registration that got it
	for _, a := range load.schemas {
		if prev, ok := owner[a.id]; ok {
			t.Errorf("cycle %d: id %d was given to two different schemas: %s and %s version %d", cycle, a.id, prev, a.subject, a.version)
		}
		owner[a.id] = fmt.Sprintf("%s version %d", a.subject, a.version)
	}
	for _, a := range append(load.schemas[:len(load.schemas):len(load.schemas)], payloads(load.documents)...) {
		if versions[[2]any{a.subject, a.version}] != a.id {
			lost++
			t.Errorf("cycle %d: acknowledged %s version %d (id %d) is missing or changed: id %d", cycle, a.subject, a.version, a.id, versions[[2]any{a.subject, a.version}])
		}
	}

	spans := map[string]int{}
	query("SELECT trace_id, count(*) FROM span GROUP BY trace_id", func(r *sql.Rows) error {
		var id []byte
		var n int
		err := r.Scan(&id, &n)
		spans[hex.EncodeToString(id)] = n
		return err
	})
	for _, trace := range load.traces {
		if spans[trace] != crashSpansPerRequest {
			lost++
			t.Errorf("cycle %d: acknowledged trace %s has %d of %d spans", cycle, trace, spans[trace], crashSpansPerRequest)
		}
	}

	docs := map[[2]any]bool{}
	query("SELECT d.key, v.version FROM catalog_document_versions v JOIN catalog_documents d ON d.id = v.document_id", func(r *sql.Rows) error {
		var k string
		var v int
		err := r.Scan(&k, &v)
		docs[[2]any{k, v}] = true
		return err
	})
	for _, d := range load.documents {
		if !docs[[2]any{d.key, d.version}] {
			lost++
			t.Errorf("cycle %d: acknowledged import of %s version %d is missing", cycle, d.key, d.version)
		}
	}
	if lost > 0 {
		t.Fatalf("cycle %d: %d acknowledged writes lost", cycle, lost)
	}

	// The API agrees: the flow counts every acknowledged span (and perhaps some whose answer the
	// kill cut off; another replica's commits within seconds), and each subject lists its
	// acknowledged versions.
	want := len(load.traces) * crashSpansPerRequest
	var produced int
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if produced = producedMessages(t, p.URL); produced >= want || time.Now().After(deadline) {
			break
		}
	}
	if produced < want {
		t.Fatalf("cycle %d: /api/flows counts %d messages, fewer than the %d acknowledged spans", cycle, produced, want)
	}
	listed := map[string]string{}
	for _, a := range load.schemas {
		if _, ok := listed[a.subject]; !ok {
			_, listed[a.subject] = get(t, p.URL+"/subjects/"+a.subject+"/versions")
		}
		var vs []int
		if err := json.Unmarshal([]byte(listed[a.subject]), &vs); err != nil || !containsInt(vs, a.version) {
			t.Fatalf("cycle %d: GET /subjects/%s/versions = %s lacks acknowledged version %d", cycle, a.subject, listed[a.subject], a.version)
		}
	}
}

// producedMessages is what /api/flows counts of the spans ingestOne sends.
func producedMessages(t *testing.T, base string) int {
	t.Helper()
	_, body := get(t, base+"/api/flows?since=24h&channel=orders")
	var flows struct {
		Flows []struct {
			Direction, Service string
			Messages           int
		}
	}
	if err := json.Unmarshal([]byte(body), &flows); err != nil {
		t.Fatalf("/api/flows: %v: %s", err, body)
	}
	produced := 0
	for _, f := range flows.Flows {
		if f.Service == "orders" && f.Direction == "produce" {
			produced += f.Messages
		}
	}
	return produced
}

// openStoreSQL opens the store the servers under test use (a SQLite file, read-only, or a
// PostgreSQL URL), to check what they wrote behind their backs.
func openStoreSQL(t *testing.T, store string) *sql.DB {
	t.Helper()
	driver, dsn := "sqlite", "file:"+store+"?mode=ro"
	if pgdb.IsURL(store) {
		driver, dsn = "pgx", store
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func payloads(docs []ackedDocument) []ackedSchema {
	out := make([]ackedSchema, len(docs))
	for i, d := range docs {
		out[i] = d.payload
	}
	return out
}

func containsInt(list []int, n int) bool {
	for _, x := range list {
		if x == n {
			return true
		}
	}
	return false
}
