package kafkalag

import (
	"time"
)

// Status is Burrow's verdict on a partition or a group, ordered from good to bad. A group is
// OK, WARN or ERR; a partition is OK, WARN, STOP, STALL or REWIND, and any of the last three
// makes its group ERR.
type Status int

const (
	StatusOK     Status = iota // keeping up, or not enough history to say otherwise
	StatusWarn                 // committing, but the lag never fell over the window
	StatusErr                  // a group with a STOP, STALL or REWIND partition, or whose offsets could not be read
	StatusStop                 // nothing consumes the partition and its commit has not moved for the window, while behind
	StatusStall                // a member owns the partition but its commit has not moved for the window, while behind
	StatusRewind               // the committed offset went back and has not returned to where it was
)

var statusNames = [...]string{"OK", "WARN", "ERR", "STOP", "STALL", "REWIND"}

// String returns Burrow's name for the status: OK, WARN, ERR, STOP, STALL or REWIND.
func (s Status) String() string {
	if s >= 0 && int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "UNKNOWN"
}

// GroupStatus is what one poll says of one consumer group on one cluster.
type GroupStatus struct {
	Cluster string
	Group   string
	// State is Kafka's state of the group (Stable, Empty, PreparingRebalance, …) and Members how
	// many members it has.
	State   string
	Members int

	// Status is OK, WARN or ERR; Reason says why in a sentence, naming the worst partition.
	Status Status
	Reason string

	// Lag is how many messages the group is behind, summed over its partitions; TimeLag is the
	// largest time lag of its partitions (see PartitionStatus.TimeLag).
	Lag     int64
	TimeLag time.Duration
	// Topics sums lag per topic, sorted by topic; Partitions has every partition the group
	// committed to or is assigned, sorted by topic and partition.
	Topics     []TopicLag
	Partitions []PartitionStatus

	// Complete is the share (0–1) of partitions whose window is full, so that STOP, STALL and
	// WARN can be judged; Burrow calls it the same.
	Complete float64
	// PolledAt is when the offsets were read.
	PolledAt time.Time
}

// TopicLag is a group's lag on one topic.
type TopicLag struct {
	Topic      string
	Partitions int
	Lag        int64         // messages behind, summed over the topic's partitions
	TimeLag    time.Duration // the largest time lag of the topic's partitions
}

// PartitionStatus is a group's position on one partition.
type PartitionStatus struct {
	Topic     string
	Partition int32
	Status    Status
	Reason    string

	// Committed is the group's committed offset, -1 when it has none; End is the partition's
	// end offset (the offset of the next message produced).
	Committed int64
	End       int64
	// Lag is End − Committed (End − the log start when nothing is committed), never negative.
	Lag int64
	// TimeLag is how long ago the first message the group has not consumed was produced,
	// interpolated from the partition's history of end offsets: zero when caught up.
	// TimeLagKnown is false while the history is too short to tell (one poll, or no commit).
	TimeLag      time.Duration
	TimeLagKnown bool
	// Assigned says a live member of the group owns the partition.
	Assigned bool
}

// State is how the last poll of a cluster went; the words are those of the other broker
// sources (rabbitmq.State).
type State string

const (
	StatePending      State = "pending"      // not polled yet
	StateOK           State = "ok"           // the last poll read every group
	StateUnauthorized State = "unauthorized" // the brokers refused the SASL login or an ACL refused a request
	StateUnreachable  State = "unreachable"  // no connection: refused, unknown host, TLS failed, or slower than the timeout
	StateError        State = "error"        // any other failure
)

// ClusterState is the state of one Kafka cluster as a source: whether the last poll worked.
type ClusterState struct {
	Name    string
	Brokers []string
	// ClusterID is the id the brokers report, once a poll has succeeded; spans name the
	// cluster by it in messaging.kafka.cluster.id.
	ClusterID string

	// State is how the last poll went, LastError why it failed (empty when it did not).
	State     State
	LastError string
	// LastAttempt is when the last poll (successful or not) started, LastSuccess the last
	// successful one; zero when there was none. While polls fail, the groups stay those of the
	// last successful poll.
	LastAttempt time.Time
	LastSuccess time.Time
	// Groups is how many consumer groups the last successful poll found.
	Groups int
	// PolledHere says this process polls the brokers; on PostgreSQL another replica may poll
	// while this one reads what it stored.
	PolledHere bool
	// Polls, PollErrors and PollSeconds count this process's own polls since it started: how
	// many, how many failed, and the time they took in all.
	Polls, PollErrors int64
	PollSeconds       float64
}
