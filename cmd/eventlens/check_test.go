package main

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// eventlens runs the built binary in testdata/check and returns its exit code and output.
func eventlens(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = filepath.Join("testdata", "check")
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return exitCode(err), stdout.String(), stderr.String()
}

// golden compares got with testdata/check/golden/name, rewriting it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "check", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/eventlens -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s:\n%s", path, got)
	}
}

func TestCheckOffline(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string
	}{
		{"compatible file", []string{"check", "--against", "base/schemas/orders-value.avsc", "compatible/schemas/orders-value.avsc"}, 0, []string{"all compatible"}},
		{"breaking file", []string{"check", "--against", "base/schemas/orders-value.avsc", "breaking/schemas/orders-value.avsc"}, 1, []string{"READER_FIELD_MISSING_DEFAULT_VALUE", "TYPE_MISMATCH", "breaking/schemas/orders-value.avsc:7"}},
		{"compatible directory", []string{"check", "--against-dir", "base/schemas", "compatible/schemas"}, 0, []string{"all compatible"}},
		{"breaking directory", []string{"check", "--against-dir", "base/schemas", "breaking/schemas"}, 1, []string{"5 incompatibilities", "TYPE_CHANGED", "breaking/schemas/payments-value.json:8", "FIELD_SCALAR_KIND_CHANGED", "breaking/schemas/shipments-value.proto:6"}},
		{"level NONE accepts anything", []string{"check", "--level", "NONE", "--against-dir", "base/schemas", "breaking/schemas"}, 0, []string{"all compatible"}},
		{"FORWARD judges the other way", []string{"check", "--level", "FORWARD", "--against", "base/schemas/orders-value.avsc", "compatible/schemas/orders-value.avsc"}, 0, []string{"all compatible"}},
		{"both offline modes", []string{"check", "--against", "base/schemas/orders-value.avsc", "--against-dir", "base/schemas", "compatible/schemas"}, exitUsage, []string{"not both"}},
		{"no files", []string{"check", "--against-dir", "base/schemas"}, exitUsage, []string{"no schema files"}},
		{"missing file", []string{"check", "--against-dir", "base/schemas", "nope/"}, exitUsage, []string{"nope"}},
		{"bad level", []string{"check", "--level", "SIDEWAYS", "--against-dir", "base/schemas", "compatible/schemas"}, exitUsage, []string{"--level"}},
		{"no registry", []string{"check", "compatible/schemas"}, exitUsage, []string{"--registry"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := eventlens(t, []string{"EVENTLENS_REGISTRY="}, tt.args...)
			if code != tt.wantCode {
				t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, stdout, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout+stderr, w) {
					t.Errorf("output lacks %q:\n%s%s", w, stdout, stderr)
				}
			}
		})
	}
}

func TestCheckOfflineFormats(t *testing.T) {
	for _, format := range []string{"text", "json", "github", "junit"} {
		t.Run(format, func(t *testing.T) {
			code, stdout, stderr := eventlens(t, nil, "check", "--format", format, "--against-dir", "base/schemas", "breaking/schemas")
			if code != 1 {
				t.Fatalf("exit code %d, want 1: %s", code, stderr)
			}
			golden(t, "offline-breaking."+format, stdout)
		})
	}
}

func TestCheckUnreachableRegistry(t *testing.T) {
	code, out, errOut := eventlens(t, nil, "check", "--registry", "http://127.0.0.1:1", "--timeout", "2s", "compatible/schemas")
	if code != exitUsage || !strings.Contains(errOut, "registry unreachable") {
		t.Fatalf("exit %d, want %d with a clear message\nstdout:\n%s\nstderr:\n%s", code, exitUsage, out, errOut)
	}
}
