package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// BenchmarkCheck200Files runs `eventlens check` on 200 Avro files against a local eventlens
// that holds a version of each subject: one run of the binary per iteration, start to exit.
//
//	go test ./cmd/eventlens -run '^$' -bench Check200Files -benchtime 10x
func BenchmarkCheck200Files(b *testing.B) {
	dir := b.TempDir()
	p := startServe(b, filepath.Join(dir, "eventlens.db"))
	schemas := filepath.Join(dir, "schemas")
	if err := os.MkdirAll(schemas, 0o755); err != nil {
		b.Fatal(err)
	}
	for i := range 200 {
		fields := `{"name":"id","type":"string"},{"name":"amount","type":"long"}`
		record := fmt.Sprintf(`{"type":"record","name":"Event%d","namespace":"bench","fields":[%s]}`, i, fields)
		if err := os.WriteFile(filepath.Join(schemas, fmt.Sprintf("topic-%03d-value.avsc", i)), []byte(record), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	if out, err := exec.Command(binary, "register", "--registry", p.URL, schemas).CombinedOutput(); err != nil {
		b.Fatalf("register: %v\n%s", err, out)
	}
	b.ResetTimer()
	for b.Loop() {
		if out, err := exec.Command(binary, "check", "--registry", p.URL, schemas).CombinedOutput(); err != nil {
			b.Fatalf("check: %v\n%s", err, out)
		}
	}
}
