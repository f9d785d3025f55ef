package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckAgainstRegistry(t *testing.T) {
	p := startServe(t, filepath.Join(t.TempDir(), "eventlens.db"))
	env := []string{"EVENTLENS_REGISTRY=" + p.URL}

	if code, out, errOut := eventlens(t, env, "register", "--dry-run", "base/schemas"); code != 0 || !strings.Contains(out, "would register  orders-value") {
		t.Fatalf("register --dry-run: %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := eventlens(t, env, "register", "base/schemas"); code != 0 || !strings.Contains(out, "registered  orders-value") {
		t.Fatalf("register: %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := eventlens(t, env, "register", "base/schemas"); code != 0 || !strings.Contains(out, "unchanged  orders-value") {
		t.Fatalf("register again: %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := eventlens(t, env, "check", "compatible/schemas"); code != 0 || !strings.Contains(out, "compatible with registry") {
		t.Fatalf("check compatible: %d\n%s%s", code, out, errOut)
	}
	for _, format := range []string{"text", "json", "github", "junit"} {
		code, out, errOut := eventlens(t, env, "check", "--format", format, "breaking/schemas")
		if code != 1 {
			t.Fatalf("check breaking (%s): exit %d, want 1\n%s%s", format, code, out, errOut)
		}
		golden(t, "registry-breaking."+format, out)
	}
	// A level override judges here, with the versions fetched from the registry.
	if code, out, errOut := eventlens(t, env, "check", "--level", "NONE", "breaking/schemas"); code != 0 {
		t.Fatalf("check --level NONE: %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := eventlens(t, env, "check", "--level", "FULL_TRANSITIVE", "breaking/schemas"); code != 1 || !strings.Contains(out, "READER_FIELD_MISSING_DEFAULT_VALUE") {
		t.Fatalf("check --level FULL_TRANSITIVE: %d\n%s", code, out)
	}
}

// TestCheckAgainstRegistryForward checks that a break the registry finds at the subject's own
// FORWARD level is reported at its line in the new file, although Confluent's path in the
// registry's answer is a position in the old schema.
func TestCheckAgainstRegistryForward(t *testing.T) {
	p := startServe(t, filepath.Join(t.TempDir(), "eventlens.db"))
	env := []string{"EVENTLENS_REGISTRY=" + p.URL}
	req, _ := http.NewRequest(http.MethodPut, p.URL+"/config/orders-value", strings.NewReader(`{"compatibility":"FORWARD"}`))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("config: %v %v", resp, err)
	}
	dir := t.TempDir()
	write := func(name, fields string) {
		text := "{\n  \"type\": \"record\",\n  \"name\": \"Payment\",\n  \"fields\": [\n" + fields + "\n  ]\n}\n"
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name, "orders-value.avsc"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("old", "    {\"name\": \"id\", \"type\": \"string\"},\n    {\"name\": \"amount\", \"type\": \"int\"}")
	write("new", "    {\"name\": \"amount\", \"type\": \"int\"},\n    {\"name\": \"id\", \"type\": \"long\"}")
	if code, out, errOut := eventlens(t, env, "register", filepath.Join(dir, "old")); code != 0 {
		t.Fatalf("register: %d\n%s%s", code, out, errOut)
	}
	code, out, errOut := eventlens(t, env, "check", filepath.Join(dir, "new"))
	// Line 5 is amount, where the registry's /fields/0/type points in the new file.
	if want := "orders-value.avsc:6 field Payment.id changed type string → long"; code != 1 || !strings.Contains(out, want) {
		t.Fatalf("check: exit %d, want 1 and %q\n%s%s", code, want, out, errOut)
	}
}

func TestCheckWithAPIKeys(t *testing.T) {
	db := filepath.Join(t.TempDir(), "eventlens.db")
	code, out := runBinary(t, "keys", "create", "--db", db, "--role", "write", "--name", "ci")
	if code != 0 {
		t.Fatalf("keys create: %d\n%s", code, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	id, secret := strings.Fields(lines[0])[3], lines[len(lines)-1]
	p := startServe(t, db)
	env := []string{"EVENTLENS_REGISTRY=" + p.URL}

	if code, out, errOut := eventlens(t, env, "check", "compatible/schemas"); code != exitUsage || !strings.Contains(errOut, "401") {
		t.Fatalf("check without a key: exit %d, want %d with the 401\n%s%s", code, exitUsage, out, errOut)
	}
	if code, out, errOut := eventlens(t, env, "check", "--basic-auth", id+":"+secret, "compatible/schemas"); code != 0 {
		t.Fatalf("check with Basic credentials: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := eventlens(t, append(env, "EVENTLENS_TOKEN="+secret), "register", "base/schemas"); code != 0 {
		t.Fatalf("register with a bearer token: exit %d\n%s%s", code, out, errOut)
	}
}
