package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/eventlens/eventlens/storage"
	"github.com/eventlens/eventlens/tracing"
)

// smallDisk mounts a tmpfs of size bytes for the test (we run as root), and unmounts it at the
// end. Outside CI a machine that cannot mount skips the test; in CI it fails.
func smallDisk(t *testing.T, size int) string {
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", size), "tmpfs", dir).CombinedOutput()
	if err != nil {
		msg := fmt.Sprintf("cannot mount a small tmpfs for the disk-full test: %v: %s", err, out)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// fill writes a file until the file system has no space left, and returns its path.
func fill(t *testing.T, dir string) string {
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			return path
		}
	}
}

// When the store's disk fills (a 6 MiB tmpfs), ingest answers 503 with Retry-After and the
// registry refuses writes with a clear message, reads go on, nothing acknowledged is lost, and
// once space is freed the same requests succeed without a restart.
func TestDiskFull(t *testing.T) {
	dir := smallDisk(t, 6<<20)
	store, err := storage.Open(context.Background(), filepath.Join(dir, "eventlens.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() }) // before the unmount: cleanups run last first
	ts := startServerOn(t, store, tracing.Config{Keep: tracing.SpanKeep{All: true}, BatchSpans: 1000})
	post := func(path, contentType string, body []byte) (*http.Response, string) {
		t.Helper()
		resp, err := http.Post(ts.URL+path, contentType, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	register := func(i int) (*http.Response, string) {
		return post(fmt.Sprintf("/subjects/s%d-value/versions", i), "application/vnd.schemaregistry.v1+json",
			[]byte(fmt.Sprintf(`{"schema": "{\"type\":\"record\",\"name\":\"R%d\",\"fields\":[{\"name\":\"f\",\"type\":\"string\"}]}"}`, i)))
	}
	if resp, body := register(0); resp.StatusCode != 200 {
		t.Fatalf("register before the disk fills: %d %s", resp.StatusCode, body)
	}
	var acked int64
	seq := uint64(1)
	ingestUntilRefused := func() *http.Response {
		for range 500 {
			resp, body := post("/v1/traces", "application/x-protobuf", benchRequest(t, seq, 1000))
			if resp.StatusCode != 200 {
				if !strings.Contains(body, "disk is full") {
					t.Errorf("refused ingest says %q", body)
				}
				return resp
			}
			acked += 1000
			seq++
		}
		return nil
	}
	for range 3 {
		if resp, body := post("/v1/traces", "application/x-protobuf", benchRequest(t, seq, 1000)); resp.StatusCode != 200 {
			t.Fatalf("ingest before the disk fills: %d %s", resp.StatusCode, body)
		}
		acked += 1000
		seq++
	}
	filler := fill(t, dir)

	resp := ingestUntilRefused()
	if resp == nil || resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("ingest on a full disk: %+v, want 503 with Retry-After", resp)
	}
	var refused bool
	for i := 1; i < 500 && !refused; i++ {
		resp, body := register(i)
		switch resp.StatusCode {
		case 200:
		case http.StatusServiceUnavailable:
			refused = true
			if !strings.Contains(body, "disk is full") || resp.Header.Get("Retry-After") == "" {
				t.Errorf("a registration on a full disk: %s (Retry-After %q)", body, resp.Header.Get("Retry-After"))
			}
		default:
			t.Fatalf("a registration on a full disk: %d %s, want 503", resp.StatusCode, body)
		}
	}
	if !refused {
		t.Fatal("500 registrations fitted on the full disk")
	}
	t.Logf("%d spans acknowledged, then on the full disk ingest and registrations refused", acked)
	for _, path := range []string{"/subjects", "/schemas/ids/1", "/api/flows?since=1h"} {
		if resp, err := http.Get(ts.URL + path); err != nil || resp.StatusCode != 200 {
			t.Errorf("GET %s on a full disk: %v %v", path, resp, err)
		}
	}
	if c, err := ts.Ingest.Counts(context.Background()); err != nil || c.Spans != acked {
		t.Errorf("on a full disk %d spans stored (%v), %d acknowledged", c.Spans, err, acked)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if resp, body := post("/v1/traces", "application/x-protobuf", benchRequest(t, seq, 1000)); resp.StatusCode != 200 {
		t.Fatalf("ingest once space is back: %d %s", resp.StatusCode, body)
	}
	acked += 1000
	if resp, body := register(1000); resp.StatusCode != 200 {
		t.Fatalf("register once space is back: %d %s", resp.StatusCode, body)
	}
	if c, err := ts.Ingest.Counts(context.Background()); err != nil || c.Spans != acked {
		t.Errorf("%d spans stored (%v), %d acknowledged", c.Spans, err, acked)
	}
}
