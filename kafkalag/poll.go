package kafkalag

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"
)

// poll is what one poll of one cluster read: the end offsets of every partition a group
// consumes, and every group's committed offsets. A failed poll carries only its error. Polls are
// what the store keeps and what replicas share.
type poll struct {
	cluster   string
	at        time.Time
	clusterID string
	state     State  // StateOK, or how it failed
	err       string // why the poll failed; empty when it worked
	topics    []topicEnds
	groups    []groupCommits
}

type topicEnds struct {
	topic      string
	partitions []partitionEnds // sorted by partition
}

type partitionEnds struct {
	partition  int32
	start, end int64 // start is -1 when the broker did not say
}

type groupCommits struct {
	group   string
	state   string // Kafka's group state
	members int
	err     string // why the group's offsets could not be read; empty when they were
	// partitions sorted by topic, then partition
	partitions []partitionCommit
}

type partitionCommit struct {
	topic     string
	partition int32
	committed int64 // -1: nothing committed
	assigned  bool
}

type topicPartition struct {
	topic     string
	partition int32
}

// The stores keep a topic's end offsets and a group's commits as JSON text, one row per topic or
// group and poll: a row per partition would be a hundred thousand rows a poll on a large
// cluster, and nothing queries single partitions in SQL.

// encodeEnds encodes partitions as [[partition, start, end], …].
func encodeEnds(ps []partitionEnds) string {
	rows := make([][3]int64, len(ps))
	for i, p := range ps {
		rows[i] = [3]int64{int64(p.partition), p.start, p.end}
	}
	b, _ := json.Marshal(rows) // numbers always encode
	return string(b)
}

func decodeEnds(text string) ([]partitionEnds, error) {
	var rows [][]int64
	if err := json.Unmarshal([]byte(text), &rows); err != nil {
		return nil, fmt.Errorf("decode end offsets: %w", err)
	}
	ps := make([]partitionEnds, len(rows))
	for i, r := range rows {
		if err := checkRow(r); err != nil {
			return nil, fmt.Errorf("decode end offsets: %w", err)
		}
		ps[i] = partitionEnds{partition: int32(r[0]), start: r[1], end: r[2]}
	}
	return ps, nil
}

// checkRow checks a row of three numbers whose first is a partition.
func checkRow(r []int64) error {
	if len(r) != 3 {
		return fmt.Errorf("row %v: want 3 numbers", r)
	}
	if r[0] < 0 || r[0] > 1<<31-1 {
		return fmt.Errorf("partition %d out of range", r[0])
	}
	return nil
}

// encodeCommits encodes partitions as {"topic": [[partition, committed, assigned 0|1], …], …}.
func encodeCommits(ps []partitionCommit) string {
	topics := map[string][][3]int64{}
	for _, p := range ps {
		assigned := int64(0)
		if p.assigned {
			assigned = 1
		}
		topics[p.topic] = append(topics[p.topic], [3]int64{int64(p.partition), p.committed, assigned})
	}
	b, _ := json.Marshal(topics) // map keys sort, so the text is stable
	return string(b)
}

func decodeCommits(text string) ([]partitionCommit, error) {
	var topics map[string][][]int64
	if err := json.Unmarshal([]byte(text), &topics); err != nil {
		return nil, fmt.Errorf("decode committed offsets: %w", err)
	}
	var ps []partitionCommit
	for _, topic := range slices.Sorted(maps.Keys(topics)) {
		for _, r := range topics[topic] {
			if err := checkRow(r); err != nil {
				return nil, fmt.Errorf("decode committed offsets of %q: %w", topic, err)
			}
			ps = append(ps, partitionCommit{topic: topic, partition: int32(r[0]), committed: r[1], assigned: r[2] == 1})
		}
	}
	return ps, nil
}
