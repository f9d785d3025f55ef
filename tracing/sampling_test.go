package tracing

import (
	"math"
	"testing"
)

func TestAdjustedCount(t *testing.T) {
	tests := []struct {
		traceState string
		want       float64
	}{
		{"", 1},
		{"ot=th:0", 1},                    // keeps everything
		{"ot=th:8", 2},                    // rejects the lower half
		{"ot=th:c", 4},                    // keeps 25 %
		{"ot=th:e6666666666666", 10},      // keeps 10 %, as a Collector set to 10 % writes it
		{"ot=th:fd70a3d70a3d71", 100},     // 1 %
		{"vendor=x,ot=rv:abcdef;th:8", 2}, // among other members and fields
		{"ot=rv:abcdef", 1},               // a randomness value alone says nothing of the rate
		{"ot=th:", 1},
		{"ot=th:xyz", 1},
		{"ot=th:123456789abcdef0", 1}, // more than 14 digits
		{"other=th:8", 1},
	}
	for _, tt := range tests {
		got := adjustedCount(tt.traceState)
		if math.Abs(got-tt.want)/tt.want > 1e-9 {
			t.Errorf("adjustedCount(%q) = %v, want %v", tt.traceState, got, tt.want)
		}
	}
}

func TestWeigh(t *testing.T) {
	for _, tt := range []struct {
		batch    int
		adjusted float64
		want     int
	}{
		{1, 1, 1}, {5, 1, 5}, {1, 10.000000001, 10}, {3, 4, 12}, {1, 1 / 0.3, 3}, {1, 0.2, 1},
	} {
		if got := weigh(tt.batch, tt.adjusted); got != tt.want {
			t.Errorf("weigh(%d, %v) = %d, want %d", tt.batch, tt.adjusted, got, tt.want)
		}
	}
}
