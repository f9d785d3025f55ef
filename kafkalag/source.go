package kafkalag

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// source polls one cluster through franz-go's admin client. The client keeps its connections
// between polls; it dials nothing until the first one.
type source struct {
	name    string
	brokers []string
	timeout time.Duration
	sasl    string // the mechanism, empty without SASL
	client  *kgo.Client
	admin   *kadm.Client
	dials   dialErrors

	clusterID string // read once, at the first poll that works
}

func newSource(c Cluster, timeout time.Duration) (*source, error) {
	s := &source{name: c.Name, brokers: c.Brokers, timeout: timeout, sasl: c.SASL.Mechanism}
	opts := []kgo.Opt{
		kgo.SeedBrokers(c.Brokers...),
		kgo.ClientID("eventlens"),
		kgo.DialTimeout(min(timeout, 10*time.Second)),
		kgo.WithHooks(&s.dials),
	}
	if c.TLS != nil {
		opts = append(opts, kgo.DialTLSConfig(c.TLS))
	}
	mech, err := c.SASL.mechanism()
	if err != nil {
		return nil, fmt.Errorf("kafka cluster %q: %w", c.Name, err)
	}
	if mech != nil {
		opts = append(opts, kgo.SASL(mech))
	}
	if s.client, err = kgo.NewClient(opts...); err != nil {
		return nil, fmt.Errorf("kafka cluster %q: %w", c.Name, err)
	}
	s.admin = kadm.NewClient(s.client)
	return s, nil
}

// read polls the cluster once, within the timeout. kadm's Lag lists the groups, describes
// them, fetches their committed offsets and lists the start and end offsets of what they
// consume: one request of each kind per broker that coordinates groups or leads partitions.
func (s *source) read(ctx context.Context, at time.Time) poll {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	p := poll{cluster: s.name, at: at, state: StateOK}
	s.dials.reset()
	lags, err := s.admin.Lag(ctx)
	if err != nil {
		p.state, p.err = s.explain(err)
		return p
	}
	if s.clusterID == "" {
		if m, err := s.admin.BrokerMetadata(ctx); err == nil {
			s.clusterID = m.Cluster
		}
	}
	p.clusterID = s.clusterID

	ends := map[topicPartition]partitionEnds{}
	for _, g := range lags {
		gc := groupCommits{group: g.Group, state: g.State, members: len(g.Members)}
		if err := g.Error(); err != nil {
			gc.err = err.Error()
			p.groups = append(p.groups, gc)
			continue
		}
		for _, l := range g.Lag.Sorted() {
			if l.Err != nil {
				continue // a deleted topic, or a partition the brokers did not list: nothing to judge
			}
			gc.partitions = append(gc.partitions, partitionCommit{topic: l.Topic, partition: l.Partition,
				committed: max(-1, l.Commit.At), assigned: l.Member != nil})
			start := int64(-1)
			if l.Start.Err == nil {
				start = l.Start.Offset
			}
			ends[topicPartition{l.Topic, l.Partition}] = partitionEnds{partition: l.Partition, start: start, end: l.End.Offset}
		}
		p.groups = append(p.groups, gc)
	}
	slices.SortFunc(p.groups, func(a, b groupCommits) int { return cmp.Compare(a.group, b.group) })
	p.topics = groupEnds(ends)
	return p
}

// groupEnds sorts end offsets into topics.
func groupEnds(ends map[topicPartition]partitionEnds) []topicEnds {
	tps := make([]topicPartition, 0, len(ends))
	for tp := range ends {
		tps = append(tps, tp)
	}
	slices.SortFunc(tps, compareTP)
	var topics []topicEnds
	for _, tp := range tps {
		if len(topics) == 0 || topics[len(topics)-1].topic != tp.topic {
			topics = append(topics, topicEnds{topic: tp.topic})
		}
		t := &topics[len(topics)-1]
		t.partitions = append(t.partitions, ends[tp])
	}
	return topics
}

func compareTP(a, b topicPartition) int {
	return cmp.Or(cmp.Compare(a.topic, b.topic), cmp.Compare(a.partition, b.partition))
}

// explain says why a poll failed in words a person can act on. The client retries until the
// deadline and then reports the deadline, or what the request made of a broken connection
// (shard errors, EOF): what the last connection attempt of this poll ran into says more.
func (s *source) explain(err error) (State, string) {
	var auth *kadm.AuthError
	if errors.As(err, &auth) {
		return StateUnauthorized, "not authorized: " + auth.Error()
	}
	dial := s.dials.last()
	switch {
	case errors.Is(dial, kerr.SaslAuthenticationFailed):
		return StateUnauthorized, "cannot connect: " + dial.Error()
	case dial != nil && s.sasl != "" && errors.Is(dial, io.EOF):
		// Kafka answers a refused login with an error; some brokers just hang up.
		return StateUnauthorized, fmt.Sprintf("cannot connect: %v: the broker hung up during the SASL %s login; check the user and password", dial, s.sasl)
	case errors.Is(err, context.DeadlineExceeded):
		msg := fmt.Sprintf("no answer within %s", s.timeout)
		if dial != nil {
			msg += "; last connection attempt: " + dial.Error()
		}
		return StateUnreachable, msg
	case dial != nil:
		return StateUnreachable, "cannot connect: " + dial.Error()
	}
	var shards *kadm.ShardErrors
	if errors.As(err, &shards) && len(shards.Errs) > 0 {
		first := shards.Errs[0]
		if first.Broker.Host == "" {
			return StateError, first.Err.Error()
		}
		return StateError, fmt.Sprintf("broker %s: %v", net.JoinHostPort(first.Broker.Host, fmt.Sprint(first.Broker.Port)), first.Err)
	}
	return StateError, err.Error()
}

func (s *source) close() { s.client.Close() }

// dialErrors remembers the last failed connection to a broker in a poll, cleared by one that
// works.
type dialErrors struct {
	mu  sync.Mutex
	err error
}

var _ kgo.HookBrokerConnect = (*dialErrors)(nil)

func (d *dialErrors) OnBrokerConnect(meta kgo.BrokerMetadata, _ time.Duration, _ net.Conn, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err != nil {
		err = fmt.Errorf("%s: %w", net.JoinHostPort(meta.Host, fmt.Sprint(meta.Port)), err)
	}
	d.err = err
}

func (d *dialErrors) reset() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.err = nil
}

func (d *dialErrors) last() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.err
}
