package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/eventlens/eventlens/pgdb/pgtest"
)

// binary is the eventlens binary built once for the tests that run it as a subprocess.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "eventlens-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "eventlens")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build eventlens: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// process is a running `eventlens serve`.
type process struct {
	URL      string
	OTLPGRPC string // the OTLP/gRPC address it listens on, when it does
	cmd      *exec.Cmd
	logs     *bytes.Buffer // stderr after the listening line
	done     chan error
}

// startServe runs `eventlens serve` on a random port with the database at db, waits until it
// listens, and kills it when the test ends if it is still running.
func startServe(t testing.TB, db string, extra ...string) *process {
	t.Helper()
	return startCommand(t, append([]string{"serve", "--addr", "127.0.0.1:0", "--otlp-grpc-addr", "", "--db", db, "--log-format", "json"}, extra...)...)
}

// startCommand runs eventlens with args (a command that serves, logging JSON) and waits until it
// listens.
func startCommand(t testing.TB, args ...string) *process {
	t.Helper()
	return startCmd(t, exec.Command(binary, args...))
}

// startCmd starts cmd, an eventlens command that serves and logs JSON, and waits until it listens.
func startCmd(t testing.TB, cmd *exec.Cmd) *process {
	t.Helper()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, logs: &bytes.Buffer{}, done: make(chan error, 1)}
	type listening struct {
		Msg, URL string
		OTLPGRPC string `json:"otlp_grpc"`
	}
	listens := make(chan listening, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var line listening
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "eventlens listening" {
				listens <- line
				continue
			}
			p.logs.Write(append(sc.Bytes(), '\n'))
		}
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	select {
	case l := <-listens:
		p.URL, p.OTLPGRPC = l.URL, l.OTLPGRPC
		return p
	case err := <-p.done:
		t.Fatalf("eventlens serve exited before listening (%v):\n%s", err, p.logs)
	case <-time.After(20 * time.Second):
		t.Fatalf("eventlens serve did not listen within 20s:\n%s", p.logs)
	}
	return nil
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServeCreatesDatabaseAndStopsGracefully(t *testing.T) {
	db := filepath.Join(t.TempDir(), "sub", "..", "eventlens.db")
	p := startServe(t, db)
	for _, path := range []string{"/healthz", "/readyz", "/metrics", "/"} {
		if status, body := get(t, p.URL+path); status != 200 {
			t.Errorf("GET %s: %d %.200s", path, status, body)
		}
	}
	if _, err := os.Stat(db); err != nil {
		t.Fatalf("database file not created: %v", err)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, p.logs)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("eventlens did not stop within 10s of SIGTERM")
	}
	// The WAL was checkpointed into the database file on the way out.
	if fi, err := os.Stat(db + "-wal"); err == nil && fi.Size() > 0 {
		t.Errorf("WAL still holds %d bytes after a graceful stop", fi.Size())
	}
}

func TestServeRefusesNewerDatabase(t *testing.T) {
	db := filepath.Join(t.TempDir(), "eventlens.db")
	p := startServe(t, db)
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	<-p.done

	// Record a migration from the future, as a newer eventlens would have.
	sqldb, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sqldb.Exec("INSERT INTO goose_db_version (version_id, is_applied) VALUES (99999, 1)"); err != nil {
		t.Fatal(err)
	}
	sqldb.Close()
	var stderr bytes.Buffer
	cmd := exec.Command(binary, "serve", "--addr", "127.0.0.1:0", "--otlp-grpc-addr", "", "--db", db)
	cmd.Stderr = &stderr
	err = cmd.Run()
	if code := exitCode(err); code != exitUsage {
		t.Fatalf("exit code %d, want %d; stderr:\n%s", code, exitUsage, &stderr)
	}
	if !strings.Contains(stderr.String(), "newer than this eventlens") {
		t.Fatalf("stderr does not explain the refusal:\n%s", &stderr)
	}
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}

