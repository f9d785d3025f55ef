package kafkalag

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/eventlens/eventlens/storage"
)

// Monitor polls Kafka clusters for consumer-group lag and judges each group. Readers (Groups,
// Clusters) never wait for a poll: they read what the last poll of each cluster left.
//
// Each round, the process that leads (always on SQLite; on PostgreSQL the replica holding the
// poller's lock) polls every cluster at once, each within the poll timeout, applies and stores
// what it read; the others read the polls it stored. A broker that is down, slow or refuses the
// credentials fails its own cluster's poll and nothing else.
type Monitor struct {
	cfg     Config
	store   store
	sources []*source

	round    sync.Mutex // one round at a time; guards the fields below it
	loaded   bool
	leading  bool
	storeErr string // the last store problem logged

	mu       sync.RWMutex
	clusters []*clusterData // in the order of cfg.Clusters
}

// New checks cfg and makes a Monitor of its clusters on the store db. It dials nothing: the
// first poll does.
func New(db *storage.DB, cfg Config) (*Monitor, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	m := &Monitor{cfg: cfg, store: newStore(db)}
	for _, c := range cfg.Clusters {
		src, err := newSource(c, cfg.PollTimeout)
		if err != nil {
			m.Close()
			return nil, err
		}
		m.sources = append(m.sources, src)
		m.clusters = append(m.clusters, newClusterData(c))
	}
	return m, nil
}

