package kafkalag

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// Config says which clusters to poll and how.
type Config struct {
	Clusters []Cluster
	// PollInterval is the time between two polls of a cluster (default 30s); PollTimeout bounds
	// one poll (default 10s) and may not exceed the interval.
	PollInterval time.Duration
	PollTimeout  time.Duration
	// Window is how many polls Burrow's rules look back over (default 10, Burrow's intervals).
	Window int
	// History is how long each partition's end offsets are kept to read time lag from
	// (default 1h): a group further behind than that gets an extrapolated time lag.
	History time.Duration
	Logger  *slog.Logger
	// Now is the clock; tests set it.
	Now func() time.Time
}

// Defaults of Config.
const (
	DefaultPollInterval = 30 * time.Second
	DefaultPollTimeout  = 10 * time.Second
	DefaultWindow       = 10
	DefaultHistory      = time.Hour
)

// Cluster is one Kafka cluster to poll.
type Cluster struct {
	Name    string
	Brokers []string
	SASL    SASL
	// TLS is nil for a plaintext connection.
	TLS *tls.Config
}

// SASL is how the admin client authenticates; a zero value means it does not.
type SASL struct {
	Mechanism string // PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512
	User      string
	Password  string
}

// SASLMechanisms are the mechanisms SASL.Mechanism may name.
var SASLMechanisms = []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"}

// mechanism returns franz-go's implementation of s, nil when s is zero.
func (s SASL) mechanism() (sasl.Mechanism, error) {
	if s == (SASL{}) {
		return nil, nil
	}
	if s.User == "" {
		return nil, fmt.Errorf("SASL %s needs a user name", s.Mechanism)
	}
	switch strings.ToUpper(s.Mechanism) {
	case "PLAIN":
		return plain.Auth{User: s.User, Pass: s.Password}.AsMechanism(), nil
	case "SCRAM-SHA-256":
		return scram.Auth{User: s.User, Pass: s.Password}.AsSha256Mechanism(), nil
	case "SCRAM-SHA-512":
		return scram.Auth{User: s.User, Pass: s.Password}.AsSha512Mechanism(), nil
	case "":
		return nil, errors.New("a SASL user or password without a mechanism: choose one of " + strings.Join(SASLMechanisms, ", "))
	}
	return nil, fmt.Errorf("SASL mechanism %q: want one of %s", s.Mechanism, strings.Join(SASLMechanisms, ", "))
}

// ParseBrokers reads a comma-separated list of host:port addresses.
func ParseBrokers(list string) ([]string, error) {
	if strings.TrimSpace(list) == "" {
		return nil, errors.New("broker list is empty: want host:port[,host:port…]")
	}
	var brokers []string
	for _, b := range strings.Split(list, ",") {
		b = strings.TrimSpace(b)
		host, port, err := net.SplitHostPort(b)
		if err != nil {
			return nil, fmt.Errorf("broker %q in %q: want host:port", b, list)
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("broker %q in %q: port %q is not a number from 1 to 65535", b, list, port)
		}
		if host == "" || strings.ContainsAny(host, " /") {
			return nil, fmt.Errorf("broker %q in %q: want host:port", b, list)
		}
		brokers = append(brokers, b)
	}
	return brokers, nil
}

// ParseCluster reads name=host:port[,host:port…], the value of --kafka-cluster.
func ParseCluster(value string) (name string, brokers []string, err error) {
	name, list, ok := strings.Cut(value, "=")
	name = strings.TrimSpace(name)
	if !ok {
		return "", nil, fmt.Errorf("kafka cluster %q: want name=host:port[,host:port…]", value)
	}
	if name == "" {
		return "", nil, fmt.Errorf("kafka cluster %q has no name: want name=host:port[,host:port…]", value)
	}
	if len(name) > 100 || strings.ContainsFunc(name, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return "", nil, fmt.Errorf("kafka cluster name %q: want at most 100 printable characters", name)
	}
	brokers, err = ParseBrokers(list)
	if err != nil {
		return "", nil, fmt.Errorf("kafka cluster %q: %w", name, err)
	}
	return name, brokers, nil
}

// TLSFiles names the files of a TLS connection to the brokers.
type TLSFiles struct {
	CAFile             string // PEM certificates to verify the brokers with; the system's when empty
	CertFile, KeyFile  string // PEM client certificate and key, for brokers that ask for one
	InsecureSkipVerify bool   // accept any broker certificate (tests, never production)
}

// Config reads the files into a TLS configuration.
func (f TLSFiles) Config() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: f.InsecureSkipVerify}
	if f.CAFile != "" {
		pem, err := os.ReadFile(f.CAFile)
		if err != nil {
			return nil, fmt.Errorf("kafka TLS CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("kafka TLS CA file %s: no PEM certificate in it", f.CAFile)
		}
		cfg.RootCAs = pool
	}
	if (f.CertFile == "") != (f.KeyFile == "") {
		return nil, errors.New("kafka TLS client certificate: give both the certificate and the key file, or neither")
	}
	if f.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("kafka TLS client certificate %s: %w", f.CertFile, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// withDefaults fills what c leaves zero and checks the rest.
func (c Config) withDefaults() (Config, error) {
	if c.PollInterval == 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.PollTimeout == 0 {
		c.PollTimeout = min(DefaultPollTimeout, c.PollInterval)
	}
	if c.Window == 0 {
		c.Window = DefaultWindow
	}
	if c.History == 0 {
		c.History = DefaultHistory
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	switch {
	case c.PollInterval < time.Second:
		return c, fmt.Errorf("kafka poll interval %s: want at least 1s", c.PollInterval)
	case c.PollTimeout <= 0 || c.PollTimeout > c.PollInterval:
		return c, fmt.Errorf("kafka poll timeout %s: want more than 0 and at most the poll interval (%s)", c.PollTimeout, c.PollInterval)
	case c.Window < 2 || c.Window > 100:
		return c, fmt.Errorf("kafka lag window of %d polls: want 2 to 100", c.Window)
	case c.History < time.Minute:
		return c, fmt.Errorf("kafka time lag history %s: want at least 1m", c.History)
	}
	seen := map[string]bool{}
	for _, cl := range c.Clusters {
		if cl.Name == "" {
			return c, errors.New("a kafka cluster has no name")
		}
		if seen[cl.Name] {
			return c, fmt.Errorf("kafka cluster %q is named twice", cl.Name)
		}
		seen[cl.Name] = true
		if len(cl.Brokers) == 0 {
			return c, fmt.Errorf("kafka cluster %q has no brokers", cl.Name)
		}
		if _, err := cl.SASL.mechanism(); err != nil {
			return c, fmt.Errorf("kafka cluster %q: %w", cl.Name, err)
		}
	}
	return c, nil
}
