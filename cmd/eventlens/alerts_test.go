package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// A malformed or hostile alerts file stops serve at once with exit 2, naming the file and the
// line.
func TestServeRefusesABadAlertsFile(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		name, text string
		want       []string
	}{
		{"unknown kind", "rules:\n  - name: x\n    kind: cpu\n    severity: info\n", []string{"line 3", `kind "cpu"`}},
		{"unknown field", "rules:\n  - name: x\n    kind: drift\n    severity: info\n    sevrity: info\n", []string{"line 5", "field sevrity not found"}},
		{"not YAML", "rules: {\n", []string{"line"}},
		{"binary", "\x00\x01\x02", []string{"alerts file"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".yaml")
			if err := os.WriteFile(file, []byte(tt.text), 0o600); err != nil {
				t.Fatal(err)
			}
			code, out := runBinary(t, "serve", "--addr", "127.0.0.1:0", "--otlp-grpc-addr", "", "--db", filepath.Join(dir, "eventlens.db"), "--alerts-file", file)
			if code != exitUsage {
				t.Fatalf("exit %d, want %d:\n%s", code, exitUsage, out)
			}
			for _, w := range append(tt.want, file) {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
	code, out := runBinary(t, "serve", "--addr", "127.0.0.1:0", "--otlp-grpc-addr", "", "--db", filepath.Join(dir, "eventlens.db"), "--alerts-file", filepath.Join(dir, "missing.yaml"))
	if code != exitUsage || !strings.Contains(out, "missing.yaml") {
		t.Errorf("a missing alerts file: exit %d:\n%s", code, out)
	}
}

// The served binary evaluates its alerts file and notifies a real receiver once when an alert
// fires; restarted on the same database it does not tell it again, and tells it when the
// alert resolves.
func TestServeSendsAlertsOnceAcrossARestart(t *testing.T) {
	var mu sync.Mutex
	var statuses []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m struct {
			Status string
			Alerts []struct{ Labels map[string]string }
		}
		b, _ := io.ReadAll(r.Body)
		if json.Unmarshal(b, &m) != nil || len(m.Alerts) != 1 || m.Alerts[0].Labels["subject"] != "stray-value" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		statuses = append(statuses, m.Status)
		mu.Unlock()
	}))
	defer hook.Close()
	received := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), statuses...)
	}
	waitFor := func(want int) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for len(received()) < want && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if got := received(); len(got) < want {
			t.Fatalf("the receiver got %v, want %d notifications", got, want)
		}
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "alerts.yaml")
	if err := os.WriteFile(file, []byte(`evaluate_every: 1s
receivers:
  - {name: am, format: alertmanager, url: "`+hook.URL+`"}
rules:
  - {name: unowned, kind: unowned_subject, severity: info, receivers: [am]}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "eventlens.db")
	p := startServe(t, db, "--alerts-file", file)
	resp, err := http.Post(p.URL+"/subjects/stray-value/versions", "application/vnd.schemaregistry.v1+json", strings.NewReader(`{"schema":"\"string\""}`))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("register: %v %v", resp, err)
	}
	resp.Body.Close()
	waitFor(1)
	if status, body := get(t, p.URL+"/alerts"); status != 200 || !strings.Contains(body, "stray-value") {
		t.Errorf("/alerts: %d, lacks the firing alert", status)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-p.done

	p = startServe(t, db, "--alerts-file", file)
	req, _ := http.NewRequest(http.MethodDelete, p.URL+"/subjects/stray-value", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("delete: %v %v", resp, err)
	}
	waitFor(2)
	if got := received(); len(got) != 2 || got[0] != "firing" || got[1] != "resolved" {
		t.Errorf("the receiver got %v, want firing once, then resolved", got)
	}
}
