package tracing

import (
	"testing"
	"time"
)

func TestHistogramQuantile(t *testing.T) {
	fill := func(ds ...time.Duration) *histogram {
		var h histogram
		for _, d := range ds {
			h.observe(d)
		}
		return &h
	}
	many := func(n int, d time.Duration) []time.Duration {
		out := make([]time.Duration, n)
		for i := range out {
			out[i] = d
		}
		return out
	}
	tests := []struct {
		name     string
		h        *histogram
		q        float64
		min, max time.Duration
	}{
		{"empty", fill(), 0.5, 0, 0},
		{"one value lands in its bucket", fill(3 * time.Millisecond), 0.5, 2500 * time.Microsecond, 5 * time.Millisecond},
		{"p95 of a slow tail", fill(append(many(90, time.Millisecond), many(10, 2*time.Second)...)...), 0.95, time.Second, 2500 * time.Millisecond},
		{"p50 ignores the tail", fill(append(many(90, time.Millisecond), many(10, 2*time.Second)...)...), 0.5, 500 * time.Microsecond, time.Millisecond},
		{"overflow reports the last bound", fill(time.Hour), 0.99, 5 * time.Minute, 5 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.h.quantile(tt.q); got < tt.min || got > tt.max {
				t.Fatalf("quantile(%v) = %s, want within [%s, %s]", tt.q, got, tt.min, tt.max)
			}
		})
	}
}

func TestBucketBoundsAreIncreasing(t *testing.T) {
	for i := 1; i < len(histogramBounds); i++ {
		if histogramBounds[i] <= histogramBounds[i-1] {
			t.Fatalf("bound %d (%s) is not above bound %d (%s)", i, histogramBounds[i], i-1, histogramBounds[i-1])
		}
	}
}
