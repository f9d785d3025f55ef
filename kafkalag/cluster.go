package kafkalag

import (
	"cmp"
	"slices"
	"time"
)

// clusterData is what a Monitor knows of one cluster: its state as a source, the end-offset
// history of every partition a group consumes, each group's window of samples, and the group
// statuses judged at the last poll. Polls are applied in order, whether this process made them
// or read them from the store.
type clusterData struct {
	state       ClusterState
	lastApplied time.Time
	recent      []time.Time // the successful polls in the window, oldest first
	ends        map[topicPartition]*history
	windows     map[string]map[topicPartition][]sample // by group
	groups      []GroupStatus                          // sorted by group
}

func newClusterData(c Cluster) *clusterData {
	return &clusterData{
		state:   ClusterState{Name: c.Name, Brokers: c.Brokers, State: StatePending},
		ends:    map[topicPartition]*history{},
		windows: map[string]map[topicPartition][]sample{},
	}
}

// apply folds one poll in; window is how many samples a window holds, and keep how long end
// offsets are kept. A poll not newer than the last one applied is dropped.
func (c *clusterData) apply(p poll, window int, keep time.Duration) {
	if !p.at.After(c.lastApplied) {
		return
	}
	c.lastApplied = p.at
	c.state.LastAttempt, c.state.State, c.state.LastError = p.at, p.state, p.err
	if p.state != StateOK {
		return
	}
	c.state.LastSuccess, c.state.Groups = p.at, len(p.groups)
	if p.clusterID != "" {
		c.state.ClusterID = p.clusterID
	}
	c.recent = appendWindow(c.recent, p.at, window)

	horizon := p.at.Add(-keep)
	ends := make(map[topicPartition]partitionEnds, len(c.ends))
	for _, t := range p.topics {
		for _, pe := range t.partitions {
			tp := topicPartition{t.topic, pe.partition}
			ends[tp] = pe
			h := c.ends[tp]
			if h == nil {
				h = &history{}
				c.ends[tp] = h
			}
			h.add(point{p.at, pe.end}, horizon)
		}
	}
	for tp := range c.ends {
		if _, ok := ends[tp]; !ok {
			delete(c.ends, tp) // no group consumes it any more
		}
	}

	groups := make([]GroupStatus, 0, len(p.groups))
	seen := make(map[string]bool, len(p.groups))
	for _, g := range p.groups {
		seen[g.group] = true
		groups = append(groups, c.applyGroup(p.at, g, ends, window))
	}
	for g := range c.windows {
		if !seen[g] {
			delete(c.windows, g) // the group was deleted
		}
	}
	slices.SortFunc(groups, func(a, b GroupStatus) int { return cmp.Compare(a.Group, b.Group) })
	c.groups = groups
}

// applyGroup adds the poll's samples to the group's windows and judges it.
func (c *clusterData) applyGroup(at time.Time, g groupCommits, ends map[topicPartition]partitionEnds, window int) GroupStatus {
	gs := GroupStatus{Cluster: c.state.Name, Group: g.group, State: g.state, Members: g.members, PolledAt: at}
	if g.err != "" {
		// The windows wait for the next poll that reads the group.
		gs.Status, gs.Reason = StatusErr, "could not read the group's offsets: "+g.err
		return gs
	}
	old := c.windows[g.group]
	windows := make(map[topicPartition][]sample, len(g.partitions))
	complete := 0
	for _, pc := range g.partitions {
		tp := topicPartition{pc.topic, pc.partition}
		pe, ok := ends[tp]
		if !ok {
			continue
		}
		s := sample{at: at, committed: pc.committed, assigned: pc.assigned}
		switch {
		case pc.committed >= 0:
			s.lag = max(0, pe.end-pc.committed)
		case pe.start >= 0:
			s.lag = max(0, pe.end-pe.start)
		default:
			s.lag = max(0, pe.end)
		}
		w := appendWindow(old[tp], s, window)
		windows[tp] = w
		if len(w) == window {
			complete++
		}
		ps := PartitionStatus{Topic: pc.topic, Partition: pc.partition, Committed: pc.committed, End: pe.end, Lag: s.lag, Assigned: pc.assigned}
		ps.Status, ps.Reason = judge(w, window)
		if pc.committed >= 0 {
			ps.TimeLag, ps.TimeLagKnown = c.ends[tp].timeLag(pc.committed, at)
		}
		gs.Partitions = append(gs.Partitions, ps)
	}
	c.windows[g.group] = windows
	if len(gs.Partitions) > 0 {
		gs.Complete = float64(complete) / float64(len(gs.Partitions))
	}
	gs.Status, gs.Reason = judgeGroup(gs.Partitions)
	for _, ps := range gs.Partitions {
		gs.Lag += ps.Lag
		gs.TimeLag = max(gs.TimeLag, ps.TimeLag)
		if n := len(gs.Topics); n == 0 || gs.Topics[n-1].Topic != ps.Topic {
			gs.Topics = append(gs.Topics, TopicLag{Topic: ps.Topic})
		}
		t := &gs.Topics[len(gs.Topics)-1]
		t.Partitions++
		t.Lag += ps.Lag
		t.TimeLag = max(t.TimeLag, ps.TimeLag)
	}
	return gs
}

// appendWindow appends v to a window of at most size values, dropping the oldest; it reuses
// w's array once the window is full, so a steady poll allocates nothing.
func appendWindow[T any](w []T, v T, size int) []T {
	if len(w) < size {
		return append(w, v)
	}
	n := copy(w, w[len(w)-size+1:])
	w = w[:n]
	return append(w, v)
}
