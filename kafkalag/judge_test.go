package kafkalag

import (
	"strings"
	"testing"
	"time"
)

// window builds a window of samples 30 s apart from committed offsets and the end offsets at
// the same polls; assigned applies to every sample.
func window(committed, ends []int64, assigned bool) []sample {
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	w := make([]sample, len(committed))
	for i := range committed {
		lag := ends[i] - committed[i]
		if committed[i] < 0 {
			lag = ends[i]
		}
		w[i] = sample{at: t0.Add(time.Duration(i) * 30 * time.Second), committed: committed[i], lag: max(0, lag), assigned: assigned}
	}
	return w
}

func TestJudge(t *testing.T) {
	for _, c := range []struct {
		name      string
		committed []int64
		ends      []int64
		assigned  bool
		want      Status
		reason    string // a part of the reason
	}{
		{"no commit yet", []int64{-1, -1, -1, -1}, []int64{5, 6, 7, 8}, true, StatusOK, "no offset committed"},
		{"commit deleted since", []int64{3, 4, 5, -1}, []int64{5, 6, 7, 8}, true, StatusOK, "no offset committed"},
		{"caught up", []int64{10, 20, 30, 40}, []int64{10, 20, 30, 40}, true, StatusOK, "caught up"},
		{"caught up now after lagging", []int64{10, 10, 10, 40}, []int64{20, 30, 40, 40}, true, StatusOK, "caught up"},
		{"keeping up: lag falls", []int64{10, 20, 30, 40}, []int64{15, 28, 33, 42}, true, StatusOK, "lag fell"},
		{"lag zero at some poll", []int64{10, 20, 30, 40}, []int64{10, 25, 35, 45}, true, StatusOK, "caught up within"},
		{"window not full", []int64{10, 10}, []int64{20, 30}, true, StatusOK, "judged once 4 polls are in (2 so far)"},
		{"holes before the first commit", []int64{-1, -1, 10, 10}, []int64{20, 30, 40, 50}, true, StatusOK, "(2 so far)"},
		{"WARN: lag grows while commits move", []int64{10, 20, 30, 40}, []int64{20, 35, 50, 65}, true, StatusWarn, "lag never fell in 4 polls (1m30s): 10 then 25 behind"},
		{"WARN: lag flat while commits move", []int64{10, 20, 30, 40}, []int64{15, 25, 35, 45}, false, StatusWarn, "never fell"},
		{"STALL: a member owns it, commit stuck", []int64{10, 10, 10, 10}, []int64{20, 30, 40, 50}, true, StatusStall, "a member owns it, but the committed offset stayed at 10 for 4 polls (1m30s) while 40 behind"},
		{"STALL even with no new messages", []int64{10, 10, 10, 10}, []int64{20, 20, 20, 20}, true, StatusStall, "stayed at 10"},
		{"STOP: nobody consumes, commit stuck", []int64{10, 10, 10, 10}, []int64{20, 30, 40, 50}, false, StatusStop, "no member consumes it, and the committed offset stayed at 10 for 4 polls (1m30s) while 40 behind"},
		{"no STOP when caught up at the start of the window", []int64{10, 10, 10, 10}, []int64{10, 30, 40, 50}, false, StatusOK, "caught up within"},
		{"REWIND", []int64{50, 60, 20, 25}, []int64{70, 80, 90, 100}, true, StatusRewind, "went back from 60 to 20 at 2026-05-01T12:01:00Z and has not returned; 75 behind"},
		{"REWIND in a window not yet full", []int64{50, 20}, []int64{70, 80}, true, StatusRewind, "went back from 50 to 20"},
		{"rewind recovered", []int64{50, 60, 55, 65}, []int64{70, 75, 75, 80}, true, StatusOK, "lag fell"},
		{"rewind to zero lag", []int64{50, 60, 20, 100}, []int64{70, 80, 90, 100}, true, StatusOK, "caught up"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, reason := judge(window(c.committed, c.ends, c.assigned), 4)
			if got != c.want || !strings.Contains(reason, c.reason) {
				t.Errorf("judge = %s %q, want %s with %q", got, reason, c.want, c.reason)
			}
		})
	}
}

func TestJudgeGroup(t *testing.T) {
	part := func(topic string, p int32, s Status, lag int64) PartitionStatus {
		return PartitionStatus{Topic: topic, Partition: p, Status: s, Lag: lag, Reason: "because " + s.String()}
	}
	for _, c := range []struct {
		name   string
		parts  []PartitionStatus
		want   Status
		reason string
	}{
		{"no partitions", nil, StatusOK, "no committed offsets"},
		{"caught up", []PartitionStatus{part("a", 0, StatusOK, 0), part("a", 1, StatusOK, 0)}, StatusOK, "caught up on 2 partitions"},
		{"keeping up", []PartitionStatus{part("a", 0, StatusOK, 3), part("b", 0, StatusOK, 4)}, StatusOK, "7 behind on 2 partitions, keeping up"},
		{"a warning", []PartitionStatus{part("a", 0, StatusOK, 3), part("a", 1, StatusWarn, 40)}, StatusWarn, "WARN on a[1]: because WARN"},
		{"STOP makes ERR", []PartitionStatus{part("a", 0, StatusWarn, 3), part("a", 1, StatusStop, 40)}, StatusErr, "STOP on a[1]"},
		{"STALL makes ERR", []PartitionStatus{part("a", 0, StatusStall, 3)}, StatusErr, "STALL on a[0]"},
		{"REWIND is the worst", []PartitionStatus{part("a", 0, StatusStop, 300), part("a", 1, StatusRewind, 40), part("b", 0, StatusStall, 3)}, StatusErr, "REWIND on a[1]"},
		{"most behind of the worst, and the count", []PartitionStatus{part("a", 0, StatusStop, 3), part("a", 1, StatusStop, 40), part("b", 2, StatusStop, 5)}, StatusErr, "STOP on a[1]: because STOP (and 2 more STOP)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, reason := judgeGroup(c.parts)
			if got != c.want || !strings.Contains(reason, c.reason) {
				t.Errorf("judgeGroup = %s %q, want %s with %q", got, reason, c.want, c.reason)
			}
		})
	}
}

func TestStatusString(t *testing.T) {
	for s, want := range map[Status]string{StatusOK: "OK", StatusWarn: "WARN", StatusErr: "ERR", StatusStop: "STOP",
		StatusStall: "STALL", StatusRewind: "REWIND", Status(42): "UNKNOWN", Status(-1): "UNKNOWN"} {
		if got := s.String(); got != want {
			t.Errorf("Status(%d) = %q, want %q", int(s), got, want)
		}
	}
}
