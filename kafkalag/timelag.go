package kafkalag

import (
	"time"
)

// point is a partition's end offset at one poll.
type point struct {
	at     time.Time
	offset int64
}

// maxHistoryPoints bounds one partition's history whatever the horizon: 720 polls are six
// hours at the default interval.
const maxHistoryPoints = 720

// history is one partition's end offsets over time, oldest first, from which the time lag of a
// committed offset is read the way kafka-lag-exporter does: find when the end offset was at the
// committed offset, by interpolating between the two polls around it.
type history struct {
	points []point
}

// add appends a poll's end offset and forgets points that only cover the time before horizon.
func (h *history) add(p point, horizon time.Time) {
	n := len(h.points)
	switch {
	case n > 0 && !p.at.After(h.points[n-1].at):
		return // out of order
	case n > 0 && p.offset < h.points[n-1].offset:
		// The log went back: the topic was deleted and made again. The old points say nothing of it.
		h.points = h.points[:0]
	case n > 1 && h.points[n-1].offset == p.offset && h.points[n-2].offset == p.offset:
		// Nothing was produced: stretch the flat segment instead of filling the history with it.
		// Only its two ends matter to interpolation.
		h.points[n-1] = p
		return
	}
	h.points = append(h.points, p)
	drop := 0
	for len(h.points)-drop > 2 && !h.points[drop+1].at.After(horizon) {
		drop++
	}
	drop = max(drop, len(h.points)-maxHistoryPoints)
	if drop > 0 {
		h.points = append(h.points[:0], h.points[drop:]...)
	}
}

// timeLag returns how long before now the end offset was at offset, which is when the oldest
// message not yet consumed was produced: zero when offset is at the end. known is false when
// there are too few points to tell. Before the oldest point the trend of the whole history is
// extrapolated, as kafka-lag-exporter does; when that history is flat, the oldest point gives
// a lower bound.
func (h *history) timeLag(offset int64, now time.Time) (lag time.Duration, known bool) {
	n := len(h.points)
	switch {
	case n == 0:
		return 0, false
	case offset >= h.points[n-1].offset:
		return 0, true
	case n == 1:
		return 0, false
	}
	// The newest pair around offset: on a flat stretch that is its right end, the last time
	// the offset was the end before more was produced.
	left, right := h.points[0], h.points[n-1]
	for i := n - 1; i > 0; i-- {
		if l, r := h.points[i-1], h.points[i]; l.offset <= offset && offset <= r.offset {
			left, right = l, r
			break
		}
	}
	at := left.at
	if right.offset > left.offset {
		dt := float64(right.at.Sub(left.at))
		at = right.at.Add(-time.Duration(float64(right.offset-offset) * dt / float64(right.offset-left.offset)))
	}
	return max(0, now.Sub(at)), true
}
