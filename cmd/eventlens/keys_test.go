package main

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func runBinary(t *testing.T, args ...string) (int, string) {
	t.Helper()
	out, err := exec.Command(binary, args...).CombinedOutput()
	return exitCode(err), string(out)
}

func TestKeysLifecycle(t *testing.T) {
	db := filepath.Join(t.TempDir(), "eventlens.db")
	code, out := runBinary(t, "keys", "create", "--db", db, "--role", "write", "--name", "ci")
	if code != 0 {
		t.Fatalf("keys create: %d\n%s", code, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	secret := lines[len(lines)-1]
	id := strings.Fields(lines[0])[3]
	if !strings.HasPrefix(id, "elk_") || len(secret) < 40 {
		t.Fatalf("keys create printed id %q and secret %q:\n%s", id, secret, out)
	}

	p := startServe(t, db)
	get := func(set func(*http.Request)) int {
		req, _ := http.NewRequest("GET", p.URL+"/metrics", nil)
		set(req)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get(func(*http.Request) {}); code != 401 {
		t.Errorf("no key: %d, want 401", code)
	}
	if code := get(func(r *http.Request) { r.SetBasicAuth(id, secret) }); code != 200 {
		t.Errorf("Basic key: %d, want 200", code)
	}
	if code := get(func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+secret) }); code != 200 {
		t.Errorf("Bearer key: %d, want 200", code)
	}

	if code, out := runBinary(t, "keys", "list", "--db", db); code != 0 || !strings.Contains(out, id) || strings.Contains(out, secret) {
		t.Fatalf("keys list: %d\n%s", code, out)
	}
	if code, out := runBinary(t, "keys", "revoke", "--db", db, id); code != 0 {
		t.Fatalf("keys revoke: %d\n%s", code, out)
	}
	if code, out := runBinary(t, "keys", "revoke", "--db", db, "elk_nope"); code != exitUsage || !strings.Contains(out, "no such API key") {
		t.Fatalf("revoke unknown key: %d\n%s", code, out)
	}
	if code, out := runBinary(t, "keys", "create", "--db", db, "--role", "root", "--name", "x"); code != exitUsage || !strings.Contains(out, "--role") {
		t.Fatalf("create with a bad role: %d\n%s", code, out)
	}
}

func TestServeRefusesExposureWithoutKeys(t *testing.T) {
	db := filepath.Join(t.TempDir(), "eventlens.db")
	code, out := runBinary(t, "serve", "--addr", "0.0.0.0:0", "--db", db)
	if code != exitUsage || !strings.Contains(out, "refusing to listen on 0.0.0.0:0 without API keys") {
		t.Fatalf("serve on 0.0.0.0 without keys: %d\n%s", code, out)
	}
	// With a key, or with the explicit opt-out, it starts.
	startServe(t, db, "--addr", "0.0.0.0:0", "--insecure-no-auth")
	if code, out := runBinary(t, "keys", "create", "--db", db, "--role", "admin", "--name", "admin"); code != 0 {
		t.Fatalf("keys create: %d\n%s", code, out)
	}
	startServe(t, db, "--addr", "0.0.0.0:0")
}

func TestBackupWhileServing(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "eventlens.db")
	startServe(t, db)
	if code, out := runBinary(t, "keys", "create", "--db", db, "--role", "read", "--name", "before-backup"); code != 0 {
		t.Fatalf("keys create: %d\n%s", code, out)
	}
	copyPath := filepath.Join(dir, "copy.db")
	if code, out := runBinary(t, "backup", "--db", db, copyPath); code != 0 || !strings.Contains(out, "Backed up") {
		t.Fatalf("backup: %d\n%s", code, out)
	}
	if code, out := runBinary(t, "keys", "list", "--db", copyPath); code != 0 || !strings.Contains(out, "before-backup") {
		t.Fatalf("the copy lacks the key: %d\n%s", code, out)
	}
	if code, out := runBinary(t, "backup", "--db", db, copyPath); code != exitUsage || !strings.Contains(out, "exists") {
		t.Fatalf("backup over an existing file: %d\n%s", code, out)
	}
}

// TestKeysCreateFromSecretFile is how a deployment (the Helm chart's init containers) provisions
// a key it keeps in a Kubernetes Secret: at every start, never printing the secret.
func TestKeysCreateFromSecretFile(t *testing.T) {
	dir := t.TempDir()
	db, file := filepath.Join(dir, "eventlens.db"), filepath.Join(dir, "secret")
	const id, secret = "elk_deploy", "a-secret-kept-in-a-kubernetes-secret-0123456789"
	if err := os.WriteFile(file, []byte(secret+"\n"), 0o600); err != nil { // kubectl's --from-file keeps the newline
		t.Fatal(err)
	}
	create := []string{"keys", "create", "--db", db, "--role", "read", "--name", "metrics", "--id", id, "--secret-file", file}
	for i, want := range []string{"API key elk_deploy (metrics, role read) created with the secret from " + file, "API key elk_deploy (metrics, role read) exists already; nothing to do"} {
		code, out := runBinary(t, create...)
		if code != 0 || !strings.Contains(out, want) || strings.Contains(out, secret) {
			t.Fatalf("run %d: %d\n%s", i+1, code, out)
		}
	}
	p := startServe(t, db, "--addr", "0.0.0.0:0")
	req, _ := http.NewRequest("GET", p.URL+"/metrics", nil)
	req.SetBasicAuth(id, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("provisioned key on /metrics: %d, want 200", resp.StatusCode)
	}

	refused := []struct {
		name string
		args []string
		want string
	}{
		{"id without file", []string{"--id", id}, "--id and --secret-file go together"},
		{"file without id", []string{"--secret-file", file}, "--id and --secret-file go together"},
		{"missing file", []string{"--id", id, "--secret-file", filepath.Join(dir, "nope")}, "read the key's secret"},
		{"other role", []string{"--id", id, "--secret-file", file, "--role", "admin"}, "exists with role read, not admin"},
	}
	for _, tt := range refused {
		args := append([]string{"keys", "create", "--db", db, "--role", "read", "--name", "metrics"}, tt.args...)
		if code, out := runBinary(t, args...); code != exitUsage || !strings.Contains(out, tt.want) || strings.Contains(out, secret) {
			t.Errorf("%s: %d\n%s", tt.name, code, out)
		}
	}
}
