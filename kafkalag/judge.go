package kafkalag

import (
	"fmt"
	"slices"
	"time"
)

// sample is one poll's view of one group on one partition: the ring of these is Burrow's window.
type sample struct {
	at        time.Time
	committed int64 // -1: nothing committed
	lag       int64
	assigned  bool // a live member owns the partition
}

// judge applies Burrow's rules to one partition's window, oldest sample first and the poll being
// judged last; size is how many samples a full window holds.
//
// Burrow reads every offset commit from __consumer_offsets; eventlens polls the committed offset
// instead, so a window is the last size polls and "commits stopped" means the committed offset
// did not move in any of them. Whether the consumer is still there (a live member owns the
// partition) tells STALL (alive but stuck) from STOP (gone). Like Burrow with minimum-complete
// 1.0, STOP, STALL and WARN wait for a full window; a rewind shows at once.
func judge(window []sample, size int) (Status, string) {
	// Burrow skips the slots before the first commit; a commit that was deleted (offsets expired
	// or reset) leaves holes, skipped the same way.
	w := window
	if slices.ContainsFunc(window, func(s sample) bool { return s.committed < 0 }) {
		w = slices.DeleteFunc(slices.Clone(window), func(s sample) bool { return s.committed < 0 })
	}
	if len(w) == 0 || window[len(window)-1].committed < 0 {
		return StatusOK, "no offset committed"
	}
	last := w[len(w)-1]
	if last.lag <= 0 {
		return StatusOK, "caught up"
	}
	// A rewind counts only until the consumer is back where it was: a rebalance often
	// recommits a slightly older offset, and that is no fault.
	if i := rewound(w); i > 0 {
		return StatusRewind, fmt.Sprintf("the committed offset went back from %d to %d at %s and has not returned; %d behind",
			w[i-1].committed, w[i].committed, w[i].at.UTC().Format(time.RFC3339), last.lag)
	}
	if len(w) < size {
		return StatusOK, fmt.Sprintf("%d behind; judged once %d polls are in (%d so far)", last.lag, size, len(w))
	}
	span := last.at.Sub(w[0].at).Round(time.Second)
	for _, s := range w {
		if s.lag <= 0 {
			return StatusOK, fmt.Sprintf("%d behind, but caught up within the last %d polls", last.lag, len(w))
		}
	}
	if stalled(w) {
		if last.assigned {
			return StatusStall, fmt.Sprintf("a member owns it, but the committed offset stayed at %d for %d polls (%s) while %d behind",
				last.committed, len(w), span, last.lag)
		}
		return StatusStop, fmt.Sprintf("no member consumes it, and the committed offset stayed at %d for %d polls (%s) while %d behind",
			last.committed, len(w), span, last.lag)
	}
	if lagNeverFell(w) {
		return StatusWarn, fmt.Sprintf("the lag never fell in %d polls (%s): %d then %d behind, while the commit moved from %d to %d",
			len(w), span, w[0].lag, last.lag, w[0].committed, last.committed)
	}
	return StatusOK, fmt.Sprintf("%d behind, and the lag fell within the last %d polls", last.lag, len(w))
}

// rewound returns the index of the first commit lower than the one before it, if the commits
// after it never got back to that earlier offset; 0 otherwise.
func rewound(w []sample) int {
	for i := 1; i < len(w); i++ {
		if w[i].committed < w[i-1].committed {
			for _, later := range w[i:] {
				if later.committed >= w[i-1].committed {
					return 0
				}
			}
			return i
		}
	}
	return 0
}

// stalled reports whether the committed offset is the same in every sample.
func stalled(w []sample) bool {
	for i := 1; i < len(w); i++ {
		if w[i].committed != w[i-1].committed {
			return false
		}
	}
	return true
}

// lagNeverFell reports whether the lag never went down from one sample to the next.
func lagNeverFell(w []sample) bool {
	for i := 1; i < len(w); i++ {
		if w[i].lag < w[i-1].lag {
			return false
		}
	}
	return true
}

// judgeGroup gives a group Burrow's group status, the worst of its partitions (STOP, STALL and
// REWIND count as ERR), and a reason naming the worst partition.
func judgeGroup(parts []PartitionStatus) (Status, string) {
	if len(parts) == 0 {
		return StatusOK, "no committed offsets"
	}
	worst, same := 0, 0
	for i, p := range parts[1:] {
		if w := parts[worst]; p.Status > w.Status || (p.Status == w.Status && p.Lag > w.Lag) {
			worst = i + 1
		}
	}
	for _, p := range parts {
		if p.Status == parts[worst].Status {
			same++
		}
	}
	w := parts[worst]
	if w.Status == StatusOK {
		var lag int64
		for _, p := range parts {
			lag += p.Lag
		}
		if lag == 0 {
			return StatusOK, fmt.Sprintf("caught up on %s", plural(len(parts), "partition"))
		}
		return StatusOK, fmt.Sprintf("%d behind on %s, keeping up", lag, plural(len(parts), "partition"))
	}
	reason := fmt.Sprintf("%s on %s[%d]: %s", w.Status, w.Topic, w.Partition, w.Reason)
	if same > 1 {
		reason += fmt.Sprintf(" (and %d more %s)", same-1, w.Status)
	}
	status := w.Status
	if status > StatusErr {
		status = StatusErr
	}
	return status, reason
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