func TestCommandLine(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		env      []string
		wantCode int
		want     []string // substrings of stdout+stderr
	}{
		{"version", []string{"version"}, nil, 0, []string{"eventlens ", "commit"}},
		{"help", []string{"--help"}, nil, 0, []string{"serve", "version", "--log-level"}},
		{"serve help", []string{"serve", "--help"}, nil, 0, []string{"--addr", "EVENTLENS_ADDR", "--db", "EVENTLENS_DB", "--max-body", "--log-format"}},
		{"unknown command", []string{"frobnicate"}, nil, exitUsage, []string{"unexpected argument frobnicate"}},
		{"unknown flag", []string{"serve", "--nope"}, nil, exitUsage, []string{"unknown flag --nope"}},
		{"bad log format", []string{"--log-format", "xml", "version"}, nil, exitUsage, []string{"--log-format"}},
		{"bad body limit", []string{"serve", "--addr", "127.0.0.1:0", "--max-body", "lots"}, nil, exitUsage, []string{"body limit \"lots\""}},
		{"limit flags", []string{"serve", "--help"}, nil, 0, []string{"--otlp-max-spans", "EVENTLENS_OTLP_MAX_SPANS", "--otlp-max-points", "--otlp-metrics-max-series", "--otlp-metrics-expiry", "--otlp-max-span-attributes", "--asyncapi-max-bytes", "--schema-max-references", "--schema-max-reference-depth"}},
		{"bad span attribute limit", []string{"serve", "--addr", "127.0.0.1:0", "--otlp-grpc-addr", "", "--otlp-max-span-attributes", "big"}, nil, exitUsage, []string{"span attribute limit \"big\""}},
		{"bad AsyncAPI limit", []string{"serve", "--addr", "127.0.0.1:0", "--otlp-grpc-addr", "", "--asyncapi-max-bytes", "huge"}, nil, exitUsage, []string{"AsyncAPI document limit \"huge\""}},
		{"malformed PostgreSQL URL", []string{"serve", "--addr", "127.0.0.1:0", "--otlp-grpc-addr", "", "--db", "postgres://eventlens:secret@[::1/x"}, nil, exitUsage, []string{"PostgreSQL URL", "want postgres://"}},
		{"unreachable PostgreSQL", []string{"serve", "--addr", "127.0.0.1:0", "--otlp-grpc-addr", "", "--db", "postgres://eventlens:secret@127.0.0.1:1/eventlens"}, nil, exitUsage, []string{"connect to postgres://eventlens:xxxxx@127.0.0.1:1/eventlens", "server unreachable"}},
		{"backup of PostgreSQL", []string{"backup", "--db", "postgres://eventlens:secret@127.0.0.1:1/eventlens", "copy.db"}, nil, exitUsage, []string{"pg_dump"}},
		{"bad address from the environment", []string{"serve"}, []string{"EVENTLENS_ADDR=256.0.0.1:99999"}, exitUsage, []string{"listen on 256.0.0.1:99999"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, binary, tt.args...)
			cmd.Dir = t.TempDir()
			cmd.Env = append(os.Environ(), tt.env...)
			out, err := cmd.CombinedOutput()
			if code := exitCode(err); code != tt.wantCode {
				t.Fatalf("exit code %d, want %d:\n%s", code, tt.wantCode, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if strings.Contains(string(out), ":secret@") {
				t.Errorf("output shows a password:\n%s", out)
			}
		})
	}
}

// TestRegistrySurvivesKill9 registers schemas, kills the server without warning, restarts it on
// the same database file, and finds every acknowledged schema with the same id and version.
func TestRegistrySurvivesKill9(t *testing.T) {
	db := filepath.Join(t.TempDir(), "eventlens.db")
	p := startServe(t, db)
	type acked struct {
		subject string
		version int
		id      int
		schema  string
	}
	var all []acked
	for i := range 20 {
		subject := fmt.Sprintf("s%d", i%4)
		schema := fmt.Sprintf(`{"type":"record","name":"R%d","fields":[{"name":"f","type":"int"}]}`, i)
		if i%4 == 0 {
			schema = fmt.Sprintf(`{"type":"record","name":"Same","fields":[{"name":"f%d","type":"int","default":0}]}`, i)
		}
		body, _ := json.Marshal(map[string]string{"schema": schema})
		req, _ := http.NewRequest("PUT", p.URL+"/config/"+subject, strings.NewReader(`{"compatibility":"NONE"}`))
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
			t.Fatalf("config: %v", err)
		}
		resp, err := http.Post(p.URL+"/subjects/"+subject+"/versions", "application/vnd.schemaregistry.v1+json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var out struct{ ID, Version int }
		json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if resp.StatusCode != 200 || out.ID == 0 {
			t.Fatalf("register %d: %d %+v", i, resp.StatusCode, out)
		}
		all = append(all, acked{subject, out.Version, out.ID, schema})
	}
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-p.done

	p = startServe(t, db)
	for _, a := range all {
		status, body := get(t, fmt.Sprintf("%s/subjects/%s/versions/%d", p.URL, a.subject, a.version))
		var got struct {
			ID     int
			Schema string
		}
		json.Unmarshal([]byte(body), &got)
		if status != 200 || got.ID != a.id || got.Schema != a.schema {
			t.Errorf("%s v%d after kill -9: %d %s, want id %d", a.subject, a.version, status, body, a.id)
		}
	}
}

// A PostgreSQL that refuses the login, or lacks the database, stops serve at once with exit 2
// and says which, without showing the password.
func TestServeRefusesAPostgreSQLItCannotUse(t *testing.T) {
	u, err := url.Parse(pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	wrongPassword, noDatabase := *u, *u
	wrongPassword.User = url.UserPassword(u.User.Username(), "not-the-password")
	noDatabase.Path = "/eventlens_no_such_database"
	for _, tt := range []struct {
		name string
		url  url.URL
		want string
	}{
		{"wrong password", wrongPassword, "login refused"},
		{"no such database", noDatabase, "no such database"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, out := runBinary(t, "serve", "--addr", "127.0.0.1:0", "--otlp-grpc-addr", "", "--db", tt.url.String())
			if code != exitUsage || !strings.Contains(out, tt.want) {
				t.Errorf("exit %d, want %d with %q:\n%s", code, exitUsage, tt.want, out)
			}
			if pw, _ := tt.url.User.Password(); strings.Contains(out, ":"+pw+"@") {
				t.Errorf("the output shows the password:\n%s", out)
			}
		})
	}
}
