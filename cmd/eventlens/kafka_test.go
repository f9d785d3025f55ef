package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/pem"
	"log/slog"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/eventlens/eventlens/kafkalag"
	"github.com/eventlens/eventlens/storage/storagetest"
)

func TestKafkaFlagErrors(t *testing.T) {
	serve := []string{"serve", "--addr", "127.0.0.1:0", "--otlp-grpc-addr", ""}
	for _, tt := range []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"malformed broker list", []string{"--kafka-brokers", "k1:9092,k2"}, nil, `--kafka-brokers: broker "k2" in "k1:9092,k2": want host:port`},
		{"broker without a port number", []string{"--kafka-brokers", "k1:kafka"}, nil, `port "kafka" is not a number`},
		{"cluster without a name", []string{"--kafka-cluster", "=k1:9092"}, nil, `--kafka-cluster: kafka cluster "=k1:9092" has no name`},
		{"cluster without brokers", []string{"--kafka-cluster", "prod"}, nil, `kafka cluster "prod": want name=host:port`},
		{"cluster named twice", []string{"--kafka-cluster", "a=k1:9092", "--kafka-cluster", "a=k2:9092"}, nil, `kafka cluster "a" is named twice`},
		{"bad cluster from the environment", nil, []string{"EVENTLENS_KAFKA_CLUSTERS=a=k1:9092;=k2:9092"}, `kafka cluster "=k2:9092" has no name`},
		{"unreadable CA file", []string{"--kafka-brokers", "k1:9092", "--kafka-tls-ca", "/nonexistent/ca.pem"}, nil, "kafka TLS CA file: open /nonexistent/ca.pem: no such file or directory"},
		{"unknown SASL mechanism", []string{"--kafka-brokers", "k1:9092", "--kafka-sasl-mechanism", "GSSAPI", "--kafka-sasl-user", "u"}, nil, `SASL mechanism "GSSAPI": want one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512`},
		{"SASL without a cluster", []string{"--kafka-sasl-user", "u"}, nil, "need --kafka-brokers or --kafka-cluster"},
		{"poll timeout over the interval", []string{"--kafka-brokers", "k1:9092", "--kafka-poll-interval", "5s", "--kafka-poll-timeout", "6s"}, nil, "at most the poll interval (5s)"},
		{"bad poll interval", []string{"--kafka-poll-interval", "often"}, nil, "--kafka-poll-interval"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, binary, append(serve, tt.args...)...)
			cmd.Dir = t.TempDir()
			cmd.Env = append(os.Environ(), tt.env...)
			out, err := cmd.CombinedOutput()
			if code := exitCode(err); code != exitUsage {
				t.Fatalf("exit code %d, want %d:\n%s", code, exitUsage, out)
			}
			if !strings.Contains(string(out), tt.want) {
				t.Errorf("output lacks %q:\n%s", tt.want, out)
			}
			if strings.Contains(string(out), "eventlens listening") {
				t.Errorf("it listened before refusing the flags:\n%s", out)
			}
		})
	}
}

func TestKafkaFlagsConfig(t *testing.T) {
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, testCertPEM(t), 0o600); err != nil {
		t.Fatal(err)
	}
	k := kafkaFlags{KafkaBrokers: "k1:9092", KafkaClusters: []string{"eu=k2:9092,k3:9092"}, KafkaPollInterval: 5 * time.Second,
		KafkaSASLMechanism: "SCRAM-SHA-512", KafkaSASLUser: "eventlens", KafkaSASLPassword: "secret", KafkaTLSCA: ca}
	cfg, err := k.config(env{log: slog.New(slog.DiscardHandler)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Clusters) != 2 || cfg.Clusters[0].Name != "kafka" || cfg.Clusters[1].Name != "eu" || len(cfg.Clusters[1].Brokers) != 2 {
		t.Fatalf("clusters = %+v", cfg.Clusters)
	}
	for _, c := range cfg.Clusters {
		if c.TLS == nil || c.TLS.RootCAs == nil || c.SASL.Mechanism != "SCRAM-SHA-512" || c.SASL.Password != "secret" {
			t.Errorf("cluster %s: TLS %v, SASL %+v; want TLS from the CA file and SCRAM", c.Name, c.TLS, c.SASL)
		}
	}
	// An interval shorter than the default timeout needs no timeout of its own.
	m, err := kafkalag.New(storagetest.SQLite(t), cfg)
	if err != nil {
		t.Fatalf("interval 5s without a timeout: %v", err)
	}
	m.Close()

	if cfg, err := (kafkaFlags{}).config(env{log: slog.New(slog.DiscardHandler)}, nil); err != nil || len(cfg.Clusters) != 0 {
		t.Errorf("no Kafka flags: %+v, %v", cfg.Clusters, err)
	}
}

// The demo shop's cluster is polled beside the others, every 5s unless the flag says otherwise,
// without the SASL and TLS settings meant for real brokers.
func TestKafkaFlagsConfigWithDemo(t *testing.T) {
	demo := []string{"127.0.0.1:39092"}
	for _, tt := range []struct {
		name     string
		flags    kafkaFlags
		clusters []string
		interval time.Duration
	}{
		{"the demo alone", kafkaFlags{}, []string{"demo"}, 5 * time.Second},
		{"the demo beside a cluster", kafkaFlags{KafkaBrokers: "k1:9092", KafkaSASLMechanism: "PLAIN", KafkaSASLUser: "u", KafkaTLS: true},
			[]string{"kafka", "demo"}, 5 * time.Second},
		{"an interval set", kafkaFlags{KafkaPollInterval: 20 * time.Second}, []string{"demo"}, 20 * time.Second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := tt.flags.config(env{log: slog.New(slog.DiscardHandler)}, demo)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, c := range cfg.Clusters {
				names = append(names, c.Name)
			}
			if !slices.Equal(names, tt.clusters) || cfg.PollInterval != tt.interval {
				t.Fatalf("clusters %q every %s, want %q every %s", names, cfg.PollInterval, tt.clusters, tt.interval)
			}
			if d := cfg.Clusters[len(cfg.Clusters)-1]; !slices.Equal(d.Brokers, demo) || d.TLS != nil || d.SASL != (kafkalag.SASL{}) {
				t.Errorf("the demo's cluster is %+v, want its brokers without SASL or TLS", d)
			}
		})
	}
	if _, err := (kafkaFlags{KafkaTLS: true}).config(env{log: slog.New(slog.DiscardHandler)}, demo); err == nil {
		t.Error("--kafka-tls with only the demo's cluster: no error")
	}
}

// testCertPEM makes a self-signed certificate, PEM-encoded.
func testCertPEM(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, IsCA: true,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func TestServePollsKafka(t *testing.T) {
	k, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "orders"))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	db := filepath.Join(t.TempDir(), "eventlens.db")
	p := startServe(t, db, "--kafka-cluster", "shop="+strings.Join(k.ListenAddrs(), ","))

	// The first poll runs at start and lands in the store.
	read, err := sql.Open("sqlite", "file:"+db+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer read.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		if err := read.QueryRow(`SELECT count(*) FROM kafkalag_polls WHERE cluster = 'shop' AND error = ''`).Scan(&n); err == nil && n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no successful poll of cluster shop stored within 10s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := <-p.done; err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, p.logs)
	}
	if !strings.Contains(p.logs.String(), `"msg":"kafka cluster polled","cluster":"shop"`) {
		t.Errorf("no log of the first poll:\n%s", p.logs)
	}
}
