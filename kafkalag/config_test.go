package kafkalag

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseBrokers(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
		err  string
	}{
		{"localhost:9092", []string{"localhost:9092"}, ""},
		{"a:9092, b:9093,[::1]:9094", []string{"a:9092", "b:9093", "[::1]:9094"}, ""},
		{"", nil, "broker list is empty"},
		{"   ", nil, "broker list is empty"},
		{"localhost", nil, `broker "localhost" in "localhost": want host:port`},
		{"a:9092,,b:9092", nil, `broker "" in "a:9092,,b:9092": want host:port`},
		{"a:9092,", nil, `broker ""`},
		{"a:kafka", nil, `port "kafka" is not a number from 1 to 65535`},
		{"a:0", nil, "port \"0\""},
		{"a:70000", nil, "port \"70000\""},
		{":9092", nil, `broker ":9092"`},
		{"http://a:9092", nil, "want host:port"},
		{"a b:9092", nil, "want host:port"},
	} {
		got, err := ParseBrokers(c.in)
		if c.err == "" {
			if err != nil || !slices.Equal(got, c.want) {
				t.Errorf("ParseBrokers(%q) = %q, %v; want %q", c.in, got, err, c.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("ParseBrokers(%q) error = %v, want one with %q", c.in, err, c.err)
		}
	}
}

func TestParseCluster(t *testing.T) {
	for _, c := range []struct {
		in      string
		name    string
		brokers []string
		err     string
	}{
		{"prod=k1:9092,k2:9092", "prod", []string{"k1:9092", "k2:9092"}, ""},
		{" eu west = k1:9092", "eu west", []string{"k1:9092"}, ""},
		{"=k1:9092", "", nil, `kafka cluster "=k1:9092" has no name`},
		{"  =k1:9092", "", nil, "has no name"},
		{"k1:9092", "", nil, `kafka cluster "k1:9092": want name=host:port`},
		{"prod=", "", nil, `kafka cluster "prod": broker list is empty`},
		{"prod=k1", "", nil, `kafka cluster "prod": broker "k1"`},
		{"bad\x00name=k1:9092", "", nil, "printable"},
		{strings.Repeat("n", 101) + "=k1:9092", "", nil, "at most 100"},
	} {
		name, brokers, err := ParseCluster(c.in)
		if c.err == "" {
			if err != nil || name != c.name || !slices.Equal(brokers, c.brokers) {
				t.Errorf("ParseCluster(%q) = %q %q, %v; want %q %q", c.in, name, brokers, err, c.name, c.brokers)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("ParseCluster(%q) error = %v, want one with %q", c.in, err, c.err)
		}
	}
}

func TestTLSFiles(t *testing.T) {
	dir := t.TempDir()
	ca, cert, key := writeTestCA(t, dir)
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		files TLSFiles
		err   string
	}{
		{"system roots", TLSFiles{}, ""},
		{"CA file", TLSFiles{CAFile: ca}, ""},
		{"client certificate", TLSFiles{CAFile: ca, CertFile: cert, KeyFile: key}, ""},
		{"unreadable CA file", TLSFiles{CAFile: filepath.Join(dir, "missing.pem")}, "kafka TLS CA file: open " + filepath.Join(dir, "missing.pem")},
		{"CA file with no certificate", TLSFiles{CAFile: notPEM}, "no PEM certificate in it"},
		{"certificate without key", TLSFiles{CertFile: cert}, "give both the certificate and the key file"},
		{"key without certificate", TLSFiles{KeyFile: key}, "give both"},
		{"bad key pair", TLSFiles{CertFile: cert, KeyFile: notPEM}, "kafka TLS client certificate " + cert},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := c.files.Config()
			if c.err == "" {
				if err != nil || cfg == nil {
					t.Fatalf("Config() = %v, %v", cfg, err)
				}
				if (c.files.CAFile != "") != (cfg.RootCAs != nil) || len(cfg.Certificates) != map[bool]int{true: 1}[c.files.CertFile != ""] {
					t.Errorf("Config() = roots %v, %d certificates", cfg.RootCAs != nil, len(cfg.Certificates))
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("Config() error = %v, want one with %q", err, c.err)
			}
		})
	}
}

func TestConfigChecks(t *testing.T) {
	ok := Cluster{Name: "a", Brokers: []string{"a:9092"}}
	for _, c := range []struct {
		name string
		cfg  Config
		err  string
	}{
		{"defaults", Config{Clusters: []Cluster{ok}}, ""},
		{"interval too short", Config{PollInterval: time.Millisecond}, "kafka poll interval 1ms: want at least 1s"},
		{"timeout over the interval", Config{PollInterval: 5 * time.Second, PollTimeout: 6 * time.Second}, "at most the poll interval (5s)"},
		{"negative timeout", Config{PollTimeout: -time.Second}, "kafka poll timeout -1s"},
		{"window of one", Config{Window: 1}, "window of 1 polls: want 2 to 100"},
		{"window too long", Config{Window: 1000}, "want 2 to 100"},
		{"short history", Config{History: time.Second}, "kafka time lag history 1s: want at least 1m"},
		{"no name", Config{Clusters: []Cluster{{Brokers: ok.Brokers}}}, "a kafka cluster has no name"},
		{"named twice", Config{Clusters: []Cluster{ok, ok}}, `kafka cluster "a" is named twice`},
		{"no brokers", Config{Clusters: []Cluster{{Name: "b"}}}, `kafka cluster "b" has no brokers`},
		{"unknown SASL mechanism", Config{Clusters: []Cluster{{Name: "b", Brokers: ok.Brokers, SASL: SASL{Mechanism: "GSSAPI", User: "u"}}}}, `SASL mechanism "GSSAPI": want one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512`},
		{"SASL without user", Config{Clusters: []Cluster{{Name: "b", Brokers: ok.Brokers, SASL: SASL{Mechanism: "PLAIN"}}}}, "SASL PLAIN needs a user name"},
		{"SASL user without mechanism", Config{Clusters: []Cluster{{Name: "b", Brokers: ok.Brokers, SASL: SASL{User: "u", Password: "p"}}}}, "without a mechanism"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.cfg.withDefaults()
			if c.err == "" {
				if err != nil || got.PollInterval != DefaultPollInterval || got.PollTimeout != DefaultPollTimeout || got.Window != DefaultWindow || got.History != DefaultHistory {
					t.Errorf("withDefaults() = %+v, %v", got, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("withDefaults() error = %v, want one with %q", err, c.err)
			}
		})
	}
}