// Run polls every PollInterval until ctx ends, logging store problems once per change.
func (m *Monitor) Run(ctx context.Context) {
	tick := time.NewTicker(m.cfg.PollInterval)
	defer tick.Stop()
	for {
		err := m.PollOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		m.reportStore(err)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// PollOnce runs one round: the leading process polls every cluster and stores the polls, any
// other reads what the leader stored. The first round first reads the history the store
// keeps. It returns the store's problems; a cluster's own problems go to its ClusterState.
func (m *Monitor) PollOnce(ctx context.Context) error {
	m.round.Lock()
	defer m.round.Unlock()
	// A database that hangs must not hold the next round up either.
	ctx, cancel := context.WithTimeout(ctx, m.cfg.PollInterval)
	defer cancel()
	var errs []error
	if !m.loaded {
		if err := m.load(ctx); err != nil {
			errs = append(errs, err)
		} else {
			m.loaded = true
		}
	}
	lead, err := m.store.lead(ctx)
	if err != nil {
		// Without the database no replica can read another's polls: each polls for itself
		// until it is back.
		errs = append(errs, err)
		lead = true
	}
	if lead != m.leading {
		m.leading = lead
		if lead {
			m.cfg.Logger.Info("kafka lag: this process polls the brokers", "clusters", len(m.sources))
		} else {
			m.cfg.Logger.Info("kafka lag: another replica polls the brokers; this one reads what it stores")
		}
	}
	m.mu.Lock()
	for _, c := range m.clusters {
		c.state.PolledHere = lead
	}
	m.mu.Unlock()
	clusterErrs := make([]error, len(m.sources))
	var wg sync.WaitGroup
	for i := range m.sources {
		if lead {
			wg.Go(func() { clusterErrs[i] = m.poll(ctx, i) })
		} else {
			wg.Go(func() { clusterErrs[i] = m.follow(ctx, i) })
		}
	}
	wg.Wait()
	return errors.Join(append(errs, clusterErrs...)...)
}

// poll reads cluster i from its brokers, applies the poll and stores it.
func (m *Monitor) poll(ctx context.Context, i int) error {
	src := m.sources[i]
	started := time.Now()
	// Wall time in UTC, as the store gives it back, so that every replica holds the same.
	p := src.read(ctx, m.cfg.Now().UTC().Round(0))
	if ctx.Err() != nil {
		return nil // shutting down, or the round ran out of time: the failure is ours, not the cluster's
	}
	m.countPoll(i, time.Since(started), p.state != StateOK)
	commitsBefore, pollsBefore := m.apply(i, p, true)
	if err := m.store.save(ctx, p); err != nil {
		return err
	}
	return m.store.trim(ctx, src.name, commitsBefore, pollsBefore)
}

// countPoll adds one poll of cluster i to its counts.
func (m *Monitor) countPoll(i int, took time.Duration, failed bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := &m.clusters[i].state
	st.Polls++
	st.PollSeconds += took.Seconds()
	if failed {
		st.PollErrors++
	}
}

// follow applies the polls of cluster i that the leading replica stored since the last one
// applied.
func (m *Monitor) follow(ctx context.Context, i int) error {
	m.mu.RLock()
	after := m.clusters[i].lastApplied
	m.mu.RUnlock()
	if after.IsZero() { // nothing loaded: the history is enough
		after = m.cfg.Now().Add(-m.cfg.History)
	}
	polls, err := m.store.pollsAfter(ctx, m.sources[i].name, after)
	if err != nil {
		return err
	}
	for _, p := range polls {
		m.apply(i, p, false)
	}
	return nil
}

// load applies the history the store keeps, so a restart keeps its windows and time lag.
func (m *Monitor) load(ctx context.Context) error {
	since := m.cfg.Now().Add(-m.cfg.History)
	for i, src := range m.sources {
		polls, err := m.store.pollsAfter(ctx, src.name, since)
		if err != nil {
			return fmt.Errorf("load kafka lag history: %w", err)
		}
		for _, p := range polls {
			m.apply(i, p, false)
		}
	}
	return nil
}

// apply folds poll p into cluster i and returns how much of the stored history the cluster
// still needs: committed offsets from commitsBefore on (the window), polls from pollsBefore on.
// A poll made here logs the cluster's change of state, once per change.
func (m *Monitor) apply(i int, p poll, here bool) (commitsBefore, pollsBefore time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.clusters[i]
	was := c.state
	c.apply(p, m.cfg.Window, m.cfg.History)
	if here {
		m.logChange(was, c.state)
	}
	horizon := p.at.Add(-m.cfg.History)
	commitsBefore = horizon
	if len(c.recent) == m.cfg.Window {
		commitsBefore = c.recent[0]
	}
	pollsBefore = horizon
	if commitsBefore.Before(horizon) {
		pollsBefore = commitsBefore // a poll row must outlive its commits
	}
	return commitsBefore, pollsBefore
}

func (m *Monitor) logChange(was, now ClusterState) {
	log := m.cfg.Logger
	switch {
	case now.State == StateOK && was.State == StatePending:
		log.Info("kafka cluster polled", "cluster", now.Name, "cluster_id", now.ClusterID, "groups", now.Groups)
	case now.State == StateOK && was.State != StateOK:
		log.Info("kafka cluster reachable again", "cluster", now.Name, "groups", now.Groups)
	case now.State != StateOK && now.LastError != was.LastError:
		log.Warn("kafka cluster poll failed", "cluster", now.Name, "brokers", now.Brokers, "state", now.State, "error", now.LastError)
	}
}

func (m *Monitor) reportStore(err error) {
	text := ""
	if err != nil {
		text = err.Error()
	}
	m.round.Lock()
	defer m.round.Unlock()
	if text == m.storeErr {
		return
	}
	if text == "" {
		m.cfg.Logger.Info("kafka lag: the store works again")
	} else {
		m.cfg.Logger.Warn("kafka lag: store problem; polls go on in memory", "error", text)
	}
	m.storeErr = text
}

// Groups returns every group of every cluster as the last poll judged it, by cluster in the
// order configured, then by group name. The values share their slices with the Monitor: read
// them, do not change them. A nil Monitor (no cluster configured) has none.
func (m *Monitor) Groups() []GroupStatus {
	if m == nil {
		return nil
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	var all []GroupStatus
	for _, c := range m.clusters {
		all = append(all, c.groups...)
	}
	return all
}

// Group returns one group of one cluster as the last poll judged it.
func (m *Monitor) Group(cluster, group string) (GroupStatus, bool) {
	if m == nil {
		return GroupStatus{}, false
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	for _, c := range m.clusters {
		if c.state.Name != cluster {
			continue
		}
		if i, ok := slices.BinarySearchFunc(c.groups, group, func(g GroupStatus, name string) int {
			return cmp.Compare(g.Group, name)
		}); ok {
			return c.groups[i], true
		}
	}
	return GroupStatus{}, false
}

// Clusters returns the state of each cluster as a source, in the order configured.
func (m *Monitor) Clusters() []ClusterState {
	if m == nil {
		return nil
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	states := make([]ClusterState, len(m.clusters))
	for i, c := range m.clusters {
		states[i] = c.state
	}
	return states
}

// Close closes the clients and gives up the poller's lock. Call it after Run returned.
func (m *Monitor) Close() error {
	if m == nil {
		return nil
	}
	for _, s := range m.sources {
		s.close()
	}
	return m.store.close()
}
