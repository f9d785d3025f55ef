package tracing

import "time"

// histogramBounds are the upper bounds of the fixed, roughly logarithmic buckets used for
// processing time and end-to-end delay; the last bucket (index len(histogramBounds)) holds
// everything slower. The flow tables have one column per bucket (p0…p17, d0…d17).
var histogramBounds = [...]time.Duration{
	500 * time.Microsecond, time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond,
	10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond,
	250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2500 * time.Millisecond,
	5 * time.Second, 10 * time.Second, 30 * time.Second, time.Minute, 5 * time.Minute,
}

// histogramBuckets is the number of buckets, the overflow bucket included.
const histogramBuckets = len(histogramBounds) + 1

// histogram counts durations in the fixed buckets.
type histogram [histogramBuckets]int64

func bucketOf(d time.Duration) int {
	for i, b := range histogramBounds {
		if d <= b {
			return i
		}
	}
	return len(histogramBounds)
}

func (h *histogram) observe(d time.Duration) { h[bucketOf(d)]++ }

func (h *histogram) count() int64 {
	var n int64
	for _, c := range h {
		n += c
	}
	return n
}

// quantile estimates the q-th quantile (0 < q ≤ 1) by linear interpolation inside the bucket
// that holds it; values in the overflow bucket are reported as its lower bound. It returns 0 for
// an empty histogram.
func (h *histogram) quantile(q float64) time.Duration {
	total := h.count()
	if total == 0 {
		return 0
	}
	rank := q * float64(total)
	var cum float64
	for i, c := range h {
		if c == 0 {
			continue
		}
		if cum+float64(c) >= rank {
			var lower time.Duration
			if i > 0 {
				lower = histogramBounds[i-1]
			}
			if i == len(histogramBounds) {
				return lower
			}
			frac := (rank - cum) / float64(c)
			return lower + time.Duration(frac*float64(histogramBounds[i]-lower))
		}
		cum += float64(c)
	}
	return histogramBounds[len(histogramBounds)-1]
}
