package rabbitmq

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Defaults for Config's zero values.
const (
	DefaultPollInterval     = 30 * time.Second
	DefaultTimeout          = 10 * time.Second
	DefaultMaxResponseBytes = 64 << 20
)

// Config says which brokers to poll and how.
type Config struct {
	// URLs are management API URLs with credentials, http://user:password@host:15672. The user
	// needs the monitoring tag to see every virtual host.
	URLs []string
	// PollInterval is how often each broker is read (DefaultPollInterval when 0).
	PollInterval time.Duration
	// Timeout bounds one poll of one broker, all its requests together (DefaultTimeout when 0,
	// never more than PollInterval).
	Timeout time.Duration
	// MaxResponseBytes is the largest answer read from one API call; a larger one fails the
	// poll (DefaultMaxResponseBytes when 0).
	MaxResponseBytes int64
	Logger           *slog.Logger
}

// Monitor polls RabbitMQ brokers, each on its own, and keeps what they last told.
type Monitor struct {
	interval, timeout time.Duration
	log               *slog.Logger
	brokers           []*broker
	now               func() time.Time
}

// broker is one polled broker. Only its own poll loop writes it.
type broker struct {
	api *client

	mu       sync.Mutex
	view     Broker
	counters map[counterKey]counters // from the last successful poll, for rates
}

// New checks the configuration; Run starts polling.
func New(cfg Config) (*Monitor, error) {
	if len(cfg.URLs) == 0 {
		return nil, errors.New("RabbitMQ: no management URL")
	}
	m := &Monitor{interval: cmp.Or(cfg.PollInterval, DefaultPollInterval), log: cfg.Logger, now: time.Now}
	if m.interval < time.Second {
		return nil, fmt.Errorf("RabbitMQ poll interval %s: want at least 1s", m.interval)
	}
	m.timeout = min(cmp.Or(cfg.Timeout, DefaultTimeout), m.interval)
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	maxBytes := cmp.Or(cfg.MaxResponseBytes, DefaultMaxResponseBytes)
	seen := map[string]bool{}
	for _, raw := range cfg.URLs {
		c, err := newClient(raw, m.timeout, maxBytes)
		if err != nil {
			return nil, err
		}
		if seen[c.base.String()] {
			return nil, fmt.Errorf("RabbitMQ management URL %s: given twice", c.redacted)
		}
		seen[c.base.String()] = true
		m.brokers = append(m.brokers, &broker{api: c, view: Broker{URL: c.redacted, State: StatePending}})
	}
	return m, nil
}

// Run polls every broker at once and then every interval, each broker in its own goroutine so
// that a slow one delays no other, until ctx ends.
func (m *Monitor) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, b := range m.brokers {
		wg.Go(func() {
			tick := time.NewTicker(m.interval)
			defer tick.Stop()
			for {
				m.poll(ctx, b)
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
			}
		})
	}
	wg.Wait()
}

// Snapshot returns what every broker last told, in the configured order. The slices are shared
// with later snapshots: read them, do not change them.
func (m *Monitor) Snapshot() Topology {
	t := Topology{Brokers: make([]Broker, len(m.brokers))}
	for i, b := range m.brokers {
		b.mu.Lock()
		t.Brokers[i] = b.view
		b.mu.Unlock()
	}
	return t
}

// poll reads one broker and publishes the result; a failed poll keeps the last good topology
// and says why. State changes are logged, repeats of the same state are not.
func (m *Monitor) poll(ctx context.Context, b *broker) {
	started, clock := m.now(), time.Now()
	pctx, cancel := context.WithTimeout(ctx, m.timeout)
	r, err := b.api.read(pctx)
	cancel()
	if ctx.Err() != nil {
		return // shutting down: not the broker's fault
	}
	took := time.Since(clock)
	b.mu.Lock()
	before := b.view
	if err != nil {
		var perr *pollError
		if !errors.As(err, &perr) {
			perr = &pollError{StateError, err.Error()}
		}
		b.view.State, b.view.LastError = perr.state, perr.msg
	} else {
		next, counts := r.topology(started, b.counters)
		next.URL, next.State, next.LastSuccess = b.view.URL, StateOK, started
		next.Polls, next.PollErrors, next.PollSeconds = b.view.Polls, b.view.PollErrors, b.view.PollSeconds
		b.view, b.counters = next, counts
	}
	b.view.LastAttempt = started
	b.view.Polls++
	b.view.PollSeconds += took.Seconds()
	if err != nil {
		b.view.PollErrors++
	}
	after := b.view
	b.mu.Unlock()

	switch {
	case after.State == before.State && after.LastError == before.LastError:
	case after.State == StateOK:
		m.log.Info("RabbitMQ broker polled", "url", after.URL, "cluster", after.Cluster, "version", after.Version,
			"queues", len(after.Queues), "exchanges", len(after.Exchanges))
	default:
		m.log.Warn("RabbitMQ broker poll failed", "url", after.URL, "state", after.State, "error", after.LastError,
			"last_success", after.LastSuccess)
	}
}
