package kafkalag

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func sec(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }

// historyOf adds (second, end offset) pairs with a horizon far in the past.
func historyOf(pairs ...[2]int64) *history {
	h := &history{}
	for _, p := range pairs {
		h.add(point{sec(int(p[0])), p[1]}, t0.Add(-24*time.Hour))
	}
	return h
}

func TestTimeLag(t *testing.T) {
	for _, c := range []struct {
		name      string
		h         *history
		committed int64
		now       int
		want      time.Duration
		known     bool
	}{
		{"no history", historyOf(), 5, 0, 0, false},
		{"one point, caught up", historyOf([2]int64{0, 100}), 100, 10, 0, true},
		{"one point, behind: too few points", historyOf([2]int64{0, 100}), 50, 10, 0, false},
		{"caught up", historyOf([2]int64{0, 100}, [2]int64{30, 200}), 200, 40, 0, true},
		{"committed past the end seen", historyOf([2]int64{0, 100}, [2]int64{30, 200}), 250, 40, 0, true},
		// The end offset was 150 halfway between 0 s and 30 s: 15 s, so 40 − 15 = 25 s behind.
		{"interpolated", historyOf([2]int64{0, 100}, [2]int64{30, 200}), 150, 40, 25 * time.Second, true},
		{"on a point", historyOf([2]int64{0, 100}, [2]int64{30, 200}, [2]int64{60, 300}), 200, 60, 30 * time.Second, true},
		// Before the oldest point: the trend (100 per 30 s) says offset 50 was the end at −15 s.
		{"extrapolated", historyOf([2]int64{0, 100}, [2]int64{30, 200}), 50, 30, 45 * time.Second, true},
		// Nothing produced from 0 s to 60 s, then 100 more by 90 s: message 100 was produced
		// after 60 s, so the lag counts from the end of the flat stretch.
		{"end of a flat stretch", historyOf([2]int64{0, 100}, [2]int64{30, 100}, [2]int64{60, 100}, [2]int64{90, 200}), 100, 90, 30 * time.Second, true},
		{"flat history, behind: a lower bound", historyOf([2]int64{0, 100}, [2]int64{30, 100}, [2]int64{60, 100}), 50, 60, 60 * time.Second, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, known := c.h.timeLag(c.committed, sec(c.now))
			if got != c.want || known != c.known {
				t.Errorf("timeLag(%d) = %s %v, want %s %v (points %v)", c.committed, got, known, c.want, c.known, c.h.points)
			}
		})
	}
}

func TestHistoryAdd(t *testing.T) {
	t.Run("flat stretches keep their two ends", func(t *testing.T) {
		h := historyOf([2]int64{0, 100}, [2]int64{30, 100}, [2]int64{60, 100}, [2]int64{90, 100}, [2]int64{120, 150})
		want := []point{{sec(0), 100}, {sec(90), 100}, {sec(120), 150}}
		if !equalPoints(h.points, want) {
			t.Errorf("points = %v, want %v", h.points, want)
		}
	})
	t.Run("out of order points are dropped", func(t *testing.T) {
		h := historyOf([2]int64{30, 100}, [2]int64{10, 50}, [2]int64{30, 120})
		if want := []point{{sec(30), 100}}; !equalPoints(h.points, want) {
			t.Errorf("points = %v, want %v", h.points, want)
		}
	})
	t.Run("a log that went back starts over", func(t *testing.T) {
		h := historyOf([2]int64{0, 100}, [2]int64{30, 200}, [2]int64{60, 5})
		if want := []point{{sec(60), 5}}; !equalPoints(h.points, want) {
			t.Errorf("points = %v, want %v", h.points, want)
		}
	})
	t.Run("points before the horizon go, keeping the segment across it", func(t *testing.T) {
		h := &history{}
		for s := 0; s <= 300; s += 30 {
			h.add(point{sec(s), int64(s)}, sec(s-100))
		}
		// At 300 s the horizon is 200 s: the point at 180 s stays, since the segment from it
		// to 210 s covers the horizon.
		if h.points[0].at != sec(180) || len(h.points) != 5 {
			t.Errorf("points = %v, want 180 s to 300 s", h.points)
		}
	})
	t.Run("bounded whatever the horizon", func(t *testing.T) {
		h := &history{}
		for s := range 3 * maxHistoryPoints {
			h.add(point{sec(s), int64(s)}, t0.Add(-24*time.Hour))
		}
		if len(h.points) != maxHistoryPoints || h.points[len(h.points)-1].offset != 3*maxHistoryPoints-1 {
			t.Errorf("%d points ending at %d, want %d ending at %d", len(h.points), h.points[len(h.points)-1].offset, maxHistoryPoints, 3*maxHistoryPoints-1)
		}
	})
}

func equalPoints(a, b []point) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].at.Equal(b[i].at) || a[i].offset != b[i].offset {
			return false
		}
	}
	return true
}
