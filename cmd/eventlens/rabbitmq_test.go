package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestRabbitMQFlagRejectsBadURL(t *testing.T) {
	code, out := runBinary(t, "serve", "--addr", "127.0.0.1:0", "--otlp-grpc-addr", "", "--db", filepath.Join(t.TempDir(), "e.db"),
		"--rabbitmq-management-url", "amqp://guest:secret-pw@127.0.0.1:5672")
	if code != exitUsage || !strings.Contains(out, "want http:// or https://") {
		t.Fatalf("exit %d, want %d with the reason:\n%s", code, exitUsage, out)
	}
	if strings.Contains(out, "secret-pw") {
		t.Errorf("output shows the password:\n%s", out)
	}
}

// serve polls the brokers it is given in the background: a refusing one and a silent one are
// logged once each (not once per poll), a real one (EVENTLENS_TEST_RABBITMQ) is polled, pages
// answer throughout, and SIGTERM stops it at once though a poll is waiting.
func TestServePollsRabbitMQ(t *testing.T) {
	refused, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusedAddr := refused.Addr().String()
	refused.Close()
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	urls := []string{"http://monitor:secret-pw@" + refusedAddr, "http://monitor:secret-pw@" + silent.Addr().String()}
	real := os.Getenv("EVENTLENS_TEST_RABBITMQ")
	switch {
	case real != "":
		urls = append(urls, real)
	case os.Getenv("CI") == "true":
		t.Fatal("EVENTLENS_TEST_RABBITMQ is not set: CI must run the RabbitMQ tests (see .ci/run)")
	}

	p := startServe(t, filepath.Join(t.TempDir(), "e.db"), "--rabbitmq-management-url", strings.Join(urls, ","),
		"--rabbitmq-poll-interval", "1s", "--rabbitmq-timeout", "1s")
	for range 3 {
		if status, _ := get(t, p.URL+"/readyz"); status != 200 {
			t.Errorf("GET /readyz: %d", status)
		}
		time.Sleep(time.Second)
	}
	stopped := time.Now()
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
	if took := time.Since(stopped); took > 3*time.Second {
		t.Errorf("stopping took %s", took)
	}
	logs := p.logs.String()
	for _, want := range []string{`"state":"unreachable","error":"GET /api/overview: dial tcp ` + refusedAddr, `"state":"unreachable","error":"GET /api/overview: no answer within 1s"`} {
		if n := strings.Count(logs, want); n != 1 {
			t.Errorf("%d log lines with %s, want 1:\n%s", n, want, logs)
		}
	}
	if real != "" && strings.Count(logs, "RabbitMQ broker polled") != 1 {
		t.Errorf("the real broker's poll is not logged once:\n%s", logs)
	}
	if strings.Contains(logs, "secret-pw") || !strings.Contains(logs, "monitor:xxxxx@") {
		t.Errorf("the logs do not redact the password:\n%s", logs)
	}
}
