package main

import (
	"context"
	"errors"
	"time"

	"github.com/eventlens/eventlens/kafkalag"
	"github.com/eventlens/eventlens/storage"
)

// kafkaFlags configure the Kafka lag source: the clusters whose consumer groups eventlens polls.
type kafkaFlags struct {
	KafkaBrokers  string   `name:"kafka-brokers" help:"Poll consumer-group lag from the Kafka cluster at host:port[,host:port…] (named \"kafka\"; see --kafka-cluster for several)." env:"EVENTLENS_KAFKA_BROKERS"`
	KafkaClusters []string `name:"kafka-cluster" sep:";" help:"A Kafka cluster to poll, as name=host:port[,host:port…]; repeat the flag for several (in the variable, separate them with ;)." env:"EVENTLENS_KAFKA_CLUSTERS"`

	KafkaSASLMechanism string `name:"kafka-sasl-mechanism" help:"SASL mechanism for the brokers: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512; none when empty." env:"EVENTLENS_KAFKA_SASL_MECHANISM"`
	KafkaSASLUser      string `name:"kafka-sasl-user" help:"SASL user name." env:"EVENTLENS_KAFKA_SASL_USER"`
	KafkaSASLPassword  string `name:"kafka-sasl-password" help:"SASL password. Prefer the environment variable to the flag." env:"EVENTLENS_KAFKA_SASL_PASSWORD"`

	KafkaTLS                   bool   `name:"kafka-tls" help:"Connect to the brokers over TLS (any other --kafka-tls-* flag implies it)." env:"EVENTLENS_KAFKA_TLS"`
	KafkaTLSCA                 string `name:"kafka-tls-ca" help:"PEM file of the CA certificates that signed the brokers' certificates; the system's when empty." env:"EVENTLENS_KAFKA_TLS_CA"`
	KafkaTLSCert               string `name:"kafka-tls-cert" help:"PEM client certificate, for brokers that ask for one (with --kafka-tls-key)." env:"EVENTLENS_KAFKA_TLS_CERT"`
	KafkaTLSKey                string `name:"kafka-tls-key" help:"PEM key of --kafka-tls-cert." env:"EVENTLENS_KAFKA_TLS_KEY"`
	KafkaTLSInsecureSkipVerify bool   `name:"kafka-tls-insecure-skip-verify" help:"Accept any broker certificate. For tests only." env:"EVENTLENS_KAFKA_TLS_INSECURE_SKIP_VERIFY"`

	KafkaPollInterval   time.Duration `name:"kafka-poll-interval" help:"Time between two polls of each Kafka cluster; 30s when unset, 5s when the demo shop runs." env:"EVENTLENS_KAFKA_POLL_INTERVAL"`
	KafkaPollTimeout    time.Duration `name:"kafka-poll-timeout" help:"Longest a poll of one cluster may take, at most the interval; 10s, or the interval if shorter, when unset." env:"EVENTLENS_KAFKA_POLL_TIMEOUT"`
	KafkaLagWindow      int           `name:"kafka-lag-window" help:"How many polls Burrow's rules (WARN, STOP, STALL) look back over." default:"10" env:"EVENTLENS_KAFKA_LAG_WINDOW"`
	KafkaTimeLagHistory time.Duration `name:"kafka-time-lag-history" help:"How long each partition's end offsets are kept to read time lag from." default:"1h" env:"EVENTLENS_KAFKA_TIME_LAG_HISTORY"`
}

// demoPollInterval is how often the demo shop's cluster is polled when the flag leaves it unset,
// so that its lag shows within the demo's first minute.
const demoPollInterval = 5 * time.Second

// config turns the flags into the source's configuration, with the demo shop's cluster (named
// "demo") when demoBrokers has its addresses; no cluster means no source.
func (k kafkaFlags) config(e env, demoBrokers []string) (kafkalag.Config, error) {
	cfg := kafkalag.Config{PollInterval: k.KafkaPollInterval, PollTimeout: k.KafkaPollTimeout, Window: k.KafkaLagWindow,
		History: k.KafkaTimeLagHistory, Logger: e.log}
	if cfg.PollInterval == 0 && len(demoBrokers) > 0 {
		cfg.PollInterval = demoPollInterval
	}
	if k.KafkaBrokers != "" {
		brokers, err := kafkalag.ParseBrokers(k.KafkaBrokers)
		if err != nil {
			return cfg, errors.New("--kafka-brokers: " + err.Error())
		}
		cfg.Clusters = append(cfg.Clusters, kafkalag.Cluster{Name: "kafka", Brokers: brokers})
	}
	for _, v := range k.KafkaClusters {
		name, brokers, err := kafkalag.ParseCluster(v)
		if err != nil {
			return cfg, errors.New("--kafka-cluster: " + err.Error())
		}
		cfg.Clusters = append(cfg.Clusters, kafkalag.Cluster{Name: name, Brokers: brokers})
	}
	files := kafkalag.TLSFiles{CAFile: k.KafkaTLSCA, CertFile: k.KafkaTLSCert, KeyFile: k.KafkaTLSKey, InsecureSkipVerify: k.KafkaTLSInsecureSkipVerify}
	useTLS := k.KafkaTLS || files != kafkalag.TLSFiles{}
	sasl := kafkalag.SASL{Mechanism: k.KafkaSASLMechanism, User: k.KafkaSASLUser, Password: k.KafkaSASLPassword}
	if len(cfg.Clusters) == 0 {
		if useTLS || sasl != (kafkalag.SASL{}) {
			return cfg, errors.New("the --kafka-sasl-* and --kafka-tls-* flags need --kafka-brokers or --kafka-cluster")
		}
		return k.withDemo(cfg, demoBrokers), nil
	}
	tlsCfg, err := files.Config()
	if err != nil {
		return cfg, err
	}
	for i := range cfg.Clusters {
		cfg.Clusters[i].SASL = sasl
		if useTLS {
			cfg.Clusters[i].TLS = tlsCfg
		}
	}
	return k.withDemo(cfg, demoBrokers), nil
}

// withDemo adds the demo shop's cluster, in-process and without SASL or TLS, when it runs.
func (kafkaFlags) withDemo(cfg kafkalag.Config, demoBrokers []string) kafkalag.Config {
	if len(demoBrokers) > 0 {
		cfg.Clusters = append(cfg.Clusters, kafkalag.Cluster{Name: "demo", Brokers: demoBrokers})
	}
	return cfg
}

// kafkaLag is the running source: Monitor is nil when no cluster is configured.
type kafkaLag struct {
	*kafkalag.Monitor
	cancel context.CancelFunc
	done   chan struct{}
}

// start checks the flags and starts polling the clusters they name, and the demo shop's.
func (k kafkaFlags) start(e env, store *storage.DB, demoBrokers []string) (*kafkaLag, error) {
	cfg, err := k.config(e, demoBrokers)
	if err != nil {
		return nil, err
	}
	if len(cfg.Clusters) == 0 {
		return &kafkaLag{}, nil
	}
	m, err := kafkalag.New(store, cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(e.ctx)
	l := &kafkaLag{Monitor: m, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(l.done)
		m.Run(ctx)
	}()
	return l, nil
}

// stop ends the polls, waits for them and closes the clients.
func (l *kafkaLag) stop() error {
	if l.Monitor == nil {
		return nil
	}
	l.cancel()
	<-l.done
	return l.Close()
}
