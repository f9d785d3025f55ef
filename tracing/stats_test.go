package tracing

import (
	"reflect"
	"testing"
)

func TestHistogramOnly(t *testing.T) {
	h := Histogram{Bounds: []float64{1, 2, 5, 10}, Counts: []uint64{1, 2, 3, 4, 5}, Sum: 42}
	for _, c := range []struct {
		keep []float64
		want Histogram
	}{
		{[]float64{2, 10}, Histogram{Bounds: []float64{2, 10}, Counts: []uint64{3, 7, 5}, Sum: 42}},
		{[]float64{1, 2, 5, 10}, h},
		{nil, Histogram{Counts: []uint64{15}, Sum: 42}},
		{[]float64{3, 5}, Histogram{Bounds: []float64{5}, Counts: []uint64{6, 9}, Sum: 42}}, // 3 is not a bound of h
	} {
		if got := h.Only(c.keep); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Only(%v) = %+v, want %+v", c.keep, got, c.want)
		}
	}
}
